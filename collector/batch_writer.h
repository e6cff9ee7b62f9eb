/*
 * batch_writer.h - the only code that writes events into SQLite.
 *
 * One call commits one batch in one transaction through prepared
 * statements: the events, the session rows they touch (aggregated per batch,
 * one upsert per session), the Pre/Post tool-call pairs and the collector's
 * counters.  An event whose id is already stored is skipped and reported as
 * a duplicate (the spool may deliver an event twice; the second delivery
 * must not create a second row).
 *
 * The writer connection has a short busy timeout: when another process holds
 * the write lock the commit returns SQLITE_BUSY at once and the caller
 * retries later, so the event loop keeps accepting connections.
 *
 * Owner: the collector context; batch_writer_close() frees everything.
 */
#ifndef CHRONICLE_BATCH_WRITER_H
#define CHRONICLE_BATCH_WRITER_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "pending_event.h"
#include "stats.h"

struct batch_writer;

/* Opens (creating if needed) and migrates the database.  NULL on failure
 * with a message in err. */
struct batch_writer *batch_writer_open(const char *path, char *err, size_t errlen);
void batch_writer_close(struct batch_writer *w);

/*
 * Commits events[0..n) and, at most every 200 ms, the dirty counters of
 * stats (batch_writer_flush_stats writes the rest when idle).  On SQLITE_OK each
 * event has row_id (or duplicate) set, and committed/duplicate counters and
 * the batch latency are updated.  On any other code nothing was written
 * (the transaction rolled back) and err says why.
 */
int batch_writer_commit(struct batch_writer *w, struct pending_event **events, size_t n,
                        struct stats *stats, char *err, size_t errlen);

struct usage_batch;
/* Upserts a transcript's usage rows (duplicates keep the largest count of
 * each kind) and its read offset, in one transaction.  SQLite code. */
int batch_writer_commit_usage(struct batch_writer *w, const struct usage_batch *b, char *err,
                              size_t errlen);

/* Writes only the counters (heartbeat when idle).  SQLite code. */
int batch_writer_flush_stats(struct batch_writer *w, struct stats *stats, char *err,
                             size_t errlen);

/* Pages in the WAL after the last commit (from sqlite3_wal_hook). */
int batch_writer_wal_pages(const struct batch_writer *w);

/* PASSIVE checkpoint: copies what it can without waiting for readers or
 * blocking them.  truncate selects TRUNCATE (used when idle), which resets the
 * -wal file to zero bytes if no reader is using it.  SQLite code. */
int batch_writer_checkpoint(struct batch_writer *w, int truncate);

/*
 * 1 when the database path still names the file this writer has open (same
 * device and inode, not deleted); 0 with err when it was deleted or
 * replaced: commits then go into a file nobody will ever read again.
 */
int batch_writer_file_ok(const struct batch_writer *w, char *err, size_t errlen);

/* Closes the connection and opens the path again (creating and migrating a
 * new database).  0, or -1 with err (the writer then has no connection and
 * every commit fails until a reopen succeeds). */
int batch_writer_reopen(struct batch_writer *w, char *err, size_t errlen);

/* The connection, for maintenance statements (PRAGMA optimize ...); NULL
 * after a failed reopen. */
sqlite3 *batch_writer_db(struct batch_writer *w);

/*
 * Ends the sessions whose Claude Code process (claude_pid) no longer exists:
 * state ended, end_reason 'process_gone', a state_detail saying so, in one
 * transaction.  *ended gets how many.  SQLite code, err on failure.
 */
int batch_writer_end_gone_sessions(struct batch_writer *w, int64_t now_ns, int *ended, char *err,
                                   size_t errlen);

#endif
