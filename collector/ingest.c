/*
 * ingest.c - the queue between receiving and committing.
 *
 * Group commit without timers: a received event schedules the flush event
 * at a lower priority than I/O, so it runs once the loop has read every
 * ready socket.  The batch is whatever arrived meanwhile (capped at
 * batch_max), and while one commit runs the next batch accumulates in the
 * kernel's socket buffers.  A lone event therefore commits at once, and a
 * flood commits in large batches.  Acks go out only after COMMIT returns.
 */
#include <event2/event.h>
#include <sqlite3.h>
#include <time.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "collector.h"

/* Above this the collector stops reading its clients (backpressure: their
 * senders time out and spool), below half of it reading resumes. */
static int over_cap(const struct collector *c)
{
    return c->queue.bytes > (size_t)c->cfg.queue_max_bytes;
}

void ingest_schedule(struct collector *c)
{
    if (c->retry_ms == 0 && !event_pending(c->flush_ev, EV_TIMEOUT, NULL))
        event_active(c->flush_ev, EV_WRITE, 0);
}

void ingest_enqueue(struct collector *c, struct pending_event *p)
{
    p->next = NULL;
    if (c->queue.tail)
        c->queue.tail->next = p;
    else
        c->queue.head = p;
    c->queue.tail = p;
    c->queue.count++;
    c->queue.bytes += p->bytes;
    stats_add(&c->stats, "events_received_total", p->event_type, 1);
    if (!c->paused && over_cap(c)) {
        c->paused = 1;
        conn_set_reading(c, 0);
        log_msg(TAG, LOG_WARN, "queue over %ld bytes: pausing reads until it drains",
                c->cfg.queue_max_bytes);
    }
    ingest_schedule(c);
}

static void finish(struct collector *c, struct pending_event *p)
{
    if (p->conn != NULL)
        conn_ack(p->conn, p);
    if (p->spool != NULL)
        spool_file_done(c, p->spool);
    pending_event_free(p);
}

/* Commits up to batch_max queued events.  Returns the SQLite code. */
static int commit_some(struct collector *c)
{
    size_t n = 0;
    for (struct pending_event *p = c->queue.head; p && n < (size_t)c->cfg.batch_max; p = p->next)
        c->batch[n++] = p;
    if (n == 0)
        return SQLITE_OK;
    stats_set(&c->stats, "queue_depth", "", (int64_t)c->queue.count);
    char err[256];
    int rc = batch_writer_commit(c->writer, c->batch, n, &c->stats, err, sizeof err);
    if (rc != SQLITE_OK) {
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            log_msg(TAG, LOG_ERROR, "commit of %zu events failed (will retry): %s", n, err);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct pending_event *p = c->queue.head;
        c->queue.head = p->next;
        c->queue.count--;
        c->queue.bytes -= p->bytes;
        if (!p->duplicate)
            c->committed_since_start++;
        finish(c, p);
    }
    if (c->queue.head == NULL)
        c->queue.tail = NULL;
    c->last_commit_mono = clock_mono_ns();
    return SQLITE_OK;
}

static void after_commit(struct collector *c)
{
    if (c->paused && c->queue.bytes <= (size_t)c->cfg.queue_max_bytes / 2) {
        c->paused = 0;
        conn_set_reading(c, 1);
        log_msg(TAG, LOG_INFO, "queue drained: reading again");
    }
    if (c->spool_dirty && !over_cap(c))
        event_active(c->spool_ev, EV_WRITE, 0);
    maintenance_after_commit(c);
    if (c->queue.head != NULL)
        ingest_schedule(c);
}

void ingest_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct collector *c = arg;
    int rc = commit_some(c);
    if (rc == SQLITE_OK) {
        c->retry_ms = 0;
        after_commit(c);
        return;
    }
    /* Database locked by another writer, disk full, I/O error: keep the
     * events, back off (5 ms doubling to 500 ms) and try again.  Clients
     * waiting for an ack time out meanwhile and spool their copy; the
     * UNIQUE event id makes the double delivery harmless. */
    c->retry_ms = c->retry_ms ? c->retry_ms * 2 : 5;
    if (c->retry_ms > 500)
        c->retry_ms = 500;
    stats_add(&c->stats, "commit_retries_total", "", 1);
    struct timeval tv = {c->retry_ms / 1000, (c->retry_ms % 1000) * 1000};
    event_add(c->retry_ev, &tv);
}

int ingest_drain(struct collector *c, int64_t deadline)
{
    while (c->queue.head != NULL) {
        int rc = commit_some(c);
        if (rc == SQLITE_OK)
            continue;
        if (clock_mono_ns() > deadline)
            return -1;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}
