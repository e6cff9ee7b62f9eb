/*
 * team_sessions.c - GET /api/sessions and GET /api/sessions/{id} from the
 * team database.
 *
 * Parameters, order and JSON are the local ones (api_sessions.c), plus the
 * machine / host / user filters and, on each session, machine_id, host and
 * user.  A session is keyed by (machine_id, session_id) in PostgreSQL: two
 * machines may report the same session id, so GET /api/sessions/{id} takes
 * ?machine= to choose, and without it answers the most recently active.
 *
 * Dialects: the state/status rules and the filters are api_sessions.c's own
 * code (session_filters.h), the same SQL in both; the per-tool summary differs (PostgreSQL sums no booleans: count(*) FILTER),
 * see tools_sql below beside the SQLite text it mirrors.
 */
#include "team.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "http_query.h"
#include "row_json.h"
#include "session_filters.h"

static const char *const session_keys[] = {"status", "state", "project", "cwd", "since", "sort",
                                           "limit", "offset", "usage", "machine", "host", "user",
                                           NULL};

/* As api_sessions.c (team schema migration 3 has state_since_ns). */
static const struct session_sort sorts[] = {
    {"last_seen", "last_seen_ns DESC, session_id DESC"},
    {"first_seen", "first_seen_ns DESC, session_id DESC"},
    {"events", "event_count DESC, session_id DESC"},
    /* longest in its state first; a row from a shipper older than schema 3
     * has no state_since_ns: its last activity stands in */
    {"waiting", "coalesce(state_since_ns, last_seen_ns) ASC, session_id ASC"},
};

/* api_sessions.c state_counts, with the identity filters. */
static int state_counts(struct team *t, const struct query *q, int64_t since, int64_t cutoff,
                        json_t **out, int *unavailable, char *err, size_t errlen)
{
    static const char *const states[] = {"working", "idle", "awaiting_input", "failed", "ended"};
    static const char *const reasons[] = {"permission", "idle_prompt", "turn_done",
                                          "elicitation"};
    json_int_t n[5] = {0}, nr[4] = {0};
    struct sqlb sb;
    sqlb_init(&sb);
    sqlb_sql(&sb, "SELECT CASE WHEN state = 'working' AND last_seen_ns < ");
    sqlb_int(&sb, cutoff);
    sqlb_sql(&sb, " THEN 'idle' ELSE state END, awaiting_reason, count(*)"
                  " FROM chronicle.sessions WHERE true");
    session_other_filters(&sb, q, since);
    if (team_identity_filters(&sb, q, err, errlen) != 0) {
        sqlb_free(&sb);
        *unavailable = 0;
        return -1;
    }
    sqlb_sql(&sb, " GROUP BY 1, 2");
    PGresult *r = pg_db_query_sqlb(&t->db, &sb, unavailable, err, errlen);
    sqlb_free(&sb);
    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *k = PQgetvalue(r, i, 0);
        json_int_t c = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        for (size_t j = 0; j < 5; j++)
            if (strcmp(k, states[j]) == 0)
                n[j] += c;
        for (size_t j = 0; !PQgetisnull(r, i, 1) && strcmp(k, "awaiting_input") == 0 && j < 4; j++)
            if (strcmp(PQgetvalue(r, i, 1), reasons[j]) == 0)
                nr[j] += c;
    }
    PQclear(r);
    *out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", states[0], n[0], states[1],
                     n[1], states[2], n[2], states[3], n[3], states[4], n[4], "awaiting_reasons",
                     reasons[0], nr[0], reasons[1], nr[1], reasons[2], nr[2], reasons[3], nr[3]);
    if (*out == NULL) {
        *unavailable = 0;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void team_sessions(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    struct team *t = hc->srv->team;
    char err[400];
    struct session_list l;
    struct sqlb sb;
    sqlb_init(&sb);
    PGresult *r = NULL;
    json_t *arr = NULL, *counts = NULL;
    int unavailable = 0;
    /* The parameters and filters are api_sessions.c's own (session_filters.h). */
    sqlb_sql(&sb, "SELECT " TEAM_SESSION_COLUMNS " FROM chronicle.sessions WHERE true");
    if (session_list_parse(hc, session_keys, sorts, sizeof sorts / sizeof sorts[0], &l, &sb) != 0)
        goto out;
    if (team_identity_filters(&sb, &l.q, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    sqlb_sql(&sb, " ORDER BY ");
    sqlb_sql(&sb, l.order);
    sqlb_sql(&sb, ", machine_id DESC LIMIT ");
    sqlb_int(&sb, l.limit);
    sqlb_sql(&sb, " OFFSET ");
    sqlb_int(&sb, l.offset);
    r = pg_db_query_sqlb(&t->db, &sb, &unavailable, err, sizeof err);
    if (r == NULL) {
        team_reply_query_error(hc, unavailable, err);
        goto out;
    }
    arr = json_array();
    for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
        json_t *s = team_session_json(t, r, i);
        if (s == NULL || json_array_append_new(arr, s) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (arr == NULL) {
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        goto out;
    }
    if ((l.with_usage && team_usage_add_summaries(t, arr, &unavailable, err, sizeof err) != 0) ||
        state_counts(t, &l.q, l.since, l.cutoff, &counts, &unavailable, err, sizeof err) != 0) {
        team_reply_query_error(hc, unavailable, err);
        goto out;
    }
    size_t n = json_array_size(arr);
    http_reply_json(hc, 200, json_pack("{s:O,s:I,s:I,s:I,s:O}", "sessions", arr, "count",
                                       (json_int_t)n, "limit", (json_int_t)l.limit, "offset",
                                       (json_int_t)l.offset, "state_counts", counts));
out:
    json_decref(arr);
    json_decref(counts);
    PQclear(r);
    sqlb_free(&sb);
    session_list_free(&l);
}

/* ---- one session ------------------------------------------------------ */

/* The SQLite text (api_sessions.c add_tools) and this one side by side:
 *   SQLite:     SUM(status = 'error'), SUM(status = 'running'), SUM(duration_ms)
 *   PostgreSQL: count(*) FILTER (WHERE ...), and the sum as 0 when empty
 *   (SQLite's NULL sum reads as 0 there too). */
static const char tools_sql[] =
    "SELECT tool_name, count(*), count(*) FILTER (WHERE status = 'error'),"
    " count(*) FILTER (WHERE status = 'running'), avg(duration_ms)::float8, max(duration_ms),"
    " coalesce(sum(duration_ms), 0) FROM chronicle.tool_calls"
    " WHERE machine_id = $1 AND session_id = $2 GROUP BY tool_name ORDER BY 2 DESC, 1";

static int64_t i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int add_tools(struct team *t, const char *const *key, json_t *out, int *unavailable,
                     char *err, size_t errlen)
{
    PGresult *r = pg_db_query(&t->db, tools_sql, 2, key, unavailable, err, errlen);
    if (r == NULL)
        return -1;
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
        json_t *o = json_pack("{s:s?,s:I,s:I,s:I,s:o,s:o,s:I}", "name",
                              PQgetisnull(r, i, 0) ? NULL : PQgetvalue(r, i, 0), "calls",
                              (json_int_t)i64(r, i, 1), "errors", (json_int_t)i64(r, i, 2),
                              "running", (json_int_t)i64(r, i, 3), "avg_ms",
                              PQgetisnull(r, i, 4) ? json_null()
                                                   : json_real(strtod(PQgetvalue(r, i, 4), NULL)),
                              "max_ms", PQgetisnull(r, i, 5) ? json_null()
                                                             : json_integer(i64(r, i, 5)),
                              "total_ms", (json_int_t)i64(r, i, 6));
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    PQclear(r);
    return arr == NULL || json_object_set_new(out, "tools", arr) ? (snprintf(err, errlen, "out of memory"), *unavailable = 0, -1) : 0;
}

static int add_errors(struct team *t, const char *const *key, json_t *out, int *unavailable,
                      char *err, size_t errlen)
{
    char types[512], sql[1024];
    if (event_types_sql_list(EVF_ERROR, types, sizeof types) < 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT " TEAM_EVENT_COLUMNS TEAM_EVENT_EXTRA " FROM chronicle.events"
             " WHERE machine_id = $1 AND session_id = $2 AND event_type IN (%s)"
             " ORDER BY id DESC LIMIT 50", types);
    PGresult *r = pg_db_query(&t->db, sql, 2, key, unavailable, err, errlen);
    if (r == NULL)
        return -1;
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
        struct row_src src;
        row_src_pg(&src, r, i);
        json_t *e = event_json_src(&src, 0);
        if (e == NULL || team_event_extra_json(e, r, i, TEAM_EVENT_BRIEF_N, 0) != 0 ||
            json_array_append_new(arr, e) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    PQclear(r);
    return arr == NULL || json_object_set_new(out, "errors", arr) ? (snprintf(err, errlen, "out of memory"), *unavailable = 0, -1) : 0;
}

static int add_subagents(struct team *t, const char *const *key, json_t *out, int *unavailable,
                         char *err, size_t errlen)
{
    char stops[256], sql[1024];
    if (event_types_sql_list(EVF_SUBAGENT_STOP, stops, sizeof stops) < 0)
        return -1;
    /* SQLite: SUM(event_type IN (...)); PostgreSQL: count(*) FILTER. */
    snprintf(sql, sizeof sql, "SELECT agent_id, max(agent_type), min(ts_ns), max(ts_ns), "
             "count(*), count(*) FILTER (WHERE event_type IN (%s)) FROM chronicle.events "
             "WHERE machine_id = $1 AND session_id = $2 AND agent_id IS NOT NULL "
             "GROUP BY agent_id ORDER BY 3 LIMIT 500", stops);
    PGresult *r = pg_db_query(&t->db, sql, 2, key, unavailable, err, errlen);
    if (r == NULL)
        return -1;
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
        struct row_src src;
        row_src_pg(&src, r, i);
        json_t *a = json_object();
        if (a == NULL ||
            (json_object_set_new(a, "agent_id", json_string(PQgetvalue(r, i, 0))) |
             json_object_set_new(a, "agent_type", PQgetisnull(r, i, 1) ? json_null()
                                                                        : json_string(PQgetvalue(r, i, 1))) |
             json_set_time_src(a, "first", &src, 2) | json_set_time_src(a, "last", &src, 3) |
             json_object_set_new(a, "events", json_integer(i64(r, i, 4))) |
             json_object_set_new(a, "stopped", json_boolean(i64(r, i, 5) > 0))) ||
            json_array_append_new(arr, a) != 0) {
            json_decref(a);
            json_decref(arr);
            arr = NULL;
        }
    }
    PQclear(r);
    return arr == NULL || json_object_set_new(out, "subagents", arr) ? (snprintf(err, errlen, "out of memory"), *unavailable = 0, -1) : 0;
}

void team_session(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    struct team *t = hc->srv->team;
    static const char *const keys[] = {"machine", NULL};
    char err[400];
    struct query q;
    struct sqlb sb;
    sqlb_init(&sb);
    PGresult *r = NULL;
    json_t *s = NULL;
    int unavailable = 0, in_tx = 0;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    sqlb_sql(&sb, "SELECT " TEAM_SESSION_COLUMNS " FROM chronicle.sessions WHERE session_id = ");
    sqlb_text(&sb, hc->path_arg);
    if (team_identity_filters(&sb, &q, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    sqlb_sql(&sb, " ORDER BY last_seen_ns DESC, machine_id LIMIT 1");
    /* One snapshot for the row and its summary, so the parts agree. */
    PGresult *b = pg_db_query(&t->db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                              &unavailable, err, sizeof err);
    if (b == NULL)
        goto fail;
    PQclear(b);
    in_tx = 1;
    if ((r = pg_db_query_sqlb(&t->db, &sb, &unavailable, err, sizeof err)) == NULL)
        goto fail;
    if (PQntuples(r) == 0) {
        http_reply_error(hc, 404, "not_found", "no session '%.200s'", hc->path_arg);
        goto out;
    }
    if ((s = team_session_json(t, r, 0)) == NULL) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    const char *key[2] = {PQgetvalue(r, 0, TEAM_SESSION_N), hc->path_arg};
    if (add_tools(t, key, s, &unavailable, err, sizeof err) != 0 ||
        add_errors(t, key, s, &unavailable, err, sizeof err) != 0 ||
        add_subagents(t, key, s, &unavailable, err, sizeof err) != 0 ||
        team_usage_add_to_session(t, key[0], key[1], s, &unavailable, err, sizeof err) != 0)
        goto fail;
    http_reply_json(hc, 200, s);
    s = NULL;
    goto out;
fail:
    team_reply_query_error(hc, unavailable, err);
out:
    if (in_tx && t->db.state == PG_DB_UP) {
        PGresult *c = pg_db_query(&t->db, "COMMIT", 0, NULL, &unavailable, err, sizeof err);
        PQclear(c);
    }
    json_decref(s);
    PQclear(r);
    sqlb_free(&sb);
    query_free(&q);
}
