/* lag_hist.c - shipping lag histogram.  See lag_hist.h. */
#include "lag_hist.h"

static int bucket_of(uint64_t us)
{
    if (us < LAG_HIST_SUB)
        return (int)us;
    int e = 63 - __builtin_clzll(us); /* us in [2^e, 2^(e+1)) */
    int sub = (int)((us >> (e - 3)) & (LAG_HIST_SUB - 1));
    int b = (e - 2) * LAG_HIST_SUB + sub;
    return b < LAG_HIST_BUCKETS ? b : LAG_HIST_BUCKETS - 1;
}

/* The largest value bucket b holds. */
static int64_t upper_of(int b)
{
    if (b < LAG_HIST_SUB)
        return b;
    int e = b / LAG_HIST_SUB + 2, sub = b % LAG_HIST_SUB;
    return (int64_t)(((uint64_t)(LAG_HIST_SUB + sub + 1) << (e - 3)) - 1);
}

void lag_hist_add(struct lag_hist *h, int64_t us)
{
    h->count[bucket_of(us < 0 ? 0 : (uint64_t)us)]++;
    h->n++;
}

int64_t lag_hist_quantile(const struct lag_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n + 0.999999), seen = 0;
    if (want == 0)
        want = 1;
    for (int b = 0; b < LAG_HIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= want)
            return upper_of(b);
    }
    return upper_of(LAG_HIST_BUCKETS - 1);
}
