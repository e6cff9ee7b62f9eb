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

#endif
