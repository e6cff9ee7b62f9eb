/*
 * pending_event.h - an event received (from a socket or the spool) and not
 * yet committed.
 *
 * Built from a decoded wire frame, which it copies, so the frame's msgpack
 * zone can be released at once.  Redaction and field extraction happen here,
 * before the event joins the queue, so that a transaction only spends time
 * in SQLite.  Owner: the queue while queued, then the ingest code that
 * acknowledges it; pending_event_free() releases everything.
 */
#ifndef CHRONICLE_PENDING_EVENT_H
#define CHRONICLE_PENDING_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "chronicle/wire.h"
#include "event_fields.h"

struct conn;
struct spool_file;

struct pending_event {
    struct pending_event *next;
    struct conn *conn;         /* where to send the ack; NULL once it is gone */
    struct spool_file *spool;  /* the spool file it came from, or NULL */

    unsigned char id[WIRE_ID_LEN];
    int64_t ts_ns, uid, pid, ppid, claude_pid; /* -1 = unknown */
    uint32_t flags;
    uint64_t orig_size;
    char *host, *project_dir;  /* owned, NULL when absent */
    char event_type[128];      /* hook_event_name, else the EVENT arg, else "Unknown" */
    uint32_t type_flags;       /* what the type means (chronicle/event_type.h), resolved once;
                                * for a Notification, its notification_type's meaning too */
    unsigned char awaiting;    /* enum awaiting_reason when EVF_AWAITING_INPUT is set */

    struct buf payload;        /* JSON text (redacted), or raw bytes when INVALID */
    struct event_fields fields;
    size_t bytes;              /* memory held, for the queue cap */

    int64_t row_id;            /* events.id once committed */
    int duplicate;             /* already stored by an earlier delivery */
};

struct redact_rules;
/*
 * Builds a pending event from a decoded frame, redacting by rules (NULL or
 * rules->on == 0: stored as received).  Returns NULL on ENOMEM.
 */
struct pending_event *pending_event_new(const struct wire_event *ev,
                                        const struct redact_rules *rules);
void pending_event_free(struct pending_event *p);

#endif
