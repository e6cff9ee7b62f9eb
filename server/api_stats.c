/*
 * api_stats.c - GET /api/stats?window=24h[&bucket=10s].
 *
 * Totals, counts per event type, per-tool calls / error rate / duration
 * percentiles, and events per time bucket per type.  Per-type figures come
 * from event_counts (per-10-second counts kept by the collector); per-tool
 * figures are index range reads on tool_calls(tool_name, ended_ns), whose
 * distinct keys are walked with a skip-scan (MIN(x) WHERE x > previous) so
 * no query scans the whole table.  The parameters, the per-type counting
 * and the JSON are stats_answer.c's, shared with team_stats.c.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "http_query.h"
#include "chronicle/tool_hist.h"
#include "stats_answer.h"

static const char *const stats_keys[] = {"window", "bucket", NULL};

/* Distinct values of an indexed column, in order, via repeated MIN(). */
static int distinct(sqlite3 *db, const char *sql_first, const char *sql_next, char **out,
                    size_t *n)
{
    sqlite3_stmt *a, *b;
    *n = 0;
    int rc = sqlite3_prepare_v2(db, sql_first, -1, &a, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_prepare_v2(db, sql_next, -1, &b, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(a);
        return rc;
    }
    sqlite3_stmt *cur = a;
    while (*n < STATS_MAX_KEYS && (rc = sqlite3_step(cur)) == SQLITE_ROW &&
           sqlite3_column_type(cur, 0) != SQLITE_NULL) {
        out[*n] = strdup((const char *)sqlite3_column_text(cur, 0));
        if (out[*n] == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        sqlite3_reset(b);
        rc = sqlite3_bind_text(b, 1, out[*n], -1, SQLITE_STATIC);
        (*n)++;
        if (rc != SQLITE_OK)
            break;
        cur = b;
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    return rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_OK : rc;
}

static void free_keys(char **k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(k[i]);
}

/* Counts per type and per bucket from event_counts (the collector keeps
 * per-10-second counts), so a day's statistics read a few thousand rows
 * rather than every event.  Buckets are multiples of 10 s. */
static int by_type(sqlite3 *db, struct stats_answer *a)
{
    sqlite3_stmt *st;
    /* Buckets that are whole multiples of 10 minutes read the coarse table:
     * a day is 144 rows per type instead of 8,640. */
    int rc = a->w.bucket_s % 600 == 0
        ? sqlite3_prepare_v2(db, "SELECT (bucket * 600000000000 - ?2) / ?3, event_type, sum(count)"
                                 " FROM event_counts_10m WHERE bucket >= ?1 / 600000000000"
                                 " GROUP BY 1, 2", -1, &st, NULL)
        : sqlite3_prepare_v2(db, "SELECT (bucket * 10000000000 - ?2) / ?3, event_type, sum(count)"
                                 " FROM event_counts WHERE bucket >= ?1 / 10000000000"
                                 " GROUP BY 1, 2", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_bind_int64(st, 1, a->w.since)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, 2, a->w.start)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, 3, a->w.width)) != SQLITE_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (type != NULL)
            stats_answer_count(a, sqlite3_column_int64(st, 0), type, sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[n]. */
static int64_t pct(const int64_t *v, size_t n, int p)
{
    size_t rank = (n * (size_t)p + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

/* Windows of an hour or more: from tool_stats (per 10 minutes, counted by
 * the collector), so a day costs a few thousand rows.  Percentiles are
 * bucket bounds (see tool_hist.h); "percentiles": "histogram" says so. */
static int by_tool_hist(sqlite3 *db, int64_t since, json_t *tools, int64_t *calls_total)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT tool_name, le, sum(count), sum(errors) FROM tool_stats"
                                    " WHERE bucket >= ?1 / 600000000000 GROUP BY 1, 2 ORDER BY 1, 2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, since);
    char tool[128] = "";
    int64_t counts[TOOL_HIST_BUCKETS + 1], n = 0, timed = 0, errs = 0;
    int have = 0;
    for (;;) {
        rc = sqlite3_step(st);
        const char *name = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (have && (rc != SQLITE_ROW || name == NULL || strcmp(name, tool) != 0)) {
            json_t *t = json_pack("{s:I,s:I,s:f,s:o,s:o,s:o,s:s}", "calls", (json_int_t)n, "errors",
                                  (json_int_t)errs, "error_rate", (double)errs / (double)n,
                                  "p50_ms", stats_hist_pct(counts, timed, 50), "p95_ms",
                                  stats_hist_pct(counts, timed, 95), "p99_ms", stats_hist_pct(counts, timed, 99),
                                  "percentiles", "histogram");
            if (t == NULL || json_object_set_new(tools, tool, t) != 0) {
                rc = SQLITE_NOMEM;
                break;
            }
            *calls_total += n;
            have = 0;
        }
        if (rc != SQLITE_ROW)
            break;
        if (name == NULL)
            continue;
        if (!have) {
            snprintf(tool, sizeof tool, "%s", name);
            memset(counts, 0, sizeof counts);
            n = timed = errs = 0;
            have = 1;
        }
        int le = sqlite3_column_int(st, 1);
        int64_t c = sqlite3_column_int64(st, 2);
        n += c;
        errs += sqlite3_column_int64(st, 3);
        if (le >= 0 && le <= TOOL_HIST_INF) {
            counts[le] += c;
            timed += c;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int by_tool(sqlite3 *db, int64_t since, json_t *tools, int64_t *calls_total)
{
    char *keys[STATS_MAX_KEYS];
    size_t nk;
    int rc = distinct(db, "SELECT MIN(tool_name) FROM tool_calls",
                      "SELECT MIN(tool_name) FROM tool_calls WHERE tool_name > ?1", keys, &nk);
    if (rc != SQLITE_OK) {
        free_keys(keys, nk);
        return rc;
    }
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(db, "SELECT duration_ms, status = 'error' FROM tool_calls "
                                "WHERE tool_name = ?1 AND ended_ns >= ?2", -1, &st, NULL);
    int64_t *d = NULL;
    size_t cap = 0;
    for (size_t i = 0; rc == SQLITE_OK && i < nk; i++) {
        sqlite3_reset(st);
        if ((rc = sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC)) != SQLITE_OK ||
            (rc = sqlite3_bind_int64(st, 2, since)) != SQLITE_OK)
            break;
        size_t n = 0, nd = 0;
        int64_t errs = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            n++;
            errs += sqlite3_column_int(st, 1);
            if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                continue;
            if (nd == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                int64_t *nd_ = realloc(d, nc * sizeof *d);
                if (nd_ == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                d = nd_;
                cap = nc;
            }
            d[nd++] = sqlite3_column_int64(st, 0);
        }
        if (rc != SQLITE_DONE)
            break;
        rc = SQLITE_OK;
        if (n == 0)
            continue;
        *calls_total += (int64_t)n;
        if (nd > 1)
            qsort(d, nd, sizeof *d, cmp_i64);
        json_t *t = json_pack("{s:I,s:I,s:f}", "calls", (json_int_t)n, "errors", (json_int_t)errs,
                              "error_rate", (double)errs / (double)n);
        if (t != NULL) {
            json_object_set_new(t, "p50_ms", nd ? json_integer(pct(d, nd, 50)) : json_null());
            json_object_set_new(t, "p95_ms", nd ? json_integer(pct(d, nd, 95)) : json_null());
            json_object_set_new(t, "p99_ms", nd ? json_integer(pct(d, nd, 99)) : json_null());
        }
        if (t == NULL || json_object_set_new(tools, keys[i], t) != 0)
            rc = SQLITE_NOMEM;
    }
    if (st != NULL)
        sqlite3_finalize(st);
    free(d);
    free_keys(keys, nk);
    return rc;
}

static int count_sessions(sqlite3 *db, int64_t since, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sessions WHERE last_seen_ns >= ?1", -1,
                                &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_bind_int64(st, 1, since)) == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

void api_stats(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    struct query q;
    struct stats_window w;
    if (stats_parse(hc, &q, stats_keys, &w) != 0)
        return;
    query_free(&q);
    struct stats_answer a;
    int rc = stats_answer_init(&a, &w) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    sqlite3 *db = hc->srv->db.h;
    if (rc == SQLITE_OK && (rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL)) == SQLITE_OK) {
        rc = by_type(db, &a);
        /* Under an hour the exact figures are cheap; beyond, the histogram. */
        if (rc == SQLITE_OK)
            rc = w.window_s >= 3600 ? by_tool_hist(db, w.since, a.tools, &a.calls)
                                    : by_tool(db, w.since, a.tools, &a.calls);
        if (rc == SQLITE_OK)
            rc = count_sessions(db, w.since, &a.sessions);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        stats_answer_discard(&a);
        http_reply_db_error(hc, rc);
        return;
    }
    stats_answer_reply(hc, &a);
}
