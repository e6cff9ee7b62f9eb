/*
 * api_sessions.c - GET /api/sessions and GET /api/sessions/{id}.
 *
 * The state a client sees is the collector's (working, awaiting_input,
 * failed, ended; collector/session_state.h) except that a working session
 * without an event for idle_after_s is 'idle' (row_json.h).  The state and
 * status filters are translated into the same rule in SQL so that
 * filtering, counting and display never disagree.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "http_query.h"
#include "row_json.h"
#include "session_filters.h"
#include "sql_build.h"

static const char *const session_keys[] = {"status", "state", "project", "cwd", "since",
                                           "sort", "limit", "offset", "usage", NULL};

/* Sort keys come from this allowlist: never from the request text. */
static const struct session_sort sorts[] = {
    {"last_seen", "last_seen_ns DESC, session_id DESC"},
    {"first_seen", "first_seen_ns DESC, session_id DESC"},
    {"events", "event_count DESC, session_id DESC"},
    {"waiting", "state_since_ns ASC, session_id ASC"}, /* longest in its state first */
};

/* The state filter (GET /api/sessions?state=...), same rule as
 * session_state_shown(). */
int session_state_sql(struct sqlb *sb, const char *state, int64_t cutoff)
{
    if (strcmp(state, "working") == 0 || strcmp(state, "idle") == 0) {
        sqlb_sql(sb, state[0] == 'w' ? "(state = 'working' AND last_seen_ns >= "
                                     : "(state = 'working' AND last_seen_ns < ");
        sqlb_int(sb, cutoff);
        sqlb_sql(sb, ")");
    } else if (strcmp(state, "awaiting_input") == 0 || strcmp(state, "failed") == 0 ||
               strcmp(state, "ended") == 0) {
        sqlb_sql(sb, "(state = ");
        sqlb_text(sb, state);
        sqlb_sql(sb, ")");
    } else {
        return -1;
    }
    return 0;
}

/* " AND (a OR b ...)" for a list filter, each value through fn; returns
 * the first value fn refuses, else NULL. */
const char *session_or_filter(struct sqlb *sb, const char *const *vals, size_t n,
                              int (*fn)(struct sqlb *, const char *, int64_t), int64_t cutoff)
{
    if (n == 0)
        return NULL;
    sqlb_sql(sb, " AND (");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sqlb_sql(sb, " OR ");
        if (fn(sb, vals[i], cutoff) != 0)
            return vals[i];
    }
    sqlb_sql(sb, ")");
    return NULL;
}

/* The filters other than state and status, shared by the list and its
 * state_counts. */
void session_other_filters(struct sqlb *sb, const struct query *q, int64_t since)
{
    const char *project = query_get(q, "project");
    if (project != NULL) {
        sqlb_sql(sb, " AND (project = ");
        sqlb_text(sb, project);
        sqlb_sql(sb, " OR cwd = ");
        sqlb_text(sb, project);
        sqlb_sql(sb, ")");
    }
    const char *cwd = query_get(q, "cwd");
    if (cwd != NULL) { /* a directory and everything under it */
        sqlb_sql(sb, " AND (cwd = ");
        sqlb_text(sb, cwd);
        sqlb_sql(sb, " OR substr(cwd, 1, length(");
        sqlb_text(sb, cwd);
        sqlb_sql(sb, ") + 1) = ");
        sqlb_text(sb, cwd);
        sqlb_sql(sb, " || '/')");
    }
    if (since >= 0) {
        sqlb_sql(sb, " AND last_seen_ns >= ");
        sqlb_int(sb, since);
    }
}

/* "state_counts": how many sessions are in each shown state (and each
 * awaiting reason) under the request's other filters. */
static int state_counts(sqlite3 *db, const struct query *q, int64_t since, int64_t cutoff,
                        json_t **out)
{
    static const char *const states[] = {"working", "idle", "awaiting_input", "failed", "ended"};
    static const char *const reasons[] = {"permission", "idle_prompt", "turn_done",
                                          "elicitation"};
    json_int_t n_state[5] = {0}, n_reason[4] = {0};
    struct sqlb sb;
    sqlb_init(&sb);
    sqlb_sql(&sb, "SELECT CASE WHEN state = 'working' AND last_seen_ns < ");
    sqlb_int(&sb, cutoff);
    sqlb_sql(&sb, " THEN 'idle' ELSE state END, awaiting_reason, count(*) FROM sessions WHERE 1");
    session_other_filters(&sb, q, since);
    sqlb_sql(&sb, " GROUP BY 1, 2");
    sqlite3_stmt *st = NULL;
    int rc = sqlb_prepare(&sb, db, &st);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *r = (const char *)sqlite3_column_text(st, 1);
        json_int_t n = sqlite3_column_int64(st, 2);
        for (size_t i = 0; k != NULL && i < 5; i++)
            if (strcmp(k, states[i]) == 0)
                n_state[i] += n;
        for (size_t i = 0; r != NULL && k != NULL && strcmp(k, "awaiting_input") == 0 && i < 4;
             i++)
            if (strcmp(r, reasons[i]) == 0)
                n_reason[i] += n;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    sqlb_free(&sb);
    if (rc != SQLITE_DONE)
        return rc;
    *out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", states[0], n_state[0],
                     states[1], n_state[1], states[2], n_state[2], states[3], n_state[3],
                     states[4], n_state[4], "awaiting_reasons", reasons[0], n_reason[0],
                     reasons[1], n_reason[1], reasons[2], n_reason[2], reasons[3], n_reason[3]);
    return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int session_status_sql(struct sqlb *sb, const char *status, int64_t cutoff)
{
    if (strcmp(status, "ended") == 0) {
        sqlb_sql(sb, "(state = 'ended')");
    } else if (strcmp(status, "idle") == 0) {
        sqlb_sql(sb, "(state = 'working' AND last_seen_ns < ");
        sqlb_int(sb, cutoff);
        sqlb_sql(sb, ")");
    } else if (strcmp(status, "awaiting_input") == 0) { /* the old name covers failed */
        sqlb_sql(sb, "(state IN ('awaiting_input', 'failed'))");
    } else if (strcmp(status, "active") == 0) {
        sqlb_sql(sb, "(state = 'working' AND last_seen_ns >= ");
        sqlb_int(sb, cutoff);
        sqlb_sql(sb, ")");
    } else {
        return -1;
    }
    return 0;
}

int session_list_parse(struct http_ctx *hc, const char *const *keys,
                       const struct session_sort *order_of, size_t norders, struct session_list *l,
                       struct sqlb *sb)
{
    char err[256];
    memset(l, 0, sizeof *l);
    l->limit = 100;
    l->since = -1;
    l->now = clock_wall_ns();
    l->cutoff = l->now - (int64_t)hc->srv->cfg.idle_after_s * NS_PER_S;
    l->order = order_of[0].order;
    if (query_parse(&l->q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&l->q, keys, err, sizeof err) != 0 ||
        query_list(&l->q, "status", l->statuses, &l->nstatus, &l->status_store, err,
                   sizeof err) == QUERY_BAD ||
        query_list(&l->q, "state", l->states, &l->nstate, &l->state_store, err, sizeof err) ==
            QUERY_BAD ||
        query_time(&l->q, "since", &l->since, err, sizeof err) == QUERY_BAD ||
        query_long(&l->q, "limit", 1, 1000, &l->limit, err, sizeof err) == QUERY_BAD ||
        query_long(&l->q, "offset", 0, 1000000, &l->offset, err, sizeof err) == QUERY_BAD ||
        query_long(&l->q, "usage", 0, 1, &l->with_usage, err, sizeof err) == QUERY_BAD) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return -1;
    }
    const char *sort = query_get(&l->q, "sort");
    if (sort != NULL) {
        l->order = NULL;
        for (size_t i = 0; i < norders; i++)
            if (strcmp(sort, order_of[i].key) == 0)
                l->order = order_of[i].order;
        if (l->order == NULL) {
            http_reply_error(hc, 400, "bad_parameter",
                             "parameter 'sort' must be last_seen, first_seen, events or waiting");
            return -1;
        }
    }
    const char *bad = session_or_filter(sb, l->statuses, l->nstatus, session_status_sql, l->cutoff);
    if (bad != NULL) {
        http_reply_error(hc, 400, "bad_parameter", "parameter 'status' must be active, "
                         "awaiting_input, idle or ended, got '%.64s'", bad);
        return -1;
    }
    if ((bad = session_or_filter(sb, l->states, l->nstate, session_state_sql, l->cutoff)) != NULL) {
        http_reply_error(hc, 400, "bad_parameter", "parameter 'state' must be working, idle, "
                         "awaiting_input, failed or ended, got '%.64s'", bad);
        return -1;
    }
    session_other_filters(sb, &l->q, l->since);
    return 0;
}

void session_list_free(struct session_list *l)
{
    free(l->status_store);
    free(l->state_store);
    query_free(&l->q);
}

void api_sessions(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    struct session_list l;
    struct sqlb sb;
    sqlb_init(&sb);
    json_t *counts = NULL;
    sqlite3_stmt *st = NULL;
    sqlb_sql(&sb, "SELECT " SESSION_COLUMNS " FROM sessions WHERE 1");
    if (session_list_parse(hc, session_keys, sorts, sizeof sorts / sizeof sorts[0], &l, &sb) != 0)
        goto out;
    sqlb_sql(&sb, " ORDER BY ");
    sqlb_sql(&sb, l.order);
    sqlb_sql(&sb, " LIMIT ");
    sqlb_int(&sb, l.limit);
    sqlb_sql(&sb, " OFFSET ");
    sqlb_int(&sb, l.offset);
    int rc = sqlb_prepare(&sb, hc->srv->db.h, &st);
    if (rc != SQLITE_OK) {
        http_reply_db_error(hc, rc);
        goto out;
    }
    json_t *arr = json_array();
    int64_t idle_ns = (int64_t)hc->srv->cfg.idle_after_s * NS_PER_S;
    while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *s = session_json(st, l.now, idle_ns);
        if (s == NULL || json_array_append_new(arr, s) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (arr == NULL || rc != SQLITE_DONE) {
        json_decref(arr);
        http_reply_db_error(hc, arr == NULL ? SQLITE_NOMEM : rc);
        goto out;
    }
    /* ?usage=1: tokens and cost per session (one indexed query each). */
    if (l.with_usage && (rc = usage_add_summaries(hc->srv, arr)) != SQLITE_OK) {
        json_decref(arr);
        http_reply_db_error(hc, rc);
        goto out;
    }
    if ((rc = state_counts(hc->srv->db.h, &l.q, l.since, l.cutoff, &counts)) != SQLITE_OK) {
        json_decref(arr);
        http_reply_db_error(hc, rc);
        goto out;
    }
    size_t n = json_array_size(arr);
    http_reply_json(hc, 200, json_pack("{s:o,s:I,s:I,s:I,s:o}", "sessions", arr, "count",
                                       (json_int_t)n, "limit", (json_int_t)l.limit, "offset",
                                       (json_int_t)l.offset, "state_counts", counts));
    counts = NULL;
out:
    sqlite3_finalize(st);
    sqlb_free(&sb);
    json_decref(counts);
    session_list_free(&l);
}

/* ---- one session ------------------------------------------------------ */

/* Ends a summary part: on a finished query (SQLITE_DONE) puts arr into
 * out under key, else drops it.  Returns the SQLite code for the caller. */
static int attach(json_t *out, const char *key, json_t *arr, int rc)
{
    if (arr == NULL || rc != SQLITE_DONE) {
        json_decref(arr);
        return arr == NULL ? SQLITE_NOMEM : rc;
    }
    return json_object_set_new(out, key, arr) ? SQLITE_NOMEM : SQLITE_OK;
}

static int add_tools(sqlite3 *db, const char *sid, json_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT tool_name, COUNT(*), SUM(status = 'error'), SUM(status = 'running'), "
        "AVG(duration_ms), MAX(duration_ms), SUM(duration_ms) FROM tool_calls "
        "WHERE session_id = ?1 GROUP BY tool_name ORDER BY 2 DESC, 1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    json_t *arr = json_array();
    rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    while (arr != NULL && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        json_t *t = json_pack("{s:s?,s:I,s:I,s:I,s:o,s:o,s:I}", "name", name, "calls",
                              (json_int_t)sqlite3_column_int64(st, 1), "errors",
                              (json_int_t)sqlite3_column_int64(st, 2), "running",
                              (json_int_t)sqlite3_column_int64(st, 3), "avg_ms",
                              sqlite3_column_type(st, 4) == SQLITE_NULL
                                  ? json_null() : json_real(sqlite3_column_double(st, 4)),
                              "max_ms", sqlite3_column_type(st, 5) == SQLITE_NULL
                                  ? json_null() : json_integer(sqlite3_column_int64(st, 5)),
                              "total_ms", (json_int_t)sqlite3_column_int64(st, 6));
        if (t == NULL || json_array_append_new(arr, t) != 0)
            rc = SQLITE_NOMEM;
        else
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return attach(out, "tools", arr, rc);
}

static int add_errors(sqlite3 *db, const char *sid, json_t *out)
{
    char types[512], sql[1024];
    if (event_types_sql_list(EVF_ERROR, types, sizeof types) < 0)
        return SQLITE_NOMEM;
    snprintf(sql, sizeof sql, "SELECT " EVENT_COLUMNS " FROM events WHERE session_id = ?1 AND "
             "event_type IN (%s) ORDER BY id DESC LIMIT 50", types);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    json_t *arr = json_array();
    rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    while (arr != NULL && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *e = event_json(st, 0);
        rc = (e == NULL || json_array_append_new(arr, e) != 0) ? SQLITE_NOMEM : SQLITE_OK;
    }
    sqlite3_finalize(st);
    return attach(out, "errors", arr, rc);
}

static int add_subagents(sqlite3 *db, const char *sid, json_t *out)
{
    char stops[256], sql[1024];
    if (event_types_sql_list(EVF_SUBAGENT_STOP, stops, sizeof stops) < 0)
        return SQLITE_NOMEM;
    snprintf(sql, sizeof sql, "SELECT agent_id, MAX(agent_type), MIN(ts_ns), MAX(ts_ns), "
             "COUNT(*), SUM(event_type IN (%s)) FROM events WHERE session_id = ?1 AND "
             "agent_id IS NOT NULL GROUP BY agent_id ORDER BY 3 LIMIT 500", stops);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    json_t *arr = json_array();
    rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    while (arr != NULL && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *a = json_object();
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (a == NULL ||
            (json_object_set_new(a, "agent_id",
                                 json_string((const char *)sqlite3_column_text(st, 0))) |
             json_object_set_new(a, "agent_type", type ? json_string(type) : json_null()) |
             json_set_time(a, "first", st, 2) | json_set_time(a, "last", st, 3) |
             json_object_set_new(a, "events", json_integer(sqlite3_column_int64(st, 4))) |
             json_object_set_new(a, "stopped", json_boolean(sqlite3_column_int64(st, 5) > 0))) ||
            json_array_append_new(arr, a) != 0)
            rc = SQLITE_NOMEM;
        else
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return attach(out, "subagents", arr, rc);
}

/* The session row and its summary, read inside one transaction so the parts
 * agree; the transaction ends before the answer is sent. */
static int load_session(struct server *srv, const char *sid, json_t **out)
{
    sqlite3 *db = srv->db.h;
    sqlite3_stmt *st;
    *out = NULL;
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_prepare_v2(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE session_id = ?1",
                            -1, &st, NULL);
    json_t *s = NULL;
    if (rc == SQLITE_OK) {
        if ((rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC)) == SQLITE_OK &&
            (rc = sqlite3_step(st)) == SQLITE_ROW) {
            s = session_json(st, clock_wall_ns(), (int64_t)srv->cfg.idle_after_s * NS_PER_S);
            rc = s ? SQLITE_OK : SQLITE_NOMEM;
        }
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_OK && (rc = add_tools(db, sid, s)) == SQLITE_OK &&
        (rc = add_errors(db, sid, s)) == SQLITE_OK &&
        (rc = add_subagents(db, sid, s)) == SQLITE_OK)
        rc = usage_add_to_session(srv, sid, s);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL); /* read-only: cannot fail in a way that matters */
    if (rc != SQLITE_OK) {
        json_decref(s);
        return rc;
    }
    *out = s;
    return SQLITE_OK;
}

void api_session(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    if (http_reply_if_params(hc))
        return;
    json_t *s;
    int rc = load_session(hc->srv, hc->path_arg, &s);
    if (rc == SQLITE_DONE)
        http_reply_error(hc, 404, "not_found", "no session '%.200s'", hc->path_arg);
    else if (rc != SQLITE_OK)
        http_reply_db_error(hc, rc);
    else
        http_reply_json(hc, 200, s);
}
