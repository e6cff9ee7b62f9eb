/*
 * alert_engine.h - evaluates the alert rules, records alerts and their
 * deliveries in the database, and feeds the sender (alert_sender.h).
 *
 * Why the collector, and on its writer thread: the collector sees every
 * event as it commits, it is the only writer (so the alerts table lives in
 * the same database as the events it is about, written on the connection
 * that writes them), and it keeps running while the server restarts.  The
 * engine runs after commits (at most every 200 ms) and once a second when
 * idle, in a short transaction of its own; a webhook is never waited for
 * here (the sender's threads do that).
 *
 * Rules (docs/ALERTS.md): awaiting, failed (StopFailure, tool error
 * bursts), budget and budget_forecast, ended_unexpectedly.  Each alert has
 * an idempotent key (rule, session and the state_since of the wait; rule,
 * scope and local day for budgets), so a restart fires nothing twice; each
 * notification of an alert (fired, resolved) to each target is a row of
 * alert_deliveries, the persistent queue, retried with back-off.
 *
 * Acknowledgements arrive on the event loop (conn.c, frame type "ack"),
 * are applied on the writer thread, and their answers go back to the loop
 * through an eventfd, as ingest.c does with acks of events.
 *
 * Threads: alert_engine_tick on the writer thread; alert_engine_ack and the
 * done callbacks on the loop; new/finish/free on the main thread with the
 * writer stopped.  Owner: the collector context.
 */
#ifndef CHRONICLE_ALERT_ENGINE_H
#define CHRONICLE_ALERT_ENGINE_H

#include <event2/event.h>
#include <sqlite3.h>
#include <stdint.h>

#include "chronicle/config.h"
#include "stats.h"

struct alert_engine;

struct alert_engine_opts {
    const struct chronicle_config *cfg; /* must outlive the engine */
    struct event_base *base;            /* loop: answers of acknowledgements */
    struct stats *stats;
    void (*kick)(void *arg);            /* any thread: run a tick soon (ingest_kick) */
    void *kick_arg;
    const char *desktop_env;            /* non-NULL: a desktop session exists (tests: NULL) */
};

/* NULL with err.  Starts the sender's threads. */
struct alert_engine *alert_engine_new(const struct alert_engine_opts *o, char *err, size_t errlen);

/* Writer thread.  after_commit: called right after a commit (rate-limited
 * inside); else the once-a-second idle call or a kick.  db may be NULL
 * (a reopen failed): nothing happens. */
void alert_engine_tick(struct alert_engine *e, sqlite3 *db, int after_commit, int64_t now_ns);

/* Loop: acknowledges alert id; done(arg, found, acknowledged_ns) runs on
 * the loop once it is committed (found 0: no such alert).  -1 when out of
 * memory (done is not called). */
int alert_engine_ack(struct alert_engine *e, int64_t id,
                     void (*done)(void *arg, int found, int64_t acknowledged_ns), void *arg);

/* Main thread, writer stopped: stops the sender (aborting transfers in
 * flight, which stay due), records what finished and answers pending
 * acknowledgements.  db may be NULL. */
void alert_engine_finish(struct alert_engine *e, sqlite3 *db);
void alert_engine_free(struct alert_engine *e);

#endif
