/* redact.c - secret redaction of a hook payload: every JSON string is
 * decoded and scanned (redact_scan.c), and rewritten re-escaped when
 * something matched; raw (invalid) payloads are scanned as text.  See
 * redact.h and docs/REDACTION.md. */
#include "chronicle/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"
#include "chronicle/redact_scan.h"

/* A string holding JSON is redacted as JSON, down to this many levels (the
 * payload is level 0): tool output that is itself escaped JSON. */
#define NEST_MAX 4

int redact_key_is_secret(const char *key, size_t n) { return redact_name_is_secret(key, n); }

/* ---- text ------------------------------------------------------------------ */

static int append_marker(struct buf *out, const char *kind)
{
    return buf_printf(out, "[REDACTED:%s]", kind);
}

/* The user's pattern over t (n bytes, NUL-terminated, may hold NULs:
 * REG_STARTEND), appended to out with its matches replaced.  A match is
 * widened to whole UTF-8 sequences, so that a pattern like "." never leaves
 * half a character behind.  Returns the count, or -1. */
static int pattern_run(const regex_t *re, const char *t, size_t n, int notbol, struct buf *out)
{
    size_t pos = 0, copied = 0;
    int count = 0;
    while (pos <= n) {
        regmatch_t m[1] = {{(regoff_t)pos, (regoff_t)n}};
        if (regexec(re, t, 1, m, REG_STARTEND | (pos > 0 || notbol ? REG_NOTBOL : 0)) != 0)
            break;
        size_t a = (size_t)m[0].rm_so, b = (size_t)m[0].rm_eo;
        if (b == a) { /* an empty match replaces nothing */
            pos = a + 1;
            continue;
        }
        while (a > copied && ((unsigned char)t[a] & 0xC0) == 0x80)
            a--;
        while (b < n && ((unsigned char)t[b] & 0xC0) == 0x80)
            b++;
        if (buf_append(out, t + copied, a - copied) != 0 || append_marker(out, "pattern") != 0)
            return -1;
        copied = pos = b;
        count++;
    }
    return buf_append(out, t + copied, n - copied) == 0 ? count : -1;
}

/* s[a, b) through the user's pattern.  regexec is given a NUL-terminated
 * copy: with REG_STARTEND glibc stops at the end offset, but sanitizers'
 * interceptors still read up to a NUL. */
static int pattern_span(const regex_t *re, const char *s, size_t a, size_t b, struct buf *out)
{
    char small[512];
    char *t = b - a < sizeof small ? small : malloc(b - a + 1);
    if (t == NULL)
        return -1;
    memcpy(t, s + a, b - a);
    t[b - a] = '\0';
    int c = pattern_run(re, t, b - a, a > 0, out);
    if (t != small)
        free(t);
    return c;
}

/* Text between built-in matches, s[a, b): through the user's pattern if
 * there is one, except for markers already in it (a raw payload's second
 * pass), which are copied as they are. */
static int pattern_gap(const struct redact_rules *rules, const char *s, size_t a, size_t b,
                       struct buf *out)
{
    if (rules == NULL || !rules->has_extra)
        return buf_append(out, s + a, b - a) == 0 ? 0 : -1;
    int count = 0;
    while (a < b) {
        const char *mk = memmem(s + a, b - a, "[REDACTED", 9);
        const char *close = mk ? memchr(mk, ']', (size_t)(s + b - mk)) : NULL;
        size_t pe = close ? (size_t)(mk - s) : b, me = close ? (size_t)(close - s) + 1 : b;
        int c = pattern_span(&rules->extra, s, a, pe, out);
        if (c < 0 || buf_append(out, s + pe, me - pe) != 0)
            return -1;
        count += c;
        a = me;
    }
    return count;
}

/* Appends s to out with secrets replaced.  Returns the count; out is
 * unchanged when it is 0, and then, without a user pattern, nothing was
 * copied (the common case, kept cheap). */
static int scan_text(const char *s, size_t n, const struct redact_rules *rules, struct buf *out)
{
    struct redact_match m;
    int extra = rules != NULL && rules->has_extra;
    int more = redact_scan_next(s, 0, n, &m);
    if (!more && !extra)
        return 0;
    size_t mark = out->len, copied = 0;
    int count = 0, c;
    for (; more; more = copied < n && redact_scan_next(s, copied, n, &m)) {
        if (m.start < copied)
            m.start = copied;
        if (m.end <= m.start)
            m.end = m.start + 1;
        if ((c = pattern_gap(rules, s, copied, m.start, out)) < 0 || append_marker(out, m.kind) != 0)
            goto nomem;
        count += c + 1;
        copied = m.end;
    }
    if ((c = pattern_gap(rules, s, copied, n, out)) < 0)
        goto nomem;
    count += c;
    if (count == 0)
        out->len = mark;
    return count;
nomem:
    out->len = mark;
    return -1;
}

int redact_text(const char *s, size_t n, const struct redact_rules *rules, struct buf *out)
{
    int c = scan_text(s, n, rules, out);
    if (c == 0 && buf_append(out, s, n) != 0)
        return -1;
    return c;
}

/* ---- raw payloads --------------------------------------------------------------- */

/* The end of a "..." body starting at s[a]: its unescaped closing quote, or
 * the end of the text (a raw head cut inside a string). */
static size_t quoted_body_end(const char *s, size_t a, size_t n)
{
    for (size_t i = a; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i;
    }
    return n;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the longest prefix of s[0..n) whose escapes are all JSON's. */
static size_t valid_escapes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\')
            continue;
        if (i + 1 >= n)
            return i;
        if (s[i + 1] == 'u') {
            for (size_t k = 2; k < 6; k++)
                if (i + k >= n || !is_hex((unsigned char)s[i + k]))
                    return i;
            i += 5;
        } else if (strchr("\"\\/bfnrt", s[i + 1]) == NULL || s[i + 1] == '\0') {
            return i;
        } else {
            i++;
        }
    }
    return n;
}

/* Escapes only quotes and backslashes: every other byte decoded from a raw
 * payload's string goes back as itself, which is never longer than what it
 * was decoded from (a raw payload may hold control bytes; it is not JSON). */
static int raw_escape_append(struct buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"' && s[i] != '\\')
            continue;
        if (buf_append(b, s + run, i - run) != 0 || buf_append(b, "\\", 1) != 0)
            return -1;
        run = i;
    }
    return buf_append(b, s + run, n - run);
}

/* One quoted body s[a..e) of a raw payload holding JSON escapes: decoded,
 * scanned, re-escaped into out when something matched. */
static int raw_string(const char *s, size_t a, size_t e, const struct redact_rules *rules,
                      struct buf *text, struct buf *red)
{
    size_t len = valid_escapes(s + a, e - a);
    buf_reset(text);
    buf_reset(red);
    if (len == 0 || memchr(s + a, '\\', len) == NULL)
        return 0;
    if (buf_reserve(text, len) != 0)
        return -1;
    text->len = json_unescape(s + a, len, text->data);
    int c = scan_text(text->data, text->len, rules, red);
    if (c > 0) {
        struct buf esc = BUF_INIT;
        if (raw_escape_append(&esc, red->data, red->len) != 0 ||
            buf_append(&esc, s + a + len, e - a - len) != 0) {
            buf_free(&esc);
            return -1;
        }
        buf_free(red);
        *red = esc;
    }
    return c;
}

/* The first pass over a raw payload: JSON-escaped strings decoded, so that
 * "\u0067hp_..." or a secret behind "\n" is found.  Same contract as
 * scan_text. */
static int raw_strings_pass(const char *s, size_t n, const struct redact_rules *rules,
                            struct buf *out)
{
    struct buf text = BUF_INIT, red = BUF_INIT;
    size_t i = 0, copied = 0;
    int count = 0;
    const char *q;
    while (count >= 0 && i < n && (q = memchr(s + i, '"', n - i)) != NULL) {
        size_t a = (size_t)(q - s) + 1, e = quoted_body_end(s, a, n);
        int c = raw_string(s, a, e, rules, &text, &red);
        if (c < 0 || (c > 0 && (buf_append(out, s + copied, a - copied) != 0 ||
                                buf_append(out, red.data, red.len) != 0)))
            count = -1;
        else if (c > 0) {
            copied = e;
            count += c;
        }
        i = e + 1;
    }
    if (count > 0 && buf_append(out, s + copied, n - copied) != 0)
        count = -1;
    buf_free(&text);
    buf_free(&red);
    return count;
}

int redact_raw(const char *s, size_t n, const struct redact_rules *rules, struct buf *out)
{
    struct buf strings = BUF_INIT;
    int a = raw_strings_pass(s, n, rules, &strings);
    int b = a < 0 ? -1 : redact_text(a > 0 ? strings.data : s, a > 0 ? strings.len : n, rules, out);
    buf_free(&strings);
    return a < 0 || b < 0 ? -1 : a + b;
}

/* ---- rules -------------------------------------------------------------------------- */

int redact_rules_init(struct redact_rules *r, int on, const char *pattern, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->on = on;
    if (pattern == NULL || *pattern == '\0')
        return 0;
    int rc = regcomp(&r->extra, pattern, REG_EXTENDED);
    if (rc != 0) {
        char why[128];
        regerror(rc, &r->extra, why, sizeof why);
        snprintf(err, errlen, "CHRONICLE_REDACT_PATTERN '%s': %s", pattern, why);
        return -1;
    }
    r->has_extra = 1;
    return 0;
}

void redact_rules_free(struct redact_rules *r)
{
    if (r->has_extra)
        regfree(&r->extra);
    r->has_extra = 0;
}

/* ---- JSON ------------------------------------------------------------------------------ */

struct redactor {
    const char *json;
    struct buf *out;
    struct buf text;      /* a decoded string */
    struct buf redacted;  /* its redacted form, unescaped */
    size_t copied;        /* json[0..copied) already in out */
    size_t secret_depth;  /* > 0: inside a container whose key names a secret */
    int secret_key;       /* the last key (or option string) names a secret */
    int level;            /* 0 for the payload, n for JSON inside a string n deep */
    int changed, nomem;
    json_visit_fn also;
    void *also_ctx;
    const struct redact_rules *rules;
};

static int redact_json_level(const char *json, size_t len, const struct redact_rules *rules,
                             struct buf *out, json_visit_fn also, void *also_ctx, int level);

/* Replaces json[start, start+len) by s (escaped as a string body, or as is). */
static int replace_span(struct redactor *r, size_t start, size_t len, const char *s, size_t n,
                        int escape)
{
    if (buf_append(r->out, r->json + r->copied, start - r->copied) != 0 ||
        (escape ? json_escape_append(r->out, s, n) : buf_append(r->out, s, n)) != 0) {
        r->nomem = 1;
        return 1;
    }
    r->copied = start + len;
    r->changed = 1;
    return 0;
}

/* The value of a secret member: a string's body, or a number (which becomes
 * the string "[REDACTED]": the member stays, its value is gone). */
static int redact_whole(struct redactor *r, enum json_token tok, size_t start, size_t len)
{
    if (tok == JSON_TOK_NUMBER)
        return replace_span(r, start, len, "\"[REDACTED]\"", 12, 0);
    if (len == 0 || (len == 10 && memcmp(r->json + start, "[REDACTED]", 10) == 0))
        return 0;
    return replace_span(r, start, len, "[REDACTED]", 10, 0);
}

/* The decoded text of a string span: the span itself when it has no escape
 * (the common case: no copy), else r->text. */
static int decode(struct redactor *r, size_t start, size_t len, const char **text, size_t *n)
{
    const char *raw = r->json + start;
    *text = raw;
    *n = len;
    if (memchr(raw, '\\', len) == NULL)
        return 0;
    buf_reset(&r->text);
    if (buf_reserve(&r->text, len) != 0) {
        r->nomem = 1;
        return -1;
    }
    r->text.len = json_unescape(raw, len, r->text.data);
    *text = r->text.data;
    *n = r->text.len;
    return 0;
}

static int looks_like_json(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i < n && (s[i] == '{' || s[i] == '[');
}

/* A string holding JSON: redacted as JSON.  1 when it was (span replaced),
 * 0 when it holds nothing, -2 when it is not JSON after all. */
static int nested_json(struct redactor *r, size_t start, size_t len, const char *text, size_t n)
{
    struct buf inner = BUF_INIT;
    int rc = redact_json_level(text, n, r->rules, &inner, NULL, NULL, r->level + 1);
    if (rc == -1)
        r->nomem = 1;
    else if (rc == 1)
        replace_span(r, start, len, inner.data, inner.len, 1);
    buf_free(&inner);
    return rc == -1 ? 1 : rc;
}

/* Scans the decoded text of the string at json[start, start+len). */
static int scan_span(struct redactor *r, size_t start, size_t len, const char *text, size_t n,
                     int allow_nested)
{
    if (allow_nested && r->level + 1 < NEST_MAX && looks_like_json(text, n)) {
        int rc = nested_json(r, start, len, text, n);
        if (rc != -2)
            return r->nomem;
    }
    buf_reset(&r->redacted);
    int c = scan_text(text, n, r->rules, &r->redacted);
    if (c < 0) {
        r->nomem = 1;
        return 1;
    }
    return c == 0 ? 0 : replace_span(r, start, len, r->redacted.data, r->redacted.len, 1);
}

/* "--password" as a string of an argv-like array: the next value is secret. */
static int is_secret_option(const char *s, size_t n)
{
    return n > 2 && s[0] == '-' && s[1] == '-' && redact_name_is_secret(s + 2, n - 2);
}

static int visit_string(struct redactor *r, enum json_token tok, size_t start, size_t len)
{
    const char *text;
    size_t n;
    if (decode(r, start, len, &text, &n) != 0)
        return 1;
    if (tok == JSON_TOK_KEY || is_secret_option(text, n))
        r->secret_key = redact_name_is_secret(tok == JSON_TOK_KEY ? text : text + 2,
                                              tok == JSON_TOK_KEY ? n : n - 2);
    return scan_span(r, start, len, text, n, tok == JSON_TOK_STRING);
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct redactor *r = ctx;
    if (r->also != NULL && r->also(r->also_ctx, tok, depth, start, len) != 0)
        return 1;
    int secret = r->secret_key || (r->secret_depth > 0 && depth >= r->secret_depth);
    r->secret_key = 0;
    switch (tok) {
    case JSON_TOK_OBJ_BEGIN:
    case JSON_TOK_ARR_BEGIN:
        if (secret && r->secret_depth == 0)
            r->secret_depth = depth + 1; /* everything inside is secret */
        return 0;
    case JSON_TOK_OBJ_END:
    case JSON_TOK_ARR_END:
        if (r->secret_depth == depth + 1)
            r->secret_depth = 0;
        return 0;
    case JSON_TOK_NUMBER:
        return secret ? redact_whole(r, tok, start, len) : 0;
    case JSON_TOK_STRING:
        if (secret)
            return redact_whole(r, tok, start, len);
        return visit_string(r, tok, start, len);
    case JSON_TOK_KEY:
        return visit_string(r, tok, start, len);
    default:
        return 0;
    }
}

static int redact_json_level(const char *json, size_t len, const struct redact_rules *rules,
                             struct buf *out, json_visit_fn also, void *also_ctx, int level)
{
    struct redactor r = {.json = json ? json : "", .out = out, .also = also,
                         .also_ctx = also_ctx, .rules = rules, .level = level};
    buf_reset(out);
    enum json_status st = json_walk(r.json, len, visit, &r, NULL);
    int rc = 0;
    if (r.nomem || st == JSON_NOMEM || st == JSON_STOPPED)
        rc = -1; /* the visitors stop only when out of memory */
    else if (st != JSON_OK)
        rc = -2;
    else if (r.changed)
        rc = buf_append(out, r.json + r.copied, len - r.copied) == 0 ? 1 : -1;
    if (rc != 1)
        buf_reset(out);
    buf_free(&r.text);
    buf_free(&r.redacted);
    return rc;
}

int redact_json(const char *json, size_t len, const struct redact_rules *rules, struct buf *out,
                json_visit_fn also, void *also_ctx)
{
    return redact_json_level(json, len, rules, out, also, also_ctx, 0);
}
