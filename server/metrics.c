/* metrics.c - the server's own request counters and latency histogram. */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Upper bounds (seconds) of the latency buckets; +Inf is the count. */
const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

const char *route_name(enum route_id r)
{
    /* By name, so a route added to the enum elsewhere cannot shift the
     * others; one without a name here is counted as "other". */
    static const char *const names[ROUTE_COUNT] = {
        [ROUTE_HEALTH] = "health", [ROUTE_HEALTH_PERF] = "health_performance",
        [ROUTE_METRICS] = "metrics", [ROUTE_WS] = "ws", [ROUTE_SESSIONS] = "sessions",
        [ROUTE_SESSION] = "session", [ROUTE_SESSION_EVENTS] = "session_events",
        [ROUTE_EVENTS] = "events", [ROUTE_EVENT] = "event", [ROUTE_STATS] = "stats",
        [ROUTE_STATIC] = "static", [ROUTE_OTHER] = "other", [ROUTE_USAGE] = "usage",
        [ROUTE_COST] = "cost", [ROUTE_META] = "meta",
        [ROUTE_SESSION_CONVERSATION] = "session_conversation", [ROUTE_ALERTS] = "alerts",
        [ROUTE_ALERT_ACK] = "alert_ack", [ROUTE_SEARCH] = "search"};
    return (unsigned)r < ROUTE_COUNT && names[r] ? names[r] : "other";
}

void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof *m);
}

void metrics_record(struct metrics *m, enum route_id r, int status, double seconds)
{
    if ((unsigned)r >= ROUTE_COUNT)
        r = ROUTE_OTHER;
    int slot = -1;
    for (int i = 0; i < METRICS_STATUS_SLOTS; i++) {
        if (m->status_codes[i] == status || m->status_codes[i] == 0) {
            m->status_codes[i] = status;
            slot = i;
            break;
        }
    }
    if (slot >= 0) /* more than 16 distinct codes: the rest go uncounted */
        m->requests[r][slot]++;
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        if (seconds <= metrics_latency_bounds[i]) {
            m->latency_le[r][i]++;
            break;
        }
    }
    m->latency_sum[r] += seconds;
    m->latency_count[r]++;
    /* A moving average over roughly the last 100 requests: /health/performance
     * should reflect now, not the whole uptime. */
    double ms = seconds * 1000.0;
    m->recent_ms = m->recent_ms == 0 ? ms : m->recent_ms * 0.99 + ms * 0.01;
}

uint64_t metrics_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long size, resident;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}
