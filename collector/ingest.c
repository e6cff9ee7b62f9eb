/*
 * ingest.c - the queue between receiving and committing, and the writer
 * thread.  See ingest.h.
 *
 * Acks go out only after the COMMIT that holds the event: the writer hands
 * committed events back to the loop through an eventfd, and the loop runs
 * their completion callbacks, since connections and spool files belong to
 * it.
 *
 * Why a thread: measured, the commit is most of the collector's CPU time;
 * on one thread receiving stopped during every commit (docs/PERFORMANCE.md).
 */
#include "ingest.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "transcript_reader.h"

#define TAG "chronicle-collector"
#define STOP_DEADLINE_NS (5 * NS_PER_S) /* retrying a failed commit at exit */

struct event_queue {
    struct pending_event *head, *tail;
    size_t count;
};

/* Everything but the atomics and done_fd is guarded by mu. */
struct ingest {
    struct batch_writer *writer;   /* the caller's; used by the writer thread only */
    struct stats *stats;           /* the caller's; locks itself */
    struct ingest_limits lim;
    struct ingest_hooks hooks;

    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t wake;           /* loop -> writer: work queued, or stop */
    pthread_cond_t usage_room;     /* writer -> usage producer: a batch was taken */
    struct event_queue in;         /* received, waiting for the writer */
    struct event_queue done;       /* committed, waiting for their callbacks */
    size_t bytes;                  /* memory of every event not yet completed */
    int stop;                      /* writer: commit what is queued, then exit */
    int usage_closed;              /* ingest_close_usage(): never wait for room */
    int kicked;                    /* ingest_kick(): run the idle hook soon */
    struct usage_batch *usage_head, *usage_tail;
    size_t usage_queued;

    int over;                      /* loop: backlog(1) fired, backlog(0) not yet */
    int done_fd;                   /* eventfd: writer -> loop, "completions are due" */
    struct event *done_ev;
    struct pending_event **batch;  /* writer thread's scratch: batch_max entries */
    size_t inflight;               /* events of the batch being committed (mu) */
    int64_t inflight_oldest_ns;    /* its oldest received_ns (mu) */
    int64_t failing_since_ns;      /* wall clock of its first failed attempt (mu) */
    _Atomic int64_t committed;     /* events committed since start */
    _Atomic int64_t last_commit_mono;
};

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

void ingest_push(struct ingest *g, struct pending_event *p)
{
    stats_add(g->stats, "events_received_total", p->event_type, 1);
    p->received_ns = clock_wall_ns();
    pthread_mutex_lock(&g->mu);
    queue_push(&g->in, p);
    g->bytes += p->bytes;
    int full = g->bytes > g->lim.queue_max_bytes;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    if (full && !g->over) {
        g->over = 1;
        if (g->hooks.backlog)
            g->hooks.backlog(1, g->hooks.arg);
    }
}

void ingest_push_usage(struct ingest *g, struct usage_batch *b)
{
    pthread_mutex_lock(&g->mu);
    while (g->usage_queued >= g->lim.usage_max && !g->stop && !g->usage_closed)
        pthread_cond_wait(&g->usage_room, &g->mu);
    b->next = NULL;
    if (g->usage_tail)
        g->usage_tail->next = b;
    else
        g->usage_head = b;
    g->usage_tail = b;
    g->usage_queued++;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

void ingest_kick(struct ingest *g)
{
    pthread_mutex_lock(&g->mu);
    g->kicked = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

void ingest_close_usage(struct ingest *g)
{
    pthread_mutex_lock(&g->mu);
    g->usage_closed = 1;
    pthread_cond_broadcast(&g->usage_room);
    pthread_mutex_unlock(&g->mu);
}

size_t ingest_queued(struct ingest *g)
{
    pthread_mutex_lock(&g->mu);
    size_t n = g->in.count;
    pthread_mutex_unlock(&g->mu);
    return n;
}

size_t ingest_queued_bytes(struct ingest *g)
{
    pthread_mutex_lock(&g->mu);
    size_t n = g->bytes;
    pthread_mutex_unlock(&g->mu);
    return n;
}

int ingest_has_room(struct ingest *g)
{
    return ingest_queued_bytes(g) <= g->lim.queue_max_bytes / 2;
}

void ingest_get_status(struct ingest *g, struct ingest_status *st)
{
    pthread_mutex_lock(&g->mu);
    st->pending = g->in.count + g->inflight;
    st->pending_bytes = g->bytes;
    st->oldest_received_ns = g->inflight ? g->inflight_oldest_ns
                           : g->in.head ? g->in.head->received_ns : 0;
    st->failing_since_ns = g->failing_since_ns;
    pthread_mutex_unlock(&g->mu);
    st->committed = atomic_load(&g->committed);
}

int64_t ingest_committed(const struct ingest *g) { return atomic_load(&g->committed); }
int64_t ingest_last_commit_mono(const struct ingest *g)
{
    return atomic_load(&g->last_commit_mono);
}

/* ---- writer thread ------------------------------------------------------ */

/* Takes up to batch_max events off the input queue into g->batch.  Caller
 * holds mu. */
static size_t take_batch(struct ingest *g, struct event_queue *batch)
{
    size_t n = 0;
    memset(batch, 0, sizeof *batch);
    g->inflight_oldest_ns = g->in.head ? g->in.head->received_ns : 0;
    while (g->in.head != NULL && n < g->lim.batch_max) {
        struct pending_event *p = g->in.head;
        g->in.head = p->next;
        g->in.count--;
        queue_push(batch, p);
        g->batch[n++] = p;
    }
    if (g->in.head == NULL)
        g->in.tail = NULL;
    g->inflight = n;
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
static int commit_with_retry(struct ingest *g, size_t n, int64_t stop_deadline)
{
    int backoff = 0;
    for (;;) {
        char err[256];
        int rc = batch_writer_commit(g->writer, g->batch, n, g->stats, err, sizeof err);
        if (rc == SQLITE_OK)
            return 0;
        stats_add(g->stats, "commit_retries_total", "", 1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && backoff == 0)
            log_msg(TAG, LOG_LEVEL_ERROR, "commit of %zu events failed (will retry): %s", n, err);
        pthread_mutex_lock(&g->mu);
        int stopping = g->stop;
        if (g->failing_since_ns == 0)
            g->failing_since_ns = clock_wall_ns();
        pthread_mutex_unlock(&g->mu);
        if (stopping && clock_mono_ns() > stop_deadline)
            return -1;
        backoff = backoff ? (backoff * 2 > 500 ? 500 : backoff * 2) : 5;
        sleep_ms(backoff);
    }
}

/* Commits one usage batch.  Called without mu. */
static void commit_usage(struct ingest *g, struct usage_batch *b)
{
    char err[256];
    if (batch_writer_commit_usage(g->writer, b, err, sizeof err) != SQLITE_OK) {
        /* The offset was not stored either: the rows are read again on the
         * next pass over this file. */
        log_msg(TAG, LOG_LEVEL_WARN, "usage of %s not stored: %s", b->path, err);
        stats_add(g->stats, "usage_batches_failed_total", "", 1);
    } else {
        stats_add(g->stats, "usage_rows_total", "", (int64_t)b->n);
    }
    usage_batch_free(b);
}

/* Waits for work; runs the idle chores once a second meanwhile.  Caller
 * holds mu; returns with it held. */
static void wait_for_work(struct ingest *g)
{
    while (g->in.head == NULL && g->usage_head == NULL && !g->stop) {
        if (g->kicked) {
            g->kicked = 0;
            if (g->hooks.idle) {
                pthread_mutex_unlock(&g->mu);
                g->hooks.idle(g->hooks.arg);
                pthread_mutex_lock(&g->mu);
            }
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        if (pthread_cond_timedwait(&g->wake, &g->mu, &ts) == ETIMEDOUT &&
            g->in.head == NULL && g->usage_head == NULL && g->hooks.idle) {
            pthread_mutex_unlock(&g->mu);
            g->hooks.idle(g->hooks.arg);
            pthread_mutex_lock(&g->mu);
        }
    }
}

/*
 * After a COMMIT: does the database path still name the file we wrote?  If
 * someone deleted or replaced chronicle.db, the batch went into an inode
 * nobody will ever read: it is handed back unacknowledged (senders spool,
 * spool files stay) and the path is opened again, creating and migrating a
 * new database, so that no event acknowledged from now on is lost.
 * Called without mu.  1 when the batch is safe.
 */
static int batch_is_on_disk(struct ingest *g)
{
    char why[PATH_MAX + 64];
    if (batch_writer_file_ok(g->writer, why, sizeof why))
        return 1;
    stats_add(g->stats, "database_replaced_total", "", 1);
    log_msg(TAG, LOG_LEVEL_ERROR, "%s: the last batch was not acknowledged; opening the path again",
            why);
    if (g->hooks.reopen_db)
        g->hooks.reopen_db(g->hooks.arg);
    return 0;
}

/* Hands a committed batch back to the loop.  Caller holds mu. */
static void hand_back(struct ingest *g, struct event_queue *batch, int on_disk)
{
    int64_t fresh = 0;
    for (struct pending_event *p = batch->head; p; p = p->next) {
        p->committed = on_disk;
        fresh += on_disk && !p->duplicate;
    }
    atomic_fetch_add(&g->committed, fresh);
    atomic_store(&g->last_commit_mono, clock_mono_ns());
    queue_splice(&g->done, batch);
}

static void *writer_main(void *arg)
{
    struct ingest *g = arg;
    int64_t stop_deadline = INT64_MAX;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        wait_for_work(g);
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
            commit_usage(g, b);
            pthread_mutex_lock(&g->mu);
            continue;
        }
        if (g->in.head == NULL)
            break; /* stopping and drained */
        if (g->stop && stop_deadline == INT64_MAX)
            stop_deadline = clock_mono_ns() + STOP_DEADLINE_NS;
        struct event_queue batch;
        size_t n = take_batch(g, &batch);
        stats_set(g->stats, "queue_depth", "", (int64_t)g->in.count);
        pthread_mutex_unlock(&g->mu);

        int ok = commit_with_retry(g, n, stop_deadline) == 0;
        int on_disk = ok && batch_is_on_disk(g);

        pthread_mutex_lock(&g->mu);
        g->inflight = 0;
        g->failing_since_ns = 0;
        if (!ok) {
            /* Giving up at exit: back at the head of the input queue, where
             * ingest_free() releases them; their senders got no ack and
             * spooled. */
            queue_splice(&batch, &g->in);
            g->in = batch;
            break;
        }
        hand_back(g, &batch, on_disk);
        int empty = g->in.head == NULL;
        pthread_mutex_unlock(&g->mu);
        uint64_t one = 1;
        if (write(g->done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
        if (g->hooks.after_commit)
            g->hooks.after_commit(empty, g->hooks.arg);
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- loop side ---------------------------------------------------------- */

/* Runs the completion callbacks of what the writer committed. */
static void complete(struct ingest *g)
{
    pthread_mutex_lock(&g->mu);
    struct event_queue done = g->done;
    memset(&g->done, 0, sizeof g->done);
    size_t freed = 0;
    for (struct pending_event *p = done.head; p; p = p->next)
        freed += p->bytes;
    g->bytes -= freed;
    int below = g->bytes <= g->lim.queue_max_bytes / 2;
    pthread_mutex_unlock(&g->mu);
    while (done.head) {
        struct pending_event *p = done.head;
        done.head = p->next;
        if (g->hooks.committed && p->committed)
            g->hooks.committed(p, g->hooks.arg);
        if (p->done)
            p->done(p, p->committed, p->done_arg);
        pending_event_free(p);
    }
    if (below) {
        g->over = 0;
        if (g->hooks.backlog)
            g->hooks.backlog(0, g->hooks.arg);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
    complete(arg);
}

struct ingest *ingest_new(struct event_base *base, struct batch_writer *writer,
                          struct stats *stats, const struct ingest_limits *limits,
                          const struct ingest_hooks *hooks, char *err, size_t errlen)
{
    struct ingest *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->writer = writer;
    g->stats = stats;
    g->lim = *limits;
    if (g->lim.batch_max == 0)
        g->lim.batch_max = 1;
    g->hooks = *hooks;
    g->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int locks = g->done_fd >= 0 && pthread_mutex_init(&g->mu, NULL) == 0;
    if (!locks || pthread_cond_init(&g->wake, NULL) != 0 ||
        pthread_cond_init(&g->usage_room, NULL) != 0) {
        snprintf(err, errlen, "cannot set up the writer thread: %s", strerror(errno));
        if (g->done_fd >= 0)
            close(g->done_fd);
        free(g);
        return NULL;
    }
    g->batch = calloc(g->lim.batch_max, sizeof *g->batch);
    g->done_ev = event_new(base, g->done_fd, EV_READ | EV_PERSIST, on_done, g);
    /* Priority 0, the highest: acks go out before any housekeeping. */
    if (g->batch == NULL || g->done_ev == NULL || event_priority_set(g->done_ev, 0) != 0 ||
        event_add(g->done_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the writer thread");
        ingest_free(g);
        return NULL;
    }
    return g;
}

int ingest_start(struct ingest *g, char *err, size_t errlen)
{
    if (pthread_create(&g->thread, NULL, writer_main, g) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        return -1;
    }
    g->running = 1;
    return 0;
}

int ingest_stop(struct ingest *g)
{
    if (g == NULL)
        return 0;
    if (g->running) {
        pthread_mutex_lock(&g->mu);
        g->stop = 1;
        pthread_cond_signal(&g->wake);
        pthread_cond_broadcast(&g->usage_room);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->thread, NULL);
        g->running = 0;
    }
    complete(g);
    return g->in.head == NULL ? 0 : -1;
}

void ingest_free(struct ingest *g)
{
    if (g == NULL)
        return;
    ingest_stop(g); /* a start-up that failed after the thread began */
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
    if (g->done_ev)
        event_free(g->done_ev);
    if (g->done_fd >= 0)
        close(g->done_fd);
    pthread_cond_destroy(&g->usage_room);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g->batch);
    free(g);
}
