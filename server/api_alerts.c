/*
 * api_alerts.c - GET /api/alerts, POST /api/alerts/{id}/ack, the alert
 * JSON shared with the WebSocket feed, and the alert metrics.
 *
 * The server is read-only on the database: an acknowledgement is sent to
 * the collector, the only writer, as an "ack" frame over its Unix socket
 * (docs/PROTOCOL.md); the collector applies it and answers after its
 * commit.  The request waits for that answer at most ACK_DEADLINE_MS (the
 * collector answers in about a millisecond; a collector that is down is a
 * 503 at once).
 */
#include "server.h"

#include <errno.h>
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/wire.h"
#include "http_query.h"
#include "row_json.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 200
#define ACK_DEADLINE_MS 2000


static json_t *opt_text(struct row_src *r, int i)
{
    size_t n;
    const char *s = r->text(r, i, &n);
    return s ? json_stringn(s, n) : json_null();
}

json_t *alert_delivery_json_src(struct row_src *r, int col)
{
    json_t *d = json_object();
    if (d == NULL)
        return NULL;
    json_object_set_new(d, "target", opt_text(r, col));
    json_object_set_new(d, "kind", opt_text(r, col + 1));
    json_set_time_src(d, "delivered", r, col + 2);
    json_object_set_new(d, "attempts", json_integer(r->i64(r, col + 3)));
    json_object_set_new(d, "last_error", opt_text(r, col + 4));
    json_set_time_src(d, "gave_up", r, col + 5);
    return d;
}

json_t *alert_json_src(struct row_src *r, json_t *deliveries)
{
    json_t *o = json_object();
    if (o == NULL) {
        json_decref(deliveries);
        return NULL;
    }
    json_object_set_new(o, "id", json_integer(r->i64(r, 0)));
    static const char *const keys[] = {"rule", "session_id", "title", "project", "machine",
                                       "reason"};
    for (int i = 0; i < 6; i++)
        json_object_set_new(o, keys[i], opt_text(r, i + 1));
    size_t n;
    const char *detail = r->text(r, 7, &n);
    json_t *d = detail ? json_loadb(detail, n, 0, NULL) : NULL;
    json_object_set_new(o, "detail", d ? d : json_null());
    json_set_time_src(o, "fired", r, 8);
    json_set_time_src(o, "resolved", r, 9);
    json_set_time_src(o, "acknowledged", r, 10);
    json_object_set_new(o, "deliveries", deliveries ? deliveries : json_array());
    return o;
}

/* The deliveries of one alert: the target's scheme://host only. */
static json_t *deliveries_json(sqlite3 *db, int64_t id)
{
    json_t *a = json_array();
    sqlite3_stmt *st;
    if (a == NULL || sqlite3_prepare_v2(db, "SELECT " ALERT_DELIVERY_COLUMNS
                                            " FROM alert_deliveries WHERE alert_id = ?1"
                                            " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return a;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct row_src r;
        row_src_sqlite(&r, st);
        json_t *d = alert_delivery_json_src(&r, 0);
        if (d == NULL)
            break;
        json_array_append_new(a, d);
    }
    sqlite3_finalize(st);
    return a;
}

/* One alert row (ALERT_COLUMNS) as contract 5's object.  NULL on ENOMEM. */
static json_t *alert_json(sqlite3 *db, sqlite3_stmt *st)
{
    struct row_src r;
    row_src_sqlite(&r, st);
    return alert_json_src(&r, deliveries_json(db, sqlite3_column_int64(st, 0)));
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

void api_alerts(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    static const char *const keys[] = {"state", "limit", "before", NULL};
    struct query q;
    char err[256];
    long limit = DEFAULT_LIMIT, before = -1;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0 ||
        query_long(&q, "limit", 1, MAX_LIMIT, &limit, err, sizeof err) == QUERY_BAD ||
        query_long(&q, "before", 1, INT64_MAX > LONG_MAX ? LONG_MAX : (long)INT64_MAX, &before,
                   err, sizeof err) == QUERY_BAD) {
        query_free(&q);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return;
    }
    const char *state = query_get(&q, "state");
    int open_only = 0;
    if (state != NULL && strcmp(state, "open") == 0) {
        open_only = 1;
    } else if (state != NULL && strcmp(state, "all") != 0) {
        http_reply_error(hc, 400, "bad_parameter", "state must be 'open' or 'all', got '%.40s'",
                         state);
        query_free(&q);
        return;
    }
    query_free(&q);
    sqlite3 *db = hc->srv->db.h;
    sqlite3_stmt *st;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " ALERT_COLUMNS " FROM alerts WHERE id < ?1 %s"
             " ORDER BY id DESC LIMIT ?2", open_only ? "AND resolved_ns IS NULL" : "");
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL); /* one snapshot for rows and counts */
    if (rc != SQLITE_OK || (rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        http_reply_db_error(hc, rc);
        return;
    }
    sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int64(st, 2, limit + 1);
    json_t *list = json_array();
    int64_t last = 0;
    long n = 0;
    int more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            more = 1;
            break;
        }
        last = sqlite3_column_int64(st, 0);
        json_array_append_new(list, alert_json(db, st));
        n++;
    }
    sqlite3_finalize(st);
    int64_t open = count(db, "SELECT count(*) FROM alerts WHERE resolved_ns IS NULL");
    int64_t unacked = count(db, "SELECT count(*) FROM alerts WHERE resolved_ns IS NULL"
                                " AND acknowledged_ns IS NULL");
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(list);
        http_reply_db_error(hc, rc);
        return;
    }
    json_t *body = json_pack("{s:o,s:I,s:I,s:o}", "alerts", list, "open", (json_int_t)open,
                             "unacknowledged", (json_int_t)unacked, "next_before",
                             more ? json_integer(last) : json_null());
    http_reply_json(hc, 200, body);
}

/* ---- acknowledgement: a round trip to the collector ------------------- */

static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = (deadline - clock_mono_ns()) / NS_PER_MS;
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

/* 0 with *acked_ns; 1 when the collector knows no such alert; -1 with err
 * when it cannot be reached or did not answer in time. */
static int collector_ack(const char *socket_path, int64_t id, int64_t *acked_ns, char *err,
                         size_t errlen)
{
    int64_t deadline = clock_mono_ns() + ACK_DEADLINE_MS * NS_PER_MS;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path too long");
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, errlen, "the collector is not running (%s)", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct buf frame = BUF_INIT;
    struct wire_event ev = {.kind = WIRE_ACK, .alert_id = id};
    int rc = -1;
    if (wire_encode_event(&ev, &frame) != 0 ||
        send(fd, frame.data, frame.len, MSG_NOSIGNAL) != (ssize_t)frame.len) {
        snprintf(err, errlen, "cannot write to the collector");
        buf_free(&frame);
        close(fd);
        return -1;
    }
    buf_free(&frame);
    msgpack_unpacker up;
    if (!msgpack_unpacker_init(&up, 1024)) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    snprintf(err, errlen, "no answer from the collector in time");
    while (wait_fd(fd, POLLIN, deadline) > 0) {
        if (!msgpack_unpacker_reserve_buffer(&up, 1024))
            break;
        ssize_t n = recv(fd, msgpack_unpacker_buffer(&up), 1024, 0);
        if (n <= 0) {
            snprintf(err, errlen, "the collector closed the connection");
            break;
        }
        msgpack_unpacker_buffer_consumed(&up, (size_t)n);
        if (msgpack_unpacker_next(&up, &res) == MSGPACK_UNPACK_SUCCESS) {
            struct wire_reply r;
            if (wire_decode_reply(&res.data, &r) != 0) {
                snprintf(err, errlen, "the collector's answer is not a reply");
            } else if (r.ok && r.has_acked) {
                *acked_ns = r.acked_ns;
                rc = 0;
            } else if (!r.ok && r.err.ptr && r.err.len == 13 &&
                       memcmp(r.err.ptr, "no such alert", 13) == 0) {
                rc = 1;
            } else {
                snprintf(err, errlen, "the collector refused: %.*s",
                         (int)(r.err.ptr ? (r.err.len > 200 ? 200 : r.err.len) : 0),
                         r.err.ptr ? r.err.ptr : "");
            }
            break;
        }
    }
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    close(fd);
    return rc;
}

int alert_ack_request(struct http_ctx *hc, int64_t *id)
{
    /* A cross-site form can POST with the dashboard's cookie, but cannot
     * set a custom header: demand one (docs/SECURITY.md). */
    const char *xr = evhttp_find_header(evhttp_request_get_input_headers(hc->req),
                                        "X-Chronicle-Request");
    if (xr == NULL || strcmp(xr, "1") != 0) {
        http_reply_error(hc, 403, "missing_request_header",
                         "POST requests need the header 'X-Chronicle-Request: 1'");
        return -1;
    }
    char *end;
    long long v = strtoll(hc->path_arg, &end, 10);
    if (*end != '\0' || v <= 0) {
        http_reply_error(hc, 404, "not_found", "no such alert");
        return -1;
    }
    *id = v;
    return 0;
}

void alert_ack_reply(struct http_ctx *hc, int64_t id, int found, int64_t acked_ns)
{
    if (!found) {
        http_reply_error(hc, 404, "not_found", "no alert %lld", (long long)id);
        return;
    }
    char iso[32];
    iso8601_ms(acked_ns, iso);
    http_reply_json(hc, 200, json_pack("{s:I,s:s,s:I}", "id", (json_int_t)id, "acknowledged", iso,
                                       "acknowledged_ms", (json_int_t)(acked_ns / NS_PER_MS)));
}

void api_alert_ack(struct http_ctx *hc)
{
    int64_t id;
    if (alert_ack_request(hc, &id) != 0)
        return;
    int64_t acked = 0;
    char err[256];
    int rc = collector_ack(hc->srv->cfg.socket_path, id, &acked, err, sizeof err);
    if (rc < 0) {
        http_reply_error(hc, 503, "collector_unavailable", "%s", err);
        return;
    }
    alert_ack_reply(hc, id, rc == 0, acked);
}

/* ---- the live feed and /metrics ---------------------------------------- */

int alerts_changed(struct server *srv, int64_t *last_version,
                   void (*each)(const char *msg, size_t len, void *arg), void *arg)
{
    sqlite3 *db = srv->db.h;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT " ALERT_COLUMNS " FROM alerts WHERE version > ?1"
                                    " ORDER BY version, id LIMIT 500", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, *last_version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 11);
        if (v > *last_version)
            *last_version = v;
        if (each == NULL)
            continue;
        json_t *m = json_pack("{s:s,s:o}", "type", "alert", "data", alert_json(db, st));
        char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        if (text)
            each(text, strlen(text), arg);
        free(text);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int alerts_max_version(struct server *srv, int64_t *out)
{
    *out = count(srv->db.h, "SELECT coalesce(max(version), 0) FROM alerts");
    return SQLITE_OK;
}

int alerts_metrics(struct server *srv, struct buf *b)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(srv->db.h, "SELECT rule, count(*), sum(resolved_ns IS NULL)"
                                           " FROM alerts GROUP BY rule ORDER BY rule", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    struct buf open = BUF_INIT;
    int bad = buf_append_str(b, "# HELP chronicle_alerts_total Alerts fired, by rule.\n"
                                "# TYPE chronicle_alerts_total counter\n") |
              buf_append_str(&open, "# HELP chronicle_alerts_open Alerts not resolved yet, by rule.\n"
                                    "# TYPE chronicle_alerts_open gauge\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *rule = (const char *)sqlite3_column_text(st, 0);
        bad |= buf_printf(b, "chronicle_alerts_total{rule=\"%s\"} %lld\n", rule ? rule : "",
                          (long long)sqlite3_column_int64(st, 1));
        bad |= buf_printf(&open, "chronicle_alerts_open{rule=\"%s\"} %lld\n", rule ? rule : "",
                          (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    bad |= buf_append(b, open.data, open.len);
    buf_free(&open);
    return bad ? SQLITE_NOMEM : rc == SQLITE_DONE ? SQLITE_OK : rc;
}
