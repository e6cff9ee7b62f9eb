/*
 * retention.h - deletes old data in small chunks, from the writer thread.
 *
 * Two limits, either or both: age (CHRONICLE_RETENTION_DAYS, default 90)
 * and database size (CHRONICLE_RETENTION_MAX_MB, off by default).  Each step
 * examines one window of RETENTION_CHUNK event ids, in its own short
 * transaction, so a commit of new events never waits long behind it.  A pass
 * walks the whole id range (late events from the spool can be old with a
 * high id), then rests for a while.  tool_calls rows go when both their
 * ends are past the cut-off; a session row goes when its last event does.
 *
 * With shipping configured (ship_to), events chronicle-ship has not yet
 * committed to PostgreSQL (above $CHRONICLE_HOME/ship.cursor) never expire
 * by age, and nothing does while the cursor is unknown; only the size cap
 * deletes them, counted in events_deleted_unshipped_total and logged.
 *
 * The full-text rows of a deleted event (search_events) and of a deleted
 * reply (search_replies) go in the same transaction, by the triggers of
 * schema migration 5: the events kept for chronicle-ship keep theirs.
 * Replies expire by age only, like usage rows.
 *
 * Owner: the collector context (writer thread only); retention_close().
 */
#ifndef CHRONICLE_RETENTION_H
#define CHRONICLE_RETENTION_H

#include <sqlite3.h>
#include <stdint.h>

#include "chronicle/config.h"
#include "stats.h"

#define RETENTION_CHUNK 500

struct retention {
    sqlite3_stmt *window_end, *cut_events, *cut_tools, *cut_sessions, *oldest, *size, *cut_counts, *cut_usage,
        *cut_lines, *cut_replies, *cut_tool_stats, *cut_counts_10m, *unshipped, *max_id;
    int64_t cursor;        /* last id examined in this pass */
    int64_t next_pass_ns;  /* monotonic: when to start the next pass */
    int in_pass;
    int64_t unshipped_unlogged;   /* deleted unshipped events not yet logged */
    int64_t unshipped_logged_ns;  /* monotonic: last such log line */
};

/*
 * Runs one step if one is due.  Returns the number of events deleted (0
 * when nothing was due or nothing expired), or -1 with an SQLite error
 * logged.  now_wall/now_mono: current clocks (ns).
 */
int retention_step(struct retention *r, sqlite3 *db, const struct chronicle_config *cfg,
                   struct stats *stats, int64_t now_wall, int64_t now_mono);

void retention_close(struct retention *r);

#endif
