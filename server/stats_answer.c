/*
 * stats_answer.c - GET /api/stats's parameters, counts and JSON, whichever
 * database fills them (stats_answer.h).
 */
#include "stats_answer.h"

#include "chronicle/clock.h"
#include "chronicle/event_type.h"
#include "chronicle/tool_hist.h"
#include "http_query.h"
#include "row_json.h"

/* A bucket width giving about 60 buckets: 10 s for 10 minutes. */
static long nice_bucket(long window_s)
{
    /* From 10 s: the collector counts events per 10 seconds. */
    static const long steps[] = {10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (window_s / steps[i] <= 60)
            return steps[i];
    return 86400;
}

int stats_parse(struct http_ctx *hc, struct query *q, const char *const *keys,
                struct stats_window *w)
{
    char err[256];
    long window = 86400, bucket = 0;
    if (query_parse(q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(q, keys, err, sizeof err) != 0 ||
        query_duration(q, "window", 60, 30 * 86400, &window, err, sizeof err) == QUERY_BAD ||
        query_duration(q, "bucket", 1, 86400, &bucket, err, sizeof err) == QUERY_BAD) {
        query_free(q);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return -1;
    }
    if (bucket == 0)
        bucket = nice_bucket(window);
    if (bucket % 10 != 0) {
        query_free(q);
        http_reply_error(hc, 400, "bad_parameter", "parameter 'bucket' must be a multiple of 10 "
                         "seconds (events are counted per 10 s)");
        return -1;
    }
    if (window / bucket > STATS_MAX_BUCKETS) {
        query_free(q);
        http_reply_error(hc, 400, "bad_parameter", "parameter 'bucket' gives more than %d buckets "
                         "for this window", STATS_MAX_BUCKETS);
        return -1;
    }
    int64_t now = clock_wall_ns();
    w->window_s = window;
    w->bucket_s = bucket;
    w->width = (int64_t)bucket * NS_PER_S;
    /* Buckets are aligned to multiples of their width, so two dashboards
     * (or two refreshes) draw the same bars. */
    w->since = now - (int64_t)window * NS_PER_S;
    w->start = w->since - w->since % w->width;
    w->nb = (size_t)((now - w->start) / w->width + 1);
    return 0;
}

int stats_answer_init(struct stats_answer *a, const struct stats_window *w)
{
    a->w = *w;
    a->types = json_object();
    a->tools = json_object();
    a->timeline = json_array();
    a->made = 0;
    a->total = a->errors = a->calls = a->sessions = 0;
    int oom = a->types == NULL || a->tools == NULL || a->timeline == NULL;
    /* made counts the failed one too: it is NULL, which discarding passes. */
    for (; !oom && a->made < w->nb; a->made++)
        if ((a->buckets[a->made] = json_object()) == NULL)
            oom = 1;
    return oom ? -1 : 0;
}

void stats_answer_count(struct stats_answer *a, int64_t b, const char *type, int64_t count)
{
    if (count <= 0)
        return;
    if (b >= 0 && (size_t)b < a->w.nb) {
        json_t *prev = json_object_get(a->buckets[b], type);
        json_object_set_new(a->buckets[b], type,
                            json_integer((prev ? json_integer_value(prev) : 0) + count));
    }
    json_t *t = json_object_get(a->types, type);
    if (t == NULL && json_object_size(a->types) >= STATS_MAX_KEYS)
        return;
    json_object_set_new(a->types, type, json_integer((t ? json_integer_value(t) : 0) + count));
    a->total += count;
    if (event_type_flags(type) & EVF_ERROR)
        a->errors += count;
}

json_t *stats_hist_pct(const int64_t *counts, int64_t n, int p)
{
    if (n == 0)
        return json_null();
    int64_t rank = (n * p + 99) / 100, seen = 0;
    for (int i = 0; i < TOOL_HIST_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank)
            return json_integer(tool_hist_bounds_ms[i]);
    }
    return json_integer(tool_hist_bounds_ms[TOOL_HIST_BUCKETS - 1]); /* "more than" */
}

void stats_answer_reply(struct http_ctx *hc, struct stats_answer *a)
{
    for (size_t i = 0; i < a->made; i++) {
        char iso[32];
        int64_t t = a->w.start + (int64_t)i * a->w.width;
        iso8601_ms(t, iso);
        json_array_append_new(a->timeline, json_pack("{s:s,s:I,s:o}", "t", iso, "t_ms",
                                                     (json_int_t)(t / 1000000), "counts",
                                                     a->buckets[i]));
    }
    char since_iso[32];
    iso8601_ms(a->w.since, since_iso);
    json_t *body = json_pack(
        "{s:I,s:s,s:{s:I,s:I,s:I,s:I},s:o,s:o,s:{s:I,s:o}}", "window_s", (json_int_t)a->w.window_s,
        "since", since_iso, "totals", "events", (json_int_t)a->total, "errors",
        (json_int_t)a->errors, "tool_calls", (json_int_t)a->calls, "sessions",
        (json_int_t)a->sessions, "event_types", a->types, "tools", a->tools, "timeline",
        "bucket_s", (json_int_t)a->w.bucket_s, "buckets", a->timeline);
    http_reply_json(hc, 200, body);
}

void stats_answer_discard(struct stats_answer *a)
{
    for (size_t i = 0; i < a->made; i++)
        json_decref(a->buckets[i]);
    json_decref(a->types);
    json_decref(a->tools);
    json_decref(a->timeline);
}
