/* event_type.c - the table of hook events.  See event_type.h. */
#include "chronicle/event_type.h"

#include <stdio.h>
#include <string.h>

/* ACT (EVF_ACTIVITY): the agent is at work, so a session waiting for a
 * person (a permission granted, a prompt typed, an elicitation answered) is
 * working again.  Every tool event is activity; events that happen around
 * the agent without saying it works (CwdChanged, InstructionsLoaded, ...)
 * are not, nor is a Notification (its notification_type decides). */
#define ACT EVF_ACTIVITY
#define TOOL_END_OK (EVF_TOOL_END | ACT)
#define TOOL_END_FAILED (EVF_TOOL_END | EVF_TOOL_FAILURE | EVF_ERROR | ACT)
#define TOOL_END_DENIED (EVF_TOOL_END | EVF_TOOL_DENIED | ACT)

/*
 * First versions.  The early events carry the release that introduced them;
 * events whose first release we could not pin down carry 2.1.240, the
 * version the hooks contract (docs/OPERATIONS.md, "Which events") was checked
 * against: on an older client they are skipped rather than risk a settings
 * warning for a name it does not know.  `--add-events` opts them in anyway.
 *
 * in_default_set: what we register when `claude --version` cannot be asked
 * (no claude on PATH): the events every 2.1 release fires.
 *
 * MessageDisplay fires for every streamed chunk of assistant text and some
 * builds reject the name: opt-in only.  WorktreeCreate is not in the table
 * at all: it reads the hook's stdout as a path (chronicle never registers it).
 *
 * EVF_TRANSCRIPT marks the events after which the transcript holds new model
 * output (token usage) worth reading.
 */
static const struct event_type table[] = {
    /* name                 flags                                             first version  dflt opt tool */
    {"SessionStart",        EVF_SESSION_START | EVF_TRANSCRIPT | ACT,          1, 0, 62,      1, 0, 0},
    {"SessionEnd",          EVF_SESSION_END | EVF_TRANSCRIPT,                  1, 0, 85,      1, 0, 0},
    {"UserPromptSubmit",    EVF_PROMPT | EVF_TRANSCRIPT | ACT,                 1, 0, 54,      1, 0, 0},
    {"UserPromptExpansion", ACT,                                               2, 1, 240,     0, 0, 0},
    {"PreToolUse",          EVF_TOOL_START | ACT,                              1, 0, 0,       1, 0, 1},
    {"PermissionRequest",   EVF_PERMISSION | EVF_AWAITING_INPUT,               2, 1, 0,       1, 0, 1},
    {"PermissionDenied",    TOOL_END_DENIED,                                   2, 1, 240,     0, 0, 1},
    {"PostToolUse",         TOOL_END_OK,                                       1, 0, 0,       1, 0, 1},
    {"PostToolUseFailure",  TOOL_END_FAILED,                                   2, 1, 0,       1, 0, 1},
    {"PostToolBatch",       ACT,                                               2, 1, 240,     0, 0, 0},
    {"Notification",        EVF_NOTIFICATION,                                  1, 0, 0,       1, 0, 0},
    {"Stop",                EVF_TURN_END | EVF_AWAITING_INPUT | EVF_TRANSCRIPT, 1, 0, 0,      1, 0, 0},
    {"StopFailure",         EVF_TURN_END | EVF_TURN_FAILED | EVF_ERROR | EVF_AWAITING_INPUT,
                                                                               2, 1, 240,     0, 0, 0},
    {"SubagentStart",       EVF_SUBAGENT_START | ACT,                          2, 1, 0,       1, 0, 0},
    {"SubagentStop",        EVF_SUBAGENT_STOP | EVF_TRANSCRIPT,                1, 0, 41,      1, 0, 0},
    {"PreCompact",          EVF_COMPACT | EVF_TRANSCRIPT | ACT,                1, 0, 48,      1, 0, 0},
    {"PostCompact",         EVF_COMPACT | ACT,                                 2, 1, 240,     0, 0, 0},
    {"TaskCreated",         0,                                                 2, 1, 240,     0, 0, 0},
    {"TaskCompleted",       0,                                                 2, 1, 240,     0, 0, 0},
    {"TeammateIdle",        0,                                                 2, 1, 240,     0, 0, 0},
    {"InstructionsLoaded",  0,                                                 2, 1, 240,     0, 0, 0},
    {"ConfigChange",        0,                                                 2, 1, 240,     0, 0, 0},
    {"CwdChanged",          0,                                                 2, 1, 240,     0, 0, 0},
    {"FileChanged",         0,                                                 2, 1, 240,     0, 0, 0},
    {"DirectoryAdded",      0,                                                 2, 1, 240,     0, 0, 0},
    {"WorktreeRemove",      0,                                                 2, 1, 240,     0, 0, 0},
    {"Elicitation",         EVF_ELICITATION | EVF_AWAITING_INPUT,              2, 1, 240,     0, 0, 0},
    {"ElicitationResult",   ACT,                                               2, 1, 240,     0, 0, 0},
    {"Setup",               0,                                                 2, 1, 240,     0, 0, 0},
    {"MessageDisplay",      0,                                                 2, 1, 240,     0, 1, 0},
};

#define N_TYPES (sizeof table / sizeof table[0])

static const char *const flag_names[EVF_COUNT] = {
    "tool_start", "tool_end", "tool_failure", "tool_denied", "prompt", "turn_end", "turn_failed",
    "session_start", "session_end", "subagent_start", "subagent_stop", "awaiting_input", "error",
    "compact", "notification", "permission", "elicitation", "transcript", "activity",
};

/* Notification types that wait for a person; every other type (auth_success,
 * agent_completed, ...) leaves the session's state as it was. */
static const struct {
    const char *type;
    enum awaiting_reason reason;
} awaiting_notifications[] = {
    {"permission_prompt", AWAIT_PERMISSION},
    {"idle_prompt", AWAIT_IDLE_PROMPT},
    {"elicitation_dialog", AWAIT_ELICITATION},
    {"agent_needs_input", AWAIT_IDLE_PROMPT}, /* the agent waits for the prompt */
};

const struct event_type *event_types(size_t *count)
{
    *count = N_TYPES;
    return table;
}

const struct event_type *event_type_find(const char *name, size_t len)
{
    /* Once per received event, over 30 rows: the length check rejects most
     * rows before a byte is compared. */
    for (size_t i = 0; i < N_TYPES; i++)
        if (strncmp(table[i].name, name, len) == 0 && table[i].name[len] == '\0')
            return &table[i];
    return NULL;
}

uint32_t event_type_flags(const char *name)
{
    const struct event_type *t = name ? event_type_find(name, strlen(name)) : NULL;
    return t ? t->flags : 0;
}

int event_types_sql_list(uint32_t flags, char *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < N_TYPES; i++) {
        if (!(table[i].flags & flags))
            continue;
        int n = snprintf(out + len, cap - len, "%s'%s'", len ? "," : "", table[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            return -1;
        len += (size_t)n;
    }
    if (len == 0 && cap > 4) /* "IN ('')": matches nothing, still valid SQL */
        len = (size_t)snprintf(out, cap, "''");
    return cap > len ? (int)len : -1;
}

const char *event_flag_name(uint32_t bit)
{
    for (unsigned i = 0; i < EVF_COUNT; i++)
        if (bit == (1u << i))
            return flag_names[i];
    return NULL;
}

uint32_t notification_type_flags(const char *type, enum awaiting_reason *reason)
{
    *reason = AWAIT_NONE;
    if (type == NULL)
        return 0;
    for (size_t i = 0; i < sizeof awaiting_notifications / sizeof awaiting_notifications[0]; i++) {
        if (strcmp(type, awaiting_notifications[i].type) == 0) {
            *reason = awaiting_notifications[i].reason;
            return EVF_AWAITING_INPUT;
        }
    }
    return 0;
}

uint32_t event_meaning(const char *name, size_t len, const char *notification_type,
                       enum awaiting_reason *why)
{
    const struct event_type *t = event_type_find(name, len);
    uint32_t flags = t ? t->flags : 0;
    *why = AWAIT_NONE;
    if (flags & EVF_NOTIFICATION)
        flags |= notification_type_flags(notification_type, why);
    else if (flags & EVF_PERMISSION)
        *why = AWAIT_PERMISSION;
    else if (flags & EVF_ELICITATION)
        *why = AWAIT_ELICITATION;
    else if (flags & EVF_TURN_END)
        *why = AWAIT_TURN_DONE;
    return flags;
}

const char *notification_awaiting_type(size_t i, enum awaiting_reason *reason)
{
    if (i >= sizeof awaiting_notifications / sizeof awaiting_notifications[0])
        return NULL;
    *reason = awaiting_notifications[i].reason;
    return awaiting_notifications[i].type;
}

const char *awaiting_reason_name(enum awaiting_reason r)
{
    switch (r) {
    case AWAIT_PERMISSION: return "permission";
    case AWAIT_IDLE_PROMPT: return "idle_prompt";
    case AWAIT_TURN_DONE: return "turn_done";
    case AWAIT_ELICITATION: return "elicitation";
    case AWAIT_NONE: break;
    }
    return NULL;
}
