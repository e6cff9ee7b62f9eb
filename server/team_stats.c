/*
 * team_stats.c - GET /api/stats from the team database: api_stats.c's
 * answer (same keys, same rules), summed over every machine or over
 * ?machine= ones.
 *
 * The sources are the same tables (event_counts / event_counts_10m,
 * tool_stats, tool_calls, sessions), kept per machine by the shipper.
 * Dialects, side by side with api_stats.c:
 *   - windows under an hour, exact tool percentiles: SQLite reads each
 *     tool's durations and takes the nearest rank in C; PostgreSQL does it
 *     in one query with percentile_disc (the same nearest-rank rule);
 *   - distinct tools: SQLite skip-scans with MIN(); PostgreSQL groups.
 * The parameters, the per-type counting and the JSON are stats_answer.c's,
 * shared with api_stats.c.
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/tool_hist.h"
#include "http_query.h"
#include "row_json.h"
#include "stats_answer.h"

static int64_t i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void team_stats(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    static const char *const keys[] = {"window", "bucket", "machine", NULL};
    struct query q;
    struct stats_window w;
    if (stats_parse(hc, &q, keys, &w) != 0)
        return;
    long window = w.window_s;
    int64_t since = w.since;
    struct stats_answer a;
    int oom = stats_answer_init(&a, &w) != 0, failed = 0;
    struct sqlb sb;
    PGresult *r = NULL;

    /* Per type and bucket (api_stats.c by_type; the same SQL but for the
     * table names and the bucket division done here). */
    int coarse = w.bucket_s % 600 == 0;
    int64_t unit = coarse ? 600 * NS_PER_S : 10 * NS_PER_S;
    sqlb_init(&sb);
    sqlb_sql(&sb, "SELECT (bucket * ");
    sqlb_int(&sb, unit);
    sqlb_sql(&sb, " - ");
    sqlb_int(&sb, w.start);
    sqlb_sql(&sb, ") / ");
    sqlb_int(&sb, w.width);
    sqlb_sql(&sb, coarse ? ", event_type, sum(count) FROM chronicle.event_counts_10m WHERE bucket >= "
                         : ", event_type, sum(count) FROM chronicle.event_counts WHERE bucket >= ");
    sqlb_int(&sb, since / unit);
    r = oom ? NULL : team_query_filtered(hc, &sb, &q, " GROUP BY 1, 2");
    failed = !oom && r == NULL;
    sqlb_free(&sb);
    for (int i = 0; r != NULL && i < PQntuples(r); i++)
        stats_answer_count(&a, i64(r, i, 0), PQgetvalue(r, i, 1), i64(r, i, 2));
    PQclear(r);
    r = NULL;

    /* Per tool: exact under an hour, the histogram beyond (as locally). */
    if (!failed && !oom) {
        sqlb_init(&sb);
        if (window >= 3600) {
            sqlb_sql(&sb, "SELECT tool_name, le, sum(count), sum(errors) FROM chronicle.tool_stats"
                          " WHERE bucket >= ");
            sqlb_int(&sb, since / (600 * NS_PER_S));
            r = team_query_filtered(hc, &sb, &q,
                                    " GROUP BY 1, 2 ORDER BY tool_name COLLATE \"C\", le");
        } else {
            sqlb_sql(&sb, "SELECT tool_name, count(*), count(*) FILTER (WHERE status = 'error'),"
                          " percentile_disc(0.50) WITHIN GROUP (ORDER BY duration_ms),"
                          " percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms),"
                          " percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms)"
                          " FROM chronicle.tool_calls WHERE tool_name IS NOT NULL AND ended_ns >= ");
            sqlb_int(&sb, since);
            r = team_query_filtered(hc, &sb, &q,
                                    " GROUP BY 1 ORDER BY tool_name COLLATE \"C\" LIMIT 256");
        }
        sqlb_free(&sb);
        failed = r == NULL;
    }
    if (r != NULL && window >= 3600) {
        int n = PQntuples(r);
        for (int i = 0; i < n && !oom;) {
            const char *tool = PQgetvalue(r, i, 0);
            int64_t counts[TOOL_HIST_BUCKETS + 1] = {0}, cn = 0, timed = 0, errs = 0;
            for (; i < n && strcmp(PQgetvalue(r, i, 0), tool) == 0; i++) {
                int le = (int)i64(r, i, 1);
                int64_t c = i64(r, i, 2);
                cn += c;
                errs += i64(r, i, 3);
                if (le >= 0 && le <= TOOL_HIST_INF) {
                    counts[le] += c;
                    timed += c;
                }
            }
            json_t *t = json_pack("{s:I,s:I,s:f,s:o,s:o,s:o,s:s}", "calls", (json_int_t)cn, "errors",
                                  (json_int_t)errs, "error_rate", cn ? (double)errs / (double)cn : 0.0,
                                  "p50_ms", stats_hist_pct(counts, timed, 50), "p95_ms",
                                  stats_hist_pct(counts, timed, 95), "p99_ms",
                                  stats_hist_pct(counts, timed, 99), "percentiles", "histogram");
            oom |= t == NULL || json_object_set_new(a.tools, tool, t) != 0;
            a.calls += cn;
        }
    } else if (r != NULL) {
        for (int i = 0; i < PQntuples(r) && !oom; i++) {
            int64_t cn = i64(r, i, 1), errs = i64(r, i, 2);
            json_t *t = json_pack("{s:I,s:I,s:f}", "calls", (json_int_t)cn, "errors",
                                  (json_int_t)errs, "error_rate", (double)errs / (double)cn);
            if (t != NULL) {
                static const char *const pk[] = {"p50_ms", "p95_ms", "p99_ms"};
                for (int k = 0; k < 3; k++)
                    json_object_set_new(t, pk[k], PQgetisnull(r, i, 3 + k)
                                                      ? json_null() : json_integer(i64(r, i, 3 + k)));
            }
            oom |= t == NULL || json_object_set_new(a.tools, PQgetvalue(r, i, 0), t) != 0;
            a.calls += cn;
        }
    }
    PQclear(r);
    r = NULL;

    if (!failed && !oom) {
        sqlb_init(&sb);
        sqlb_sql(&sb, "SELECT count(*) FROM chronicle.sessions WHERE last_seen_ns >= ");
        sqlb_int(&sb, since);
        r = team_query_filtered(hc, &sb, &q, "");
        failed = r == NULL;
        sqlb_free(&sb);
        if (r != NULL)
            a.sessions = i64(r, 0, 0);
        PQclear(r);
    }
    query_free(&q);
    if (failed || oom) {
        stats_answer_discard(&a);
        if (!failed)
            http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    stats_answer_reply(hc, &a);
}
