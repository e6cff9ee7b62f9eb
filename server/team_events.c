/*
 * team_events.c - GET /api/events, /api/sessions/{id}/events and
 * /api/events/{id} from the team database.
 *
 * The parameters and the page are the local ones (api_events.c), plus the
 * machine / host / user filters.  The SQL is the same in both dialects but
 * for the table name and the columns (team.h): ids are the team-wide
 * chronicle.events.id, allocated in commit order, so the paging rules of
 * api_events.c hold unchanged ("id < before" pages are stable, "id > after"
 * sees every new event once).
 */
#include "team.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "http_query.h"
#include "json_text.h"
#include "row_json.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

static const char *const event_keys[] = {"session_id", "event_type", "tool_name", "agent_id",
                                         "since", "until", "before", "after", "limit",
                                         "payload", "machine", "host", "user", NULL};
static const char *const list_keys[] = {"session_id", "event_type", "tool_name", "agent_id"};

struct team_event_query {
    struct query q;
    const char *vals[4][QUERY_MAX_LIST];
    size_t n[4];
    char *storage[4];
    int64_t since, until;
    long before, after, limit, payload;
};

static int read_params(struct http_ctx *hc, struct team_event_query *eq)
{
    char err[256];
    struct query *q = &eq->q;
    if (query_parse(q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(q, event_keys, err, sizeof err) != 0)
        goto bad;
    for (size_t i = 0; i < 4; i++)
        if (query_list(q, list_keys[i], eq->vals[i], &eq->n[i], &eq->storage[i], err,
                       sizeof err) == QUERY_BAD)
            goto bad;
    if (query_time(q, "since", &eq->since, err, sizeof err) == QUERY_BAD ||
        query_time(q, "until", &eq->until, err, sizeof err) == QUERY_BAD ||
        query_long(q, "before", 1, LONG_MAX, &eq->before, err, sizeof err) == QUERY_BAD ||
        query_long(q, "after", 0, LONG_MAX, &eq->after, err, sizeof err) == QUERY_BAD ||
        query_long(q, "limit", 1, MAX_LIMIT, &eq->limit, err, sizeof err) == QUERY_BAD ||
        query_long(q, "payload", 0, 1, &eq->payload, err, sizeof err) == QUERY_BAD)
        goto bad;
    if (hc->route == ROUTE_SESSION_EVENTS) {
        if (eq->n[0] > 0) {
            snprintf(err, sizeof err, "parameter 'session_id' conflicts with the session in the path");
            goto bad;
        }
        eq->vals[0][0] = hc->path_arg;
        eq->n[0] = 1;
    }
    return 0;
bad:
    http_reply_error(hc, 400, "bad_parameter", "%s", err);
    return -1;
}

static int add_filters(struct http_ctx *hc, const struct team_event_query *eq,
                       struct sqlb *filters)
{
    char err[256];
    for (size_t i = 0; i < 4; i++) {
        if (eq->n[i] == 0)
            continue;
        sqlb_sql(filters, " AND ");
        sqlb_in(filters, list_keys[i], eq->vals[i], eq->n[i]);
    }
    if (team_identity_filters(filters, &eq->q, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return -1;
    }
    if (eq->since >= 0) { sqlb_sql(filters, " AND ts_ns >= "); sqlb_int(filters, eq->since); }
    if (eq->until >= 0) { sqlb_sql(filters, " AND ts_ns < "); sqlb_int(filters, eq->until); }
    if (eq->before >= 0) { sqlb_sql(filters, " AND id < "); sqlb_int(filters, eq->before); }
    if (eq->after >= 0) { sqlb_sql(filters, " AND id > "); sqlb_int(filters, eq->after); }
    return 0;
}

/* The page, as api_events.c writes it: same keys, same order. */
static int write_page(struct buf *out, const PGresult *r, const struct team_event_query *eq,
                      int ascending)
{
    int bad = buf_append_str(out, "{\"events\":[");
    int n = PQntuples(r), full = (int)eq->payload;
    int64_t last = -1;
    for (int i = 0; i < n && !bad; i++) {
        struct row_src src;
        row_src_pg(&src, r, i);
        bad |= (i ? buf_append(out, ",", 1) : 0) | event_text_src(out, &src, full);
        bad |= team_event_extra_text(out, r, i, full ? TEAM_EVENT_FULL_N : TEAM_EVENT_BRIEF_N, full);
        last = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    }
    bad |= buf_append_str(out, "],\"count\":") | jt_int(out, n) |
           buf_append_str(out, ",\"limit\":") | jt_int(out, eq->limit) |
           buf_append_str(out, ascending ? ",\"order\":\"asc\",\"next_after\":"
                                         : ",\"order\":\"desc\",\"next_before\":");
    if (ascending)
        bad |= jt_int(out, n ? last : eq->after);
    else
        bad |= n == eq->limit ? jt_int(out, last) : jt_null(out);
    return bad | buf_append(out, "}", 1);
}

void team_events(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    struct team_event_query eq;
    memset(&eq, 0, sizeof eq);
    eq.since = eq.until = -1;
    eq.before = eq.after = -1;
    eq.limit = DEFAULT_LIMIT;
    struct sqlb sb;
    sqlb_init(&sb);
    struct buf out = BUF_INIT;
    if (read_params(hc, &eq) != 0)
        goto out;
    sqlb_sql(&sb, eq.payload ? "SELECT " TEAM_EVENT_COLUMNS_FULL TEAM_EVENT_EXTRA
                               " FROM chronicle.events WHERE true"
                             : "SELECT " TEAM_EVENT_COLUMNS TEAM_EVENT_EXTRA
                               " FROM chronicle.events WHERE true");
    if (add_filters(hc, &eq, &sb) != 0)
        goto out;
    /* As api_events.c: ascending when tailing with 'after' alone. */
    int ascending = eq.after >= 0 && eq.before < 0;
    sqlb_sql(&sb, ascending ? " ORDER BY id ASC LIMIT " : " ORDER BY id DESC LIMIT ");
    sqlb_int(&sb, eq.limit);
    int unavailable;
    char err[400];
    PGresult *r = pg_db_query_sqlb(&hc->srv->team->db, &sb, &unavailable, err, sizeof err);
    if (r == NULL) {
        team_reply_query_error(hc, unavailable, err);
        goto out;
    }
    int bad = write_page(&out, r, &eq, ascending);
    PQclear(r);
    if (bad)
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
    else
        http_reply_json_text(hc, 200, &out);
out:
    buf_free(&out);
    sqlb_free(&sb);
    for (size_t i = 0; i < 4; i++)
        free(eq.storage[i]);
    query_free(&eq.q);
}

void team_event(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    if (http_reply_if_params(hc))
        return;
    const char *vals[1] = {hc->path_arg};
    int unavailable;
    char err[400];
    PGresult *r = pg_db_query(&hc->srv->team->db,
                              "SELECT " TEAM_EVENT_COLUMNS_FULL TEAM_EVENT_EXTRA
                              " FROM chronicle.events WHERE id = $1", 1, vals, &unavailable, err,
                              sizeof err);
    if (r == NULL) {
        team_reply_query_error(hc, unavailable, err);
        return;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        http_reply_error(hc, 404, "not_found", "no event with id %s", hc->path_arg);
        return;
    }
    struct buf out = BUF_INIT;
    struct row_src src;
    row_src_pg(&src, r, 0);
    int bad = event_text_src(&out, &src, 1) | team_event_extra_text(&out, r, 0, TEAM_EVENT_FULL_N, 1);
    PQclear(r);
    if (bad)
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
    else
        http_reply_json_text(hc, 200, &out);
    buf_free(&out);
}
