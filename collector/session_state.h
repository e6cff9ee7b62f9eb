/*
 * session_state.h - what a session is doing, and why it waits: the one
 * place that decides it.
 *
 * The collector keeps, per session, a stored state (working,
 * awaiting_input, failed or ended), the reason it waits (permission,
 * idle_prompt, turn_done, elicitation), when that state began and a small
 * detail (the tool asking for permission and a one-line summary of its
 * input, the notification's text, the error of a failed turn).  The batch
 * writer folds every committed event through session_state_next(), a pure
 * function of (current state, event), and stores the result with the
 * session row in the same transaction.  The server only adds "idle" (a
 * working session quiet for idle_after_s) when it reads: a person's wait
 * never decays, however long.
 *
 * Why in the collector and not in the server's queries: the state depends
 * on the order of events and on fields inside payloads (notification_type,
 * agent_id, tool_input); deriving it on every read would mean scanning
 * events per session per request.
 *
 * Text in a detail comes from the stored (redacted) payload, cut to one
 * line.  Everything here works on caller-owned structs: nothing allocates.
 */
#ifndef CHRONICLE_SESSION_STATE_H
#define CHRONICLE_SESSION_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/buf.h"
#include "chronicle/event_type.h"

enum session_state_kind {
    SSTATE_WORKING = 0,
    SSTATE_AWAITING, /* stored as awaiting_input */
    SSTATE_FAILED,
    SSTATE_ENDED,
};

/* Longest texts kept, in bytes (cut on a UTF-8 boundary). */
#define STATE_TOOL_NAME_MAX 64
#define STATE_TEXT_MAX 300  /* tool_input, message */
#define STATE_ERROR_MAX 200
#define SESSION_TITLE_CHARS 120

/* Detail texts, NUL-terminated, "" when absent. */
struct state_detail {
    char tool_name[STATE_TOOL_NAME_MAX + 1];
    char tool_input[STATE_TEXT_MAX + 1]; /* one-line summary: a Bash command, a path... */
    char message[STATE_TEXT_MAX + 1];    /* notification / elicitation / last reply text */
    char error[STATE_ERROR_MAX + 1];     /* StopFailure's error */
};

struct session_state {
    enum session_state_kind state;
    enum awaiting_reason reason; /* AWAIT_NONE unless state == SSTATE_AWAITING */
    int64_t since_ns;            /* when the state began; 0: not yet known */
    struct state_detail detail;
};

/* What the state machine needs to know about one event. */
struct state_event {
    uint32_t flags;              /* the type's EVF_ flags, with the notification's meaning */
    enum awaiting_reason awaiting; /* why it waits when flags has EVF_AWAITING_INPUT */
    int subagent;                /* the event fired inside a subagent (agent_id set) */
    int64_t ts_ns;
    struct state_detail detail;  /* what the event says (state_event_read fills it) */
    /* A title the event carries: SessionStart's session_title (Claude
     * Code's own, title_claude = 1) or a UserPromptSubmit's prompt; "" none. */
    char title[SESSION_TITLE_CHARS * 4 + 1];
    int title_claude;
};

/*
 * The state after ev, given cur: returns 1 and fills *next when ev has an
 * opinion on the state, else 0 and *next = *cur.  next may be cur.
 *
 *   activity (EVF_ACTIVITY)           -> working
 *   PermissionRequest, permission_prompt Notification -> awaiting_input/permission
 *   idle_prompt, agent_needs_input Notification       -> awaiting_input/idle_prompt
 *   Stop                              -> awaiting_input/turn_done
 *   Elicitation, elicitation_dialog   -> awaiting_input/elicitation
 *   StopFailure                       -> failed
 *   SessionEnd                        -> ended
 *
 * Subagent events speak only for a subagent: a permission or elicitation
 * it waits on is the session's wait too (a person must answer), and its
 * activity ends such a wait; its Stop, failure or other activity leave the
 * main session's state alone (a SubagentStop is not the main turn's Stop).
 * An ended session works again only on SessionStart or a prompt (resume).
 * since_ns moves only when the stored state changes: a Stop followed by an
 * idle_prompt Notification is one wait, since the Stop.
 */
int session_state_next(const struct session_state *cur, const struct state_event *ev,
                       struct session_state *next);

/* "working", "awaiting_input", "failed", "ended". */
const char *session_state_name(enum session_state_kind k);
/* The inverse; unknown or NULL text: SSTATE_WORKING. */
enum session_state_kind session_state_parse(const char *name);
/* "permission"... -> AWAIT_*; unknown or NULL: AWAIT_NONE. */
enum awaiting_reason awaiting_reason_parse(const char *name);

/*
 * Fills ev->detail from a hook payload (JSON, len bytes; already redacted):
 * tool_name, a one-line summary of tool_input (its command, file_path, path,
 * pattern, url or query, else the compact JSON text), message, error
 * (with error_details) and, for a Stop, last_assistant_message as message.
 * A payload that is not a JSON object leaves the detail empty.
 */
void state_event_read(struct state_event *ev, const char *json, size_t len);

/* Appends the detail as a JSON object text ({"tool_name":...}); appends
 * nothing (returns 0 with *empty = 1) when every text is empty.  0, or -1
 * on ENOMEM. */
int state_detail_json(const struct state_detail *d, struct buf *out, int *empty);

/* The detail of a session whose Claude Code process is gone. */
void state_detail_process_gone(struct state_detail *d, int64_t pid);

/*
 * Plain text (n bytes of UTF-8) as one line into out[cap]: whitespace runs
 * (newlines, tabs, other control characters included) become one space,
 * trimmed, at most max_chars characters and cap - 1 bytes, never cutting a
 * UTF-8 sequence.  Returns the length.  Titles are this over a prompt with
 * SESSION_TITLE_CHARS.
 */
size_t one_line_text(const char *s, size_t n, char *out, size_t cap, size_t max_chars);

/* The same over a JSON string span (escapes as sent), decoding at most the
 * first 2 KB of it. */
size_t json_text_line(const char *raw, size_t len, char *out, size_t cap, size_t max_chars);

#endif
