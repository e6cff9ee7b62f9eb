/*
 * session_sync.h - the session state columns shipped to PostgreSQL.
 *
 * The state machine lives in the collector (collector/session_state.c):
 * the local sessions table holds state, awaiting_reason, state_since_ns,
 * state_detail, title, title_source and, for an end it inferred, end_reason
 * and ended_ns; some of them change with no new event (the Claude Code
 * process gone, a title read from the transcript).
 * So they are not derived from events in PostgreSQL but copied from the
 * local rows: the shipper keeps a fingerprint of each session's columns as
 * last committed (24 bytes a session, in memory: fingerprints.h), scans the local table
 * every second and UPDATEs the PostgreSQL rows whose fingerprint changed.
 *
 * chronicle.ship_events also writes sessions.state from the events it
 * inserts, which may be older than the local row (a backlog): every
 * session in a shipped batch is marked dirty (session_sync_touch), so the
 * next scan copies the local values over again.  A session whose events
 * have not reached PostgreSQL yet has no row there and its UPDATE does
 * nothing; the batch that creates the row marks it dirty.  A scan runs
 * every second, and at once when the events are caught up after a batch
 * (so --once ends with PostgreSQL's rows equal to the local ones).  After a restart
 * or reconnect the map is empty and every session is sent once; the UPDATE
 * skips rows that would not change.
 *
 * Owner: the shipper's context; session_sync_free().
 */
#ifndef CHRONICLE_SHIP_SESSION_SYNC_H
#define CHRONICLE_SHIP_SESSION_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints.h"
#include "local_db.h"
#include "pg_array.h"

#define SESSION_PAGE 1000 /* changed sessions per UPDATE; the rest go next round */
#define SESSION_COLS 9

struct session_sync {
    struct fingerprints shipped; /* per session id: its columns as last committed */
    int dirty; /* a batch shipped since the last scan: scan once caught up */
    /* The page being shipped. */
    struct pg_array col[SESSION_COLS];
    struct fp_page page;
};

void session_sync_free(struct session_sync *u);

/* Forgets what was shipped: the next scan sends every session. */
void session_sync_forget(struct session_sync *u);

/* PostgreSQL's row of this session may have been rewritten from events:
 * ship it again at the next scan. */
void session_sync_touch(struct session_sync *u, const char *session_id, size_t len);

/* Scans the local sessions into u's arrays (the changed ones, at most
 * SESSION_PAGE) and returns how many, or -1 with err. */
long session_sync_page(struct session_sync *u, struct local_db *d, char *err, size_t errlen);

/* After the page was committed: remember its fingerprints. */
void session_sync_committed(struct session_sync *u);

#endif
