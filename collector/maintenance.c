/*
 * maintenance.c - the collector's chores, off the commit path.
 *
 * Checkpoints: automatic checkpoints are off (schema.c) because one inside
 * COMMIT stalls that commit for milliseconds.  Instead the WAL is
 * checkpointed PASSIVE right after a commit when the queue is empty (or the
 * WAL is large), and TRUNCATE'd when the collector has been idle for a
 * second, so the -wal file stays small while readers come and go.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "collector.h"

#define WAL_PAGES_IDLE 1000     /* ~4 MB: checkpoint when the queue is empty */
#define WAL_PAGES_FORCE 4000    /* ~16 MB: checkpoint even under load */
#define HEARTBEAT_NS (5LL * 1000000000)
#define RESCAN_NS (10LL * 1000000000)
#define OPTIMIZE_NS (3600LL * 1000000000)

void maintenance_after_commit(struct collector *c)
{
    int pages = batch_writer_wal_pages(c->writer);
    if (pages >= WAL_PAGES_FORCE || (pages >= WAL_PAGES_IDLE && c->queue.head == NULL))
        batch_writer_checkpoint(c->writer, 0);
}

/* Counts lines appended to the drop file since the last look.  The offset
 * is kept as a counter, so a restart does not count them twice. */
static void count_drops(struct collector *c)
{
    struct stat st;
    if (stat(c->cfg.drop_file, &st) != 0)
        return;
    int64_t off = stats_get(&c->stats, "drop_file_offset", "");
    if (st.st_size < off)
        off = 0; /* truncated by a human: start over */
    if (st.st_size == off)
        return;
    int fd = open(c->cfg.drop_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || lseek(fd, off, SEEK_SET) < 0) {
        if (fd >= 0)
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

void maintenance_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct collector *c = arg;
    int64_t now = clock_mono_ns();
    int idle = c->queue.head == NULL && now - c->last_commit_mono > 1000000000LL;

    count_drops(c);
    stats_set(&c->stats, "queue_depth", "", (int64_t)c->queue.count);
    if (now - c->maint.last_rescan > RESCAN_NS) {
        /* Belt and braces for a missed inotify event. */
        c->maint.last_rescan = now;
        c->spool_dirty = 1;
        event_active(c->spool_ev, EV_WRITE, 0);
    }
    if (!idle)
        return;
    if (now - c->maint.last_heartbeat > HEARTBEAT_NS) {
        char err[256];
        c->maint.last_heartbeat = now;
        if (batch_writer_flush_stats(c->writer, &c->stats, err, sizeof err) != SQLITE_OK)
            log_msg(TAG, LOG_WARN, "heartbeat not written: %s", err);
    }
    if (batch_writer_wal_pages(c->writer) > 0)
        batch_writer_checkpoint(c->writer, 1);
    if (now - c->maint.last_optimize > OPTIMIZE_NS) {
        c->maint.last_optimize = now;
        sqlite3_exec(batch_writer_db(c->writer), "PRAGMA optimize", NULL, NULL, NULL);
    }
}
