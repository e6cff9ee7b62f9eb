/*
 * pending_event.h - an event received (from a socket or the spool) and not
 * yet committed.
 *
 * Built from a decoded wire frame, which it copies, so the frame's msgpack
 * zone can be released at once.  Redaction and field extraction happen here,
 * before the event joins the queue, so that a transaction only spends time
 * in SQLite.  Owner: the producer until it calls ingest_push(), then the
 * ingest (ingest.h), which calls the completion callback and frees it;
 * pending_event_free() releases everything.
 */
#ifndef CHRONICLE_PENDING_EVENT_H
#define CHRONICLE_PENDING_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "chronicle/search_text.h"
#include "chronicle/wire.h"
#include "event_fields.h"

struct pending_event;

/*
 * Completion callback, set by the event's producer (a connection, the spool
 * reader): called once, on the event loop's thread, after the COMMIT that
 * holds the event (committed = 1; p->duplicate says it was stored already),
 * just before the event is freed; committed = 0 when that COMMIT went into a
 * database file that was deleted or replaced meanwhile: the event is not
 * stored anywhere anyone reads, and must not be acknowledged (its sender
 * spools it; a spool file stays for the next scan).  The callback must not
 * keep p.
 */
typedef void (*pending_done_fn)(struct pending_event *p, int committed, void *arg);

struct pending_event {
    struct pending_event *next; /* the ingest queue's link */
    pending_done_fn done;       /* NULL: nobody waits */
    void *done_arg;

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
    struct search_text search; /* the full-text index's text, from the redacted payload */
    size_t bytes;              /* memory held, for the queue cap */

    int64_t row_id;            /* events.id once committed */
    int duplicate;             /* already stored by an earlier delivery */
    int committed;             /* 0: its commit went into a deleted or replaced
                                * database file (the writer saw it): not acked */
    int64_t received_ns;       /* when the ingest took it (wall clock) */
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
