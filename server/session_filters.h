/*
 * session_filters.h - the session list's filters as SQL, shared by the
 * local server (api_sessions.c, SQLite) and the team server
 * (team_sessions.c, PostgreSQL): the text is the same in both dialects, so
 * a filter means the same on both.  Each appends to a sql_build.h query.
 */
#ifndef CHRONICLE_SESSION_FILTERS_H
#define CHRONICLE_SESSION_FILTERS_H

#include <stdint.h>

#include "http_query.h"
#include "sql_build.h"

/* ?state= one value, as session_state_shown() decides; -1 when unknown. */
int session_state_sql(struct sqlb *sb, const char *state, int64_t cutoff);
/* ?status= one value (the older names); -1 when unknown. */
int session_status_sql(struct sqlb *sb, const char *status, int64_t cutoff);
/* " AND (a OR b ...)" over vals through fn; the first value fn refuses,
 * else NULL. */
const char *session_or_filter(struct sqlb *sb, const char *const *vals, size_t n,
                              int (*fn)(struct sqlb *, const char *, int64_t), int64_t cutoff);
/* project, cwd (a directory and below) and since. */
void session_other_filters(struct sqlb *sb, const struct query *q, int64_t since);

/* A ?sort= value and its ORDER BY text (an allowlist: never request text). */
struct session_sort {
    const char *key, *order;
};

/* GET /api/sessions's parameters, parsed once for either server. */
struct session_list {
    struct query q;          /* the request's parameters (the caller may read more) */
    const char *statuses[QUERY_MAX_LIST], *states[QUERY_MAX_LIST];
    size_t nstatus, nstate;
    char *status_store, *state_store;
    long limit, offset, with_usage;
    int64_t since;           /* -1: none */
    int64_t now, cutoff;     /* working sessions quiet since before cutoff are idle */
    const char *order;       /* from sorts */
};

struct http_ctx;
/* Parses the request's parameters (keys: those allowed; order_of[0] the
 * default order) and appends the status, state, project, cwd and since
 * filters to sb, after the caller's "... WHERE <true>".  0, or -1 having
 * answered 400.  session_list_free() after either. */
int session_list_parse(struct http_ctx *hc, const char *const *keys,
                       const struct session_sort *order_of, size_t norders, struct session_list *l,
                       struct sqlb *sb);
void session_list_free(struct session_list *l);

#endif
