/*
 * ingest.h - the queue between receiving and committing, and the writer
 * thread that drains it.
 *
 * Like redis's bio.c, this module alone owns its queues, its lock and its
 * thread; everyone else calls the functions below.  Data flows one way:
 * producers (conn.c, spool_reader.c) push pending events, the writer thread
 * commits them in batches with batch_writer.c, and each event's completion
 * callback (pending_event.done, set by its producer) runs on the event
 * loop's thread after the COMMIT that holds it; then the event is freed.
 * The transcript reader pushes usage batches the same way, from its own
 * thread.
 *
 * Group commit without timers: the writer takes everything queued (up to
 * batch_max) as one batch, commits it, and takes the next batch the moment
 * COMMIT returns, so a lone event commits at once and a flood commits in
 * large batches.  A failed commit (locked database, full disk) is retried
 * with back-off while the queue keeps the events.
 *
 * Threads: ingest_push, the hooks marked "loop" and ingest_stop/free run on
 * the event loop's thread; ingest_push_usage on any thread; the rest are
 * safe anywhere.  Owner: main's context holds the struct ingest *;
 * ingest_free() releases it.
 */
#ifndef CHRONICLE_INGEST_H
#define CHRONICLE_INGEST_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "batch_writer.h"
#include "pending_event.h"
#include "stats.h"

struct usage_batch;
struct ingest;

/* What the owner of the pipeline (main.c) wants to hear about. */
struct ingest_hooks {
    /* Loop: over = 1 when a push took the backlog (bytes not yet
     * acknowledged) over queue_max_bytes; over = 0 after each round of
     * completions that leaves it at half the cap or less.  Back-pressure:
     * main pauses and resumes reading its clients here. */
    void (*backlog)(int over, void *arg);
    /* Loop: an event was committed (or found already stored), just before
     * its completion callback; not for a batch whose database file was
     * deleted under it (see pending_event.h). */
    void (*committed)(const struct pending_event *p, void *arg);
    /* Writer thread: right after a commit, and once a second while idle. */
    void (*after_commit)(int queue_empty, void *arg);
    void (*idle)(void *arg);
    /* Writer thread: the database file was deleted or replaced; release
     * everything prepared on the old connection and open the path again. */
    void (*reopen_db)(void *arg);
    void *arg;
};

struct ingest_limits {
    size_t batch_max;        /* events per transaction at most */
    size_t queue_max_bytes;  /* backlog above which hooks.backlog(1) fires */
    size_t usage_max;        /* usage batches queued before ingest_push_usage waits */
};

/*
 * Creates the queue and arms its wake-up event on base; the writer thread
 * starts with ingest_start().  writer and stats stay the caller's and must
 * outlive the ingest.  NULL with err on failure.
 */
struct ingest *ingest_new(struct event_base *base, struct batch_writer *writer,
                          struct stats *stats, const struct ingest_limits *limits,
                          const struct ingest_hooks *hooks, char *err, size_t errlen);
/* Starts the writer thread: from here on only it touches the database. */
int ingest_start(struct ingest *g, char *err, size_t errlen);

/* Loop: queues p (ownership moves to the ingest until its done callback). */
void ingest_push(struct ingest *g, struct pending_event *p);
/* Any thread: queues b for the writer (ownership moves), behind events.
 * Waits while usage_max batches are queued, so that a huge transcript is
 * read no faster than it is committed, unless ingest_close_usage() was
 * called or the ingest is stopping. */
void ingest_push_usage(struct ingest *g, struct usage_batch *b);
/* Any thread: makes the writer run hooks.idle soon even when it is not
 * idle for a second (work for the writer outside the queue: an alert
 * acknowledgement, a webhook result).  Under load the after_commit hook
 * runs anyway. */
void ingest_kick(struct ingest *g);
/* Stop waiting for room in ingest_push_usage (its producer is stopping). */
void ingest_close_usage(struct ingest *g);

/* What is waiting, for status reports that must work while nothing can be
 * committed (a full disk): no database involved. */
struct ingest_status {
    size_t pending;              /* events received and not yet committed */
    size_t pending_bytes;
    int64_t oldest_received_ns;  /* wall clock; 0 when nothing is pending */
    int64_t failing_since_ns;    /* first failure of the commit being retried; 0 = none */
    int64_t committed;           /* events committed since start */
};
void ingest_get_status(struct ingest *g, struct ingest_status *st);

size_t ingest_queued(struct ingest *g);          /* events waiting for the writer */
size_t ingest_queued_bytes(struct ingest *g);    /* memory of events not yet acknowledged */
int ingest_has_room(struct ingest *g);           /* backlog at half the cap or less */
int64_t ingest_committed(const struct ingest *g); /* events committed since start */
int64_t ingest_last_commit_mono(const struct ingest *g); /* monotonic ns, 0 = none yet */

/* Loop: commits everything queued, joins the writer and runs the completion
 * callbacks of what it committed.  0, or -1 when some events could not be
 * committed before the exit deadline (ingest_queued() says how many). */
int ingest_stop(struct ingest *g);
/* Frees the ingest.  Events never committed are freed without their
 * callbacks: by now their producers are gone (their senders spooled). */
void ingest_free(struct ingest *g);

#endif
