/*
 * local_db.h - chronicle-ship's read-only view of chronicle.db.
 *
 * Opened with SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW: the collector
 * stays the only writer, and WAL lets this connection read committed data
 * while it writes.  Every read is one short statement (its own read
 * transaction), so the shipper never holds a snapshot while it waits on
 * PostgreSQL and never keeps the collector's checkpoints from finishing.
 *
 * Owner: the shipper's context; local_db_close().
 */
#ifndef CHRONICLE_SHIP_LOCAL_DB_H
#define CHRONICLE_SHIP_LOCAL_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "ship_row.h"

struct local_db;

/* NULL with err when the database is missing or unreadable (the caller
 * retries: the collector creates it on its first start). */
struct local_db *local_db_open(const char *path, char *err, size_t errlen);
void local_db_close(struct local_db *d);

/*
 * Appends to b the events with id > after, in id order, at most max_rows
 * of them and stopping once max_bytes of payload are in (at least one row).
 * Returns the number added, or -1 with err.
 */
long local_db_read_events(struct local_db *d, int64_t after, long max_rows, size_t max_bytes,
                          struct ship_batch *b, char *err, size_t errlen);

/* The event_uid stored at id (16 bytes into uid): 1, 0 when there is no
 * such row, -1 with err. */
int local_db_uid_at(struct local_db *d, int64_t id, unsigned char uid[16], char *err,
                    size_t errlen);

/* max(id) (0 when empty) and the stored_ns of the first event above after
 * (0 when none).  0 or -1 with err. */
int local_db_progress(struct local_db *d, int64_t after, int64_t *max_id, int64_t *oldest_ns,
                      char *err, size_t errlen);

/* max(transcripts.updated_ns): changes whenever usage rows were added. */
int local_db_usage_version(struct local_db *d, int64_t *version, char *err, size_t errlen);

/* One usage row; strings valid until the next call on d. */
struct local_usage {
    const char *message_id, *request_id, *session_id, *agent_id, *prompt_id, *model;
    int64_t ts_ns; /* -1: NULL */
    int64_t input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens;
};

/*
 * Calls fn for the usage rows after the key (after_msg, after_req) in key
 * order, at most max_rows; the last key seen goes back into after_msg /
 * after_req (caller's buffers of cap bytes).  Returns the rows visited, 0 at
 * the end of the table, -1 with err.  fn returning non-zero stops early
 * (an error: -1).
 */
long local_db_scan_usage(struct local_db *d, char *after_msg, char *after_req, size_t cap,
                         long max_rows, int (*fn)(const struct local_usage *u, void *ctx),
                         void *ctx, char *err, size_t errlen);

/* One sessions row's state columns (local schema migration 4); strings
 * valid during the call. */
struct local_session {
    const char *session_id, *state, *awaiting_reason, *state_detail, *title, *title_source;
    int64_t state_since_ns; /* -1: NULL */
    const char *end_reason; /* process_gone: the collector found the process gone */
    int64_t ended_ns;       /* -1: NULL */
};

/* Calls fn for every sessions row.  0, or -1 with err (also when fn
 * returns non-zero: out of memory). */
int local_db_scan_sessions(struct local_db *d, int (*fn)(const struct local_session *s, void *ctx),
                           void *ctx, char *err, size_t errlen);

/* Calls fn for every collector_stats row.  0 or -1 with err. */
int local_db_scan_stats(struct local_db *d,
                        int (*fn)(const char *name, const char *label, int64_t value, void *ctx),
                        void *ctx, char *err, size_t errlen);

#endif
