#include "chronicle/clock.h"

#include <time.h>

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0; /* cannot fail for these clock ids on Linux */
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t clock_wall_ns(void) { return read_clock(CLOCK_REALTIME); }
int64_t clock_mono_ns(void) { return read_clock(CLOCK_MONOTONIC); }
