/*
 * test_hooks_settings.c - the settings.json merge of `chronicle install-hooks`
 * against realistic files: the user's own hooks on the same events,
 * permissions, env, MCP servers, unusual formatting; idempotence; uninstall
 * giving back the original bytes; refusal of invalid documents.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../admin/hook_events.h"
#include "../../admin/hooks_settings.h"
#include "../../admin/settings_text.h"

#define SEND "/opt/chronicle/bin/chronicle-send"

static const char *const all_default[] = {
    "SessionStart", "SessionEnd", "UserPromptSubmit", "PreToolUse", "PermissionRequest",
    "PostToolUse", "PostToolUseFailure", "Notification", "Stop", "SubagentStart",
    "SubagentStop", "PreCompact",
};
#define N_DEFAULT (sizeof all_default / sizeof all_default[0])

static struct hooks_install_opts install_opts(int exec_form)
{
    struct hooks_install_opts o = {SEND, exec_form, 5, all_default, N_DEFAULT};
    return o;
}

static const struct hooks_install_opts uninstall = {SEND, 1, 5, NULL, 0};

/* A user's settings file as people write them: their own hooks on events we
 * also use (PreToolUse with a matcher, Stop), permissions, env with a float
 * and an exponent, MCP servers, tab indentation, " : " separators. */
static const char realistic[] =
    "{\n"
    "\t\"$schema\" : \"https://json.schemastore.org/claude-code-settings.json\",\n"
    "\t\"permissions\" : {\"allow\": [\"Bash(npm run lint)\", \"Read(~/.zshrc)\"],\n"
    "\t\t\"deny\": [\"Bash(curl:*)\"], \"defaultMode\": \"acceptEdits\"},\n"
    "\t\"env\" : {\"CLAUDE_CODE_ENABLE_TELEMETRY\": \"1\", \"RATIO\": 0.1, \"BIG\": 1E+3},\n"
    "\t\"hooks\" : {\n"
    "\t\t\"PreToolUse\" : [ {\"matcher\": \"Bash\", \"hooks\": [ {\"type\": \"command\", "
    "\"command\": \"~/.claude/guard.sh\", \"timeout\": 30} ]} ],\n"
    "\t\t\"Stop\" : [{\"hooks\":[{\"type\":\"command\",\"command\":\"notify-send done\"}]}],\n"
    "\t\t\"WorktreeCreate\" : [{\"hooks\":[{\"type\":\"command\",\"command\":\"mk-worktree\"}]}]\n"
    "\t},\n"
    "\t\"mcpServers\" : {\"github\": {\"command\": \"npx\", \"args\": [\"-y\", "
    "\"@modelcontextprotocol/server-github\"], \"env\": {\"GITHUB_TOKEN\": \"\\u0067hp_x\"}}},\n"
    "\t\"model\" : \"opus\",\n"
    "\t\"unicode\" : \"caf\\u00e9 \xe2\x9c\x93\"\n"
    "}\n";

static json_t *parse(const char *text, size_t len)
{
    return json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
}

/* Number of Chronicle handlers on event in doc, and whether each is right. */
static int count_ours(const json_t *doc, const char *event, int exec_form, int *well_formed)
{
    json_t *arr = json_object_get(json_object_get(doc, "hooks"), event);
    size_t i, j;
    json_t *g, *h;
    int n = 0;
    *well_formed = 1;
    json_array_foreach(arr, i, g) {
        json_array_foreach(json_object_get(g, "hooks"), j, h) {
            if (!hooks_is_chronicle_handler(h))
                continue;
            n++;
            const char *cmd = json_string_value(json_object_get(h, "command"));
            json_t *args = json_object_get(h, "args");
            if (json_integer_value(json_object_get(h, "timeout")) != 5 || cmd == NULL)
                *well_formed = 0;
            else if (exec_form)
                *well_formed &= strcmp(cmd, SEND) == 0 && json_array_size(args) == 1 &&
                                strcmp(json_string_value(json_array_get(args, 0)), event) == 0;
            else
                *well_formed &= args == NULL && strncmp(cmd, SEND " ", strlen(SEND) + 1) == 0 &&
                                strcmp(cmd + strlen(SEND) + 1, event) == 0;
        }
    }
    return n;
}

/* Everything but "hooks" is equal in a and b. */
static int same_except_hooks(const json_t *a, const json_t *b)
{
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
    json_object_del(ca, "hooks");
    json_object_del(cb, "hooks");
    int eq = json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

static void install_realistic(struct check *c)
{
    struct hooks_install_opts o = install_opts(1);
    struct hooks_result r;
    char err[256];
    CHECK_INT(c, hooks_settings_apply(realistic, strlen(realistic), &o, &r, err, sizeof err), 0);
    CHECK(c, r.changed);
    CHECK_INT(c, r.n_changes, N_DEFAULT);
    json_t *before = parse(realistic, strlen(realistic)), *after = parse(r.text.data, r.text.len);
    CHECK(c, before != NULL && after != NULL);
    CHECK(c, same_except_hooks(before, after));
    for (size_t i = 0; i < N_DEFAULT; i++) {
        int ok;
        CHECK_INT(c, count_ours(after, all_default[i], 1, &ok), 1);
        CHECK(c, ok);
    }
    /* The user's handlers are still there, first, and unchanged. */
    json_t *pre = json_object_get(json_object_get(after, "hooks"), "PreToolUse");
    json_t *old_pre = json_object_get(json_object_get(before, "hooks"), "PreToolUse");
    CHECK_INT(c, json_array_size(pre), 2);
    CHECK(c, json_equal(json_array_get(pre, 0), json_array_get(old_pre, 0)));
    CHECK_STR(c, json_string_value(json_object_get(json_array_get(pre, 1), "matcher")), "*");
    json_t *stop = json_object_get(json_object_get(after, "hooks"), "Stop");
    CHECK_INT(c, json_array_size(stop), 2);
    /* The user's own WorktreeCreate hook is theirs; we never add one. */
    int ok;
    CHECK_INT(c, count_ours(after, "WorktreeCreate", 1, &ok), 0);
    CHECK_INT(c, json_array_size(json_object_get(json_object_get(after, "hooks"), "WorktreeCreate")), 1);
    /* Text outside "hooks" is byte for byte the original. */
    const char *h0 = strstr(realistic, "\t\"mcpServers\"");
    CHECK(c, h0 != NULL && strstr(r.text.data, h0) != NULL);
    CHECK_INT(c, strncmp(r.text.data, realistic, (size_t)(strstr(realistic, "\t\"hooks\"") - realistic)), 0);
    json_decref(before);
    json_decref(after);
    hooks_result_free(&r);
}

static void idempotent_and_reversible(struct check *c)
{
    struct hooks_install_opts o = install_opts(1);
    struct hooks_result r1, r2, r3, r4;
    char err[256];
    CHECK_INT(c, hooks_settings_apply(realistic, strlen(realistic), &o, &r1, err, sizeof err), 0);
    CHECK_INT(c, hooks_settings_apply(r1.text.data, r1.text.len, &o, &r2, err, sizeof err), 0);
    CHECK(c, !r2.changed && r2.n_changes == 0);
    CHECK(c, r2.text.len == r1.text.len && memcmp(r2.text.data, r1.text.data, r1.text.len) == 0);
    CHECK_INT(c, hooks_settings_apply(r1.text.data, r1.text.len, &uninstall, &r3, err, sizeof err), 0);
    CHECK(c, r3.changed);
    /* Uninstall gives back the original bytes, not just the same meaning. */
    CHECK(c, r3.text.len == strlen(realistic) && memcmp(r3.text.data, realistic, r3.text.len) == 0);
    if (r3.text.len != strlen(realistic) || memcmp(r3.text.data, realistic, r3.text.len) != 0)
        fprintf(stderr, "--- got:\n%.*s\n", (int)r3.text.len, r3.text.data);
    CHECK_INT(c, hooks_settings_apply(r3.text.data, r3.text.len, &uninstall, &r4, err, sizeof err), 0);
    CHECK(c, !r4.changed);
    hooks_result_free(&r1);
    hooks_result_free(&r2);
    hooks_result_free(&r3);
    hooks_result_free(&r4);
}

/* Round trips on files of unusual shapes, each back to the same bytes. */
static void unusual_formatting_round_trips(struct check *c)
{
    static const char *const docs[] = {
        "{}",
        "{}\n",
        "{ }",
        "{\"model\":\"opus\"}",
        "{\"model\":\"opus\",\"hooks\":{\"Stop\":[{\"hooks\":[{\"type\":\"command\",\"command\":\"x\"}]}]}}",
        "{\r\n  \"model\": \"opus\",\r\n  \"env\": {}\r\n}\r\n",
        "  {\n      \"a\" :   [1, 2.50, -0.0, 1e-7, 9223372036854775807],\n"
        "      \"b\" : null }  \n",
        "{\"z\": true, \"hooks\": {\"Stop\": []}}",
        "{\"hooks\": {\"Notification\": [{\"matcher\": \"\", \"hooks\": []}]}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct hooks_install_opts o = install_opts(i % 2);
        struct hooks_result a, b, u;
        char err[256];
        size_t len = strlen(docs[i]);
        int rc = hooks_settings_apply(docs[i], len, &o, &a, err, sizeof err);
        CHECK_INT(c, rc, 0);
        if (rc != 0) {
            fprintf(stderr, "  doc %zu: %s\n", i, err);
            continue;
        }
        json_t *before = parse(docs[i], len), *after = parse(a.text.data, a.text.len);
        CHECK(c, after != NULL && same_except_hooks(before, after));
        int ok;
        CHECK(c, count_ours(after, "PreToolUse", i % 2, &ok) == 1 && ok);
        CHECK(c, hooks_settings_apply(a.text.data, a.text.len, &o, &b, err, sizeof err) == 0 && !b.changed);
        CHECK_INT(c, hooks_settings_apply(a.text.data, a.text.len, &uninstall, &u, err, sizeof err), 0);
        json_t *back = parse(u.text.data, u.text.len);
        /* An empty event list we filled and emptied again is dropped: only
         * doc 7's "hooks": {"Stop": []} comes back without it. */
        if (i == 7)
            json_object_set_new(back, "hooks", json_pack("{s[]}", "Stop"));
        CHECK(c, back != NULL && json_equal(back, before));
        if (i >= 3 && i != 7) {
            int same = u.text.len == len && memcmp(u.text.data, docs[i], len) == 0;
            CHECK(c, same);
            if (!same)
                fprintf(stderr, "  doc %zu came back as:\n%.*s\n", i, (int)u.text.len, u.text.data);
        }
        if (strchr(docs[i], '\r'))  /* CRLF files get CRLF lines */
            CHECK(c, strstr(a.text.data, "\"hooks\": {\r\n") != NULL);
        json_decref(before);
        json_decref(after);
        json_decref(back);
        hooks_result_free(&a);
        hooks_result_free(&b);
        hooks_result_free(&u);
    }
}

static void missing_file_starts_empty(struct check *c)
{
    struct hooks_install_opts o = install_opts(1);
    struct hooks_result r;
    char err[256];
    CHECK_INT(c, hooks_settings_apply(NULL, 0, &o, &r, err, sizeof err), 0);
    json_t *doc = parse(r.text.data, r.text.len);
    CHECK(c, doc != NULL && json_object_size(doc) == 1);
    CHECK_INT(c, json_object_size(json_object_get(doc, "hooks")), N_DEFAULT);
    CHECK(c, r.text.len > 0 && r.text.data[r.text.len - 1] == '\n');
    json_decref(doc);
    hooks_result_free(&r);
}

static void refuses_bad_documents(struct check *c)
{
    static const struct { const char *text, *want; } bad[] = {
        {"{\"model\": \"opus\",}", "not valid JSON (line 1"},
        {"{\n  \"a\": 1\n  \"b\": 2\n}", "not valid JSON (line 3"},
        {"", "not valid JSON"},
        {"// comment\n{}", "not valid JSON"},
        {"[]", "not a JSON object"},
        {"{\"hooks\": []}", "\"hooks\" is not an object"},
        {"{\"hooks\": {\"PreToolUse\": {}}}", "\"PreToolUse\" is not an array"},
        {"{\"a\": 1, \"a\": 2}", "not valid JSON"},
        {"{\"n\": 123456789012345678901234567890}", "too big integer"},
    };
    struct hooks_install_opts o = install_opts(1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hooks_result r;
        char err[256] = "";
        CHECK_INT(c, hooks_settings_apply(bad[i].text, strlen(bad[i].text), &o, &r, err, sizeof err), -1);
        CHECK(c, strstr(err, bad[i].want) != NULL);
        if (strstr(err, bad[i].want) == NULL)
            fprintf(stderr, "  case %zu: err '%s'\n", i, err);
    }
}

/* A Chronicle handler in the shell form with an older path is updated in
 * place, duplicates collapse, and a user group that also held one keeps
 * the user's handler. */
static void converges_old_installs(struct check *c)
{
    static const char old[] =
        "{\"hooks\": {\"PreToolUse\": ["
        "{\"matcher\": \"*\", \"hooks\": [{\"type\": \"command\", \"command\": \"/old/chronicle-send PreToolUse\"}]},"
        "{\"matcher\": \"Bash\", \"hooks\": [{\"type\": \"command\", \"command\": \"guard\"},"
        " {\"type\": \"command\", \"command\": \"'/other place/chronicle-send' PreToolUse\"}]}],"
        "\"MessageDisplay\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"CHRONICLE_HOME=/x /old/chronicle-send\"}]}]}}";
    struct hooks_install_opts o = install_opts(1);
    struct hooks_result r;
    char err[256];
    CHECK_INT(c, hooks_settings_apply(old, strlen(old), &o, &r, err, sizeof err), 0);
    json_t *doc = parse(r.text.data, r.text.len);
    int ok;
    CHECK(c, count_ours(doc, "PreToolUse", 1, &ok) == 1 && ok);
    json_t *pre = json_object_get(json_object_get(doc, "hooks"), "PreToolUse");
    CHECK_INT(c, json_array_size(pre), 2);
    CHECK_INT(c, json_array_size(json_object_get(json_array_get(pre, 1), "hooks")), 1);
    /* Not asked for: MessageDisplay's handler (VAR=value prefix) is removed. */
    CHECK_INT(c, json_object_get(json_object_get(doc, "hooks"), "MessageDisplay"), NULL);
    json_decref(doc);
    hooks_result_free(&r);
}

static void shell_form_quotes_paths(struct check *c)
{
    struct hooks_install_opts o = {"/home/a b/it's/chronicle-send", 0, 5, all_default, 1};
    struct hooks_result r;
    char err[256];
    CHECK_INT(c, hooks_settings_apply("{}", 2, &o, &r, err, sizeof err), 0);
    json_t *doc = parse(r.text.data, r.text.len);
    json_t *h = json_array_get(json_object_get(json_array_get(
        json_object_get(json_object_get(doc, "hooks"), "SessionStart"), 0), "hooks"), 0);
    CHECK_STR(c, json_string_value(json_object_get(h, "command")),
              "'/home/a b/it'\\''s/chronicle-send' SessionStart");
    char prog[256];
    CHECK_INT(c, hooks_handler_program(h, prog, sizeof prog), 0);
    CHECK_STR(c, prog, "/home/a b/it's/chronicle-send");
    CHECK(c, hooks_is_chronicle_handler(h));
    json_decref(doc);
    hooks_result_free(&r);
}

static void recognises_only_chronicle(struct check *c)
{
    static const struct { const char *json; int ours; } cases[] = {
        {"{\"type\":\"command\",\"command\":\"/a/chronicle-send\",\"args\":[\"Stop\"]}", 1},
        {"{\"type\":\"command\",\"command\":\"chronicle-send Stop\"}", 1},
        {"{\"type\":\"command\",\"command\":\"  \\\"/x y/chronicle-send\\\" Stop\"}", 1},
        {"{\"type\":\"command\",\"command\":\"/a/chronicle-send-wrapper Stop\"}", 0},
        {"{\"type\":\"command\",\"command\":\"echo chronicle-send\"}", 0},
        {"{\"type\":\"prompt\",\"command\":\"chronicle-send\"}", 0},
        {"{\"type\":\"command\",\"command\":\"/a/chronicle-send Stop\",\"args\":[]}", 0},
        {"{\"type\":\"command\"}", 0},
        {"\"chronicle-send\"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *h = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        CHECK(c, h != NULL);
        CHECK(c, hooks_is_chronicle_handler(h) == cases[i].ours);
        if (hooks_is_chronicle_handler(h) != cases[i].ours)
            fprintf(stderr, "  case %zu\n", i);
        json_decref(h);
    }
}

static void versions_choose_events_and_form(struct check *c)
{
    struct claude_version v;
    CHECK(c, claude_version_parse("2.1.240 (Claude Code)\n", &v) == 0 && v.known);
    CHECK(c, v.major == 2 && v.minor == 1 && v.patch == 240);
    CHECK(c, claude_version_parse("claude v1.0.3-beta", &v) == 0 && v.patch == 3);
    CHECK(c, claude_version_parse("no version here 2.1", &v) == -1 && !v.known);
    CHECK(c, claude_version_parse("12.1.240", &v) == 0 && v.major == 12);
    claude_version_parse("2.1.138", &v);
    CHECK(c, !claude_version_has_exec_form(&v));
    claude_version_parse("2.1.139", &v);
    CHECK(c, claude_version_has_exec_form(&v));
    claude_version_parse("3.0.0", &v);
    CHECK(c, claude_version_has_exec_form(&v));
    struct claude_version unknown = {0};
    CHECK(c, !claude_version_has_exec_form(&unknown));

    size_t n, def = 0, newest = 0, old = 0;
    const struct event_type *t = event_types(&n);
    struct claude_version v_old, v_new;
    claude_version_parse("1.0.50", &v_old);
    claude_version_parse("2.1.240", &v_new);
    for (size_t i = 0; i < n; i++) {
        CHECK(c, !hook_event_forbidden(t[i].name));
        def += hook_event_supported(&t[i], &unknown);
        newest += hook_event_supported(&t[i], &v_new);
        old += hook_event_supported(&t[i], &v_old);
    }
    CHECK_INT(c, def, N_DEFAULT);
    for (size_t i = 0; i < N_DEFAULT; i++)
        CHECK(c, hook_event_supported(hook_event_find(all_default[i]), &unknown));
    CHECK(c, newest == n - 1);   /* all but MessageDisplay */
    CHECK(c, !hook_event_supported(hook_event_find("MessageDisplay"), &v_new));
    CHECK(c, !hook_event_supported(hook_event_find("SessionStart"), &v_old));
    CHECK(c, hook_event_supported(hook_event_find("PreCompact"), &v_old));
    CHECK(c, old > 0 && old < def);
    CHECK(c, hook_event_forbidden("WorktreeCreate") && hook_event_find("WorktreeCreate") == NULL);
}

static void probe_missing_claude(struct check *c)
{
    struct claude_version v;
    CHECK(c, claude_version_probe("/nonexistent/claude", 2000, &v) == -1 && !v.known);
    /* A program that prints a version and exits. */
    CHECK_INT(c, claude_version_probe("true", 2000, &v), -1);
}

static void lists_registrations(struct check *c)
{
    struct hooks_install_opts o = install_opts(0);
    struct hooks_result r;
    char err[256];
    CHECK_INT(c, hooks_settings_apply(realistic, strlen(realistic), &o, &r, err, sizeof err), 0);
    struct hooks_registration regs[HOOKS_MAX_EVENTS];
    int n = hooks_settings_registered(r.text.data, r.text.len, regs, HOOKS_MAX_EVENTS, err, sizeof err);
    CHECK(c, n == (int)N_DEFAULT);
    CHECK(c, n > 0 && strcmp(regs[0].program, SEND) == 0 && !regs[0].exec_form);
    CHECK(c, hooks_settings_registered(realistic, strlen(realistic), regs, HOOKS_MAX_EVENTS, err,
                                       sizeof err) == 0);
    CHECK_INT(c, hooks_settings_registered("nope", 4, regs, HOOKS_MAX_EVENTS, err, sizeof err), -1);
    hooks_result_free(&r);
}

CHECK_MAIN(CASE(install_realistic), CASE(idempotent_and_reversible),
           CASE(unusual_formatting_round_trips), CASE(missing_file_starts_empty),
           CASE(refuses_bad_documents), CASE(converges_old_installs), CASE(shell_form_quotes_paths),
           CASE(recognises_only_chronicle), CASE(versions_choose_events_and_form),
           CASE(probe_missing_claude), CASE(lists_registrations))
