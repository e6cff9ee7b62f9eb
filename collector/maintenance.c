/*
 * maintenance.c - the collector's chores, off the commit path.
 *
 * Checkpoints: automatic checkpoints are off (schema.c) because one inside
 * COMMIT stalls that commit for milliseconds.  Instead the writer thread
 * checkpoints PASSIVE right after a commit when the queue is empty (or the
 * WAL is large), and TRUNCATEs when it has been idle for a second, so the
 * -wal file stays small while readers come and go.  The heartbeat (counters
 * and heartbeat_ns) is written every 5 s when idle.  The loop's own tick
 * only counts dropped events and rescans the spool.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
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
    int pages = batch_writer_wal_pages(c->writer);
    if (pages >= WAL_PAGES_FORCE || (pages >= WAL_PAGES_IDLE && queue_empty))
        batch_writer_checkpoint(c->writer, 0);
    /* Under a steady flood the idle path never runs: one small retention
     * step a second keeps expiry going without a noticeable pause. */
    if (clock_mono_ns() - c->maint.last_retention > NS_PER_S)
        expire(c, 0);
}

/* Writer thread, once a second while nothing is queued. */
void maintenance_idle(struct collector *c)
{
    int64_t now = clock_mono_ns();
    if (now - ingest_last_commit_mono(c->ingest) < NS_PER_S)
        return;
    /* Heartbeat every 5 s; counters changed by the loop (rejections, drops)
     * are written within a second. */
    if (now - c->maint.last_heartbeat > HEARTBEAT_NS || stats_has_dirty(&c->stats)) {
        char err[256];
        c->maint.last_heartbeat = now;
        if (batch_writer_flush_stats(c->writer, &c->stats, err, sizeof err) != SQLITE_OK)
            log_msg(TAG, LOG_WARN, "heartbeat not written: %s", err);
    }
    expire(c, 20 * NS_PER_MS); /* up to 20 ms of chunks per idle second */
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
        log_msg(TAG, LOG_ERROR, "%lld event(s) were lost by senders that could not spool "
                "(see %s)", (long long)lines, c->cfg.drop_file);
        stats_add(&c->stats, "events_dropped_total", "", lines);
    }
    stats_set(&c->stats, "drop_file_offset", "", pos);
}

/* Event loop, once a second: nothing here touches the database. */
void maintenance_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct collector *c = arg;
    int64_t now = clock_mono_ns();
    count_drops(c);
    if (now - c->maint.last_rescan > RESCAN_NS) {
        /* Belt and braces for a missed inotify event. */
        c->maint.last_rescan = now;
        c->spool_dirty = 1;
        event_active(c->spool_ev, EV_WRITE, 0);
    }
}
