/*
 * ingest.c - the queue between receiving and committing, and the writer
 * thread.
 *
 * Group commit without timers: the writer thread takes everything queued
 * (up to batch_max) as one batch, commits it, and takes the next batch the
 * moment COMMIT returns.  While it commits, the event loop keeps accepting,
 * decoding and redacting on the other core, so a lone event commits at
 * once and a flood commits in large batches.  Acks go out only after the
 * COMMIT that holds the event: the writer hands committed events back to the
 * loop (eventfd), which writes the acks, since connections belong to it.
 *
 * Why a thread: measured, the commit is most of the collector's CPU time;
 * on one thread receiving stopped during every commit (docs/PERFORMANCE.md).
 */
#include <errno.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "chronicle/log.h"
#include "collector.h"

static void queue_push(struct event_queue *q, struct pending_event *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->count++;
}

/* Moves the whole of from to the end of to. */
static void queue_splice(struct event_queue *to, struct event_queue *from)
{
    if (from->head == NULL)
        return;
    if (to->tail)
        to->tail->next = from->head;
    else
        to->head = from->head;
    to->tail = from->tail;
    to->count += from->count;
    memset(from, 0, sizeof *from);
}

static int over_cap(const struct collector *c)
{
    return c->ingest.bytes > (size_t)c->cfg.queue_max_bytes;
}

/* Events after which the transcript has new model output to count. */
static void want_transcripts(struct collector *c, const struct pending_event *p)
{
    if (!(p->type_flags & EVF_TRANSCRIPT))
        return;
    const char *const *f = p->fields.v;
    transcript_reader_want(c, f[F_TRANSCRIPT_PATH], f[F_SESSION_ID], NULL);
    if (f[F_AGENT_TRANSCRIPT_PATH])
        transcript_reader_want(c, f[F_AGENT_TRANSCRIPT_PATH], f[F_SESSION_ID], f[F_AGENT_ID]);
}

void ingest_enqueue(struct collector *c, struct pending_event *p)
{
    struct ingest *g = &c->ingest;
    stats_add(&c->stats, "events_received_total", p->event_type, 1);
    want_transcripts(c, p);
    pthread_mutex_lock(&g->mu);
    queue_push(&g->in, p);
    g->bytes += p->bytes;
    int full = over_cap(c);
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    /* Above the cap the collector stops reading its clients (their senders
     * time out and spool); it reads again below half of it. */
    if (full && !c->paused) {
        c->paused = 1;
        conn_set_reading(c, 0);
        log_msg(TAG, LOG_WARN, "queue over %ld bytes: pausing reads until it drains",
                c->cfg.queue_max_bytes);
    }
}

size_t ingest_queued(struct collector *c)
{
    pthread_mutex_lock(&c->ingest.mu);
    size_t n = c->ingest.in.count;
    pthread_mutex_unlock(&c->ingest.mu);
    return n;
}

/* Takes up to batch_max events off the input queue into c->batch. */
static size_t take_batch(struct collector *c, struct event_queue *batch)
{
    struct ingest *g = &c->ingest;
    size_t n = 0;
    memset(batch, 0, sizeof *batch);
    while (g->in.head != NULL && n < (size_t)c->cfg.batch_max) {
        struct pending_event *p = g->in.head;
        g->in.head = p->next;
        g->in.count--;
        queue_push(batch, p);
        c->batch[n++] = p;
    }
    if (g->in.head == NULL)
        g->in.tail = NULL;
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/*
 * Commits one batch, retrying on failure.  The database may be locked by
 * another writer, the disk full, a file unwritable: keep the events, back off
 * (5 ms doubling to 500 ms) and try again.  Clients waiting for an ack time
 * out meanwhile and spool their copy; the UNIQUE event id makes the double
 * delivery harmless.  Returns 0, or -1 when stopping and the deadline passed.
 */
static int commit_with_retry(struct collector *c, size_t n, int64_t stop_deadline)
{
    int backoff = 0;
    for (;;) {
        char err[256];
        int rc = batch_writer_commit(c->writer, c->batch, n, &c->stats, err, sizeof err);
        if (rc == SQLITE_OK)
            return 0;
        stats_add(&c->stats, "commit_retries_total", "", 1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && backoff == 0)
            log_msg(TAG, LOG_ERROR, "commit of %zu events failed (will retry): %s", n, err);
        pthread_mutex_lock(&c->ingest.mu);
        int stopping = c->ingest.stop;
        pthread_mutex_unlock(&c->ingest.mu);
        if (stopping && clock_mono_ns() > stop_deadline)
            return -1;
        backoff = backoff ? (backoff * 2 > 500 ? 500 : backoff * 2) : 5;
        sleep_ms(backoff);
    }
}

static void *writer_main(void *arg)
{
    struct collector *c = arg;
    struct ingest *g = &c->ingest;
    int64_t stop_deadline = INT64_MAX;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (g->in.head == NULL && g->usage_head == NULL && !g->stop) {
            /* Idle: wake every second for the database chores. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            if (pthread_cond_timedwait(&g->wake, &g->mu, &ts) == ETIMEDOUT &&
                g->in.head == NULL && g->usage_head == NULL) {
                pthread_mutex_unlock(&g->mu);
                maintenance_idle(c);
                pthread_mutex_lock(&g->mu);
            }
        }
        if (g->in.head == NULL && g->usage_head != NULL) {
            /* Usage rows wait behind events: acks are on the hook's
             * critical path, token counts are not. */
            struct usage_batch *b = g->usage_head;
            g->usage_head = b->next;
            if (g->usage_head == NULL)
                g->usage_tail = NULL;
            g->usage_queued--;
            pthread_cond_signal(&g->usage_room);
            pthread_mutex_unlock(&g->mu);
            char err[256];
            if (batch_writer_commit_usage(c->writer, b, err, sizeof err) != SQLITE_OK) {
                /* The offset was not stored either: the rows are read again
                 * on the next pass over this file. */
                log_msg(TAG, LOG_WARN, "usage of %s not stored: %s", b->path, err);
                stats_add(&c->stats, "usage_batches_failed_total", "", 1);
            } else {
                stats_add(&c->stats, "usage_rows_total", "", (int64_t)b->n);
            }
            usage_batch_free(b);
            pthread_mutex_lock(&g->mu);
            continue;
        }
        if (g->in.head == NULL)
            break; /* stopping and drained */
        if (g->stop && stop_deadline == INT64_MAX)
            stop_deadline = clock_mono_ns() + 5000000000LL;
        struct event_queue batch;
        size_t n = take_batch(c, &batch);
        stats_set(&c->stats, "queue_depth", "", (int64_t)g->in.count);
        pthread_mutex_unlock(&g->mu);

        int ok = commit_with_retry(c, n, stop_deadline) == 0;

        pthread_mutex_lock(&g->mu);
        if (!ok) {
            /* Giving up at exit: back on the input queue, where teardown
             * frees them; their senders got no ack and spooled. */
            queue_splice(&batch, &g->in);
            g->in = batch;
            break;
        }
        int64_t fresh = 0;
        for (struct pending_event *p = batch.head; p; p = p->next)
            fresh += !p->duplicate;
        atomic_fetch_add(&g->committed, fresh);
        atomic_store(&g->last_commit_mono, clock_mono_ns());
        queue_splice(&g->done, &batch);
        int empty = g->in.head == NULL;
        pthread_mutex_unlock(&g->mu);
        uint64_t one = 1;
        if (write(g->done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_msg(TAG, LOG_ERROR, "eventfd: %s", strerror(errno));
        maintenance_after_commit(c, empty);
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void finish(struct collector *c, struct pending_event *p)
{
    if (p->conn != NULL)
        conn_ack(p->conn, p);
    if (p->spool != NULL)
        spool_file_done(c, p->spool);
    pending_event_free(p);
}

/* Loop side: acknowledge what the writer committed. */
static void deliver_acks(struct collector *c)
{
    struct ingest *g = &c->ingest;
    pthread_mutex_lock(&g->mu);
    struct event_queue done = g->done;
    memset(&g->done, 0, sizeof g->done);
    size_t freed = 0;
    for (struct pending_event *p = done.head; p; p = p->next)
        freed += p->bytes;
    g->bytes -= freed;
    int below = g->bytes <= (size_t)c->cfg.queue_max_bytes / 2;
    pthread_mutex_unlock(&g->mu);
    while (done.head) {
        struct pending_event *p = done.head;
        done.head = p->next;
        finish(c, p);
    }
    if (c->paused && below) {
        c->paused = 0;
        conn_set_reading(c, 1);
        log_msg(TAG, LOG_INFO, "queue drained: reading again");
    }
    if (c->spool_dirty && below && !c->stopping)
        event_active(c->spool_ev, EV_WRITE, 0);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_msg(TAG, LOG_ERROR, "eventfd: %s", strerror(errno));
    deliver_acks(arg);
}

int ingest_start(struct collector *c, char *err, size_t errlen)
{
    struct ingest *g = &c->ingest;
    g->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->done_fd < 0 || pthread_mutex_init(&g->mu, NULL) != 0 ||
        pthread_cond_init(&g->wake, NULL) != 0 || pthread_cond_init(&g->usage_room, NULL) != 0) {
        snprintf(err, errlen, "cannot set up the writer thread: %s", strerror(errno));
        return -1;
    }
    c->done_ev = event_new(c->base, g->done_fd, EV_READ | EV_PERSIST, on_done, c);
    if (c->done_ev == NULL || event_priority_set(c->done_ev, PRIO_IO) != 0 ||
        event_add(c->done_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the writer thread");
        return -1;
    }
    if (pthread_create(&g->thread, NULL, writer_main, c) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        return -1;
    }
    g->running = 1;
    return 0;
}

int ingest_stop(struct collector *c)
{
    struct ingest *g = &c->ingest;
    if (!g->running)
        return 0;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    g->running = 0;
    deliver_acks(c);
    return g->in.head == NULL ? 0 : -1;
}

void ingest_free(struct collector *c)
{
    struct ingest *g = &c->ingest;
    while (g->usage_head) {
        struct usage_batch *b = g->usage_head;
        g->usage_head = b->next;
        usage_batch_free(b);
    }
    while (g->in.head) {
        struct pending_event *p = g->in.head;
        g->in.head = p->next;
        pending_event_free(p);
    }
    if (c->done_ev)
        event_free(c->done_ev);
    if (g->done_fd > 0)
        close(g->done_fd);
}
