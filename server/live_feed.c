/*
 * live_feed.c - finds new rows without polling the database in a loop, and
 * fans them out to the WebSocket subscribers.
 *
 * The feed owns the subscribers: their list, each one's cursor, filters,
 * pending gap and output cap.  The WebSocket transport under each of them
 * is a ws_conn (ws_conn.h), which knows nothing of events.
 *
 * The collector appends to chronicle.db-wal on every commit.  An inotify
 * watch on the database's directory (not on the -wal file itself, which a
 * checkpoint may truncate and a clean collector exit deletes) wakes us; then
 * PRAGMA data_version says whether a commit actually happened, and one
 * "id > last" query per change reads the new events, each serialized and
 * framed once and queued to every interested subscriber.
 *
 * Race: the collector writes the WAL frames, then publishes the commit in
 * the -shm index (a memory map: no inotify event).  A wake-up can arrive
 * between the two; so each wake-up also arms short re-checks (2 ms, 20 ms),
 * and the heartbeat timer re-checks as a last resort.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "http_query.h"
#include "chronicle/log.h"
#include "ws_message.h"
#include "row_json.h"
#include "server.h"
#include "team.h"
#include "ws_conn.h"

#define FANOUT_BATCH 1000

/* One WebSocket client of the feed.  Owned by the feed's list; freed in
 * its transport's on_close (or by live_feed_free). */
struct subscriber {
    struct live_feed *feed;
    struct ws_conn *ws;           /* the transport; gone after on_close */
    struct ws_filters filters;    /* owned */
    int64_t cursor;               /* highest event id delivered or deliberately skipped */
    int64_t gap_from;             /* first event id skipped while slow; 0 = none pending */
    struct subscriber *prev, *next;
};

struct live_feed {
    struct server *srv;
    int inotify_fd;
    struct event *inotify_ev, *recheck_ev, *heartbeat_ev;
    struct event *more_ev;    /* active while a backlog is fanned out batch by batch */
    int recheck_step;
    int64_t data_version;
    int64_t last_id;          /* highest event id fanned out */
    int64_t last_session_eid; /* highest sessions.last_event_id fanned out */
    int64_t last_alert_version; /* highest alerts.version fanned out */
    int64_t last_ended_ns;    /* highest state_since_ns of an ended session fanned out */
    struct subscriber *subs;
    size_t n_subs;
};

size_t live_feed_clients(const struct live_feed *f)
{
    return f->n_subs;
}

/* The output cap of each subscriber now: CHRONICLE_WS_CLIENT_BUFFER_BYTES,
 * or less when CHRONICLE_WS_TOTAL_BUFFER_BYTES shared by all is smaller, so
 * memory stays bounded however many clients connect. */
static size_t client_cap(const struct live_feed *f)
{
    size_t per = (size_t)f->srv->cfg.ws_client_buffer;
    size_t shared = (size_t)f->srv->cfg.ws_total_buffer / (f->n_subs ? f->n_subs : 1);
    if (shared < 64 * 1024)
        shared = 64 * 1024; /* one batch must fit, or nobody gets anything */
    return shared < per ? shared : per;
}

size_t live_feed_queued_bytes(const struct live_feed *f)
{
    size_t n = 0;
    for (const struct subscriber *c = f->subs; c; c = c->next)
        n += ws_conn_backlog(c->ws);
    return n;
}

/* An event row as a framed WebSocket text message {"type":"event","data":...},
 * written once for every subscriber.  NULL on ENOMEM. */
static unsigned char *event_frame(sqlite3_stmt *st, size_t *flen)
{
    struct buf msg = BUF_INIT;
    unsigned char *frame = NULL;
    if (buf_append_str(&msg, "{\"type\":\"event\",\"data\":") == 0 &&
        event_text(&msg, st, 0) == 0 && buf_append(&msg, "}", 1) == 0)
        frame = ws_frame_text(msg.data, msg.len, flen);
    buf_free(&msg);
    return frame;
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

/* Sends an event (already framed) to one subscriber, honouring its
 * cursor, filters and output cap. */
static void deliver(struct subscriber *c, int64_t id, const char *session_id,
                    const char *event_type, const unsigned char *frame, size_t frame_len)
{
    if (id <= c->cursor || ws_conn_closing(c->ws))
        return;
    c->cursor = id;
    if (!ws_filters_match(&c->filters, session_id, event_type))
        return;
    if (ws_conn_backlog(c->ws) > client_cap(c->feed)) {
        /* Slow client: skip ahead instead of buffering without bound; the
         * gap message goes out once its output drains (on_writable). */
        if (c->gap_from == 0) {
            c->gap_from = id;
            c->feed->srv->metrics.ws_gaps++;
        }
        return;
    }
    ws_conn_send_frame(c->ws, frame, frame_len);
}

static void send_gap(struct subscriber *c, const char *reason)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "{\"type\":\"gap\",\"data\":{\"from\":%lld,\"to\":%lld,\"reason\":\"%s\"}}",
                     (long long)c->gap_from, (long long)c->cursor, reason);
    c->gap_from = 0;
    if (n > 0 && (size_t)n < sizeof msg)
        ws_conn_send_text(c->ws, msg, (size_t)n);
}

static void unlink_subscriber(struct subscriber *c)
{
    struct live_feed *f = c->feed;
    if (c->prev)
        c->prev->next = c->next;
    else
        f->subs = c->next;
    if (c->next)
        c->next->prev = c->prev;
    f->n_subs--;
    ws_filters_free(&c->filters);
    free(c);
}

/* Rows per loop turn: the sockets are written between turns, so a batch's
 * output must fit under the per-client cap (~600 bytes an event) or every
 * client, fast or slow, would look slow. */
static int batch_rows(const struct live_feed *f)
{
    long rows = (long)(client_cap(f) / 2048);
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
    int rows = 0, limit = f->subs ? batch_rows(f) : FANOUT_BATCH;
    if ((rc = sqlite3_bind_int64(st, 1, f->last_id)) == SQLITE_OK &&
        (rc = sqlite3_bind_int(st, 2, limit)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows++;
            int64_t id = sqlite3_column_int64(st, 0);
            f->last_id = id;
            if (f->subs == NULL)
                continue; /* nobody listens: only advance the cursor */
            size_t flen = 0;
            unsigned char *frame = event_frame(st, &flen);
            if (frame == NULL) {
                log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "out of memory serializing event %lld",
                        (long long)id);
                continue; /* clients see it as missing: they can refetch by id */
            }
            const char *sid = (const char *)sqlite3_column_text(st, 2);
            const char *type = (const char *)sqlite3_column_text(st, 3);
            for (struct subscriber *c = f->subs; c; c = c->next)
                deliver(c, id, sid, type, frame, flen);
            free(frame);
        }
    }
    /* Finalize now: a stepped statement would hold the read transaction. */
    sqlite3_finalize(st);
    *full = rows == limit;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Sends the session rows st yields; col_cursor/cursor: the column whose
 * highest value so far moves *cursor. */
static int send_sessions(struct live_feed *f, sqlite3_stmt *st, int col_cursor, int64_t *cursor)
{
    int rc;
    int64_t now = clock_wall_ns(), idle = (int64_t)f->srv->cfg.idle_after_s * NS_PER_S;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, col_cursor);
        if (v > *cursor)
            *cursor = v;
        if (f->subs == NULL)
            continue;
        size_t len;
        char *msg = message("session", session_json(st, now, idle), &len);
        if (msg == NULL)
            continue;
        const char *sid = (const char *)sqlite3_column_text(st, 0);
        for (struct subscriber *c = f->subs; c; c = c->next) {
            /* Session rows are state, not a stream: a slow client gets the
             * next change or refetches after its gap message. */
            if (c->gap_from == 0 && ws_filters_match_session(&c->filters, sid) &&
                ws_conn_backlog(c->ws) < client_cap(f))
                ws_conn_send_text(c->ws, msg, len);
        }
        free(msg);
    }
    sqlite3_finalize(st);
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
    if ((rc = sqlite3_bind_int64(st, 1, f->last_session_eid)) != SQLITE_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    if ((rc = send_sessions(f, st, 12, &f->last_session_eid)) != SQLITE_OK)
        return rc;
    /* Sessions the collector ended without an event (their Claude Code
     * process is gone): found through the sessions_state index. */
    rc = sqlite3_prepare_v2(f->srv->db.h,
                            "SELECT " SESSION_COLUMNS " FROM sessions WHERE state = 'ended' AND "
                            "state_since_ns > ?1 AND last_event_id <= ?2 "
                            "ORDER BY state_since_ns LIMIT 1000", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_bind_int64(st, 1, f->last_ended_ns)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, 2, f->last_session_eid)) != SQLITE_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return send_sessions(f, st, 21, &f->last_ended_ns);
}

/* Alerts are state, like sessions: every subscriber gets every change
 * (not filtered by session: an alert is for whoever watches). */
static void send_alert(const char *msg, size_t len, void *arg)
{
    struct live_feed *f = arg;
    for (struct subscriber *c = f->subs; c; c = c->next)
        if (c->gap_from == 0 && ws_conn_backlog(c->ws) < client_cap(f))
            ws_conn_send_text(c->ws, msg, len);
}

static int fan_out_alerts(struct live_feed *f)
{
    return alerts_changed(f->srv, &f->last_alert_version, f->subs ? send_alert : NULL, f);
}

static void flush_all(struct live_feed *f)
{
    for (struct subscriber *c = f->subs; c; c = c->next)
        ws_conn_flush(c->ws);
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
        if (rc == SQLITE_OK)
            rc = fan_out_alerts(f);
        if (rc != SQLITE_OK) {
            /* Busy or similar: forget the version so the next wake-up retries. */
            f->data_version = -1;
            log_msg(SERVER_TAG, LOG_LEVEL_WARN, "live feed read: %s", sqlite3_errstr(rc));
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
    if (f->srv->team != NULL) { /* team mode: the rows come from PostgreSQL */
        team_feed_poll(f->srv->team);
        return;
    }
    if (f->srv->db.h == NULL || event_pending(f->more_ev, EV_TIMEOUT, NULL))
        return; /* a batch is already scheduled and will read everything */
    int64_t v;
    f->srv->metrics.db_poll_total++;
    int rc = db_read_data_version(&f->srv->db, &v);
    if (rc != SQLITE_OK) {
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "PRAGMA data_version: %s", sqlite3_errstr(rc));
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
                                    "COALESCE((SELECT MAX(last_event_id) FROM sessions), 0), "
                                    "COALESCE((SELECT MAX(state_since_ns) FROM sessions "
                                    "WHERE state = 'ended'), 0)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        f->last_id = sqlite3_column_int64(st, 0);
        f->last_session_eid = sqlite3_column_int64(st, 1);
        f->last_ended_ns = sqlite3_column_int64(st, 2);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = alerts_max_version(f->srv, &f->last_alert_version);
    if (rc == SQLITE_OK)
        rc = db_read_data_version(&f->srv->db, &f->data_version);
    return rc;
}

/* Replays events (after, f->last_id] to a new subscriber, at most
 * ws_replay_max of them, then a gap message for the rest.  A client ahead of
 * the database resumes from a database that was replaced (ids start again):
 * it is told to start over, and replayed from the start. */
static int replay(struct live_feed *f, struct subscriber *c, int64_t after)
{
    if (after > f->last_id) {
        static const char reset[] = "{\"type\":\"reset\",\"data\":{\"reason\":"
                                    "\"database_replaced\"}}";
        ws_conn_send_text(c->ws, reset, sizeof reset - 1);
        after = 0;
    }
    if (after >= f->last_id) {
        c->cursor = after; /* ahead of us (or level): deliver only what is newer */
        return 0;
    }
    if (f->srv->team != NULL) { /* team mode: the same replay from PostgreSQL */
        c->cursor = after;
        int trc = team_feed_replay(f->srv->team, c, after, f->last_id, f->srv->cfg.ws_replay_max);
        c->cursor = f->last_id > c->cursor ? f->last_id : c->cursor;
        return trc == 0 ? SQLITE_OK : SQLITE_ERROR;
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
                    ws_conn_send_text(c->ws, msg, (size_t)n);
                rc = SQLITE_DONE;
                break;
            }
            size_t flen = 0;
            unsigned char *frame = event_frame(st, &flen);
            if (frame == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            deliver(c, id, (const char *)sqlite3_column_text(st, 2),
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

/* Sends a ping and a heartbeat message, or closes an unresponsive client.
 * A client at its cap gets neither (nothing more is queued to it); as its
 * input is not read meanwhile, three heartbeats later it is closed (1008). */
static void heartbeat(struct subscriber *c, int64_t now_mono, int64_t timeout_ns)
{
    if (ws_conn_closing(c->ws))
        return;
    if (now_mono - ws_conn_last_rx(c->ws) > timeout_ns) {
        ws_conn_close(c->ws, WS_CLOSE_POLICY_VIOLATION, "no pong received");
        return;
    }
    if (ws_conn_backlog(c->ws) >= client_cap(c->feed))
        return;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"heartbeat\",\"ts_ms\":%lld}",
                     (long long)(clock_wall_ns() / NS_PER_MS));
    if (ws_conn_ping(c->ws) != 0 || n <= 0 || ws_conn_send_text(c->ws, msg, (size_t)n) != 0)
        ws_conn_close(c->ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
    ws_conn_flush(c->ws);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live_feed *f = arg;
    live_feed_poll(f);
    int64_t now = clock_mono_ns();
    int64_t timeout = 3 * (int64_t)f->srv->cfg.heartbeat_s * NS_PER_S;
    for (struct subscriber *c = f->subs; c; c = c->next)
        heartbeat(c, now, timeout);
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
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "inotify_init1: %s", strerror(errno));
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

void live_feed_reset(struct live_feed *f)
{
    for (struct subscriber *c = f->subs; c; c = c->next)
        ws_conn_close(c->ws, WS_CLOSE_SERVICE_RESTART, "database replaced: reconnect");
    f->last_id = f->last_session_eid = f->last_alert_version = f->last_ended_ns = 0;
    f->data_version = -1;
}

size_t live_feed_shutdown(struct live_feed *f)
{
    for (struct subscriber *c = f->subs; c; c = c->next)
        ws_conn_close(c->ws, WS_CLOSE_GOING_AWAY, "server shutting down");
    return f->n_subs;
}

void live_feed_free(struct live_feed *f)
{
    if (f == NULL)
        return;
    while (f->subs != NULL) {
        struct subscriber *c = f->subs;
        ws_conn_free(c->ws);
        unlink_subscriber(c);
    }
    if (f->inotify_ev) event_free(f->inotify_ev);
    if (f->recheck_ev) event_free(f->recheck_ev);
    if (f->heartbeat_ev) event_free(f->heartbeat_ev);
    if (f->more_ev) event_free(f->more_ev);
    if (f->inotify_fd >= 0)
        close(f->inotify_fd);
    free(f);
}

/* ---- subscribers ------------------------------------------------------ */

static void send_error(struct subscriber *c, const char *code, const char *message)
{
    json_t *m = json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "code", code, "message",
                          message);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (text != NULL)
        ws_conn_send_text(c->ws, text, strlen(text));
    free(text);
}

/* A message from the client: subscribe (new filters) or heartbeat. */
static void on_text(struct ws_conn *ws, const char *msg, size_t len, void *arg)
{
    (void)ws;
    struct subscriber *c = arg;
    enum ws_msg_type type;
    char err[256];
    if (ws_message_parse(msg, len, &type, &c->filters, err, sizeof err) != 0) {
        send_error(c, "bad_message", err);
        return;
    }
    static const char hb[] = "{\"type\":\"heartbeat\"}", ok[] = "{\"type\":\"subscribed\"}";
    if (type == WS_MSG_HEARTBEAT)
        ws_conn_send_text(c->ws, hb, sizeof hb - 1);
    else
        ws_conn_send_text(c->ws, ok, sizeof ok - 1);
}

/* The output drained: the moment to tell a slow client what it missed. */
static void on_writable(struct ws_conn *ws, void *arg)
{
    (void)ws;
    struct subscriber *c = arg;
    if (c->gap_from != 0)
        send_gap(c, "slow_client");
}

static void on_close(struct ws_conn *ws, void *arg)
{
    (void)ws;
    unlink_subscriber(arg);
}

/* The transport reads no more of a client's input while this much is
 * queued to it: replies and pongs count against the same cap as events. */
static size_t on_output_cap(struct ws_conn *ws, void *arg)
{
    (void)ws;
    const struct subscriber *c = arg;
    return client_cap(c->feed);
}

static const char *const ws_keys[] = {"after", "session_id", "event_type", "access_token", NULL};

/* Initial filters from the URL: /ws?session_id=a,b&event_type=Stop */
static int url_filters(struct query *q, struct ws_filters *f, char *err, size_t errlen)
{
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *store;
    static const char *const keys[] = {"session_id", "event_type"};
    for (int k = 0; k < 2; k++) {
        if (query_list(q, keys[k], vals, &n, &store, err, errlen) == QUERY_BAD)
            return -1;
        char **dst = k == 0 ? f->session_ids : f->event_types;
        size_t *dn = k == 0 ? &f->n_sessions : &f->n_types;
        for (size_t i = 0; i < n && i < WS_FILTER_MAX; i++) {
            if ((dst[*dn] = strdup(vals[i])) == NULL) {
                free(store);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            (*dn)++;
        }
        free(store);
    }
    return 0;
}

/* Checks everything that can be refused before the 101: parameters,
 * headers, the database, the client cap.  0, or -1 after answering. */
static int admit(struct http_ctx *hc, struct query *q, long *after, struct ws_filters *filters,
                 char accept[29])
{
    struct server *srv = hc->srv;
    char err[256];
    if (query_parse(q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(q, ws_keys, err, sizeof err) != 0 ||
        query_long(q, "after", 0, LONG_MAX, after, err, sizeof err) == QUERY_BAD) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return -1;
    }
    if (ws_conn_check(hc, accept) != 0)
        return -1;
    if (srv->feed == NULL || http_reply_if_no_db(hc))
        return -1;
    if (srv->feed->n_subs >= (size_t)srv->cfg.ws_max_clients || srv->shutting_down) {
        srv->metrics.ws_rejected++;
        http_reply_error(hc, 503, "too_many_clients", "WebSocket client cap (%ld) reached",
                         srv->cfg.ws_max_clients);
        return -1;
    }
    if (url_filters(q, filters, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return -1;
    }
    return 0;
}

void live_feed_upgrade(struct http_ctx *hc)
{
    static const struct ws_conn_callbacks cbs = {on_text, on_writable, on_close, on_output_cap};
    struct live_feed *f = hc->srv->feed;
    struct query q;
    long after = -1;
    char accept[29];
    struct subscriber *c = calloc(1, sizeof *c);
    if (c == NULL) {
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    c->feed = f; /* before the transport exists: its output_cap reads it */
    if (admit(hc, &q, &after, &c->filters, accept) != 0 ||
        (c->ws = ws_conn_accept(hc, accept, &cbs, c)) == NULL) {
        ws_filters_free(&c->filters);
        free(c);
        query_free(&q);
        return;
    }
    query_free(&q);
    /* Until its replay is decided the new subscriber takes nothing from the
     * catch-up poll below: what that poll reads is inside the replay bound,
     * and delivering it twice would repeat events to a resuming client. */
    c->cursor = INT64_MAX;
    c->next = f->subs;
    if (f->subs)
        f->subs->prev = c;
    f->subs = c;
    f->n_subs++;
    /* Bring the feed up to date first, so the replay bound (last_id) is as
     * fresh as the database. */
    live_feed_poll(f);
    c->cursor = f->last_id;
    if (after >= 0 && replay(f, c, after) != SQLITE_OK)
        ws_conn_close(c->ws, WS_CLOSE_INTERNAL_ERROR, "replay failed");
    ws_conn_flush(c->ws);
}

/* ---- team mode's source (team_feed.c) ---------------------------------- */

void live_feed_publish_event(struct live_feed *f, int64_t id, const char *sid, const char *type,
                             const unsigned char *frame, size_t flen)
{
    f->last_id = id;
    for (struct subscriber *c = f->subs; c; c = c->next)
        deliver(c, id, sid, type, frame, flen);
}

void live_feed_publish_session(struct live_feed *f, int64_t last_event_id, const char *sid,
                               const char *msg, size_t len)
{
    f->last_session_eid = last_event_id;
    for (struct subscriber *c = f->subs; c; c = c->next)
        if (c->gap_from == 0 && ws_filters_match_session(&c->filters, sid) &&
            ws_conn_backlog(c->ws) < client_cap(f))
            ws_conn_send_text(c->ws, msg, len);
}

void live_feed_deliver_to(struct subscriber *c, int64_t id, const char *sid, const char *type,
                          const unsigned char *frame, size_t flen)
{
    deliver(c, id, sid, type, frame, flen);
}

void live_feed_publish_alert(struct live_feed *f, const char *msg, size_t len)
{
    send_alert(msg, len, f);
}

void live_feed_send_to(struct subscriber *c, const char *msg, size_t len)
{
    ws_conn_send_text(c->ws, msg, len);
}

int64_t live_feed_last_id(const struct live_feed *f) { return f->last_id; }
void live_feed_set_last_id(struct live_feed *f, int64_t id) { f->last_id = id; }
int live_feed_has_subscribers(const struct live_feed *f) { return f->subs != NULL; }
int live_feed_batch_rows(const struct live_feed *f) { return batch_rows(f); }
void live_feed_flush(struct live_feed *f) { flush_all(f); }
