/*
 * maintenance.c - the collector's chores, off the commit path.
 *
 * Checkpoints: automatic checkpoints are off (schema.c) because one inside
 * COMMIT stalls that commit for milliseconds.  Instead the writer thread
 * checkpoints PASSIVE right after a commit when the queue is empty (or the
 * WAL is large), and TRUNCATEs when it has been idle for a second, so the
 * -wal file stays small while readers come and go.  The heartbeat (counters
 * and heartbeat_ns) is written every 5 s when idle, and the full-text index
 * is merged a step at a time when idle.  The loop's own tick
 * only counts dropped events and rescans the spool.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/home.h"
#include "chronicle/log.h"
#include "collector.h"

#define WAL_PAGES_IDLE 1000     /* ~4 MB: checkpoint when the queue is empty */
#define WAL_PAGES_FORCE 4000    /* ~16 MB: checkpoint even under load */
#define HEARTBEAT_NS (5 * NS_PER_S)
#define RESCAN_NS (10 * NS_PER_S)
#define OPTIMIZE_NS (3600 * NS_PER_S)
#define GONE_CHECK_NS (5 * NS_PER_S)

/* Writer thread: every few seconds, busy or idle, sessions whose Claude
 * Code process has exited without a SessionEnd become ended, so that
 * sessions.state alone says which sessions are over (alerts rely on it). */
static void end_gone_sessions(struct collector *c, int64_t now)
{
    if (now - c->maint.last_gone_check < GONE_CHECK_NS)
        return;
    c->maint.last_gone_check = now;
    char err[256];
    int ended = 0;
    if (batch_writer_end_gone_sessions(c->writer, clock_wall_ns(), &ended, err, sizeof err) !=
        SQLITE_OK)
        log_msg(TAG, LOG_LEVEL_WARN, "ending sessions whose process is gone: %s", err);
    else if (ended > 0)
        stats_add(&c->stats, "sessions_process_gone_total", "", ended);
}

static void expire(struct collector *c, int64_t budget_ns)
{
    int64_t start = clock_mono_ns(), now = start;
    do {
        c->maint.last_retention = now;
        if (retention_step(&c->maint.retention, batch_writer_db(c->writer), &c->cfg, &c->stats,
                           clock_wall_ns(), now) <= 0 || !c->maint.retention.in_pass)
            break;
        now = clock_mono_ns();
    } while (now - start < budget_ns);
}

/* Writer thread, right after a commit. */
void maintenance_after_commit(struct collector *c, int queue_empty)
{
    if (batch_writer_db(c->writer) == NULL)
        return; /* reopening failed: retried by the next commit */
    int pages = batch_writer_wal_pages(c->writer);
    if (pages >= WAL_PAGES_FORCE || (pages >= WAL_PAGES_IDLE && queue_empty))
        batch_writer_checkpoint(c->writer, 0);
    /* Under a steady flood the idle path never runs: one small retention
     * step a second keeps expiry going without a noticeable pause. */
    if (clock_mono_ns() - c->maint.last_retention > NS_PER_S)
        expire(c, 0);
    end_gone_sessions(c, clock_mono_ns());
    alert_engine_tick(c->alerts, batch_writer_db(c->writer), 1, clock_wall_ns());
}

/* Writer thread, idle: a database deleted or replaced while nothing was
 * written is opened again now, so that readers (the server) find a file and
 * the next commit does not go to waste first. */
static void check_database(struct collector *c)
{
    char why[PATH_MAX + 64];
    if (batch_writer_db(c->writer) != NULL && batch_writer_file_ok(c->writer, why, sizeof why))
        return;
    if (batch_writer_db(c->writer) != NULL) {
        stats_add(&c->stats, "database_replaced_total", "", 1);
        log_msg(TAG, LOG_LEVEL_ERROR, "%s: opening the path again", why);
    }
    maintenance_reopen_db(c);
}

void maintenance_reopen_db(struct collector *c)
{
    /* Statements prepared on the old connection would keep it open (and
     * its -wal, which SQLite would then replay into the new file). */
    retention_close(&c->maint.retention);
    char err[256];
    if (batch_writer_reopen(c->writer, err, sizeof err) != 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "reopening the database: %s (will retry)", err);
        return;
    }
    stats_mark_all_dirty(&c->stats); /* the new file gets every counter */
    log_msg(TAG, LOG_LEVEL_INFO, "database %s opened again", c->cfg.db_path);
}

/* Writer thread, once a second while nothing is queued. */
void maintenance_idle(struct collector *c)
{
    int64_t now = clock_mono_ns();
    check_database(c);
    /* Alerts first: an acknowledgement or a webhook's result kicked us. */
    alert_engine_tick(c->alerts, batch_writer_db(c->writer), 0, clock_wall_ns());
    if (batch_writer_db(c->writer) == NULL ||
        now - ingest_last_commit_mono(c->ingest) < NS_PER_S)
        return;
    /* Heartbeat every 5 s; counters changed by the loop (rejections, drops)
     * are written within a second. */
    if (now - c->maint.last_heartbeat > HEARTBEAT_NS || stats_has_dirty(&c->stats)) {
        char err[256];
        c->maint.last_heartbeat = now;
        if (batch_writer_flush_stats(c->writer, &c->stats, err, sizeof err) != SQLITE_OK)
            log_msg(TAG, LOG_LEVEL_WARN, "heartbeat not written: %s", err);
    }
    expire(c, 20 * NS_PER_MS); /* up to 20 ms of chunks per idle second */
    /* The search index's merging, done here rather than in the commits
     * (automerge is 0: schema.c migration 5): a bounded step per idle
     * second, on levels holding 4 or more segments.  Under a flood that
     * never idles, FTS5's crisis merge (16 segments a level) still bounds
     * the segment count. */
    if (sqlite3_exec(batch_writer_db(c->writer),
                     "INSERT INTO search_events(search_events, rank) VALUES('merge', 200)", NULL,
                     NULL, NULL) != SQLITE_OK)
        log_msg(TAG, LOG_LEVEL_DEBUG, "search index merge: %s",
                sqlite3_errmsg(batch_writer_db(c->writer)));
    end_gone_sessions(c, now);
    if (batch_writer_wal_pages(c->writer) > 0)
        batch_writer_checkpoint(c->writer, 1);
    if (now - c->maint.last_optimize > OPTIMIZE_NS) {
        c->maint.last_optimize = now;
        sqlite3_exec(batch_writer_db(c->writer), "PRAGMA optimize", NULL, NULL, NULL);
    }
}

/* Counts lines appended to the drop file since the last look.  The offset
 * is kept as a counter, so a restart does not count them twice. */
static void count_drops(struct collector *c)
{
    struct stat st;
    int fd = open(c->cfg.drop_file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !home_file_is_ours(fd)) {
        close(fd); /* not a file of ours (home.h): its lines are not our losses */
        return;
    }
    int64_t off = stats_get(&c->stats, "drop_file_offset", "");
    if (st.st_size < off)
        off = 0; /* truncated by a human: start over */
    if (st.st_size == off || lseek(fd, off, SEEK_SET) < 0) {
        close(fd);
        return;
    }
    char chunk[8192];
    int64_t lines = 0, pos = off;
    ssize_t n;
    while (pos < st.st_size && (n = read(fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < n && pos < st.st_size; i++, pos++)
            lines += chunk[i] == '\n';
    }
    close(fd);
    if (lines > 0) {
        log_msg(TAG, LOG_LEVEL_ERROR, "%lld event(s) were lost by senders that could not spool "
                "(see %s)", (long long)lines, c->cfg.drop_file);
        stats_add(&c->stats, "events_dropped_total", "", lines);
    }
    stats_set(&c->stats, "drop_file_offset", "", pos);
}

int maintenance_open_state(struct collector *c, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/collector.state", c->cfg.home);
    c->state_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c->state_fd < 0 || !home_file_is_ours(c->state_fd)) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    /* Its blocks are allocated now, while there is room: rewriting them in
     * place needs none, so the file keeps telling the truth on a full disk. */
    int rc = posix_fallocate(c->state_fd, 0, STATE_FILE_BYTES);
    if (rc != 0)
        log_msg(TAG, LOG_LEVEL_WARN, "cannot allocate %s: %s", path, strerror(rc));
    return 0;
}

/* Rewrites collector.state in place: what is waiting and whether commits
 * work, for `chronicle status` and the server's /metrics when the database
 * cannot say it (docs/ARCHITECTURE.md, "collector.state"). */
static void write_state(struct collector *c)
{
    if (c->state_fd < 0)
        return;
    struct ingest_status st;
    ingest_get_status(c->ingest, &st);
    char text[STATE_FILE_BYTES];
    int n = snprintf(text, sizeof text,
                     "pid %ld\nupdated_ns %lld\nstarted_ns %lld\ncommitted %lld\npending %zu\n"
                     "pending_bytes %zu\noldest_pending_ns %lld\ncommit_failing_since_ns %lld\n",
                     (long)getpid(), (long long)clock_wall_ns(), (long long)c->started_ns,
                     (long long)st.committed, st.pending, st.pending_bytes,
                     (long long)st.oldest_received_ns, (long long)st.failing_since_ns);
    if (n < 0 || (size_t)n >= sizeof text)
        return;
    memset(text + n, '\n', sizeof text - (size_t)n); /* readers skip empty lines */
    if (pwrite(c->state_fd, text, sizeof text, 0) != (ssize_t)sizeof text && !c->state_warned) {
        c->state_warned = 1;
        log_msg(TAG, LOG_LEVEL_WARN, "cannot write collector.state: %s", strerror(errno));
    }
}

/* Event loop, once a second: nothing here touches the database. */
void maintenance_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct collector *c = arg;
    int64_t now = clock_mono_ns();
    count_drops(c);
    write_state(c);
    if (now - c->maint.last_rescan > RESCAN_NS) {
        /* Belt and braces for a missed inotify event. */
        c->maint.last_rescan = now;
        c->spool_dirty = 1;
        event_active(c->spool_ev, EV_WRITE, 0);
    }
}
