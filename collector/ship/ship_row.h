/*
 * ship_row.h - local events as chronicle-ship sends them: the columns of
 * the events table plus what each event means for the derived tables.
 *
 * The meaning (session state, tool call phase and outcome, error, prompt,
 * subagent) is decided here, on the machine, from the same table of hook
 * events (chronicle/event_type.h) and the same payload fields
 * (event_fields.h) the collector's batch writer uses, so that PostgreSQL's
 * session and tool-call upserts (pg_schema.c) aggregate exactly what the
 * local database does.  Payloads are placed by what jsonb accepts
 * (jsonb_check.h); every text column is made valid UTF-8.
 *
 * A batch owns one arena holding every string of its rows; rows refer to
 * it by offset.  Owner: the caller's struct; ship_batch_free().
 */
#ifndef CHRONICLE_SHIP_ROW_H
#define CHRONICLE_SHIP_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"

enum ship_col {
    SC_SESSION_ID, SC_EVENT_TYPE, SC_TOOL_NAME, SC_TOOL_USE_ID, SC_AGENT_ID, SC_AGENT_TYPE,
    SC_PROMPT_ID, SC_CWD, SC_HOST, SC_PROJECT_DIR,
    SC_PAYLOAD,      /* JSON text jsonb accepts */
    SC_PAYLOAD_TEXT, /* valid JSON jsonb refuses (or not JSON), as text */
    SC_RAW,          /* bytes: an invalid payload, or one that is not UTF-8 */
    SC_MODEL, SC_SOURCE, SC_TRANSCRIPT_PATH, SC_PERMISSION_MODE, SC_END_REASON,
    SC_COUNT
};

enum tool_phase { TOOL_NONE = 0, TOOL_PRE = 1, TOOL_POST = 2 };

struct ship_row {
    int64_t local_id, ts_ns, stored_ns, payload_size;
    int64_t duration_ms, uid, pid, ppid, claude_pid; /* -1: NULL */
    int32_t flags;
    unsigned char event_uid[16];
    const char *state;       /* ended | awaiting_input | working, or NULL: no opinion */
    const char *tool_status; /* ok | error | denied for TOOL_POST, else NULL */
    unsigned char tool_phase, is_error, is_prompt, is_subagent;
    uint32_t off[SC_COUNT];  /* offset + 1 into the arena; 0 = NULL */
    uint32_t len[SC_COUNT];
};

/* A tool call's events seen in this batch (see ship_batch_add). */
struct tool_seen {
    uint64_t hash;           /* 0: empty slot */
    uint32_t off;            /* the tool_use_id in the arena, offset + 1 */
    unsigned char phases;    /* 1 << TOOL_PRE | 1 << TOOL_POST */
};

struct ship_batch {
    struct ship_row *rows;
    size_t n, cap;
    struct buf arena;
    size_t bytes;            /* payload bytes held, for the batch's size cap */
    int64_t payload_text;    /* rows whose payload jsonb refuses */
    struct tool_seen *tools; /* open addressing, tools_cap slots (a power of two) */
    size_t tools_cap, tools_n;
};

/* One local row as read from SQLite (pointers valid during the call). */
struct local_event {
    int64_t id, ts_ns, stored_ns, payload_size, duration_ms, uid, pid, ppid, claude_pid;
    int32_t flags;
    const void *event_uid;
    size_t event_uid_len;
    const char *col[SC_PROJECT_DIR + 1]; /* session_id .. project_dir, NULL when NULL */
    const char *payload;                 /* events.payload, or NULL */
    size_t payload_len;
    const void *raw;                     /* events.raw, or NULL */
    size_t raw_len;
};

void ship_batch_reset(struct ship_batch *b);
void ship_batch_free(struct ship_batch *b);

/*
 * Appends ev with its meaning derived.  0; 1 when ev must start the next
 * batch instead (not added); -1 on ENOMEM (the batch is left as it was).
 *
 * A batch holds at most one PreToolUse and one PostToolUse of a tool call,
 * the Pre first: PostgreSQL merges a call's events of one batch into one
 * upsert (a row can change once per statement), which then gives exactly
 * what batch_writer.c's one-event-at-a-time upserts give.  Claude Code sends
 * a call's Pre then its Post, so batches are cut only by unusual orders.
 */
int ship_batch_add(struct ship_batch *b, const struct local_event *ev);

/* A column's value (NUL-terminated in the arena) or NULL; len in *len. */
const char *ship_row_col(const struct ship_batch *b, const struct ship_row *r, enum ship_col c,
                         size_t *len);

#endif
