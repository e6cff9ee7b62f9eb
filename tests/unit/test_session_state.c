/*
 * test_session_state.c - the session state machine (collector/session_state.c)
 * as a table: a sequence of hook events (real payload shapes) and the state,
 * reason, since and detail the session must have after it.
 */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "chronicle/event_type.h"
#include "session_state.h"

/* One event: its type, and the payload it carries (NULL: {} with only the
 * name).  A "*" before the type marks a subagent event (agent_id set). */
struct step {
    const char *type;
    const char *payload;
};

struct row {
    const char *name;
    struct step steps[8];
    const char *state;       /* stored state afterwards */
    const char *reason;      /* NULL: none */
    int since_step;          /* the step whose time is state_since (1-based) */
    const char *detail;      /* the detail's JSON text, NULL: none */
};

#define PRE_BASH {"PreToolUse", "{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"}}"}
#define POST_BASH {"PostToolUse", "{\"tool_name\":\"Bash\"}"}
#define PROMPT {"UserPromptSubmit", "{\"prompt\":\"fix the tests\"}"}
#define PERMISSION {"PermissionRequest", "{\"tool_name\":\"Bash\",\"tool_input\":" \
    "{\"command\":\"git push origin main\",\n\"description\":\"Push\"}}"}
#define NOTE_PERMISSION {"Notification", "{\"message\":\"Claude needs your permission to use " \
    "Bash\",\"notification_type\":\"permission_prompt\",\"title\":\"Permission needed\"}"}
#define NOTE_IDLE {"Notification", "{\"message\":\"Claude is waiting for your input\"," \
    "\"notification_type\":\"idle_prompt\"}"}
#define NOTE_AUTH {"Notification", "{\"message\":\"ok\",\"notification_type\":\"auth_success\"}"}
#define STOP {"Stop", "{\"stop_hook_active\":false,\"last_assistant_message\":\"Done.\\nAll " \
    "tests pass.\"}"}
#define STOP_FAILURE {"StopFailure", "{\"error\":\"rate_limit\",\"error_details\":\"429 Too " \
    "Many Requests\"}"}
#define ELICITATION {"Elicitation", "{\"mcp_server_name\":\"github\",\"message\":\"Which " \
    "repository?\"}"}
#define SESSION_END {"SessionEnd", "{\"reason\":\"prompt_input_exit\"}"}
#define SESSION_START {"SessionStart", "{\"source\":\"resume\"}"}

static const struct row table[] = {
    {"first event starts working", {SESSION_START}, "working", NULL, 1, NULL},
    {"tool activity is working", {SESSION_START, PROMPT, PRE_BASH, POST_BASH}, "working", NULL,
     1, NULL},
    {"permission request waits, with tool and input", {PROMPT, PRE_BASH, PERMISSION},
     "awaiting_input", "permission", 3,
     "{\"tool_name\":\"Bash\",\"tool_input\":\"git push origin main\"}"},
    {"permission_prompt notification alone", {PROMPT, NOTE_PERMISSION}, "awaiting_input",
     "permission", 2, "{\"message\":\"Claude needs your permission to use Bash\"}"},
    {"request then its notification: one wait, details merged",
     {PROMPT, PERMISSION, NOTE_PERMISSION}, "awaiting_input", "permission", 2,
     "{\"tool_name\":\"Bash\",\"tool_input\":\"git push origin main\","
     "\"message\":\"Claude needs your permission to use Bash\"}"},
    {"permission granted: the tool runs, working again", {PROMPT, PERMISSION, POST_BASH},
     "working", NULL, 3, NULL},
    {"Stop is turn_done with the reply's first line", {PROMPT, PRE_BASH, STOP},
     "awaiting_input", "turn_done", 3, "{\"message\":\"Done. All tests pass.\"}"},
    {"idle_prompt after Stop sharpens the reason, keeps since", {PROMPT, STOP, NOTE_IDLE},
     "awaiting_input", "idle_prompt", 2, "{\"message\":\"Claude is waiting for your input\"}"},
    {"agent_needs_input counts as idle_prompt",
     {PROMPT, {"Notification", "{\"notification_type\":\"agent_needs_input\"}"}},
     "awaiting_input", "idle_prompt", 2, NULL},
    {"elicitation event", {PROMPT, ELICITATION}, "awaiting_input", "elicitation", 2,
     "{\"tool_name\":\"github\",\"message\":\"Which repository?\"}"},
    {"elicitation_dialog notification",
     {PROMPT, {"Notification", "{\"notification_type\":\"elicitation_dialog\"}"}},
     "awaiting_input", "elicitation", 2, NULL},
    {"elicitation answered", {PROMPT, ELICITATION, {"ElicitationResult", "{}"}}, "working", NULL,
     3, NULL},
    {"StopFailure fails with its error", {PROMPT, PRE_BASH, STOP_FAILURE}, "failed", NULL, 3,
     "{\"message\":\"429 Too Many Requests\",\"error\":\"rate_limit\"}"},
    {"a failed session works again on the next prompt", {PROMPT, STOP_FAILURE, PROMPT},
     "working", NULL, 3, NULL},
    {"SessionEnd ends", {PROMPT, STOP, SESSION_END}, "ended", NULL, 3, NULL},
    {"nothing but a resume revives an ended session",
     {PROMPT, SESSION_END, NOTE_IDLE, PRE_BASH, STOP}, "ended", NULL, 2, NULL},
    {"resume after end", {PROMPT, SESSION_END, SESSION_START}, "working", NULL, 3, NULL},
    {"next prompt after turn_done works", {PROMPT, STOP, PROMPT}, "working", NULL, 3, NULL},
    {"a waiting session stays waiting through unrelated events",
     {PROMPT, PERMISSION, NOTE_AUTH, {"CwdChanged", "{}"}, {"InstructionsLoaded", "{}"},
      {"SubagentStop", "{\"agent_id\":\"a1\"}"}},
     "awaiting_input", "permission", 2,
     "{\"tool_name\":\"Bash\",\"tool_input\":\"git push origin main\"}"},
    {"SubagentStop is not the main turn's Stop",
     {PROMPT, {"SubagentStart", "{\"agent_id\":\"a1\"}"}, {"*PreToolUse", "{}"},
      {"*SubagentStop", "{\"last_assistant_message\":\"found it\"}"}},
     "working", NULL, 1, NULL},
    {"a subagent's Stop or failure does not touch the main session",
     {PROMPT, {"*Stop", "{}"}, {"*StopFailure", "{\"error\":\"overloaded\"}"},
      {"*SessionEnd", "{}"}}, "working", NULL, 1, NULL},
    {"subagent activity does not wake a finished turn",
     {PROMPT, STOP, {"*PreToolUse", "{}"}, {"*PostToolUse", "{}"}}, "awaiting_input",
     "turn_done", 2, "{\"message\":\"Done. All tests pass.\"}"},
    {"a subagent's permission prompt waits for the person",
     {PROMPT, {"*PreToolUse", "{}"},
      {"*PermissionRequest", "{\"tool_name\":\"Edit\",\"tool_input\":{\"file_path\":"
                             "\"/src/a.c\",\"old_string\":\"x\"}}"}},
     "awaiting_input", "permission", 3,
     "{\"tool_name\":\"Edit\",\"tool_input\":\"/src/a.c\"}"},
    {"... and its tool running ends the wait",
     {PROMPT, {"*PermissionRequest", "{\"tool_name\":\"Edit\"}"}, {"*PostToolUse", "{}"}},
     "working", NULL, 3, NULL},
    {"an MCP tool's input is summarised as its JSON",
     {PROMPT, {"PermissionRequest", "{\"tool_name\":\"mcp__db__run\",\"tool_input\":"
                                    "{\"sql\":\"select 1\",\"n\":2}}"}},
     "awaiting_input", "permission", 2,
     "{\"tool_name\":\"mcp__db__run\",\"tool_input\":\"{\\\"sql\\\":\\\"select 1\\\","
     "\\\"n\\\":2}\"}"},
};

static void run_row(struct check *c, const struct row *r)
{
    struct session_state s;
    memset(&s, 0, sizeof s);
    int64_t ts[8] = {0};
    for (int i = 0; i < 8 && r->steps[i].type != NULL; i++) {
        const char *type = r->steps[i].type;
        int sub = type[0] == '*';
        type += sub;
        const char *payload = r->steps[i].payload ? r->steps[i].payload : "{}";
        const char *nt = strstr(payload, "\"notification_type\":\"");
        char ntype[64] = "";
        if (nt != NULL) {
            nt += strlen("\"notification_type\":\"");
            snprintf(ntype, sizeof ntype, "%.*s", (int)strcspn(nt, "\""), nt);
        }
        struct state_event ev;
        memset(&ev, 0, sizeof ev);
        ev.flags = event_meaning(type, strlen(type), nt ? ntype : NULL, &ev.awaiting);
        ev.subagent = sub;
        ev.ts_ns = ts[i] = 1000 * (i + 1);
        state_event_read(&ev, payload, strlen(payload));
        session_state_next(&s, &ev, &s);
        if (s.since_ns == 0)
            s.since_ns = ev.ts_ns;
    }
    struct buf b = {0};
    int empty = 1;
    CHECK(c, state_detail_json(&s.detail, &b, &empty) == 0);
    CHECK(c, buf_append(&b, "", 1) == 0);
    int ok = strcmp(session_state_name(s.state), r->state) == 0 &&
             (r->reason ? awaiting_reason_name(s.reason) != NULL &&
                              strcmp(awaiting_reason_name(s.reason), r->reason) == 0
                        : s.reason == AWAIT_NONE) &&
             s.since_ns == ts[r->since_step - 1] &&
             (r->detail ? !empty && strcmp(b.data, r->detail) == 0 : empty);
    if (!ok) {
        fprintf(stderr, "  row '%s': got %s/%s since step %lld detail %s\n", r->name,
                session_state_name(s.state), s.reason ? awaiting_reason_name(s.reason) : "-",
                (long long)(s.since_ns / 1000), empty ? "(none)" : b.data);
        c->failures++;
    }
    buf_free(&b);
}

static void transitions(struct check *c)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        run_row(c, &table[i]);
}

/* Every stored state and every reason appears in the table. */
static void table_covers_everything(struct check *c)
{
    const char *states[] = {"working", "awaiting_input", "failed", "ended"};
    const char *reasons[] = {"permission", "idle_prompt", "turn_done", "elicitation"};
    for (size_t i = 0; i < 4; i++) {
        int seen_state = 0, seen_reason = 0;
        for (size_t j = 0; j < sizeof table / sizeof table[0]; j++) {
            seen_state |= strcmp(table[j].state, states[i]) == 0;
            seen_reason |= table[j].reason && strcmp(table[j].reason, reasons[i]) == 0;
        }
        CHECK(c, seen_state);
        CHECK(c, seen_reason);
    }
}

static void names_round_trip(struct check *c)
{
    for (int k = SSTATE_WORKING; k <= SSTATE_ENDED; k++)
        CHECK_INT(c, session_state_parse(session_state_name((enum session_state_kind)k)), k);
    CHECK_INT(c, session_state_parse("idle"), SSTATE_WORKING);
    CHECK_INT(c, session_state_parse(NULL), SSTATE_WORKING);
    CHECK_INT(c, awaiting_reason_parse("turn_done"), AWAIT_TURN_DONE);
    CHECK_INT(c, awaiting_reason_parse("bogus"), AWAIT_NONE);
    CHECK_INT(c, awaiting_reason_parse(NULL), AWAIT_NONE);
}

static void one_line(struct check *c)
{
    char out[32];
    CHECK_INT(c, one_line_text("  a\n\n b\tc  ", 11, out, sizeof out, 100), 5);
    CHECK_STR(c, out, "a b c");
    one_line_text("abcdef", 6, out, sizeof out, 3);
    CHECK_STR(c, out, "abc");
    /* Never cuts a UTF-8 sequence: by characters, then by bytes. */
    one_line_text("\xc3\xa9\xc3\xa9\xc3\xa9", 6, out, sizeof out, 2);
    CHECK_STR(c, out, "\xc3\xa9\xc3\xa9");
    one_line_text("\xc3\xa9\xc3\xa9\xc3\xa9", 6, out, 4, 10);
    CHECK_STR(c, out, "\xc3\xa9");
    one_line_text("ab\xe2\x82", 4, out, sizeof out, 10); /* truncated input */
    CHECK_STR(c, out, "ab");
    CHECK_INT(c, one_line_text(" \n ", 3, out, sizeof out, 10), 0);
}

static void titles(struct check *c)
{
    struct state_event ev;
    memset(&ev, 0, sizeof ev);
    ev.flags = EVF_PROMPT;
    const char *p = "{\"prompt\":\"  Add a retry\\nto the webhook  \"}";
    state_event_read(&ev, p, strlen(p));
    CHECK_STR(c, ev.title, "Add a retry to the webhook");
    CHECK_INT(c, ev.title_claude, 0);
    /* Cut at 120 characters. */
    char big[600];
    int n = snprintf(big, sizeof big, "{\"prompt\":\"");
    for (int i = 0; i < 200; i++)
        big[n++] = (char)('a' + i % 26);
    n += snprintf(big + n, sizeof big - (size_t)n, "\"}");
    state_event_read(&ev, big, (size_t)n);
    CHECK_INT(c, strlen(ev.title), SESSION_TITLE_CHARS);
    /* Claude Code's own title wins. */
    memset(&ev, 0, sizeof ev);
    ev.flags = EVF_SESSION_START;
    p = "{\"source\":\"resume\",\"session_title\":\"Payment retries\"}";
    state_event_read(&ev, p, strlen(p));
    CHECK_STR(c, ev.title, "Payment retries");
    CHECK_INT(c, ev.title_claude, 1);
    /* A subagent's prompt is not the session's. */
    memset(&ev, 0, sizeof ev);
    ev.flags = EVF_PROMPT;
    ev.subagent = 1;
    p = "{\"prompt\":\"search\"}";
    state_event_read(&ev, p, strlen(p));
    CHECK_STR(c, ev.title, "");
    /* Not JSON: nothing. */
    state_event_read(&ev, "{\"prompt\":", 10);
    CHECK_STR(c, ev.title, "");
}

static void process_gone(struct check *c)
{
    struct state_detail d;
    state_detail_process_gone(&d, 4242);
    CHECK(c, strstr(d.message, "4242") != NULL);
    CHECK_STR(c, d.tool_name, "");
}

CHECK_MAIN(CASE(transitions), CASE(table_covers_everything), CASE(names_round_trip),
           CASE(one_line), CASE(titles), CASE(process_gone))
