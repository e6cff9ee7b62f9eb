/*
 * spool_reader.c - takes events that senders spooled while the collector
 * did not answer.
 *
 * Runs at start-up and whenever inotify reports a file moved into spool/
 * (senders write in spool/tmp/ and rename, so a file is complete when it
 * appears).  Files go oldest first (names start with the send time) and a
 * file is deleted only once all its events are committed.  A file that does
 * not decode is moved to spool/corrupt/ and reported: never deleted, so a
 * human can look at it.  So is a file that is not a regular file of ours
 * (another user's, or a link): the directory is opened once, checked
 * (home.h), and every file is opened relative to it with O_NOFOLLOW.  Loading stops while the queue is over half its cap
 * and resumes after the next commit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/home.h"
#include "chronicle/log.h"
#include "chronicle/spool.h"
#include "chronicle/wire.h"
#include "collector.h"

struct spool_file {
    struct spool_file *next;
    struct collector *c;
    int remaining;            /* queued events not yet committed */
    int lost;                 /* one of them was not stored (pending_event.h) */
    char name[256];
};

static void file_done(struct spool_file *f);

/* A spooled event's completion callback: the file goes once all its events
 * are committed; if one was not, the file stays and is loaded again. */
static void event_done(struct pending_event *p, int committed, void *arg)
{
    (void)p;
    struct spool_file *f = arg;
    f->lost |= !committed;
    file_done(f);
}

static int in_flight(const struct collector *c, const char *name)
{
    for (const struct spool_file *f = c->spool_inflight; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return 1;
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void move_aside(struct collector *c, const char *name, const char *why,
                       const char *counter)
{
    stats_add(&c->stats, counter, "", 1);
    if (renameat(c->spool_fd, name, c->spool_bad_fd, name) != 0)
        log_msg(TAG, LOG_LEVEL_ERROR, "spool file %s is unreadable (%s) and cannot be moved aside: %s",
                name, why, strerror(errno));
    else
        log_msg(TAG, LOG_LEVEL_ERROR, "spool file %s is unreadable (%s): moved to %s", name, why,
                c->cfg.spool_bad);
}

/* Reads a spool file, relative to the checked spool directory and without
 * following a link.  0; -1 with why (*foreign set when the file is not a
 * regular file of ours: another user planted it, or a link). */
static int read_file(int dirfd, const char *name, long max, struct buf *out, int *foreign,
                     char *why, size_t whylen)
{
    *foreign = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        *foreign = e == ELOOP;
        snprintf(why, whylen, e == ELOOP ? "a symbolic link" : "open: %s", strerror(e));
        errno = e;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        /* SO_PEERCRED keeps other users off the socket; this keeps them off
         * the spool: only our own files are events of ours. */
        *foreign = 1;
        snprintf(why, whylen, "not a regular file of uid %ld (owner %ld)", (long)geteuid(),
                 (long)st.st_uid);
        close(fd);
        errno = EACCES;
        return -1;
    }
    if (st.st_size > max || st.st_size == 0) {
        snprintf(why, whylen, st.st_size == 0 ? "empty file" : "larger than the frame cap");
        close(fd);
        return -1;
    }
    if (buf_reserve(out, (size_t)st.st_size) != 0) {
        snprintf(why, whylen, "out of memory");
        close(fd);
        return -1;
    }
    while (out->len < (size_t)st.st_size) {
        ssize_t n = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, whylen, "read: %s", n < 0 ? strerror(errno) : "short file");
            close(fd);
            return -1;
        }
        out->len += (size_t)n;
    }
    close(fd);
    return 0;
}

/* Decodes every frame of a file into a private list; all or nothing. */
static int decode_file(struct collector *c, const struct buf *data, struct pending_event **list,
                       int *count, char *why, size_t whylen)
{
    size_t off = 0;
    struct wire_scan scan = {0};
    const char *bad;
    if (wire_scan_feed(&scan, (const unsigned char *)data->data, data->len,
                       (uint64_t)c->cfg.max_frame, &bad) != 0 || !wire_scan_at_boundary(&scan)) {
        snprintf(why, whylen, "%s", wire_scan_at_boundary(&scan) ? bad : "truncated frame");
        *list = NULL;
        *count = 0;
        return -1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    struct pending_event *tail = NULL;
    *list = NULL;
    *count = 0;
    int rc = 0;
    while (off < data->len) {
        msgpack_unpack_return r = msgpack_unpack_next(&up, data->data, data->len, &off);
        struct wire_event ev;
        if (r != MSGPACK_UNPACK_SUCCESS) {
            snprintf(why, whylen, "%s at byte %zu",
                     r == MSGPACK_UNPACK_CONTINUE ? "truncated frame" : "not msgpack", off);
            rc = -1;
            break;
        }
        if (wire_decode_event(&up.data, &ev, why, whylen) != 0 || ev.kind != WIRE_EVENT) {
            if (ev.kind != WIRE_EVENT)
                snprintf(why, whylen, "not an event frame");
            rc = -1;
            break;
        }
        struct pending_event *p = pending_event_new(&ev, &c->redact_rules);
        if (p == NULL) {
            snprintf(why, whylen, "out of memory");
            rc = -2;
            break;
        }
        if (tail)
            tail->next = p;
        else
            *list = p;
        tail = p;
        (*count)++;
    }
    msgpack_unpacked_destroy(&up);
    if (rc != 0) {
        while (*list) {
            struct pending_event *p = *list;
            *list = p->next;
            pending_event_free(p);
        }
    }
    return rc;
}

/* Loads one file into the queue.  Returns 0, or -1 to stop this round. */
static int load_file(struct collector *c, const char *name)
{
    char why[256];
    struct buf data = BUF_INIT;
    struct pending_event *list;
    int count, foreign;
    if (read_file(c->spool_fd, name, c->cfg.max_frame * 64, &data, &foreign, why,
                  sizeof why) != 0) {
        buf_free(&data);
        if (errno == ENOENT)
            return 0; /* taken meanwhile (another scan) */
        move_aside(c, name, why, foreign ? "spool_foreign_total" : "spool_corrupt_total");
        return 0;
    }
    int rc = decode_file(c, &data, &list, &count, why, sizeof why);
    buf_free(&data);
    if (rc == -2)
        return -1;
    if (rc != 0) {
        move_aside(c, name, why, "spool_corrupt_total");
        return 0;
    }
    struct spool_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        while (list) {
            struct pending_event *p = list;
            list = p->next;
            pending_event_free(p);
        }
        return -1;
    }
    snprintf(f->name, sizeof f->name, "%s", name);
    f->c = c;
    f->remaining = count;
    f->next = c->spool_inflight;
    c->spool_inflight = f;
    while (list) {
        struct pending_event *p = list;
        list = p->next;
        p->done = event_done;
        p->done_arg = f;
        stats_add(&c->stats, "events_from_spool_total", "", 1);
        ingest_push(c->ingest, p);
    }
    return 0;
}

static void scan(struct collector *c)
{
    c->spool_dirty = 0;
    /* A new open file description each scan (a dup() would share the
     * directory offset that the last scan left at the end). */
    int dfd = openat(c->spool_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (d == NULL) {
        if (dfd >= 0)
            close(dfd);
        log_msg(TAG, LOG_LEVEL_ERROR, "cannot read spool %s: %s", c->cfg.spool_dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, SPOOL_SUFFIX) || strlen(e->d_name) >= 256 ||
            in_flight(c, e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **p = realloc(names, ncap * sizeof *p);
            if (p == NULL)
                break;
            names = p;
            cap = ncap;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    size_t i = 0;
    for (; i < n; i++) {
        if (!ingest_has_room(c->ingest)) {
            c->spool_dirty = 1; /* resume after the next commit */
            break;
        }
        if (load_file(c, names[i]) != 0) {
            c->spool_dirty = 1;
            break;
        }
    }
    for (size_t k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

void spool_reader_scan_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct collector *c = arg;
    if (!c->stopping)
        scan(c);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct collector *c = arg;
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    /* The names do not matter: any arrival means "rescan". */
    while (read(fd, ev, sizeof ev) > 0)
        ;
    c->spool_dirty = 1;
    event_active(c->spool_ev, EV_WRITE, 0);
}

int spool_reader_start(struct collector *c, char *err, size_t errlen)
{
    /* Checked once (home.h), then used only through these descriptors. */
    c->spool_fd = home_open_dir(c->cfg.spool_dir, 0, NULL, err, errlen);
    c->spool_bad_fd = c->spool_fd >= 0 ? home_open_dir(c->cfg.spool_bad, 0, NULL, err, errlen)
                                       : -1;
    if (c->spool_bad_fd < 0)
        return -1;
    c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (c->inotify_fd < 0 ||
        inotify_add_watch(c->inotify_fd, c->cfg.spool_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        /* Not fatal: the periodic tick rescans the spool anyway. */
        log_msg(TAG, LOG_LEVEL_WARN, "inotify on %s: %s (falling back to periodic scans)",
                c->cfg.spool_dir, strerror(errno));
    } else {
        c->inotify_ev = event_new(c->base, c->inotify_fd, EV_READ | EV_PERSIST, on_inotify, c);
        if (c->inotify_ev == NULL || event_add(c->inotify_ev, NULL) != 0) {
            snprintf(err, errlen, "cannot watch the spool");
            return -1;
        }
    }
    c->spool_dirty = 1;
    event_active(c->spool_ev, EV_WRITE, 0);
    return 0;
}

static void file_done(struct spool_file *f)
{
    struct collector *c = f->c;
    if (--f->remaining > 0)
        return;
    if (f->lost)
        c->spool_dirty = 1; /* kept: the next scan loads it again */
    else if (unlinkat(c->spool_fd, f->name, 0) != 0 && errno != ENOENT)
        log_msg(TAG, LOG_LEVEL_ERROR, "cannot remove committed spool file %s/%s: %s",
                c->cfg.spool_dir, f->name, strerror(errno));
    for (struct spool_file **pp = &c->spool_inflight; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    free(f);
}

void spool_reader_stop(struct collector *c)
{
    if (c->inotify_ev) {
        event_free(c->inotify_ev);
        c->inotify_ev = NULL;
    }
    if (c->inotify_fd >= 0)
        close(c->inotify_fd);
    c->inotify_fd = -1;
    if (c->spool_fd >= 0)
        close(c->spool_fd);
    if (c->spool_bad_fd >= 0)
        close(c->spool_bad_fd);
    c->spool_fd = c->spool_bad_fd = -1;
    while (c->spool_inflight) {
        struct spool_file *f = c->spool_inflight;
        c->spool_inflight = f->next;
        free(f);
    }
}
