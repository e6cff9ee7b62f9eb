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
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "chronicle/tool_hist.h"
#include "http_query.h"
#include "row_json.h"

#define MAX_KEYS 256
#define MAX_BUCKETS 360

/* As api_stats.c: about 60 buckets, from 10 s. */
static long nice_bucket(long window_s)
{
    static const long steps[] = {10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (window_s / steps[i] <= 60)
            return steps[i];
    return 86400;
}

static json_t *hist_pct(const int64_t *counts, int64_t n, int p)
{
    if (n == 0)
        return json_null();
    int64_t rank = (n * p + 99) / 100, seen = 0;
    for (int i = 0; i < TOOL_HIST_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank)
            return json_integer(tool_hist_bounds_ms[i]);
    }
    return json_integer(tool_hist_bounds_ms[TOOL_HIST_BUCKETS - 1]);
}

static int64_t i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void team_stats(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    static const char *const keys[] = {"window", "bucket", "machine", NULL};
    char err[256];
    struct query q;
    long window = 86400, bucket = 0;
    int failed = 0;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0 ||
        query_duration(&q, "window", 60, 30 * 86400, &window, err, sizeof err) == QUERY_BAD ||
        query_duration(&q, "bucket", 1, 86400, &bucket, err, sizeof err) == QUERY_BAD) {
        query_free(&q);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return;
    }
    if (bucket == 0)
        bucket = nice_bucket(window);
    if (bucket % 10 != 0 || window / bucket > MAX_BUCKETS) {
        query_free(&q);
        if (bucket % 10 != 0)
            http_reply_error(hc, 400, "bad_parameter", "parameter 'bucket' must be a multiple of "
                             "10 seconds (events are counted per 10 s)");
        else
            http_reply_error(hc, 400, "bad_parameter", "parameter 'bucket' gives more than %d "
                             "buckets for this window", MAX_BUCKETS);
        return;
    }
    int64_t now = clock_wall_ns(), width = (int64_t)bucket * NS_PER_S;
    int64_t since = now - (int64_t)window * NS_PER_S, start = since - since % width;
    size_t nb = (size_t)((now - start) / width + 1);
    json_t *buckets[MAX_BUCKETS + 2];
    json_t *types = json_object(), *tools = json_object(), *timeline = json_array();
    size_t made = 0;
    int oom = types == NULL || tools == NULL || timeline == NULL;
    for (; !oom && made < nb; made++)
        if ((buckets[made] = json_object()) == NULL)
            oom = 1;
    int64_t total = 0, errors = 0, calls = 0, sessions = 0;
    struct sqlb sb;
    PGresult *r = NULL;

    /* Per type and bucket (api_stats.c by_type; the same SQL but for the
     * table names and the bucket division done here). */
    int coarse = bucket % 600 == 0;
    int64_t unit = coarse ? 600 * NS_PER_S : 10 * NS_PER_S;
    sqlb_init(&sb);
    sqlb_sql(&sb, "SELECT (bucket * ");
    sqlb_int(&sb, unit);
    sqlb_sql(&sb, " - ");
    sqlb_int(&sb, start);
    sqlb_sql(&sb, ") / ");
    sqlb_int(&sb, width);
    sqlb_sql(&sb, coarse ? ", event_type, sum(count) FROM chronicle.event_counts_10m WHERE bucket >= "
                         : ", event_type, sum(count) FROM chronicle.event_counts WHERE bucket >= ");
    sqlb_int(&sb, since / unit);
    r = oom ? NULL : team_query_filtered(hc, &sb, &q, " GROUP BY 1, 2");
    failed = !oom && r == NULL;
    sqlb_free(&sb);
    for (int i = 0; r != NULL && i < PQntuples(r); i++) {
        int64_t b = i64(r, i, 0), c = i64(r, i, 2);
        const char *type = PQgetvalue(r, i, 1);
        if (c <= 0)
            continue;
        if (b >= 0 && (size_t)b < nb) {
            json_t *prev = json_object_get(buckets[b], type);
            json_object_set_new(buckets[b], type,
                                json_integer((prev ? json_integer_value(prev) : 0) + c));
        }
        json_t *t = json_object_get(types, type);
        if (t == NULL && json_object_size(types) >= MAX_KEYS)
            continue;
        json_object_set_new(types, type, json_integer((t ? json_integer_value(t) : 0) + c));
        total += c;
        if (event_type_flags(type) & EVF_ERROR)
            errors += c;
    }
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
                                  "p50_ms", hist_pct(counts, timed, 50), "p95_ms",
                                  hist_pct(counts, timed, 95), "p99_ms", hist_pct(counts, timed, 99),
                                  "percentiles", "histogram");
            oom |= t == NULL || json_object_set_new(tools, tool, t) != 0;
            calls += cn;
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
            oom |= t == NULL || json_object_set_new(tools, PQgetvalue(r, i, 0), t) != 0;
            calls += cn;
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
            sessions = i64(r, 0, 0);
        PQclear(r);
    }
    query_free(&q);
    for (size_t i = 0; i < made; i++) {
        if (failed || oom) {
            json_decref(buckets[i]);
            continue;
        }
        char iso[32];
        int64_t t = start + (int64_t)i * width;
        iso8601_ms(t, iso);
        json_array_append_new(timeline, json_pack("{s:s,s:I,s:o}", "t", iso, "t_ms",
                                                  (json_int_t)(t / 1000000), "counts", buckets[i]));
    }
    if (failed || oom) {
        json_decref(types);
        json_decref(tools);
        json_decref(timeline);
        if (!failed)
            http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    char since_iso[32];
    iso8601_ms(since, since_iso);
    json_t *body = json_pack(
        "{s:I,s:s,s:{s:I,s:I,s:I,s:I},s:o,s:o,s:{s:I,s:o}}", "window_s", (json_int_t)window,
        "since", since_iso, "totals", "events", (json_int_t)total, "errors", (json_int_t)errors,
        "tool_calls", (json_int_t)calls, "sessions", (json_int_t)sessions, "event_types", types,
        "tools", tools, "timeline", "bucket_s", (json_int_t)bucket, "buckets", timeline);
    http_reply_json(hc, 200, body);
}
