/*
 * live_feed.c - finds new rows without polling the database in a loop, and
 * fans them out to every WebSocket client.
 *
 * The collector appends to chronicle.db-wal on every commit.  An inotify
 * watch on the database's directory (not on the -wal file itself, which a
 * checkpoint may truncate and a clean collector exit deletes) wakes us; then
 * PRAGMA data_version says whether a commit actually happened, and one
 * "id > last" query per change reads the new events, each serialized once
 * and queued to every interested client.
 *
 * Race: the collector writes the WAL frames, then publishes the commit in
 * the -shm index (a memory map: no inotify event).  A wake-up can arrive
 * between the two; so each wake-up also arms short re-checks (2 ms, 20 ms),
 * and the heartbeat timer re-checks as a last resort.
 */
#include "live_feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "row_json.h"

#define FANOUT_BATCH 1000

size_t live_feed_clients(const struct live_feed *f)
{
    return f->n_clients;
}

size_t live_feed_client_cap(const struct live_feed *f)
{
    size_t per = (size_t)f->srv->cfg.ws_client_buffer;
    size_t shared = (size_t)f->srv->cfg.ws_total_buffer / (f->n_clients ? f->n_clients : 1);
    if (shared < 64 * 1024)
        shared = 64 * 1024; /* one batch must fit, or nobody gets anything */
    return shared < per ? shared : per;
}

size_t live_feed_queued_bytes(const struct live_feed *f)
{
    size_t n = 0;
    for (const struct ws_client *c = f->clients; c; c = c->next)
        n += ws_client_backlog(c);
    return n;
}

/* Serializes {"type":kind,"data":obj} (obj stolen). */
static char *message(const char *kind, json_t *obj, size_t *len)
{
    json_t *m = obj ? json_pack("{s:s,s:o}", "type", kind, "data", obj) : NULL;
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    *len = text ? strlen(text) : 0;
    return text;
}

/* Rows per loop turn: the sockets are written between turns, so a batch's
 * output must fit under the per-client cap (~600 bytes an event) or every
 * client, fast or slow, would look slow. */
static int batch_rows(const struct live_feed *f)
{
    long rows = (long)(live_feed_client_cap(f) / 2048);
    return rows < 16 ? 16 : rows > FANOUT_BATCH ? FANOUT_BATCH : (int)rows;
}

/* Reads and fans out up to one batch of events with id > f->last_id; *full
 * says whether more may be waiting.  SQLITE_OK or an error. */
static int fan_out_events(struct live_feed *f, int *full)
{
    sqlite3_stmt *st;
    *full = 0;
    int rc = sqlite3_prepare_v2(f->srv->db.h,
                                "SELECT " EVENT_COLUMNS " FROM events WHERE id > ?1 ORDER BY id "
                                "LIMIT ?2", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    int rows = 0, limit = f->clients ? batch_rows(f) : FANOUT_BATCH;
    if ((rc = sqlite3_bind_int64(st, 1, f->last_id)) == SQLITE_OK &&
        (rc = sqlite3_bind_int(st, 2, limit)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows++;
            int64_t id = sqlite3_column_int64(st, 0);
            f->last_id = id;
            if (f->clients == NULL)
                continue; /* nobody listens: only advance the cursor */
            size_t len, flen = 0;
            char *msg = message("event", event_json(st, 0), &len);
            unsigned char *frame = msg ? ws_frame_text(msg, len, &flen) : NULL;
            free(msg);
            if (frame == NULL) {
                log_msg(SERVER_TAG, LOG_ERROR, "out of memory serializing event %lld",
                        (long long)id);
                continue; /* clients see it as missing: they can refetch by id */
            }
            const char *sid = (const char *)sqlite3_column_text(st, 2);
            const char *type = (const char *)sqlite3_column_text(st, 3);
            for (struct ws_client *c = f->clients; c; c = c->next)
                ws_client_deliver(c, id, sid, type, frame, flen);
            free(frame);
        }
    }
    /* Finalize now: a stepped statement would hold the read transaction. */
    sqlite3_finalize(st);
    *full = rows == limit;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int fan_out_sessions(struct live_feed *f)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(f->srv->db.h,
                                "SELECT " SESSION_COLUMNS " FROM sessions WHERE last_event_id > ?1 "
                                "ORDER BY last_event_id LIMIT 1000", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    int64_t now = clock_wall_ns(), idle = (int64_t)f->srv->cfg.idle_after_s * 1000000000LL;
    if ((rc = sqlite3_bind_int64(st, 1, f->last_session_eid)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            f->last_session_eid = sqlite3_column_int64(st, 12);
            if (f->clients == NULL)
                continue;
            size_t len;
            char *msg = message("session", session_json(st, now, idle), &len);
            if (msg == NULL)
                continue;
            const char *sid = (const char *)sqlite3_column_text(st, 0);
            for (struct ws_client *c = f->clients; c; c = c->next) {
                /* Session rows are state, not a stream: a slow client gets the
                 * next change or refetches after its gap message. */
                if (!c->doomed && c->gap_from == 0 && ws_filters_match_session(&c->filters, sid) &&
                    ws_client_backlog(c) < live_feed_client_cap(f))
                    ws_client_send_text(c, msg, len);
            }
            free(msg);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void flush_all(struct live_feed *f)
{
    struct ws_client *next;
    for (struct ws_client *c = f->clients; c; c = next) {
        next = c->next;
        ws_client_flush(c);
    }
}

/* One batch; the rest continues on the next loop turn (on_more), after
 * libevent has written the clients' sockets. */
static void fan_out(struct live_feed *f)
{
    int full = 0, rc = fan_out_events(f, &full);
    if (rc == SQLITE_OK && full) {
        /* A zero timer, not event_active(): activated events run in the same
         * loop pass, before libevent polls and writes the sockets. */
        static const struct timeval now = {0, 0};
        event_add(f->more_ev, &now);
    } else {
        if (rc == SQLITE_OK)
            rc = fan_out_sessions(f);
        if (rc != SQLITE_OK) {
            /* Busy or similar: forget the version so the next wake-up retries. */
            f->data_version = -1;
            log_msg(SERVER_TAG, LOG_WARN, "live feed read: %s", sqlite3_errstr(rc));
        }
    }
    flush_all(f);
}

static void on_more(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live_feed *f = arg;
    if (f->srv->db.h != NULL)
        fan_out(f);
}

void live_feed_poll(struct live_feed *f)
{
    if (f->srv->db.h == NULL || event_pending(f->more_ev, EV_TIMEOUT, NULL))
        return; /* a batch is already scheduled and will read everything */
    int64_t v;
    f->srv->metrics.db_poll_total++;
    int rc = db_read_data_version(&f->srv->db, &v);
    if (rc != SQLITE_OK) {
        log_msg(SERVER_TAG, LOG_WARN, "PRAGMA data_version: %s", sqlite3_errstr(rc));
        return;
    }
    if (v == f->data_version)
        return;
    f->data_version = v;
    f->srv->metrics.db_poll_changed++;
    fan_out(f);
}

int live_feed_db_opened(struct live_feed *f)
{
    sqlite3 *db = f->srv->db.h;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT COALESCE((SELECT MAX(id) FROM events), 0), "
                                    "COALESCE((SELECT MAX(last_event_id) FROM sessions), 0)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        f->last_id = sqlite3_column_int64(st, 0);
        f->last_session_eid = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = db_read_data_version(&f->srv->db, &f->data_version);
    return rc;
}

int live_feed_replay(struct live_feed *f, struct ws_client *c, int64_t after)
{
    if (after >= f->last_id) {
        c->cursor = after; /* ahead of us (or level): deliver only what is newer */
        return 0;
    }
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(f->srv->db.h,
                                "SELECT " EVENT_COLUMNS " FROM events WHERE id > ?1 AND id <= ?2 "
                                "ORDER BY id LIMIT ?3", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    long max = f->srv->cfg.ws_replay_max;
    c->cursor = after;
    long sent = 0;
    if ((rc = sqlite3_bind_int64(st, 1, after)) == SQLITE_OK &&
        (rc = sqlite3_bind_int64(st, 2, f->last_id)) == SQLITE_OK &&
        (rc = sqlite3_bind_int64(st, 3, max + 1)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            if (sent == max) {
                /* Beyond the bound: tell the client what to refetch. */
                char msg[200];
                int n = snprintf(msg, sizeof msg, "{\"type\":\"gap\",\"data\":{\"from\":%lld,"
                                 "\"to\":%lld,\"reason\":\"replay_limit\"}}", (long long)id,
                                 (long long)f->last_id);
                if (n > 0 && (size_t)n < sizeof msg)
                    ws_client_send_text(c, msg, (size_t)n);
                rc = SQLITE_DONE;
                break;
            }
            size_t len, flen = 0;
            char *msg = message("event", event_json(st, 0), &len);
            unsigned char *frame = msg ? ws_frame_text(msg, len, &flen) : NULL;
            free(msg);
            if (frame == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ws_client_deliver(c, id, (const char *)sqlite3_column_text(st, 2),
                              (const char *)sqlite3_column_text(st, 3), frame, flen);
            free(frame);
            sent++;
        }
    }
    sqlite3_finalize(st);
    c->cursor = f->last_id > c->cursor ? f->last_id : c->cursor;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- wake-ups --------------------------------------------------------- */

static void on_recheck(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live_feed *f = arg;
    live_feed_poll(f);
    if (f->recheck_step == 1) {
        f->recheck_step = 2;
        struct timeval tv = {0, 20000};
        event_add(f->recheck_ev, &tv);
    }
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct live_feed *f = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int relevant = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break; /* EAGAIN: drained */
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len > 0 && strncmp(ev->name, "chronicle.db", 12) == 0)
                relevant = 1;
            if (ev->mask & IN_Q_OVERFLOW)
                relevant = 1;
            p += sizeof *ev + ev->len;
        }
    }
    if (!relevant)
        return;
    live_feed_poll(f);
    f->recheck_step = 1;
    struct timeval tv = {0, 2000};
    event_add(f->recheck_ev, &tv);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live_feed *f = arg;
    live_feed_poll(f);
    int64_t now = clock_mono_ns();
    int64_t timeout = 3 * (int64_t)f->srv->cfg.heartbeat_s * 1000000000LL;
    struct ws_client *next;
    for (struct ws_client *c = f->clients; c; c = next) {
        next = c->next;
        ws_client_heartbeat(c, now, timeout);
    }
}

struct live_feed *live_feed_new(struct server *srv)
{
    struct live_feed *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->srv = srv;
    f->data_version = -1;
    f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->inotify_fd < 0) {
        log_msg(SERVER_TAG, LOG_ERROR, "inotify_init1: %s", strerror(errno));
        free(f);
        return NULL;
    }
    f->inotify_ev = event_new(srv->base, f->inotify_fd, EV_READ | EV_PERSIST, on_inotify, f);
    f->recheck_ev = evtimer_new(srv->base, on_recheck, f);
    f->heartbeat_ev = event_new(srv->base, -1, EV_PERSIST, on_heartbeat, f);
    f->more_ev = event_new(srv->base, -1, 0, on_more, f);
    struct timeval hb = {srv->cfg.heartbeat_s, 0};
    if (f->inotify_ev == NULL || f->recheck_ev == NULL || f->heartbeat_ev == NULL ||
        f->more_ev == NULL ||
        event_add(f->inotify_ev, NULL) != 0 || event_add(f->heartbeat_ev, &hb) != 0) {
        live_feed_free(f);
        return NULL;
    }
    return f;
}

int live_feed_watch(struct live_feed *f)
{
    /* The directory, not the file: see the comment at the top. */
    if (inotify_add_watch(f->inotify_fd, f->srv->cfg.home,
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        return -1;
    return 0;
}

size_t live_feed_shutdown(struct live_feed *f)
{
    struct ws_client *next;
    for (struct ws_client *c = f->clients; c; c = next) {
        next = c->next;
        ws_client_close(c, WSLAY_CODE_GOING_AWAY, "server shutting down");
        ws_client_flush(c);
    }
    return f->n_clients;
}

void live_feed_free(struct live_feed *f)
{
    if (f == NULL)
        return;
    while (f->clients != NULL)
        ws_client_free(f->clients);
    if (f->inotify_ev) event_free(f->inotify_ev);
    if (f->recheck_ev) event_free(f->recheck_ev);
    if (f->heartbeat_ev) event_free(f->heartbeat_ev);
    if (f->more_ev) event_free(f->more_ev);
    if (f->inotify_fd >= 0)
        close(f->inotify_fd);
    free(f);
}
