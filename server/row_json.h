/*
 * row_json.h - the JSON shapes of an event and a session, shared by the REST
 * handlers and the WebSocket feed so a client sees one shape everywhere.
 *
 * The *_COLUMNS macros are the SELECT lists the converters expect, in order.
 * Converters return a new json_t reference (caller owns it) or NULL on ENOMEM.
 */
#ifndef CHRONICLE_ROW_JSON_H
#define CHRONICLE_ROW_JSON_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "row_src.h"

#define EVENT_COLUMNS                                                                   \
    "id, event_uid, session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id, " \
    "agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload_size"
/* EVENT_COLUMNS then the full-detail columns. */
#define EVENT_COLUMNS_FULL \
    EVENT_COLUMNS ", payload, length(raw), host, uid, pid, ppid, claude_pid, project_dir"

#define SESSION_COLUMNS                                                                      \
    "session_id, first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode, " \
    "transcript_path, end_reason, ended_ns, last_event_type, last_event_id, state, "        \
    "claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count, " \
    "awaiting_reason, state_since_ns, state_detail, title, title_source"

/* "2026-11-27T04:51:55.123Z" into out[32]. */
void iso8601_ms(int64_t ns, char out[32]);

/* Adds "<key>" (ISO string) and "<key>_ms" (epoch ms) to obj; null when the
 * column is NULL. */
int json_set_time(json_t *obj, const char *key, sqlite3_stmt *st, int col);

/* Event row (EVENT_COLUMNS, or EVENT_COLUMNS_FULL when full). */
json_t *event_json(sqlite3_stmt *st, int full);
/* The same object written as JSON text onto b, the stored payload spliced
 * in as it is (json_text.h).  0, or -1 on ENOMEM. */
int event_text(struct buf *b, sqlite3_stmt *st, int full);

/*
 * The state a client sees: the stored one (working, awaiting_input, failed,
 * ended: the collector's state machine, collector/session_state.h), except
 * that a working session without an event for idle_ns is "idle".  Only
 * working decays: a session waiting for a person stays awaiting_input
 * however long it waits.
 */
const char *session_state_shown(const char *stored, int64_t last_seen_ns, int64_t now_ns,
                                int64_t idle_ns);

/* The older "status" field, kept for clients that read it: the shown state
 * with working as "active" and failed as "awaiting_input" (both wait for a
 * person). */
const char *session_status(const char *state_shown);

/* Session row (SESSION_COLUMNS). */
json_t *session_json(sqlite3_stmt *st, int64_t now_ns, int64_t idle_ns);

/* The same from any database's row (row_src.h): the team server's path.
 * local_pids: whether claude_pid is a process of this machine (a session
 * whose process is gone is then "ended"); never for other machines' rows. */
int event_text_src(struct buf *b, struct row_src *st, int full);
json_t *event_json_src(struct row_src *st, int full);
int json_set_time_src(json_t *obj, const char *key, struct row_src *st, int col);
json_t *session_json_src(struct row_src *st, int64_t now_ns, int64_t idle_ns, int local_pids);

#endif
