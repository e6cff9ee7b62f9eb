/* row_json.c - events and sessions rows as JSON objects. */
#include "row_json.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "chronicle/iso8601.h"
#include "json_text.h"
#include "ws_message.h"

static void put_digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

void iso8601_ms(int64_t ns, char out[32])
{
    int64_t ms = ns / 1000000;
    if (ns < 0 && ns % 1000000 != 0)
        ms--; /* floor, so that times before 1970 stay ordered */
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    /* By hand (civil_from_days) rather than gmtime_r + snprintf: two of
     * these per event were a tenth of a page of events. */
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        memcpy(out, "1970-01-01T00:00:00.000Z", 25);
        return;
    }
    memcpy(out, "0000-00-00T00:00:00.000Z", 25);
    put_digits(out, y, 4);
    put_digits(out + 5, m, 2);
    put_digits(out + 8, d, 2);
    put_digits(out + 11, (int)(rem / 3600000), 2);
    put_digits(out + 14, (int)(rem / 60000 % 60), 2);
    put_digits(out + 17, (int)(rem / 1000 % 60), 2);
    put_digits(out + 20, (int)(rem % 1000), 3);
}

/* jansson's json_object_set_new() reports ENOMEM by returning -1; the
 * converters OR these results together and give up once at the end. */
static int set_text(json_t *o, const char *key, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return json_object_set_new(o, key, json_null());
    size_t n = 0;
    const char *s = st->text(st, col, &n);
    /* Invalid UTF-8 in a column would make jansson refuse the string; a
     * null is better than a missing field. */
    json_t *v = s ? json_stringn(s, n) : NULL;
    return json_object_set_new(o, key, v ? v : json_null());
}

static int set_int(json_t *o, const char *key, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return json_object_set_new(o, key, json_null());
    return json_object_set_new(o, key, json_integer(st->i64(st, col)));
}

int json_set_time_src(json_t *obj, const char *key, struct row_src *st, int col)
{
    char ms_key[64];
    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    if (st->is_null(st, col))
        return json_object_set_new(obj, key, json_null()) |
               json_object_set_new(obj, ms_key, json_null());
    int64_t ns = st->i64(st, col);
    char iso[32];
    iso8601_ms(ns, iso);
    return json_object_set_new(obj, key, json_string(iso)) |
           json_object_set_new(obj, ms_key, json_integer(ns / 1000000));
}

int json_set_time(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    struct row_src r;
    row_src_sqlite(&r, st);
    return json_set_time_src(obj, key, &r, col);
}

static json_t *uid_hex(struct row_src *st, int col)
{
    size_t n = 0;
    const unsigned char *b = st->blob(st, col, &n);
    if (b == NULL || n == 0 || n > 64)
        return json_null();
    char hex[129];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return json_string(hex);
}

/*
 * The shape of an event, once: each row is a key, its column in
 * EVENT_COLUMNS(_FULL) and how the column becomes JSON.  event_json() builds
 * a jansson object from it, event_text() writes the same object as text.
 */
enum col_kind { K_INT, K_TEXT, K_TIME, K_UID, K_FLAGS, K_PAYLOAD };
struct col_shape {
    const char *key;
    int col;
    enum col_kind kind;
    const char *ms_key;  /* K_TIME: the key of the same time in epoch ms */
};
static const struct col_shape event_shape[] = {
    {"id", 0, K_INT, NULL},
    {"uid", 1, K_UID, NULL},
    {"session_id", 2, K_TEXT, NULL},
    {"type", 3, K_TEXT, NULL},
    {"ts", 4, K_TIME, "ts_ms"},
    {"stored", 5, K_TIME, "stored_ms"},
    {"tool_name", 6, K_TEXT, NULL},
    {"tool_use_id", 7, K_TEXT, NULL},
    {"agent_id", 8, K_TEXT, NULL},
    {"agent_type", 9, K_TEXT, NULL},
    {"prompt_id", 10, K_TEXT, NULL},
    {"cwd", 11, K_TEXT, NULL},
    {"duration_ms", 12, K_INT, NULL},
    {"flags", 13, K_FLAGS, NULL},
    {"payload_size", 14, K_INT, NULL},
    /* EVENT_COLUMNS_FULL only: */
    {"payload", 15, K_PAYLOAD, NULL},
    {"raw_size", 16, K_INT, NULL},
    {"host", 17, K_TEXT, NULL},
    {"uid_unix", 18, K_INT, NULL},
    {"pid", 19, K_INT, NULL},
    {"ppid", 20, K_INT, NULL},
    {"claude_pid", 21, K_INT, NULL},
    {"project_dir", 22, K_TEXT, NULL},
};
#define EVENT_SHAPE_BRIEF 15 /* rows of EVENT_COLUMNS */
#define N_SHAPE (sizeof event_shape / sizeof event_shape[0])

static json_t *payload_value(struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return json_null();
    size_t n = 0;
    const char *s = st->text(st, col, &n);
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

static json_t *flags_value(int64_t flags)
{
    return json_pack("{s:b,s:b,s:b}", "truncated", (flags & 1) != 0, "invalid",
                     (flags & 2) != 0, "redacted", (flags & 4) != 0);
}

json_t *event_json_src(struct row_src *st, int full)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    size_t n = full ? N_SHAPE : EVENT_SHAPE_BRIEF;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct col_shape *c = &event_shape[i];
        switch (c->kind) {
        case K_INT: bad |= set_int(o, c->key, st, c->col); break;
        case K_TEXT: bad |= set_text(o, c->key, st, c->col); break;
        case K_TIME: bad |= json_set_time_src(o, c->key, st, c->col); break;
        case K_UID: bad |= json_object_set_new(o, c->key, uid_hex(st, c->col)); break;
        case K_FLAGS:
            bad |= json_object_set_new(o, c->key, flags_value(st->i64(st, c->col)));
            break;
        case K_PAYLOAD: bad |= json_object_set_new(o, c->key, payload_value(st, c->col)); break;
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *event_json(sqlite3_stmt *st, int full)
{
    struct row_src r;
    row_src_sqlite(&r, st);
    return event_json_src(&r, full);
}

/* ---- the same as text ------------------------------------------------- */

static int text_of(struct buf *b, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return jt_null(b);
    size_t n = 0;
    const char *s = st->text(st, col, &n);
    /* As set_text: invalid UTF-8 would not be JSON; a null is better. */
    if (s == NULL || !utf8_valid((const uint8_t *)s, n))
        return jt_null(b);
    return jt_str(b, s, n);
}

static int int_of(struct buf *b, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return jt_null(b);
    return jt_int(b, st->i64(st, col));
}

static int time_of(struct buf *b, const char *ms_key, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return jt_null(b) | jt_key(b, ms_key, 0) | jt_null(b);
    int64_t ns = st->i64(st, col);
    char iso[32];
    iso8601_ms(ns, iso);
    return jt_str(b, iso, strlen(iso)) | jt_key(b, ms_key, 0) | jt_int(b, ns / 1000000);
}

static int uid_of(struct buf *b, struct row_src *st, int col)
{
    size_t n = 0;
    const unsigned char *u = st->blob(st, col, &n);
    if (u == NULL || n == 0 || n > 64)
        return jt_null(b);
    static const char digits[] = "0123456789abcdef";
    char hex[130];
    hex[0] = '"';
    for (size_t i = 0; i < n; i++) {
        hex[1 + 2 * i] = digits[u[i] >> 4];
        hex[2 + 2 * i] = digits[u[i] & 15];
    }
    hex[1 + 2 * n] = '"';
    return buf_append(b, hex, n * 2 + 2);
}

static int flags_of(struct buf *b, int64_t flags)
{
    return buf_append_str(b, "{\"truncated\":") | jt_bool(b, (flags & 1) != 0) |
           buf_append_str(b, ",\"invalid\":") | jt_bool(b, (flags & 2) != 0) |
           buf_append_str(b, ",\"redacted\":") | jt_bool(b, (flags & 4) != 0) |
           buf_append(b, "}", 1);
}

/* The stored payload as it is: the collector validated it as JSON on the
 * way in.  Only a payload that is not valid UTF-8 (a database written before
 * that check) falls back to the parsing path. */
static int payload_of(struct buf *b, struct row_src *st, int col)
{
    if (st->is_null(st, col))
        return jt_null(b);
    size_t n = 0;
    const char *s = st->text(st, col, &n);
    /* The payload is stored as the hook sent it, with its newline: the
     * whitespace around the value is left out, the value is kept exactly. */
    while (s != NULL && n > 0 && strchr(" \t\r\n", *s) != NULL)
        s++, n--;
    while (s != NULL && n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
        n--;
    if (s != NULL && n > 0 && utf8_valid((const uint8_t *)s, n))
        return jt_raw(b, s, n);
    json_t *v = payload_value(st, col);
    char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    int rc = t ? buf_append_str(b, t) : -1;
    free(t);
    return rc;
}

int event_text_src(struct buf *b, struct row_src *st, int full)
{
    size_t n = full ? N_SHAPE : EVENT_SHAPE_BRIEF;
    int bad = buf_append(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        const struct col_shape *c = &event_shape[i];
        bad |= jt_key(b, c->key, i == 0);
        switch (c->kind) {
        case K_INT: bad |= int_of(b, st, c->col); break;
        case K_TEXT: bad |= text_of(b, st, c->col); break;
        case K_TIME: bad |= time_of(b, c->ms_key, st, c->col); break;
        case K_UID: bad |= uid_of(b, st, c->col); break;
        case K_FLAGS: bad |= flags_of(b, st->i64(st, c->col)); break;
        case K_PAYLOAD: bad |= payload_of(b, st, c->col); break;
        }
    }
    return bad | buf_append(b, "}", 1) ? -1 : 0;
}

int event_text(struct buf *b, sqlite3_stmt *st, int full)
{
    struct row_src r;
    row_src_sqlite(&r, st);
    return event_text_src(b, &r, full);
}

const char *session_state_shown(const char *stored, int64_t last_seen_ns, int64_t now_ns,
                                int64_t idle_ns)
{
    if (stored == NULL || strcmp(stored, "working") == 0)
        return now_ns - last_seen_ns > idle_ns ? "idle" : "working";
    if (strcmp(stored, "awaiting_input") == 0 || strcmp(stored, "failed") == 0 ||
        strcmp(stored, "ended") == 0)
        return stored;
    return "working"; /* a value this build does not know */
}

const char *session_status(const char *shown)
{
    if (strcmp(shown, "working") == 0)
        return "active";
    if (strcmp(shown, "failed") == 0)
        return "awaiting_input";
    return shown;
}

/* state_detail is JSON object text written by the collector: passed on as
 * an object, or null. */
static int set_detail(json_t *o, struct row_src *st, int col)
{
    size_t n = 0;
    const char *s = st->text(st, col, &n);
    json_t *v = s ? json_loadb(s, n, 0, NULL) : NULL;
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return json_object_set_new(o, "state_detail", v ? v : json_null());
}

static int set_time_ns(json_t *o, const char *key, int64_t ns)
{
    char iso[32], ms_key[64];
    iso8601_ms(ns, iso);
    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    return json_object_set_new(o, key, json_string(iso)) |
           json_object_set_new(o, ms_key, json_integer(ns / 1000000));
}

json_t *session_json_src(struct row_src *st, int64_t now_ns, int64_t idle_ns, int local_pids)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    size_t len;
    const char *stored = st->text(st, 13, &len);
    int64_t last_seen = st->i64(st, 2);
    const char *state = session_state_shown(stored, last_seen, now_ns, idle_ns);
    int64_t since = !st->is_null(st, 21) ? st->i64(st, 21) : last_seen;
    if (strcmp(state, "idle") == 0)
        since = last_seen + idle_ns; /* idle began when the quiet passed idle_after_s */
    /* The collector ends sessions whose Claude Code process is gone
     * (end_reason process_gone) every few seconds; in between, the same
     * rule here (only ESRCH counts: EPERM says nothing). */
    const char *end_reason = st->text(st, 9, &len);
    int inferred = strcmp(state, "ended") == 0 && end_reason != NULL &&
                   strcmp(end_reason, "process_gone") == 0;
    int inferred_now = 0;
    /* local_pids: a claude_pid of another machine (team mode) says nothing
     * about this machine's processes. */
    if (local_pids && strcmp(state, "ended") != 0 && !st->is_null(st, 14)) {
        int64_t pid = st->i64(st, 14);
        if (pid > 1 && pid < INT32_MAX && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            state = "ended";
            inferred = inferred_now = 1;
            since = last_seen;
        }
    }
    json_t *counts = json_pack("{s:I,s:I,s:I,s:I,s:I}",
                               "events", (json_int_t)st->i64(st, 15),
                               "tool_calls", (json_int_t)st->i64(st, 16),
                               "errors", (json_int_t)st->i64(st, 17),
                               "prompts", (json_int_t)st->i64(st, 18),
                               "subagents", (json_int_t)st->i64(st, 19));
    int awaiting = strcmp(state, "awaiting_input") == 0;
    int bad = set_text(o, "session_id", st, 0) |
              json_object_set_new(o, "status", json_string(session_status(state))) |
              json_object_set_new(o, "state", json_string(state)) |
              (awaiting ? set_text(o, "awaiting_reason", st, 20)
                        : json_object_set_new(o, "awaiting_reason", json_null())) |
              set_time_ns(o, "state_since", since) |
              (inferred_now ? json_object_set_new(o, "state_detail", json_null())
                            : set_detail(o, st, 22)) |
              set_text(o, "title", st, 23) | set_text(o, "title_source", st, 24) |
              json_set_time_src(o, "first_seen", st, 1) |
              json_set_time_src(o, "last_seen", st, 2) | set_text(o, "cwd", st, 3) |
              set_text(o, "project", st, 4) | set_text(o, "model", st, 5) |
              set_text(o, "source", st, 6) | set_text(o, "permission_mode", st, 7) |
              set_text(o, "transcript_path", st, 8) |
              (inferred_now ? json_object_set_new(o, "end_reason", json_string("process_gone"))
                            : set_text(o, "end_reason", st, 9)) |
              json_set_time_src(o, "ended", st, 10) | set_text(o, "last_event_type", st, 11) |
              set_int(o, "last_event_id", st, 12) | set_int(o, "claude_pid", st, 14) |
              json_object_set_new(o, "counts", counts) |
              json_object_set_new(o, "ended_inferred", json_boolean(inferred));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *session_json(sqlite3_stmt *st, int64_t now_ns, int64_t idle_ns)
{
    struct row_src r;
    row_src_sqlite(&r, st);
    return session_json_src(&r, now_ns, idle_ns, 1);
}

/* ---- row_src over an SQLite statement ---------------------------------- */

static int sq_is_null(struct row_src *r, int col)
{
    return sqlite3_column_type((sqlite3_stmt *)r->h, col) == SQLITE_NULL;
}

static int64_t sq_i64(struct row_src *r, int col)
{
    return sqlite3_column_int64((sqlite3_stmt *)r->h, col);
}

static const char *sq_text(struct row_src *r, int col, size_t *len)
{
    sqlite3_stmt *st = (sqlite3_stmt *)r->h;
    const char *s = (const char *)sqlite3_column_text(st, col);
    *len = s ? (size_t)sqlite3_column_bytes(st, col) : 0;
    return s;
}

static const unsigned char *sq_blob(struct row_src *r, int col, size_t *len)
{
    sqlite3_stmt *st = (sqlite3_stmt *)r->h;
    const unsigned char *b = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

void row_src_sqlite(struct row_src *r, sqlite3_stmt *st)
{
    r->h = st;
    r->row = 0;
    r->is_null = sq_is_null;
    r->i64 = sq_i64;
    r->text = sq_text;
    r->blob = sq_blob;
}
