/*
 * api_events.c - GET /api/events, GET /api/sessions/{id}/events and
 * GET /api/events/{id}.
 *
 * Pagination is by event id, never by offset or time: the collector is the
 * only writer and assigns ids in commit order, so "id < before" pages are
 * stable while events arrive, and "id > after" pages see every new event
 * exactly once.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "http_query.h"
#include "row_json.h"
#include "sql_build.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

static const char *const event_keys[] = {"session_id", "event_type", "tool_name", "agent_id",
                                         "since", "until", "before", "after", "limit",
                                         "payload", NULL};

struct list_param {
    const char *key, *col;
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *storage;
};

static void add_filters(struct sqlb *sb, struct list_param *lists, size_t nl, int64_t since,
                        int64_t until, int64_t before, int64_t after)
{
    for (size_t i = 0; i < nl; i++) {
        if (lists[i].n == 0)
            continue;
        sqlb_sql(sb, " AND ");
        sqlb_in(sb, lists[i].col, lists[i].vals, lists[i].n);
    }
    if (since >= 0) { sqlb_sql(sb, " AND ts_ns >= "); sqlb_int(sb, since); }
    if (until >= 0) { sqlb_sql(sb, " AND ts_ns < "); sqlb_int(sb, until); }
    if (before >= 0) { sqlb_sql(sb, " AND id < "); sqlb_int(sb, before); }
    if (after >= 0) { sqlb_sql(sb, " AND id > "); sqlb_int(sb, after); }
}

static int read_params(struct http_ctx *hc, struct query *q, struct list_param *lists,
                       size_t nl, int64_t *since, int64_t *until, long *before, long *after,
                       long *limit, long *payload)
{
    char err[256];
    if (query_parse(q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(q, event_keys, err, sizeof err) != 0)
        goto bad;
    for (size_t i = 0; i < nl; i++)
        if (query_list(q, lists[i].key, lists[i].vals, &lists[i].n, &lists[i].storage, err,
                       sizeof err) == QUERY_BAD)
            goto bad;
    if (query_time(q, "since", since, err, sizeof err) == QUERY_BAD ||
        query_time(q, "until", until, err, sizeof err) == QUERY_BAD ||
        query_long(q, "before", 1, INT64_MAX > LONG_MAX ? LONG_MAX : (long)INT64_MAX, before,
                   err, sizeof err) == QUERY_BAD ||
        query_long(q, "after", 0, LONG_MAX, after, err, sizeof err) == QUERY_BAD ||
        query_long(q, "limit", 1, MAX_LIMIT, limit, err, sizeof err) == QUERY_BAD ||
        query_long(q, "payload", 0, 1, payload, err, sizeof err) == QUERY_BAD)
        goto bad;
    return 0;
bad:
    http_reply_error(hc, 400, "bad_parameter", "%s", err);
    return -1;
}

void api_events(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    struct query q;
    struct list_param lists[] = {
        {"session_id", "session_id", {0}, 0, NULL}, {"event_type", "event_type", {0}, 0, NULL},
        {"tool_name", "tool_name", {0}, 0, NULL}, {"agent_id", "agent_id", {0}, 0, NULL}};
    const size_t nl = sizeof lists / sizeof lists[0];
    int64_t since = -1, until = -1;
    long before = -1, after = -1, limit = DEFAULT_LIMIT, payload = 0;
    struct sqlb sb;
    sqlb_init(&sb);
    sqlite3_stmt *st = NULL;
    json_t *arr = NULL;
    if (read_params(hc, &q, lists, nl, &since, &until, &before, &after, &limit, &payload) != 0)
        goto out;
    if (hc->route == ROUTE_SESSION_EVENTS) {
        if (lists[0].n > 0) {
            http_reply_error(hc, 400, "bad_parameter",
                             "parameter 'session_id' conflicts with the session in the path");
            goto out;
        }
        lists[0].vals[0] = hc->path_arg;
        lists[0].n = 1;
    }
    /* Ascending when the client tails with 'after' alone; otherwise newest
     * first (a 'before' page walks back in time). */
    int ascending = after >= 0 && before < 0;
    sqlb_sql(&sb, payload ? "SELECT " EVENT_COLUMNS_FULL " FROM events WHERE 1"
                          : "SELECT " EVENT_COLUMNS " FROM events WHERE 1");
    add_filters(&sb, lists, nl, since, until, before, after);
    sqlb_sql(&sb, ascending ? " ORDER BY id ASC LIMIT " : " ORDER BY id DESC LIMIT ");
    sqlb_int(&sb, limit);
    int rc = sqlb_prepare(&sb, hc->srv->db.h, &st);
    if (rc != SQLITE_OK) {
        http_reply_db_error(hc, rc);
        goto out;
    }
    arr = json_array();
    int64_t last = -1;
    long count = 0;
    while (arr != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *ev = event_json(st, (int)payload);
        if (ev == NULL || json_array_append_new(arr, ev) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        last = sqlite3_column_int64(st, 0);
        count++;
    }
    sqlite3_finalize(st); /* ends the read transaction before we answer */
    st = NULL;
    if (arr == NULL || rc != SQLITE_DONE) {
        http_reply_db_error(hc, arr == NULL ? SQLITE_NOMEM : rc);
        goto out;
    }
    json_t *body = json_object();
    if (body != NULL) {
        json_object_set_new(body, "events", arr);
        arr = NULL;
        json_object_set_new(body, "count", json_integer(count));
        json_object_set_new(body, "limit", json_integer(limit));
        json_object_set_new(body, "order", json_string(ascending ? "asc" : "desc"));
        if (ascending)
            json_object_set_new(body, "next_after", json_integer(count ? last : after));
        else
            json_object_set_new(body, "next_before",
                                count == limit ? json_integer(last) : json_null());
    }
    http_reply_json(hc, 200, body);
out:
    json_decref(arr);
    sqlite3_finalize(st);
    sqlb_free(&sb);
    for (size_t i = 0; i < nl; i++)
        free(lists[i].storage);
    query_free(&q);
}

void api_event(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    if (http_reply_if_params(hc))
        return;
    char *end;
    long long id = strtoll(hc->path_arg, &end, 10);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(hc->srv->db.h,
                                "SELECT " EVENT_COLUMNS_FULL " FROM events WHERE id = ?1", -1,
                                &st, NULL);
    if (rc != SQLITE_OK) {
        http_reply_db_error(hc, rc);
        return;
    }
    json_t *ev = NULL;
    if ((rc = sqlite3_bind_int64(st, 1, id)) == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ev = event_json(st, 1);
        rc = ev ? SQLITE_OK : SQLITE_NOMEM;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        http_reply_error(hc, 404, "not_found", "no event with id %lld", id);
    else if (rc != SQLITE_OK)
        http_reply_db_error(hc, rc);
    else
        http_reply_json(hc, 200, ev);
}
