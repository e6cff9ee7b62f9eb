/* test_event_type.c - the table of hook events (common/event_type.c). */
#include "check.h"

#include "chronicle/event_type.h"

static void lookup_by_name(struct check *c)
{
    const struct event_type *t = event_type_find("PostToolUseFailure", 18);
    CHECK(c, t != NULL);
    CHECK(c, t && (t->flags & EVF_TOOL_END) && (t->flags & EVF_TOOL_FAILURE) &&
                 (t->flags & EVF_ERROR));
    /* Length-bounded: a prefix is not a match, nor a longer name. */
    CHECK(c, event_type_find("PostToolUse", 11) != event_type_find("PostToolUseFailure", 18));
    CHECK_INT(c, event_type_find("PostTool", 8), NULL);
    CHECK_INT(c, event_type_find("SessionStartX", 13), NULL);
    CHECK_INT(c, event_type_flags("NoSuchEvent"), 0);
    CHECK_INT(c, event_type_flags(NULL), 0);
    CHECK_INT(c, event_type_find("WorktreeCreate", 14), NULL); /* never registered */
}

/* The meanings the collector and the server rely on. */
static void meanings(struct check *c)
{
    CHECK_INT(c, event_type_flags("PreToolUse"), EVF_TOOL_START | EVF_ACTIVITY);
    CHECK_INT(c, event_type_flags("PostToolUse"), EVF_TOOL_END | EVF_ACTIVITY);
    CHECK(c, !(event_type_flags("Notification") & EVF_ACTIVITY));
    CHECK(c, !(event_type_flags("SubagentStop") & EVF_ACTIVITY));
    CHECK(c, !(event_type_flags("CwdChanged") & EVF_ACTIVITY));
    CHECK(c, event_type_flags("PermissionDenied") & EVF_TOOL_DENIED);
    CHECK(c, !(event_type_flags("PermissionDenied") & EVF_ERROR));
    CHECK(c, event_type_flags("StopFailure") & EVF_ERROR);
    CHECK(c, event_type_flags("Stop") & EVF_AWAITING_INPUT);
    CHECK(c, event_type_flags("PermissionRequest") & EVF_AWAITING_INPUT);
    CHECK(c, event_type_flags("UserPromptSubmit") & EVF_PROMPT);
    CHECK(c, !(event_type_flags("UserPromptExpansion") & EVF_PROMPT));
    CHECK(c, event_type_flags("SessionEnd") & EVF_SESSION_END);
    CHECK(c, event_type_flags("SubagentStop") & EVF_SUBAGENT_STOP);
    CHECK_INT(c, event_type_flags("Notification"), EVF_NOTIFICATION);
    /* Every tool event takes a tool matcher when registered. */
    size_t n;
    const struct event_type *t = event_types(&n);
    CHECK(c, n >= 30);
    for (size_t i = 0; i < n; i++)
        if (t[i].flags & (EVF_TOOL_START | EVF_TOOL_END))
            CHECK(c, t[i].tool_matcher);
}

static void notifications(struct check *c)
{
    enum awaiting_reason r;
    CHECK_INT(c, notification_type_flags("permission_prompt", &r), EVF_AWAITING_INPUT);
    CHECK_INT(c, r, AWAIT_PERMISSION);
    CHECK_STR(c, awaiting_reason_name(r), "permission");
    CHECK(c, notification_type_flags("idle_prompt", &r) == EVF_AWAITING_INPUT &&
                 r == AWAIT_IDLE_PROMPT);
    CHECK(c, notification_type_flags("auth_success", &r) == 0 && r == AWAIT_NONE);
    CHECK_INT(c, notification_type_flags(NULL, &r), 0);
    CHECK_INT(c, awaiting_reason_name(AWAIT_NONE), NULL);
    size_t k = 0;
    while (notification_awaiting_type(k, &r) != NULL)
        k++;
    CHECK_INT(c, k, 4);
}

static void flag_names_and_sql(struct check *c)
{
    CHECK_STR(c, event_flag_name(EVF_TOOL_START), "tool_start");
    CHECK_STR(c, event_flag_name(EVF_TRANSCRIPT), "transcript");
    CHECK_INT(c, event_flag_name(EVF_TOOL_START | EVF_TOOL_END), NULL);
    CHECK(c, event_flag_name(1u << EVF_COUNT) == NULL);
    for (unsigned i = 0; i < EVF_COUNT; i++)
        CHECK(c, event_flag_name(1u << i) != NULL);
    char out[256];
    CHECK(c, event_types_sql_list(EVF_ERROR, out, sizeof out) > 0);
    CHECK_STR(c, out, "'PostToolUseFailure','StopFailure'");
    CHECK_INT(c, event_types_sql_list(EVF_ERROR, out, 10), -1);
    CHECK_INT(c, event_types_sql_list(0, out, sizeof out), 2);
    CHECK_STR(c, out, "''");
}

CHECK_MAIN(CASE(lookup_by_name), CASE(meanings), CASE(notifications), CASE(flag_names_and_sql))
