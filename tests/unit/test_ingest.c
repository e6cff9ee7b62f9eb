/*
 * Unit tests: the ingest queue and its writer thread (collector/ingest.c)
 * against a real SQLite file and a real event loop: completion callbacks
 * once per event after the commit, the back-pressure hook, duplicates, usage
 * batches behind events, and stop committing what is queued.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "batch_writer.h"
#include "check.h"
#include "ingest.h"
#include "transcript_reader.h"

struct fixture {
    char dbpath[64];
    struct event_base *base;
    struct batch_writer *writer;
    struct stats stats;
    struct ingest *g;
    int done, committed_calls, hook_committed, backlog_over, backlog_under, idle;
    int order_ok;
    int64_t last_row;
};

static void on_done(struct pending_event *p, int committed, void *arg)
{
    struct fixture *f = arg;
    f->done++;
    f->committed_calls += committed;
    /* Completions come in commit order: row ids grow (duplicates have none). */
    if (!p->duplicate) {
        if (p->row_id <= f->last_row)
            f->order_ok = 0;
        f->last_row = p->row_id;
    }
    event_base_loopbreak(f->base);
}
static void on_backlog(int over, void *arg)
{
    struct fixture *f = arg;
    if (over)
        f->backlog_over++;
    else
        f->backlog_under++;
}
static void on_committed(const struct pending_event *p, void *arg)
{
    (void)p;
    ((struct fixture *)arg)->hook_committed++;
}
static void on_idle(void *arg) { ((struct fixture *)arg)->idle++; }

static int setup(struct fixture *f, size_t queue_max)
{
    memset(f, 0, sizeof *f);
    f->order_ok = 1;
    strcpy(f->dbpath, "/tmp/chronicle-ingest-XXXXXX");
    int fd = mkstemp(f->dbpath);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(f->dbpath);
    char err[256];
    f->base = event_base_new();
    f->writer = batch_writer_open(f->dbpath, err, sizeof err);
    stats_init(&f->stats);
    struct ingest_limits lim = {64, queue_max, 2};
    struct ingest_hooks hooks = {on_backlog, on_committed, NULL, on_idle, NULL, f};
    f->g = f->base && f->writer ? ingest_new(f->base, f->writer, &f->stats, &lim, &hooks, err,
                                             sizeof err) : NULL;
    if (f->g == NULL || ingest_start(f->g, err, sizeof err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

static void teardown(struct fixture *f)
{
    ingest_free(f->g);
    batch_writer_close(f->writer);
    if (f->base)
        event_base_free(f->base);
    char p[96];
    unlink(f->dbpath);
    snprintf(p, sizeof p, "%s-wal", f->dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->dbpath);
    unlink(p);
}

static struct pending_event *event(struct fixture *f, int idn, const char *json)
{
    struct wire_event w = {.kind = WIRE_EVENT, .ts_ns = 1700000000000000000LL + idn, .uid = 1,
                           .pid = 2, .ppid = 3, .claude_pid = -1};
    w.id[0] = (unsigned char)idn;
    w.id[1] = (unsigned char)(idn >> 8);
    w.payload = (struct wire_str){json, strlen(json)};
    w.orig_size = strlen(json);
    struct pending_event *p = pending_event_new(&w, NULL);
    if (p != NULL) {
        p->done = on_done;
        p->done_arg = f;
    }
    return p;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until n completions arrived (each loopbreaks). */
static void run_until(struct fixture *f, int n)
{
    struct timeval limit = {10, 0};
    struct event *timeout = evtimer_new(f->base, on_timeout, f->base);
    while (f->done < n) {
        int before = f->done;
        evtimer_add(timeout, &limit);
        event_base_dispatch(f->base);
        if (f->done == before)
            break; /* the 10 s safety timer fired */
    }
    event_free(timeout);
}

static int64_t count_rows(struct fixture *f, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    sqlite3 *db;
    if (sqlite3_open_v2(f->dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void completes_once_after_commit(struct check *c)
{
    struct fixture f;
    CHECK(c, setup(&f, 64 << 20) == 0);
    for (int i = 1; i <= 200; i++)
        ingest_push(f.g, event(&f, i, "{\"session_id\":\"s1\",\"hook_event_name\":\"Stop\"}"));
    run_until(&f, 200);
    CHECK_INT(c, f.done, 200);
    CHECK_INT(c, f.committed_calls, 200);
    CHECK_INT(c, f.hook_committed, 200);
    CHECK(c, f.order_ok);
    CHECK_INT(c, ingest_committed(f.g), 200);
    CHECK(c, ingest_last_commit_mono(f.g) > 0);
    CHECK(c, ingest_queued(f.g) == 0 && ingest_queued_bytes(f.g) == 0);
    CHECK_INT(c, count_rows(&f, "SELECT count(*) FROM events"), 200);
    CHECK_INT(c, f.backlog_over, 0);
    teardown(&f);
}

static void duplicates_complete_without_a_row(struct check *c)
{
    struct fixture f;
    CHECK(c, setup(&f, 64 << 20) == 0);
    ingest_push(f.g, event(&f, 7, "{\"session_id\":\"s1\"}"));
    run_until(&f, 1);
    ingest_push(f.g, event(&f, 7, "{\"session_id\":\"s1\"}"));
    run_until(&f, 2);
    CHECK(c, f.done == 2 && f.committed_calls == 2);
    CHECK_INT(c, ingest_committed(f.g), 1); /* the second delivery was a duplicate */
    CHECK_INT(c, count_rows(&f, "SELECT count(*) FROM events"), 1);
    teardown(&f);
}

/* A tiny cap: the first push over it fires backlog(1) once, and the
 * completions that bring it back under half fire backlog(0). */
static void backlog_hook(struct check *c)
{
    struct fixture f;
    CHECK_INT(c, setup(&f, 1), 0);
    for (int i = 1; i <= 5; i++)
        ingest_push(f.g, event(&f, i, "{}"));
    CHECK_INT(c, f.backlog_over, 1);
    CHECK(c, !ingest_has_room(f.g) || f.done > 0);
    run_until(&f, 5);
    CHECK(c, f.backlog_under >= 1);
    CHECK(c, ingest_has_room(f.g));
    teardown(&f);
}

/* ingest_stop commits what is still queued and runs its callbacks. */
static void stop_commits_the_queue(struct check *c)
{
    struct fixture f;
    CHECK(c, setup(&f, 64 << 20) == 0);
    for (int i = 1; i <= 50; i++)
        ingest_push(f.g, event(&f, i, "{}"));
    CHECK_INT(c, ingest_stop(f.g), 0);
    CHECK(c, f.done == 50 && f.committed_calls == 50);
    CHECK_INT(c, count_rows(&f, "SELECT count(*) FROM events"), 50);
    teardown(&f);
}

static void usage_batches_commit(struct check *c)
{
    struct fixture f;
    CHECK(c, setup(&f, 64 << 20) == 0);
    for (int k = 0; k < 3; k++) { /* more than usage_max (2): the third waits for room */
        struct usage_batch *b = calloc(1, sizeof *b);
        snprintf(b->path, sizeof b->path, "/tmp/t%d.jsonl", k);
        b->inode = 1;
        b->offset = 10;
        b->rows = calloc(1, sizeof *b->rows);
        b->n = b->cap = 1;
        snprintf(b->rows[0].message_id, sizeof b->rows[0].message_id, "m%d", k);
        b->rows[0].output_tokens = 5;
        ingest_push_usage(f.g, b);
    }
    CHECK_INT(c, ingest_stop(f.g), 0);
    CHECK_INT(c, count_rows(&f, "SELECT count(*) FROM usage"), 3);
    CHECK_INT(c, count_rows(&f, "SELECT count(*) FROM transcripts"), 3);
    teardown(&f);
}

CHECK_MAIN(CASE(completes_once_after_commit), CASE(duplicates_complete_without_a_row),
           CASE(backlog_hook), CASE(stop_commits_the_queue), CASE(usage_batches_commit))
