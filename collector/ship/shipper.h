/*
 * shipper.h - chronicle-ship's work: committed local events, in id order
 * after a cursor, into PostgreSQL, one batch per transaction.
 *
 * The cursor that counts is this machine's row in chronicle.ship_cursors,
 * advanced by the same transaction as its batch (chronicle.ship_events).
 * On every connection the shipper reads it back and checks it against the
 * local database (the local event at that id must carry the id PostgreSQL
 * recorded): if it does, shipping resumes right after it; if PostgreSQL
 * has no cursor for this machine (a new or reset team database) or it
 * names an event this database does not have (the local database was
 * replaced), shipping starts again from the first local event, and the
 * resend changes nothing that was already there: events are skipped by
 * their id, and the derived rows are computed from the new events only.
 * ship.cursor (ship_file.h) follows after each COMMIT, for retention and
 * status; it is never trusted over PostgreSQL's, because a restored or
 * failed-over PostgreSQL may have lost commits the file saw.
 *
 * A batch PostgreSQL refuses on data is split in halves until the row is
 * found, and that row is then sent with its payload as text, then as
 * bytes; no row can stop the others.
 *
 * Owner: main.c's context; shipper_close().
 */
#ifndef CHRONICLE_SHIP_SHIPPER_H
#define CHRONICLE_SHIP_SHIPPER_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "chronicle/config.h"
#include "chronicle/machine_id.h"
#include "chronicle/ship_file.h"
#include "event_params.h"
#include "lag_hist.h"
#include "local_db.h"
#include "pg_link.h"
#include "ship_row.h"
#include "session_sync.h"
#include "usage_sync.h"

struct shipper {
    const struct chronicle_config *cfg;
    char machine_id[MACHINE_ID_LEN + 1];
    unsigned char machine[16];
    char host[256], user[64];
    char target[512];            /* ship_to without password, for logs and status */
    int stop_fd;                 /* readable when asked to stop: ends any wait */
    long batch_max;              /* rows per transaction at most */
    size_t batch_bytes;          /* payload bytes per transaction at most */
    int64_t timeout_ns;          /* one statement, at most */

    struct local_db *local;      /* NULL until chronicle.db can be opened */
    PGconn *pg;                  /* NULL while disconnected */
    int64_t cursor;              /* last local id committed in PostgreSQL */
    unsigned char cursor_uid[16];
    long limit;                  /* rows for the next batch (smaller while splitting) */
    int degrade;                 /* 0, or 1/2 for a lone refused row (event_params.h) */
    int cursor_dirty;            /* ship.cursor is behind */
    int64_t cursor_written_mono;
    int64_t usage_synced_ns;
    int64_t stats_sent_mono;
    int64_t usage_checked_mono;
    int64_t sessions_checked_mono;
    uint64_t stats_hash;

    struct ship_batch batch;
    struct event_params params;
    struct usage_sync usage;
    struct session_sync sessions; /* state columns (session_sync.h) */
    struct lag_hist lag;
    struct ship_state state;     /* what ship.state shows */
};

/* What one step did. */
enum ship_step {
    STEP_WORKED,   /* shipped something: step again at once */
    STEP_IDLE,     /* nothing to ship: wait for the local database to change */
    STEP_FAILED,   /* the connection was dropped (state.last_error says why): back off */
};

/* Fills s from cfg (which must outlive it).  0, or -1 with err. */
int shipper_init(struct shipper *s, const struct chronicle_config *cfg, int stop_fd, char *err,
                 size_t errlen);
void shipper_close(struct shipper *s);

/* Opens chronicle.db when it is not open yet.  0, or -1 (not there yet). */
int shipper_open_local(struct shipper *s);

/* Connects, creates or checks the schema, registers the machine and
 * settles the cursor (see above).  0, or -1 with state.last_error set. */
int shipper_connect(struct shipper *s);

/* Drops the connection (after a failure, or to stop). */
void shipper_disconnect(struct shipper *s);

/* One batch of events, else a page of usage rows or the counters when
 * due.  Requires a connection. */
enum ship_step shipper_step(struct shipper *s);

/* Refreshes lag figures and writes ship.state (and ship.cursor when it is
 * behind and force or 0.5 s passed). */
void shipper_report(struct shipper *s, int force);

/* Records an error for status and the log. */
void shipper_fail(struct shipper *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
