/*
 * event_type.h - what each Claude Code hook event means, in one table.
 *
 * Like redis's commands.def, one row per event names everything the
 * programs need to know about it: what it means for a session and its tool
 * calls (the EVF_ flags), and when chronicle install-hooks registers it (the
 * first Claude Code version known to fire it).  The collector resolves an
 * event's type to its row once, when it decodes the event; the batch
 * writer, the server's queries and the dashboard (GET /api/meta) read the
 * flags instead of comparing names.  An event type not in the table is
 * stored as it comes, with no flags.
 *
 * Notification events carry a notification_type with a meaning of its own
 * (a permission prompt waits for a person, auth_success does not): a second,
 * smaller table maps those.
 *
 * Everything here is static data: nothing to allocate or free.
 */
#ifndef CHRONICLE_EVENT_TYPE_H
#define CHRONICLE_EVENT_TYPE_H

#include <stddef.h>
#include <stdint.h>

enum event_flag {
    EVF_TOOL_START = 1u << 0,     /* a tool call begins (PreToolUse) */
    EVF_TOOL_END = 1u << 1,       /* a tool call finished, whatever the outcome */
    EVF_TOOL_FAILURE = 1u << 2,   /* ... and failed */
    EVF_TOOL_DENIED = 1u << 3,    /* ... was denied without running */
    EVF_PROMPT = 1u << 4,         /* the user submitted a prompt (not a /command's expansion) */
    EVF_TURN_END = 1u << 5,       /* the main agent finished a turn */
    EVF_TURN_FAILED = 1u << 6,    /* a turn ended on an API error */
    EVF_SESSION_START = 1u << 7,
    EVF_SESSION_END = 1u << 8,
    EVF_SUBAGENT_START = 1u << 9,
    EVF_SUBAGENT_STOP = 1u << 10,
    EVF_AWAITING_INPUT = 1u << 11, /* the session now waits for a person */
    EVF_ERROR = 1u << 12,         /* counts as an error (session error_count, statistics) */
    EVF_COMPACT = 1u << 13,       /* around a compaction */
    EVF_NOTIFICATION = 1u << 14,  /* meaning depends on notification_type */
    EVF_PERMISSION = 1u << 15,    /* a permission dialog is showing */
    EVF_ELICITATION = 1u << 16,   /* an MCP server asks the user */
    EVF_TRANSCRIPT = 1u << 17,    /* new model output is in the transcript: reread it */
    EVF_ACTIVITY = 1u << 18,      /* the agent is at work: a waiting session works again
                                   * (collector/session_state.h) */
};
#define EVF_COUNT 19

struct event_type {
    const char *name;             /* hook_event_name */
    uint32_t flags;               /* enum event_flag */
    /* chronicle install-hooks */
    int major, minor, patch;      /* first Claude Code version known to fire it */
    int in_default_set;           /* registered when the version is unknown */
    int opt_in_only;              /* never registered unless named explicitly */
    int tool_matcher;             /* takes a tool-name matcher: we write "*" */
};

/* Why a session waits for a person (issue: session state with a reason). */
enum awaiting_reason {
    AWAIT_NONE = 0,
    AWAIT_PERMISSION,             /* a permission prompt */
    AWAIT_IDLE_PROMPT,            /* Claude Code says the prompt is idle */
    AWAIT_TURN_DONE,              /* the turn finished (Stop) */
    AWAIT_ELICITATION,            /* an MCP elicitation dialog */
};

/* The whole table, in the order hook handlers are written; *count gets its
 * length. */
const struct event_type *event_types(size_t *count);

/* The row for name[0..len), or NULL for a type the table does not know. */
const struct event_type *event_type_find(const char *name, size_t len);

/* The flags of a type by name; 0 when unknown.  NUL-terminated name. */
uint32_t event_type_flags(const char *name);

/*
 * Writes the SQL list of the types that have any of flags, quoted and comma
 * separated ("'PostToolUseFailure','StopFailure'"), for "event_type IN (...)":
 * the table's names are plain identifiers, safe to quote.  Returns the
 * length, or -1 when cap is too small.
 */
int event_types_sql_list(uint32_t flags, char *out, size_t cap);

/* "tool_start" ... for bit (one EVF_ value); NULL for anything else. */
const char *event_flag_name(uint32_t bit);

/*
 * What a Notification of this notification_type means: EVF_AWAITING_INPUT
 * (with *reason set) for the kinds that wait for a person, else 0 (the
 * notification says nothing about the session's state).  NULL type: 0.
 */
uint32_t notification_type_flags(const char *type, enum awaiting_reason *reason);

/*
 * What an event of type name[0..len) means: its flags, with a Notification's
 * notification_type folded in, and *why it waits when EVF_AWAITING_INPUT is
 * set (AWAIT_NONE otherwise).  notification_type may be NULL.
 */
uint32_t event_meaning(const char *name, size_t len, const char *notification_type,
                       enum awaiting_reason *why);

/* The i-th notification_type that waits for a person (*reason set), or
 * NULL past the end: for listing the table (GET /api/meta). */
const char *notification_awaiting_type(size_t i, enum awaiting_reason *reason);

/* "permission", "idle_prompt", "turn_done", "elicitation";
 * NULL for AWAIT_NONE. */
const char *awaiting_reason_name(enum awaiting_reason r);

#endif
