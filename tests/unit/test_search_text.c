/* test_search_text.c - what the full-text index gets of each payload
 * (common/search_text.c), and the SQL function the schema's view and
 * trigger use giving the same text. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chronicle/search_text.h"

static struct search_text st;

static void extract(struct check *c, const char *type, const char *json)
{
    CHECK_INT(c, search_text_extract(&st, type, json, strlen(json)), 0);
}

static const char *f(int field) { return st.text[field].len ? st.text[field].data : ""; }

static void prompt_and_notification(struct check *c)
{
    extract(c, "UserPromptSubmit",
            "{\"session_id\":\"s\",\"prompt\":\"Add a retry\",\"cwd\":\"/w\",\"prompt_id\":\"p\"}");
    CHECK_STR(c, f(SEARCH_PROMPT), "Add a retry");
    CHECK(c, st.text[SEARCH_OTHER].len == 0 && st.text[SEARCH_COMMAND].len == 0);
    extract(c, "Notification", "{\"message\":\"Claude needs your permission\",\"title\":\"Permission "
                               "needed\",\"notification_type\":\"permission_prompt\"}");
    CHECK_STR(c, f(SEARCH_OTHER), "Claude needs your permission\nPermission needed");
    CHECK(c, st.text[SEARCH_PROMPT].len == 0);
    extract(c, "InstructionsLoaded", "{\"file_path\":\"/w/CLAUDE.md\",\"memory_type\":\"Project\"}");
    CHECK_STR(c, f(SEARCH_FILE_PATH), "/w/CLAUDE.md");
}

static void tool_calls(struct check *c)
{
    extract(c, "PreToolUse", "{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"pytest -q\","
                             "\"description\":\"Run tests\"},\"tool_use_id\":\"t\"}");
    CHECK_STR(c, f(SEARCH_COMMAND), "pytest -q");
    CHECK_STR(c, f(SEARCH_OTHER), "Run tests");
    /* The Post event's tool_input was indexed with its Pre: only the output. */
    extract(c, "PostToolUse", "{\"tool_input\":{\"command\":\"pytest -q\"},\"tool_response\":"
                              "{\"stdout\":\"1 failed\\n\",\"stderr\":\"warn\",\"interrupted\":false}}");
    CHECK(c, st.text[SEARCH_COMMAND].len == 0);
    CHECK_STR(c, f(SEARCH_TOOL_OUTPUT), "1 failed\n\nwarn");
    extract(c, "PostToolUse", "{\"tool_response\":\"plain output\"}");
    CHECK_STR(c, f(SEARCH_TOOL_OUTPUT), "plain output");
    extract(c, "PostToolUse", "{\"tool_response\":{\"type\":\"text\",\"file\":{\"filePath\":\"/a.c\","
                              "\"content\":\"int main\",\"numLines\":1}}}");
    CHECK_STR(c, f(SEARCH_TOOL_OUTPUT), "text\n/a.c\nint main");
    extract(c, "PreToolUse", "{\"tool_name\":\"Grep\",\"tool_input\":{\"pattern\":\"TODO\",\"path\":"
                             "\"src\",\"glob\":\"*.c\",\"-n\":true}}");
    CHECK_STR(c, f(SEARCH_FILE_PATH), "TODO\nsrc\n*.c");
    extract(c, "PreToolUse", "{\"tool_input\":{\"file_path\":\"/a.py\",\"edits\":[{\"old_string\":"
                             "\"x\",\"new_string\":\"y\"}]}}");
    CHECK_STR(c, f(SEARCH_FILE_PATH), "/a.py");
    CHECK_STR(c, f(SEARCH_OTHER), "x\ny");
    extract(c, "PostToolUseFailure", "{\"tool_input\":{\"command\":\"make lint\"},\"error\":"
                                     "\"Exit code 2\\nNo rule\",\"is_interrupt\":false}");
    CHECK_STR(c, f(SEARCH_ERROR), "Exit code 2\nNo rule");
    CHECK(c, st.text[SEARCH_COMMAND].len == 0);
    extract(c, "StopFailure", "{\"error\":\"rate_limit\",\"error_details\":\"429 Too Many\"}");
    CHECK_STR(c, f(SEARCH_ERROR), "rate_limit\n429 Too Many");
    /* Nested keys named like top-level ones are not taken for them. */
    extract(c, "PreToolUse", "{\"x\":{\"prompt\":\"no\",\"error\":\"no\"}}");
    CHECK(c, search_text_empty(&st));
}

static void escapes_and_controls(struct check *c)
{
    extract(c, "UserPromptSubmit", "{\"prompt\":\"caf\\u00e9 \\\"q\\\" a\\u0001b\\u0002c\\td "
                                   "\\ud83d\\ude00 \\/\"}");
    CHECK_STR(c, f(SEARCH_PROMPT), "caf\xc3\xa9 \"q\" a b c\td \xf0\x9f\x98\x80 /");
    CHECK(c, strchr(f(SEARCH_PROMPT), '\x01') == NULL);
}

static int valid_utf8_end(const struct buf *b)
{
    /* the last character is complete */
    size_t i = b->len;
    size_t back = 0;
    while (i > 0 && ((unsigned char)b->data[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return back == 0;
    unsigned char lead = (unsigned char)b->data[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return want == back + 1;
}

static void capped(struct check *c)
{
    size_t n = 3 * SEARCH_FIELD_CAP;
    char *json = malloc(n * 6 + 64);
    strcpy(json, "{\"tool_response\":\"");
    char *p = json + strlen(json);
    for (size_t i = 0; i < n; i++)
        *p++ = 'a';
    strcpy(p, "\"}");
    extract(c, "PostToolUse", json);
    CHECK_INT(c, st.text[SEARCH_TOOL_OUTPUT].len, SEARCH_FIELD_CAP);
    /* Two-byte characters, some escaped: cut on a character boundary. */
    p = json + strlen("{\"tool_response\":\"");
    *p++ = 'x';
    for (size_t i = 0; i < n / 2; i++) {
        if (i % 3) {
            memcpy(p, "\xc3\xa9", 2);
            p += 2;
        } else {
            memcpy(p, "\\u00e9", 6);
            p += 6;
        }
    }
    strcpy(p, "\"}");
    extract(c, "PostToolUse", json);
    CHECK(c, st.text[SEARCH_TOOL_OUTPUT].len <= SEARCH_FIELD_CAP);
    CHECK(c, st.text[SEARCH_TOOL_OUTPUT].len >= SEARCH_FIELD_CAP - 4);
    CHECK(c, valid_utf8_end(&st.text[SEARCH_TOOL_OUTPUT]));
    free(json);
}

static void not_json(struct check *c)
{
    extract(c, "UserPromptSubmit", "{\"prompt\":\"half");
    CHECK(c, search_text_empty(&st));
    extract(c, "UserPromptSubmit", "[\"prompt\",\"x\"]");
    CHECK(c, search_text_empty(&st));
    CHECK_INT(c, search_text_extract(&st, NULL, NULL, 0), 0);
    CHECK(c, search_text_empty(&st));
}

static const char *sql_text(sqlite3 *db, const char *type, const char *json, int field,
                            char *out, size_t cap)
{
    sqlite3_stmt *s;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT chronicle_search_field(?1, ?2, ?3)", -1, &s, NULL))
        return "prepare failed";
    sqlite3_bind_text(s, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, field);
    const char *r = "step failed";
    if (sqlite3_step(s) == SQLITE_ROW) {
        r = sqlite3_column_type(s, 0) == SQLITE_NULL ? "(null)" : out;
        if (sqlite3_column_text(s, 0))
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return r;
}

static void sql_function_same_text(struct check *c)
{
    sqlite3 *db;
    CHECK_INT(c, sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_INT(c, search_text_register(db), SQLITE_OK);
    char out[256];
    const char *pre = "{\"tool_input\":{\"command\":\"ls -l\",\"description\":\"list\"}}";
    const char *post = "{\"tool_input\":{\"command\":\"ls -l\"},\"tool_response\":\"total 0\"}";
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, SEARCH_COMMAND, out, sizeof out), "ls -l");
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, SEARCH_OTHER, out, sizeof out), "list");
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, SEARCH_PROMPT, out, sizeof out), "(null)");
    /* Same payload, another type: not served from the cache of the first. */
    CHECK_STR(c, sql_text(db, "PostToolUse", pre, SEARCH_COMMAND, out, sizeof out), "(null)");
    CHECK_STR(c, sql_text(db, "PostToolUse", post, SEARCH_TOOL_OUTPUT, out, sizeof out), "total 0");
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, SEARCH_COMMAND, out, sizeof out), "ls -l");
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, 6, out, sizeof out), "(null)");
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, -1, out, sizeof out), "(null)");
    /* Registering again (every schema_configure does) replaces it cleanly. */
    CHECK_INT(c, search_text_register(db), SQLITE_OK);
    CHECK_STR(c, sql_text(db, "PreToolUse", pre, SEARCH_COMMAND, out, sizeof out), "ls -l");
    sqlite3_close(db);
}

static void field_names(struct check *c)
{
    CHECK_STR(c, search_field_name(SEARCH_PROMPT), "prompt");
    CHECK_STR(c, search_field_name(SEARCH_TOOL_OUTPUT), "tool_output");
    CHECK_STR(c, search_field_name(SEARCH_OTHER), "other");
    CHECK(c, search_field_name(SEARCH_FIELDS) == NULL && search_field_name(-1) == NULL);
}

static void release(struct check *c)
{
    (void)c;
    search_text_free(&st);
}

CHECK_MAIN(CASE(prompt_and_notification), CASE(tool_calls), CASE(escapes_and_controls),
           CASE(capped), CASE(not_json), CASE(sql_function_same_text), CASE(field_names),
           CASE(release))
