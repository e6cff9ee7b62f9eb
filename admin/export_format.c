/* export_format.c - NDJSON and CSV renderings of events rows. */
#include "export_format.h"
#include "chronicle/clock.h"

#include <string.h>
#include <time.h>

#include "chronicle/json_scan.h"

/* ts_ns and stored_ns stay integers (exact); "time" is ts_ns for humans. */
static const char *const columns[] = {
    "id", "event_uid", "session_id", "event_type", "time", "ts_ns", "stored_ns", "tool_name",
    "tool_use_id", "agent_id", "agent_type", "prompt_id", "cwd", "duration_ms", "flags",
    "payload_size", "host", "uid", "pid", "ppid", "claude_pid", "project_dir", "payload",
    "raw_base64",
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

enum { C_ID, C_UID, C_SESSION, C_TYPE, C_TIME, C_TS, C_STORED, C_TOOL, C_TOOL_USE, C_AGENT,
       C_AGENT_TYPE, C_PROMPT, C_CWD, C_DURATION, C_FLAGS, C_SIZE, C_HOST, C_UIDN, C_PID, C_PPID,
       C_CPID, C_PDIR, C_PAYLOAD, C_RAW };

const char *export_select_list(void)
{
    /* ts_ns appears twice: once rendered as "time", once as the integer. */
    return "id, event_uid, session_id, event_type, ts_ns, ts_ns, stored_ns, tool_name, "
           "tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload_size, "
           "host, uid, pid, ppid, claude_pid, project_dir, payload, raw";
}

const char *const *export_columns(size_t *count)
{
    *count = N_COLUMNS;
    return columns;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

int export_utf8_repair(struct buf *out, const unsigned char *s, size_t n)
{
    size_t run = 0, i = 0;
    while (i < n) {
        size_t l = utf8_seq(s + i, n - i);
        if (l > 0) {
            i += l;
            continue;
        }
        if (buf_append(out, s + run, i - run) != 0 || buf_append(out, "\xEF\xBF\xBD", 3) != 0)
            return -1;
        run = ++i;
    }
    return buf_append(out, s + run, n - run);
}

static int append_text(struct buf *out, sqlite3_stmt *st, int col, int json)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    struct buf fixed = BUF_INIT;
    if (export_utf8_repair(&fixed, s ? s : (const unsigned char *)"", n) != 0)
        return -1;
    int rc;
    if (json) {
        rc = buf_append(out, "\"", 1) ||
             json_escape_append(out, fixed.data ? fixed.data : "", fixed.len) ||
             buf_append(out, "\"", 1);
    } else {
        rc = buf_append(out, "\"", 1);
        for (size_t i = 0; rc == 0 && i < fixed.len; i++)
            rc = fixed.data[i] == '"' ? buf_append(out, "\"\"", 2) : buf_append(out, fixed.data + i, 1);
        rc = rc || buf_append(out, "\"", 1);
    }
    buf_free(&fixed);
    return rc ? -1 : 0;
}

static int append_base64(struct buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        if (buf_append(out, q, 4) != 0)
            return -1;
    }
    return 0;
}

/*
 * Appends JSON text without the whitespace between its tokens, so that a
 * pretty-printed payload fits on one NDJSON line.  Nothing else changes:
 * numbers keep their spelling and strings their escapes (a JSON string
 * holds no raw whitespace but spaces, which are kept).
 */
static int append_one_line(struct buf *out, const char *p, size_t n)
{
    size_t run = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"') {
            in_str = 1;
        } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (buf_append(out, p + run, i - run) != 0)
                return -1;
            run = i + 1;
        }
    }
    return buf_append(out, p + run, n - run);
}

/* ns since the epoch as RFC 3339 UTC with nanoseconds. */
static int append_time(struct buf *out, long long ns)
{
    long long sec = ns / NS_PER_S, frac = ns % NS_PER_S;
    if (frac < 0) {
        frac += NS_PER_S;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    char s[40];
    if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return -1;
    return buf_printf(out, "%s.%09lldZ", s, frac);
}

/* Appends the column as a field: JSON value (json) or CSV field. */
static int append_field(struct buf *out, sqlite3_stmt *st, int col, int json)
{
    int type = sqlite3_column_type(st, col);
    if (col == C_RAW) {
        if (type == SQLITE_NULL)
            return json ? buf_append_str(out, "null") : 0;
        const unsigned char *p = sqlite3_column_blob(st, col);
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        return (json ? buf_append(out, "\"", 1) : 0) || append_base64(out, p, n) ||
               (json ? buf_append(out, "\"", 1) : 0) ? -1 : 0;
    }
    if (type == SQLITE_NULL)
        return json ? buf_append_str(out, "null") : 0;
    if (col == C_UID) {
        const unsigned char *p = sqlite3_column_blob(st, col);
        int n = sqlite3_column_bytes(st, col);
        int rc = json ? buf_append(out, "\"", 1) : 0;
        for (int i = 0; rc == 0 && i < n; i++)
            rc = buf_printf(out, "%02x", p[i]);
        return rc || (json ? buf_append(out, "\"", 1) : 0) ? -1 : 0;
    }
    if (col == C_TIME)
        return (json ? buf_append(out, "\"", 1) : 0) ||
               append_time(out, sqlite3_column_int64(st, col)) ||
               (json ? buf_append(out, "\"", 1) : 0) ? -1 : 0;
    if (type == SQLITE_INTEGER)
        return buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, col));
    if (col == C_PAYLOAD && json) {
        /* Embedded as JSON when it is JSON (it should always be). */
        const char *p = (const char *)sqlite3_column_text(st, col);
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        if (p != NULL && json_walk(p, n, NULL, NULL, NULL) == JSON_OK)
            return append_one_line(out, p, n);
    }
    return append_text(out, st, col, json);
}

int export_ndjson_row(sqlite3_stmt *st, struct buf *out)
{
    if (buf_append(out, "{", 1) != 0)
        return -1;
    for (size_t i = 0; i < N_COLUMNS; i++) {
        if (buf_printf(out, "%s\"%s\":", i ? "," : "", columns[i]) != 0 ||
            append_field(out, st, (int)i, 1) != 0)
            return -1;
    }
    return buf_append(out, "}\n", 2);
}

int export_csv_header(struct buf *out)
{
    for (size_t i = 0; i < N_COLUMNS; i++)
        if (buf_printf(out, "%s%s", i ? "," : "", columns[i]) != 0)
            return -1;
    return buf_append(out, "\r\n", 2);
}

int export_csv_row(sqlite3_stmt *st, struct buf *out)
{
    for (size_t i = 0; i < N_COLUMNS; i++)
        if ((i && buf_append(out, ",", 1) != 0) || append_field(out, st, (int)i, 0) != 0)
            return -1;
    return buf_append(out, "\r\n", 2);
}
