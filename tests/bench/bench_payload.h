/* bench_payload.h - the synthetic events both ingest benchmarks use, so the
 * collector and the raw-SQLite floor store exactly the same rows: payloads
 * of a few hundred bytes across 100 sessions, a realistic mix of types. */
#ifndef CHRONICLE_BENCH_PAYLOAD_H
#define CHRONICLE_BENCH_PAYLOAD_H

#include <stdio.h>
#include <time.h>

static const char *const bench_types[] = {"PreToolUse", "PostToolUse", "PreToolUse",
                                          "PostToolUse", "UserPromptSubmit", "Notification",
                                          "Stop", "SubagentStart"};
#define BENCH_SESSIONS 100

/* Events are stamped from now on: older ones would be expired by retention
 * in the middle of a run. */
static inline long long bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

struct bench_row {
    char session[48], type[32], tool[16], tool_use_id[48], cwd[32];
    char payload[640];
    int payload_len;
};

static inline void bench_row_make(struct bench_row *r, long i)
{
    long pair = i / 2; /* Pre and Post of one call share a tool_use_id */
    snprintf(r->session, sizeof r->session, "7d0b6a4e-2f1c-4c59-9a53-%012ld", i % BENCH_SESSIONS);
    snprintf(r->type, sizeof r->type, "%s", bench_types[i % 8]);
    snprintf(r->tool, sizeof r->tool, "%s", (i % 8) < 4 ? "Bash" : "");
    snprintf(r->tool_use_id, sizeof r->tool_use_id, "toolu_%020ld", pair);
    snprintf(r->cwd, sizeof r->cwd, "/home/dev/project-%ld", i % 7);
    r->payload_len = snprintf(r->payload, sizeof r->payload,
        "{\"session_id\":\"%s\",\"transcript_path\":\"/home/dev/.claude/projects/-home-dev-shop/%s.jsonl\","
        "\"cwd\":\"%s\",\"hook_event_name\":\"%s\",\"permission_mode\":\"default\","
        "%s%s%s\"tool_use_id\":\"%s\",\"tool_input\":{\"command\":\"pytest -q tests/test_%ld.py\","
        "\"description\":\"Run the tests\"},\"seq\":%ld}",
        r->session, r->session, r->cwd, r->type, r->tool[0] ? "\"tool_name\":\"" : "", r->tool,
        r->tool[0] ? "\"," : "", r->tool_use_id, i, i);
}

#endif
