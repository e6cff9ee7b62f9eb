/*
 * lag_hist.h - how long events wait between their local commit and their
 * PostgreSQL commit: a log-linear histogram (8 buckets per power of two, so
 * a percentile is within 9% of the truth) of microseconds.  Plain data in
 * the shipper's context; nothing to free.
 */
#ifndef CHRONICLE_SHIP_LAG_HIST_H
#define CHRONICLE_SHIP_LAG_HIST_H

#include <stdint.h>

#define LAG_HIST_SUB 8
#define LAG_HIST_BUCKETS (40 * LAG_HIST_SUB)

struct lag_hist {
    uint64_t count[LAG_HIST_BUCKETS];
    uint64_t n;
};

void lag_hist_add(struct lag_hist *h, int64_t us);

/* The q-quantile (0 < q <= 1) in microseconds, 0 when empty: the upper
 * edge of the bucket holding it. */
int64_t lag_hist_quantile(const struct lag_hist *h, double q);

#endif
