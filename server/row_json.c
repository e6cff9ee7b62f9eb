/* row_json.c - events and sessions rows as JSON objects. */
#include "row_json.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void iso8601_ms(int64_t ns, char out[32])
{
    int64_t ms = ns / 1000000;
    if (ns < 0 && ns % 1000000 != 0)
        ms--; /* floor, so that times before 1970 stay ordered */
    time_t secs = (time_t)(ms / 1000);
    int rem = (int)(ms % 1000);
    if (rem < 0) {
        rem += 1000;
        secs--;
    }
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    /* Every field is in range after gmtime_r(); the wide scratch buffer only
     * convinces the compiler's truncation check. */
    char wide[96];
    snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
    snprintf(out, 32, "%.31s", wide);
}

/* jansson's json_object_set_new() reports ENOMEM by returning -1; the
 * converters OR these results together and give up once at the end. */
static int set_text(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_object_set_new(o, key, json_null());
    const char *s = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    /* Invalid UTF-8 in a column would make jansson refuse the string; a
     * null is better than a missing field. */
    json_t *v = s ? json_stringn(s, (size_t)n) : NULL;
    return json_object_set_new(o, key, v ? v : json_null());
}

static int set_int(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_object_set_new(o, key, json_null());
    return json_object_set_new(o, key, json_integer(sqlite3_column_int64(st, col)));
}

int json_set_time(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    char ms_key[64];
    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_object_set_new(obj, key, json_null()) |
               json_object_set_new(obj, ms_key, json_null());
    int64_t ns = sqlite3_column_int64(st, col);
    char iso[32];
    iso8601_ms(ns, iso);
    return json_object_set_new(obj, key, json_string(iso)) |
           json_object_set_new(obj, ms_key, json_integer(ns / 1000000));
}

static json_t *uid_hex(sqlite3_stmt *st, int col)
{
    const unsigned char *b = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (b == NULL || n <= 0 || n > 64)
        return json_null();
    char hex[129];
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return json_string(hex);
}

static json_t *payload_value(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    const char *s = (const char *)sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    json_error_t e;
    /* Stored payloads are valid JSON, but jansson cannot hold integers past
     * 64 bits: such a payload is served as its text instead of failing. */
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (v != NULL)
        return v;
    json_t *wrap = json_object();
    if (wrap != NULL)
        json_object_set_new(wrap, "unparsed_text", json_stringn(s, n));
    return wrap;
}

json_t *event_json(sqlite3_stmt *st, int full)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int64_t flags = sqlite3_column_int64(st, 13);
    json_t *fl = json_pack("{s:b,s:b,s:b}", "truncated", (flags & 1) != 0, "invalid",
                           (flags & 2) != 0, "redacted", (flags & 4) != 0);
    int bad = set_int(o, "id", st, 0) | json_object_set_new(o, "uid", uid_hex(st, 1)) |
              set_text(o, "session_id", st, 2) | set_text(o, "type", st, 3) |
              json_set_time(o, "ts", st, 4) | json_set_time(o, "stored", st, 5) |
              set_text(o, "tool_name", st, 6) | set_text(o, "tool_use_id", st, 7) |
              set_text(o, "agent_id", st, 8) | set_text(o, "agent_type", st, 9) |
              set_text(o, "prompt_id", st, 10) | set_text(o, "cwd", st, 11) |
              set_int(o, "duration_ms", st, 12) | json_object_set_new(o, "flags", fl) |
              set_int(o, "payload_size", st, 14);
    if (full) {
        bad |= json_object_set_new(o, "payload", payload_value(st, 15)) |
               set_int(o, "raw_size", st, 16) | set_text(o, "host", st, 17) |
               set_int(o, "uid_unix", st, 18) | set_int(o, "pid", st, 19) |
               set_int(o, "ppid", st, 20) | set_int(o, "claude_pid", st, 21) |
               set_text(o, "project_dir", st, 22);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *session_status(const char *state, int64_t last_seen_ns, int64_t now_ns,
                           int64_t idle_ns)
{
    if (state != NULL && strcmp(state, "ended") == 0)
        return "ended";
    if (now_ns - last_seen_ns > idle_ns)
        return "idle";
    if (state != NULL && strcmp(state, "awaiting_input") == 0)
        return "awaiting_input";
    return "active";
}

json_t *session_json(sqlite3_stmt *st, int64_t now_ns, int64_t idle_ns)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    const char *state = (const char *)sqlite3_column_text(st, 13);
    const char *status = session_status(state, sqlite3_column_int64(st, 2), now_ns, idle_ns);
    /* SessionEnd does not always fire (a killed terminal, -p runs): a
     * session whose Claude Code process is gone has ended too.  Only ESRCH
     * counts: EPERM (another user, a sandbox) says nothing. */
    int inferred = 0;
    if (strcmp(status, "ended") != 0 && sqlite3_column_type(st, 14) == SQLITE_INTEGER) {
        int64_t pid = sqlite3_column_int64(st, 14);
        if (pid > 1 && pid < INT32_MAX && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            status = "ended";
            inferred = 1;
        }
    }
    json_t *counts = json_pack("{s:I,s:I,s:I,s:I,s:I}",
                               "events", (json_int_t)sqlite3_column_int64(st, 15),
                               "tool_calls", (json_int_t)sqlite3_column_int64(st, 16),
                               "errors", (json_int_t)sqlite3_column_int64(st, 17),
                               "prompts", (json_int_t)sqlite3_column_int64(st, 18),
                               "subagents", (json_int_t)sqlite3_column_int64(st, 19));
    int bad = set_text(o, "session_id", st, 0) | json_object_set_new(o, "status", json_string(status)) |
              set_text(o, "state", st, 13) | json_set_time(o, "first_seen", st, 1) |
              json_set_time(o, "last_seen", st, 2) | set_text(o, "cwd", st, 3) |
              set_text(o, "project", st, 4) | set_text(o, "model", st, 5) |
              set_text(o, "source", st, 6) | set_text(o, "permission_mode", st, 7) |
              set_text(o, "transcript_path", st, 8) | set_text(o, "end_reason", st, 9) |
              json_set_time(o, "ended", st, 10) | set_text(o, "last_event_type", st, 11) |
              set_int(o, "last_event_id", st, 12) | set_int(o, "claude_pid", st, 14) |
              json_object_set_new(o, "counts", counts) |
              json_object_set_new(o, "ended_inferred", json_boolean(inferred));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
