/*
 * team_route.c - team mode's lifecycle, its routes and /health.
 *
 * Every route the team server can serve from PostgreSQL goes to its team_*
 * handler; a route it cannot serve yet answers 501 not_in_team_mode (listed
 * in docs/TEAM.md), never the SQLite handler (whose database is not open).
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "row_json.h"
#include "team_alerter.h"

#define FEED_POLL_MS 100

static void on_up(void *arg);

struct team *team_new(struct server *srv, char *err, size_t errlen)
{
    struct team *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->srv = srv;
    if (pg_db_init(&t->db, NULL, srv->cfg.database, err, errlen) != 0) {
        free(t);
        return NULL;
    }
    t->db.on_up = on_up;
    t->db.arg = t;
    /* The alert engine connects on its own thread; only a bad webhook
     * URL (or no memory) stops the server here. */
    t->alerter = team_alerter_new(&srv->cfg, err, errlen);
    if (t->alerter == NULL) {
        pg_db_free(&t->db);
        free(t);
        return NULL;
    }
    return t;
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    team_feed_poll(arg);
}

int team_start(struct team *t)
{
    struct server *srv = t->srv;
    t->db.base = srv->base;
    t->poll_ev = event_new(srv->base, -1, EV_PERSIST, on_poll, t);
    static const struct timeval every = {0, FEED_POLL_MS * 1000};
    if (t->poll_ev == NULL || event_add(t->poll_ev, &every) != 0 || pg_db_start(&t->db) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "cannot set up team mode: out of memory");
        return -1;
    }
    log_msg(SERVER_TAG, LOG_LEVEL_INFO, "team mode: serving PostgreSQL %s", t->db.summary);
    return 0;
}

void team_free(struct team *t)
{
    if (t == NULL)
        return;
    if (t->poll_ev)
        event_free(t->poll_ev);
    team_alerter_free(t->alerter);
    pg_db_free(&t->db);
    free(t);
}

/* Connected (again): the first time the feed starts at the newest event;
 * after an outage it goes on from where it was, so nothing is skipped. */
static void on_up(void *arg)
{
    struct team *t = arg;
    if (t->feed_ready)
        return;
    int unavailable;
    char err[300];
    PGresult *r = pg_db_query(&t->db, "SELECT coalesce(max(id), 0), "
                                      "coalesce((SELECT max(last_event_id) FROM chronicle.sessions), 0) "
                                      "FROM chronicle.events", 0, NULL, &unavailable, err, sizeof err);
    if (r == NULL) {
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "team feed start: %s", err);
        return;
    }
    int64_t alert_version;
    if (team_alerts_start_version(t, &alert_version) != 0) {
        PQclear(r);
        return;
    }
    live_feed_set_last_id(t->srv->feed, strtoll(PQgetvalue(r, 0, 0), NULL, 10));
    t->feed_last_session_eid = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    t->feed_last_alert_version = alert_version;
    t->feed_ready = 1;
    PQclear(r);
}

int team_reply_if_down(struct http_ctx *hc)
{
    struct team *t = hc->srv->team;
    if (t->db.state == PG_DB_UP && t->feed_ready)
        return 0;
    if (t->db.state == PG_DB_UP)
        on_up(t); /* the first read failed: once more now */
    if (t->db.state == PG_DB_UP && t->feed_ready)
        return 0;
    evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Retry-After", "1");
    http_reply_error(hc, 503, "database_unavailable", "the team database (PostgreSQL %s) is %s: %s",
                     t->db.summary, pg_db_state_name(t->db.state),
                     t->db.error[0] ? t->db.error : "not connected yet");
    return 1;
}

void team_reply_query_error(struct http_ctx *hc, int unavailable, const char *err)
{
    if (unavailable) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Retry-After", "1");
        http_reply_error(hc, 503, "database_unavailable", "the team database (PostgreSQL %s) "
                         "did not answer: %s", hc->srv->team->db.summary, err);
        return;
    }
    log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s: PostgreSQL: %s", route_name(hc->route), err);
    http_reply_error(hc, 500, "database_error", "PostgreSQL: %s", err);
}

PGresult *team_query_filtered(struct http_ctx *hc, struct sqlb *sb, const struct query *q,
                              const char *tail)
{
    char err[400];
    int unavailable;
    if (team_identity_filters(sb, q, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return NULL;
    }
    sqlb_sql(sb, tail);
    PGresult *r = pg_db_query_sqlb(&hc->srv->team->db, sb, &unavailable, err, sizeof err);
    if (r == NULL)
        team_reply_query_error(hc, unavailable, err);
    return r;
}

static json_t *time_pair(json_t *o, const char *key, int64_t ns)
{
    char iso[32], ms_key[64];
    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    if (ns <= 0) {
        json_object_set_new(o, key, json_null());
        json_object_set_new(o, ms_key, json_null());
        return o;
    }
    iso8601_ms(ns, iso);
    json_object_set_new(o, key, json_string(iso));
    json_object_set_new(o, ms_key, json_integer(ns / 1000000));
    return o;
}

/* The machines that ship here: their cursors and how long ago they moved. */
static json_t *machines(struct team *t, int *ok)
{
    int unavailable;
    char err[300];
    PGresult *r = pg_db_query(&t->db,
        "SELECT machine_id, hostname, username, last_local_id, events_shipped,"
        " (extract(epoch FROM updated_at) * 1000)::bigint FROM chronicle.ship_cursors"
        " ORDER BY hostname, machine_id LIMIT 1000", 0, NULL, &unavailable, err, sizeof err);
    *ok = r != NULL;
    json_t *arr = json_array();
    for (int i = 0; r != NULL && arr != NULL && i < PQntuples(r); i++) {
        int64_t ms = strtoll(PQgetvalue(r, i, 5), NULL, 10);
        json_t *m = json_pack("{s:s,s:s?,s:s?,s:I,s:I}", "machine_id", PQgetvalue(r, i, 0),
                              "host", PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1), "user",
                              PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), "last_local_id",
                              (json_int_t)strtoll(PQgetvalue(r, i, 3), NULL, 10), "events_shipped",
                              (json_int_t)strtoll(PQgetvalue(r, i, 4), NULL, 10));
        if (m != NULL)
            json_array_append_new(arr, time_pair(m, "last_shipped", ms * 1000000));
    }
    PQclear(r);
    return arr;
}

void team_health(struct http_ctx *hc)
{
    struct server *srv = hc->srv;
    struct team *t = srv->team;
    int readable = 0, machines_ok = 0;
    int64_t last_id = 0;
    json_t *ms = NULL;
    if (t->db.state == PG_DB_UP) {
        int unavailable;
        char err[300];
        PGresult *r = pg_db_query(&t->db, "SELECT coalesce(max(id), 0) FROM chronicle.events", 0,
                                  NULL, &unavailable, err, sizeof err);
        if (r != NULL) {
            readable = 1;
            last_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            PQclear(r);
            ms = machines(t, &machines_ok);
        }
    }
    int ok = readable && machines_ok && t->feed_ready;
    json_t *db = json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:s?}", "kind", "postgresql", "target",
                           t->db.summary, "state", pg_db_state_name(t->db.state), "readable",
                           readable, "schema_version", t->db.schema_version, "last_event_id",
                           (json_int_t)last_id, "error", t->db.error[0] ? t->db.error : NULL);
    if (db != NULL)
        time_pair(db, "down_since", t->db.state == PG_DB_UP ? 0 : t->db.down_since_wall);
    struct team_alerter_stats as;
    team_alerter_stats(t->alerter, &as);
    json_t *alerts = json_pack("{s:b,s:b,s:s?}", "engine_up", as.connected && as.schema_ok,
                               "leader", as.leader, "error", as.error[0] ? as.error : NULL);
    json_t *body = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:I,s:I}", "status", ok ? "ok" : "degraded",
                             "mode", "team", "version", CHRONICLE_VERSION, "uptime_s",
                             (json_int_t)((clock_mono_ns() - srv->started_mono_ns) / NS_PER_S),
                             "database", db, "machines", ms ? ms : json_array(),
                             "alerts", alerts ? alerts : json_null(),
                             "websocket_clients",
                             (json_int_t)(srv->feed ? live_feed_clients(srv->feed) : 0),
                             "idle_after_s", (json_int_t)srv->cfg.idle_after_s);
    http_reply_json(hc, ok ? 200 : 503, body);
}

/* /health/performance in team mode: the team's events per second (the
 * newest 120,000 events at most: a bounded read of the primary key, enough
 * to tell a rate above the threshold), this server's memory and response
 * times, and its alert engine's last evaluation (it must stay well under
 * its one-second period). */
void team_health_performance(struct http_ctx *hc)
{
    struct team *t = hc->srv->team;
    int degraded = 1;
    double eps = 0;
    if (t->db.state == PG_DB_UP) {
        char since[24];
        snprintf(since, sizeof since, "%lld", (long long)(clock_wall_ns() - 60 * NS_PER_S));
        const char *const vals[1] = {since};
        int unavailable;
        char err[300];
        PGresult *r = pg_db_query(&t->db, "SELECT count(*) FROM (SELECT stored_ns FROM"
                                          " chronicle.events ORDER BY id DESC LIMIT 120000) e"
                                          " WHERE stored_ns >= $1::bigint", 1, vals, &unavailable,
                                  err, sizeof err);
        if (r != NULL) {
            eps = (double)strtoll(PQgetvalue(r, 0, 0), NULL, 10) / 60.0;
            degraded = 0;
            PQclear(r);
        }
    }
    struct team_alerter_stats as;
    team_alerter_stats(t->alerter, &as);
    health_performance_reply(hc, eps, degraded, "alert_evaluation_ms",
                             (double)as.tick_ns_last / 1e6, 1000);
}

int team_metrics(struct server *srv, struct buf *b)
{
    struct team *t = srv->team;
    return buf_printf(b,
        "# HELP chronicle_team_database_up 1 when the team server is connected to PostgreSQL.\n"
        "# TYPE chronicle_team_database_up gauge\nchronicle_team_database_up %d\n"
        "# HELP chronicle_team_queries_total Queries sent to PostgreSQL.\n"
        "# TYPE chronicle_team_queries_total counter\nchronicle_team_queries_total %llu\n"
        "# HELP chronicle_team_query_failures_total Queries that failed (errors, timeouts, lost connections).\n"
        "# TYPE chronicle_team_query_failures_total counter\nchronicle_team_query_failures_total %llu\n"
        "# HELP chronicle_team_timeouts_total Queries and connection attempts PostgreSQL did not answer in time.\n"
        "# TYPE chronicle_team_timeouts_total counter\nchronicle_team_timeouts_total %llu\n"
        "# HELP chronicle_team_connects_total Connections to PostgreSQL established.\n"
        "# TYPE chronicle_team_connects_total counter\nchronicle_team_connects_total %llu\n"
        "# HELP chronicle_team_feed_polls_total Polls of PostgreSQL for the live feed.\n"
        "# TYPE chronicle_team_feed_polls_total counter\nchronicle_team_feed_polls_total %llu\n"
        "# HELP chronicle_team_feed_events_total Events the live feed read from PostgreSQL.\n"
        "# TYPE chronicle_team_feed_events_total counter\nchronicle_team_feed_events_total %llu\n",
        t->db.state == PG_DB_UP, (unsigned long long)t->db.queries,
        (unsigned long long)t->db.failures, (unsigned long long)t->db.timeouts,
        (unsigned long long)t->db.connects, (unsigned long long)t->feed_polls,
        (unsigned long long)t->feed_rows) | team_alerts_metrics(srv, b);
}

void team_dispatch(struct http_ctx *hc, const char *path)
{
    switch (hc->route) {
    case ROUTE_HEALTH: team_health(hc); break;
    case ROUTE_METRICS: api_metrics(hc); break;
    case ROUTE_META: api_meta(hc); break;
    case ROUTE_WS: live_feed_upgrade(hc); break;
    case ROUTE_SESSIONS: team_sessions(hc); break;
    case ROUTE_SESSION: team_session(hc); break;
    case ROUTE_SESSION_EVENTS: team_events(hc); break;
    case ROUTE_EVENTS: team_events(hc); break;
    case ROUTE_EVENT: team_event(hc); break;
    case ROUTE_USAGE: team_usage(hc); break;
    case ROUTE_STATS: team_stats(hc); break;
    case ROUTE_COST: team_cost(hc); break;
    case ROUTE_ALERTS: team_alerts(hc); break;
    case ROUTE_HEALTH_PERF: team_health_performance(hc); break;
    case ROUTE_ALERT_ACK: team_alert_ack(hc); break;
    case ROUTE_OTHER:
        http_reply_error(hc, 404, "not_found", "no such endpoint: %.200s", path);
        break;
    default:
        /* Known routes the team server cannot serve from PostgreSQL yet
         * (docs/TEAM.md lists them). */
        http_reply_error(hc, 501, "not_in_team_mode",
                         "%.200s is not served by the team server yet (docs/TEAM.md); the "
                         "local chronicle-server of each machine has it", path);
        break;
    }
}
