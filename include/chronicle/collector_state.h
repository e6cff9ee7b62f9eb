/*
 * collector_state.h - reading $CHRONICLE_HOME/collector.state, the file the
 * collector rewrites in place every second with what is waiting and whether
 * its commits work (docs/ARCHITECTURE.md), for readers that must see a
 * backlog the database cannot hold: `chronicle status`, the server's
 * /metrics.  Plain data, nothing to free.
 */
#ifndef CHRONICLE_COLLECTOR_STATE_H
#define CHRONICLE_COLLECTOR_STATE_H

#include <stdint.h>

struct collector_state {
    int64_t pid, updated_ns, started_ns, committed;
    int64_t pending, pending_bytes, oldest_pending_ns, commit_failing_since_ns;
};

/* Reads home/collector.state (O_NOFOLLOW, a regular file of ours).  0, or -1
 * when it is missing or unreadable. */
int collector_state_read(const char *home, struct collector_state *st);

#endif
