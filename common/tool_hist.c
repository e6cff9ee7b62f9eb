/* tool_hist.c - duration buckets.  See tool_hist.h. */
#include "chronicle/tool_hist.h"

const int64_t tool_hist_bounds_ms[TOOL_HIST_BUCKETS] = {
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000,
    1500, 2000, 3000, 5000, 7000, 10000, 15000, 20000, 30000, 50000, 70000, 100000,
    150000, 200000, 300000, 600000, 1800000,
};

int tool_hist_bucket(int64_t ms)
{
    if (ms < 0)
        return TOOL_HIST_UNKNOWN;
    int lo = 0, hi = TOOL_HIST_BUCKETS; /* first bound >= ms */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (tool_hist_bounds_ms[mid] >= ms)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo; /* TOOL_HIST_INF when above every bound */
}
