/*
 * team_alerts.c - the team server's alerts on the wire: GET /api/alerts,
 * POST /api/alerts/{id}/ack, the WebSocket "alert" message and the alert
 * families of /metrics, from chronicle.alerts (team schema 4), which the
 * team server's own alert engine fills (team_alerter.h).
 *
 * Reads go through the event loop's read-only connection (pg_db.h), like
 * every team route; an acknowledgement is a write, so it is handed to the
 * engine's thread and connection (team_alerter_ack), the way the local
 * server hands it to the collector.  The JSON is api_alerts.c's, plus the
 * machine (machine_id, host, user) of the session an alert is about.
 */
#include "team.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "chronicle/clock.h"
#include "http_query.h"
#include "row_json.h"
#include "team_alerter.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 200
#define SCHEMA_ALERTS 4
#define TEAM_ALERT_COLUMNS ALERT_COLUMNS ", machine_id, host, username"

/* 1 (answered 503) when the team schema has no alerts yet. */
static int reply_if_no_alerts(struct http_ctx *hc)
{
    struct team *t = hc->srv->team;
    if (t->db.schema_version >= SCHEMA_ALERTS)
        return 0;
    http_reply_error(hc, 503, "schema_upgrade_needed",
                     "the team schema is version %d; alerts need %d: run `chronicle team init` "
                     "as the schema's owner, then the roles SQL of `chronicle team sql`",
                     t->db.schema_version, SCHEMA_ALERTS);
    return 1;
}

/* Each alert's deliveries, keyed by alert id: one query for the page. */
static json_t *deliveries_of(struct team *t, const char *ids, int *ok)
{
    const char *const vals[1] = {ids};
    int unavailable;
    char err[300];
    *ok = 0;
    PGresult *r = pg_db_query(&t->db, "SELECT alert_id, " ALERT_DELIVERY_COLUMNS
                                      " FROM chronicle.alert_deliveries"
                                      " WHERE alert_id = ANY ($1::bigint[]) ORDER BY id",
                              1, vals, &unavailable, err, sizeof err);
    if (r == NULL)
        return NULL;
    json_t *by_id = json_object();
    for (int i = 0; by_id && i < PQntuples(r); i++) {
        struct row_src src;
        row_src_pg(&src, r, i);
        const char *id = PQgetvalue(r, i, 0);
        json_t *list = json_object_get(by_id, id);
        if (list == NULL) {
            list = json_array();
            json_object_set_new(by_id, id, list);
        }
        json_array_append_new(list, alert_delivery_json_src(&src, 1));
    }
    PQclear(r);
    *ok = by_id != NULL;
    return by_id;
}

static json_t *team_alert_json(const PGresult *r, int row, json_t *deliveries)
{
    struct row_src src;
    row_src_pg(&src, r, row);
    json_t *o = alert_json_src(&src, deliveries);
    if (o == NULL)
        return NULL;
    static const char *const keys[] = {"machine_id", "host", "user"};
    for (int i = 0; i < 3; i++)
        json_object_set_new(o, keys[i], PQgetisnull(r, row, 12 + i)
                                            ? json_null() : json_string(PQgetvalue(r, row, 12 + i)));
    return o;
}

void team_alerts(struct http_ctx *hc)
{
    struct team *t = hc->srv->team;
    if (team_reply_if_down(hc) || reply_if_no_alerts(hc))
        return;
    static const char *const keys[] = {"state", "limit", "before", "machine", "host", "user", NULL};
    struct query q;
    char err[300];
    long limit = DEFAULT_LIMIT, before = -1;
    struct sqlb sb;
    sqlb_init(&sb);
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0 ||
        query_long(&q, "limit", 1, MAX_LIMIT, &limit, err, sizeof err) == QUERY_BAD ||
        query_long(&q, "before", 1, LONG_MAX, &before, err, sizeof err) == QUERY_BAD) {
        query_free(&q);
        sqlb_free(&sb);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return;
    }
    const char *state = query_get(&q, "state");
    if (state != NULL && strcmp(state, "open") != 0 && strcmp(state, "all") != 0) {
        http_reply_error(hc, 400, "bad_parameter", "state must be 'open' or 'all', got '%.40s'",
                         state);
        query_free(&q);
        sqlb_free(&sb);
        return;
    }
    sqlb_sql(&sb, "SELECT " TEAM_ALERT_COLUMNS " FROM chronicle.alerts WHERE id < ");
    sqlb_int(&sb, before > 0 ? before : INT64_MAX);
    if (state != NULL && strcmp(state, "open") == 0)
        sqlb_sql(&sb, " AND resolved_ns IS NULL");
    if (team_identity_filters(&sb, &q, err, sizeof err) != 0) {
        query_free(&q);
        sqlb_free(&sb);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return;
    }
    query_free(&q);
    sqlb_sql(&sb, " ORDER BY id DESC LIMIT ");
    sqlb_int(&sb, limit + 1);
    int unavailable = 0;
    PGresult *r = sb.oom ? NULL : pg_db_query_sqlb(&t->db, &sb, &unavailable, err,
                                                             sizeof err);
    sqlb_free(&sb);
    if (r == NULL) {
        team_reply_query_error(hc, unavailable, err);
        return;
    }
    int n = PQntuples(r) > limit ? (int)limit : PQntuples(r);
    struct buf ids = BUF_INIT;
    int bad = buf_append_str(&ids, "{");
    for (int i = 0; i < n; i++)
        bad |= buf_printf(&ids, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
    bad |= buf_append(&ids, "}", 2);
    int ok = 0;
    json_t *by_id = bad ? NULL : deliveries_of(t, ids.data, &ok);
    buf_free(&ids);
    PGresult *c = ok ? pg_db_query(&t->db, "SELECT count(*) FILTER (WHERE resolved_ns IS NULL),"
                                           " count(*) FILTER (WHERE resolved_ns IS NULL"
                                           "  AND acknowledged_ns IS NULL) FROM chronicle.alerts",
                                   0, NULL, &unavailable, err, sizeof err)
                     : NULL;
    if (c == NULL) {
        PQclear(r);
        json_decref(by_id);
        team_reply_query_error(hc, unavailable, bad ? "out of memory" : err);
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        json_t *d = json_object_get(by_id, PQgetvalue(r, i, 0));
        json_array_append_new(list, team_alert_json(r, i, d ? json_incref(d) : NULL));
    }
    json_t *body = json_pack("{s:o,s:I,s:I,s:o}", "alerts", list, "open",
                             (json_int_t)strtoll(PQgetvalue(c, 0, 0), NULL, 10), "unacknowledged",
                             (json_int_t)strtoll(PQgetvalue(c, 0, 1), NULL, 10), "next_before",
                             PQntuples(r) > limit
                                 ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10))
                                 : json_null());
    PQclear(r);
    PQclear(c);
    json_decref(by_id);
    http_reply_json(hc, 200, body);
}

void team_alert_ack(struct http_ctx *hc)
{
    int64_t id;
    if (alert_ack_request(hc, &id) != 0) /* the header, as locally */
        return;
    if (team_reply_if_down(hc) || reply_if_no_alerts(hc))
        return;
    int64_t acked = 0;
    char err[300];
    int rc = team_alerter_ack(hc->srv->team->alerter, id, &acked, err, sizeof err);
    if (rc < 0) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Retry-After", "1");
        http_reply_error(hc, 503, "alerts_unavailable", "%s", err);
        return;
    }
    alert_ack_reply(hc, id, rc == 0, acked);
}

int team_alerts_start_version(struct team *t, int64_t *version)
{
    *version = 0;
    if (t->db.schema_version < SCHEMA_ALERTS)
        return 0;
    int unavailable;
    char err[300];
    PGresult *r = pg_db_query(&t->db, "SELECT coalesce(max(version), 0) FROM chronicle.alerts", 0,
                              NULL, &unavailable, err, sizeof err);
    if (r == NULL)
        return -1;
    *version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

void team_alerts_poll(struct team *t)
{
    if (t->db.schema_version < SCHEMA_ALERTS)
        return;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)t->feed_last_alert_version);
    const char *const vals[1] = {v};
    int unavailable;
    char err[300];
    PGresult *r = pg_db_query(&t->db, "SELECT " TEAM_ALERT_COLUMNS " FROM chronicle.alerts"
                                      " WHERE version > $1::bigint ORDER BY version, id LIMIT 500",
                              1, vals, &unavailable, err, sizeof err);
    if (r == NULL)
        return;
    int any = live_feed_has_subscribers(t->srv->feed);
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t ver = strtoll(PQgetvalue(r, i, 11), NULL, 10);
        if (ver > t->feed_last_alert_version)
            t->feed_last_alert_version = ver;
        if (!any)
            continue;
        /* The feed carries no deliveries: GET /api/alerts has them. */
        json_t *m = json_pack("{s:s,s:o}", "type", "alert", "data", team_alert_json(r, i, NULL));
        char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        if (text != NULL)
            live_feed_publish_alert(t->srv->feed, text, strlen(text));
        free(text);
    }
    PQclear(r);
}

int team_alerts_metrics(struct server *srv, struct buf *b)
{
    struct team *t = srv->team;
    struct team_alerter_stats st;
    team_alerter_stats(t->alerter, &st);
    int bad = buf_printf(b,
        "# HELP chronicle_team_alerts_leader 1 when this team server evaluates the alert rules.\n"
        "# TYPE chronicle_team_alerts_leader gauge\nchronicle_team_alerts_leader %d\n"
        "# HELP chronicle_team_alerts_engine_up 1 when the alert engine is connected to a schema with alerts.\n"
        "# TYPE chronicle_team_alerts_engine_up gauge\nchronicle_team_alerts_engine_up %d\n"
        "# HELP chronicle_alert_deliveries_total Notifications delivered by this server.\n"
        "# TYPE chronicle_alert_deliveries_total counter\nchronicle_alert_deliveries_total %llu\n"
        "# HELP chronicle_alert_delivery_failures_total Failed delivery attempts of this server.\n"
        "# TYPE chronicle_alert_delivery_failures_total counter\nchronicle_alert_delivery_failures_total %llu\n"
        "# HELP chronicle_alert_deliveries_dropped_total Undelivered notifications dropped (queue full).\n"
        "# TYPE chronicle_alert_deliveries_dropped_total counter\nchronicle_alert_deliveries_dropped_total %llu\n"
        "# HELP chronicle_team_alerts_tick_seconds One evaluation of every rule over PostgreSQL (this server, as leader).\n"
        "# TYPE chronicle_team_alerts_tick_seconds summary\n"
        "chronicle_team_alerts_tick_seconds_sum %.6f\nchronicle_team_alerts_tick_seconds_count %llu\n"
        "# HELP chronicle_team_alerts_tick_max_seconds The longest evaluation so far.\n"
        "# TYPE chronicle_team_alerts_tick_max_seconds gauge\nchronicle_team_alerts_tick_max_seconds %.6f\n",
        st.leader, st.connected && st.schema_ok, (unsigned long long)st.delivered,
        (unsigned long long)st.delivery_failures, (unsigned long long)st.dropped,
        (double)st.tick_ns_sum / 1e9, (unsigned long long)st.ticks, (double)st.tick_ns_max / 1e9);
    if (t->db.state != PG_DB_UP || t->db.schema_version < SCHEMA_ALERTS)
        return bad ? -1 : 0;
    int unavailable;
    char err[300];
    PGresult *r = pg_db_query(&t->db, "SELECT rule, count(*), count(*) FILTER (WHERE resolved_ns"
                                      " IS NULL) FROM chronicle.alerts GROUP BY rule ORDER BY rule",
                              0, NULL, &unavailable, err, sizeof err);
    if (r == NULL)
        return bad ? -1 : 0;
    struct buf open = BUF_INIT;
    bad |= buf_append_str(b, "# HELP chronicle_alerts_total Alerts fired, by rule.\n"
                             "# TYPE chronicle_alerts_total counter\n") |
           buf_append_str(&open, "# HELP chronicle_alerts_open Alerts not resolved yet, by rule.\n"
                                 "# TYPE chronicle_alerts_open gauge\n");
    for (int i = 0; i < PQntuples(r); i++) {
        bad |= buf_printf(b, "chronicle_alerts_total{rule=\"%s\"} %s\n", PQgetvalue(r, i, 0),
                          PQgetvalue(r, i, 1));
        bad |= buf_printf(&open, "chronicle_alerts_open{rule=\"%s\"} %s\n", PQgetvalue(r, i, 0),
                          PQgetvalue(r, i, 2));
    }
    PQclear(r);
    bad |= buf_append(b, open.data, open.len);
    buf_free(&open);
    return bad ? -1 : 0;
}
