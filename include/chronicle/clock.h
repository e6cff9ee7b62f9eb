/* clock.h - the two clocks Chronicle uses.  Event times are wall-clock UTC
 * nanoseconds (what users see); deadlines use the monotonic clock so that a
 * clock step never stretches a wait. */
#ifndef CHRONICLE_CLOCK_H
#define CHRONICLE_CLOCK_H

#include <stdint.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

int64_t clock_wall_ns(void);      /* CLOCK_REALTIME, ns since the epoch */
int64_t clock_mono_ns(void);      /* CLOCK_MONOTONIC, ns */

#endif
