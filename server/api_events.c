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
#include "json_text.h"
#include "row_json.h"
#include "sql_build.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

static const char *const event_keys[] = {"session_id", "event_type", "tool_name", "agent_id",
                                         "project", "since", "until", "before", "after", "limit",
                                         "payload", NULL};

struct list_param {
    const char *key, *col;
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *storage;
};

#define N_LISTS 5
#define LIST_PROJECT 4 /* not a column of events: the sessions' project */

/* What a request for a page of events asks for. */
struct event_query {
    struct query q;
    struct list_param lists[N_LISTS]; /* session_id, event_type, tool_name, agent_id, project */
    int64_t since, until;        /* -1: not given */
    long before, after;          /* -1: not given */
    long limit;
    long payload;                /* 1: full rows with their payloads */
};

static void event_query_init(struct event_query *eq)
{
    static const char *const cols[] = {"session_id", "event_type", "tool_name", "agent_id",
                                       "project"};
    memset(eq, 0, sizeof *eq);
    for (size_t i = 0; i < N_LISTS; i++)
        eq->lists[i].key = eq->lists[i].col = cols[i];
    eq->since = eq->until = -1;
    eq->before = eq->after = -1;
    eq->limit = DEFAULT_LIMIT;
}

static void event_query_free(struct event_query *eq)
{
    for (size_t i = 0; i < N_LISTS; i++)
        free(eq->lists[i].storage);
    query_free(&eq->q);
}

static void add_filters(struct sqlb *sb, const struct event_query *eq)
{
    for (size_t i = 0; i < N_LISTS; i++) {
        if (eq->lists[i].n == 0)
            continue;
        /* An event's project is its session's (the same one GET
         * /api/sessions shows), so a project filter lists its sessions. */
        sqlb_sql(sb, i == LIST_PROJECT ? " AND session_id IN (SELECT session_id FROM sessions"
                                         " WHERE " : " AND ");
        sqlb_in(sb, eq->lists[i].col, eq->lists[i].vals, eq->lists[i].n);
        if (i == LIST_PROJECT)
            sqlb_sql(sb, ")");
    }
    if (eq->since >= 0) { sqlb_sql(sb, " AND ts_ns >= "); sqlb_int(sb, eq->since); }
    if (eq->until >= 0) { sqlb_sql(sb, " AND ts_ns < "); sqlb_int(sb, eq->until); }
    if (eq->before >= 0) { sqlb_sql(sb, " AND id < "); sqlb_int(sb, eq->before); }
    if (eq->after >= 0) { sqlb_sql(sb, " AND id > "); sqlb_int(sb, eq->after); }
}

static int read_params(struct http_ctx *hc, struct event_query *eq)
{
    char err[256];
    struct query *q = &eq->q;
    if (query_parse(q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(q, event_keys, err, sizeof err) != 0)
        goto bad;
    for (size_t i = 0; i < N_LISTS; i++)
        if (query_list(q, eq->lists[i].key, eq->lists[i].vals, &eq->lists[i].n,
                       &eq->lists[i].storage, err, sizeof err) == QUERY_BAD)
            goto bad;
    if (query_time(q, "since", &eq->since, err, sizeof err) == QUERY_BAD ||
        query_time(q, "until", &eq->until, err, sizeof err) == QUERY_BAD ||
        query_long(q, "before", 1, INT64_MAX > LONG_MAX ? LONG_MAX : (long)INT64_MAX,
                   &eq->before, err, sizeof err) == QUERY_BAD ||
        query_long(q, "after", 0, LONG_MAX, &eq->after, err, sizeof err) == QUERY_BAD ||
        query_long(q, "limit", 1, MAX_LIMIT, &eq->limit, err, sizeof err) == QUERY_BAD ||
        query_long(q, "payload", 0, 1, &eq->payload, err, sizeof err) == QUERY_BAD)
        goto bad;
    return 0;
bad:
    http_reply_error(hc, 400, "bad_parameter", "%s", err);
    return -1;
}

/*
 * Writes the page as JSON text, each row by event_text() with its stored
 * payload spliced in as it is: parsing every payload into a jansson tree to
 * serialise it again was most of the time of a payload=1 page.
 */
static int write_page(struct buf *out, sqlite3_stmt *st, const struct event_query *eq,
                      int ascending)
{
    int rc, bad = buf_append_str(out, "{\"events\":[");
    int64_t last = -1;
    long count = 0;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t before = out->len;
        bad |= (count ? buf_append(out, ",", 1) : 0) | event_text(out, st, (int)eq->payload);
        last = sqlite3_column_int64(st, 0);
        count++;
        /* Room for the rest of the page at this row's size: one reallocation
         * instead of a doubling (and a copy of the page so far) every few rows. */
        size_t row = out->len - before, left = (size_t)(eq->limit - count);
        if (!bad && out->cap - out->len < row * left)
            bad |= buf_reserve(out, row * left + row * left / 4);
    }
    if (bad)
        return SQLITE_NOMEM;
    if (rc != SQLITE_DONE)
        return rc;
    bad |= buf_append_str(out, "],\"count\":") | jt_int(out, count) |
           buf_append_str(out, ",\"limit\":") | jt_int(out, eq->limit) |
           buf_append_str(out, ascending ? ",\"order\":\"asc\",\"next_after\":"
                                         : ",\"order\":\"desc\",\"next_before\":");
    if (ascending)
        bad |= jt_int(out, count ? last : eq->after);
    else
        bad |= count == eq->limit ? jt_int(out, last) : jt_null(out);
    bad |= buf_append(out, "}", 1);
    return bad ? SQLITE_NOMEM : SQLITE_OK;
}

void api_events(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    struct event_query eq;
    event_query_init(&eq);
    struct sqlb sb;
    sqlb_init(&sb);
    sqlite3_stmt *st = NULL;
    struct buf out = BUF_INIT;
    if (read_params(hc, &eq) != 0)
        goto out;
    if (hc->route == ROUTE_SESSION_EVENTS) {
        if (eq.lists[0].n > 0) {
            http_reply_error(hc, 400, "bad_parameter",
                             "parameter 'session_id' conflicts with the session in the path");
            goto out;
        }
        eq.lists[0].vals[0] = hc->path_arg;
        eq.lists[0].n = 1;
    }
    /* Ascending when the client tails with 'after' alone; otherwise newest
     * first (a 'before' page walks back in time). */
    int ascending = eq.after >= 0 && eq.before < 0;
    sqlb_sql(&sb, eq.payload ? "SELECT " EVENT_COLUMNS_FULL " FROM events WHERE 1"
                             : "SELECT " EVENT_COLUMNS " FROM events WHERE 1");
    add_filters(&sb, &eq);
    sqlb_sql(&sb, ascending ? " ORDER BY id ASC LIMIT " : " ORDER BY id DESC LIMIT ");
    sqlb_int(&sb, eq.limit);
    int rc = sqlb_prepare(&sb, hc->srv->db.h, &st);
    if (rc != SQLITE_OK) {
        http_reply_db_error(hc, rc);
        goto out;
    }
    rc = write_page(&out, st, &eq, ascending);
    sqlite3_finalize(st); /* ends the read transaction before we answer */
    st = NULL;
    if (rc != SQLITE_OK)
        http_reply_db_error(hc, rc);
    else
        http_reply_json_text(hc, 200, &out);
out:
    buf_free(&out);
    sqlite3_finalize(st);
    sqlb_free(&sb);
    event_query_free(&eq);
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
    struct buf out = BUF_INIT;
    if ((rc = sqlite3_bind_int64(st, 1, id)) == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        rc = event_text(&out, st, 1) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        http_reply_error(hc, 404, "not_found", "no event with id %lld", id);
    else if (rc != SQLITE_OK)
        http_reply_db_error(hc, rc);
    else
        http_reply_json_text(hc, 200, &out);
    buf_free(&out);
}
