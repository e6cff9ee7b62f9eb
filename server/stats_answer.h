/*
 * stats_answer.h - GET /api/stats's answer, whichever database fills it:
 * the parameters and the buckets they give, the per-type counts, the
 * histogram percentiles and the JSON.  api_stats.c (SQLite) and
 * team_stats.c (PostgreSQL) read their own tables into a struct
 * stats_answer and answer through stats_answer_reply(), so the two answer
 * with the same keys by the same rules.
 *
 * Ownership: a struct stats_answer owns its json objects (types, tools,
 * timeline and each bucket) until stats_answer_reply() hands them to the
 * answer or stats_answer_discard() drops them; one of the two is called
 * once stats_answer_init() has been.
 */
#ifndef CHRONICLE_STATS_ANSWER_H
#define CHRONICLE_STATS_ANSWER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

#define STATS_MAX_KEYS 256    /* distinct event types / tools reported */
#define STATS_MAX_BUCKETS 360

struct query;

/* The window and its buckets, from ?window= and ?bucket=. */
struct stats_window {
    long window_s, bucket_s;
    int64_t since;  /* now - window (ns) */
    int64_t start;  /* the first bucket's start: since, down to a multiple of width */
    int64_t width;  /* a bucket (ns) */
    size_t nb;      /* buckets from start to now */
};

/* Parses hc's query into q (keys: the ones allowed) and w.  0, q to be
 * query_free()d by the caller; or -1, q freed and a 400 answered. */
int stats_parse(struct http_ctx *hc, struct query *q, const char *const *keys,
                struct stats_window *w);

struct stats_answer {
    struct stats_window w;
    json_t *types;    /* {type: count} */
    json_t *tools;    /* {tool: {calls, errors, error_rate, p50_ms, ...}} */
    json_t *timeline; /* filled by stats_answer_reply() */
    json_t *buckets[STATS_MAX_BUCKETS + 2]; /* made of them: {type: count} each */
    size_t made;
    int64_t total, errors, calls, sessions;
};

/* 0, or -1 on ENOMEM (stats_answer_discard() still to be called). */
int stats_answer_init(struct stats_answer *a, const struct stats_window *w);
/* Adds count events of type in bucket b (from start; one outside the
 * window counts in the totals only).  A count <= 0 is passed over; past
 * STATS_MAX_KEYS types, a new type counts in the buckets only. */
void stats_answer_count(struct stats_answer *a, int64_t b, const char *type, int64_t count);
/* The percentile p of n timed calls from a tool_hist.h histogram (counts
 * per bucket, counts[TOOL_HIST_INF] above every bound): the upper bound of
 * the bucket holding the nearest-rank call; null for no calls. */
json_t *stats_hist_pct(const int64_t *counts, int64_t n, int p);
/* Answers 200 with the filled answer. */
void stats_answer_reply(struct http_ctx *hc, struct stats_answer *a);
/* Drops what a holds, for an answer given otherwise (an error). */
void stats_answer_discard(struct stats_answer *a);

#endif
