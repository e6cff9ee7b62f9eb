/*
 * tool_hist.h - the duration histogram shared by the collector (which counts
 * finished tool calls into tool_stats per 10 minutes) and the server (which
 * reads percentiles from it for windows of an hour or more).
 *
 * Bucket i holds durations up to tool_hist_bounds_ms[i] (1-1.5-2-3-5-7 steps,
 * so a percentile read from it is at most ~50% above the true value);
 * TOOL_HIST_INF holds the rest and TOOL_HIST_UNKNOWN calls without a
 * duration.  Changing the bounds changes the meaning of stored rows: append
 * only, in a new schema version.
 */
#ifndef CHRONICLE_TOOL_HIST_H
#define CHRONICLE_TOOL_HIST_H

#include <stdint.h>

#define TOOL_HIST_BUCKETS 35
#define TOOL_HIST_INF TOOL_HIST_BUCKETS
#define TOOL_HIST_UNKNOWN (-1)
#define TOOL_HIST_PERIOD_NS (600LL * 1000000000) /* tool_stats.bucket = ended_ns / this */

extern const int64_t tool_hist_bounds_ms[TOOL_HIST_BUCKETS];

/* The bucket of a duration; TOOL_HIST_UNKNOWN for a negative one. */
int tool_hist_bucket(int64_t duration_ms);

#endif
