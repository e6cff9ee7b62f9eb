/* redact.c - secret redaction by hand-written scanners.
 *
 * Regular expressions would be the obvious tool, but POSIX regexec over
 * every string of every payload costs far more than the insert itself; these
 * scanners look at each byte once and only do work at a few trigger bytes. */
#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"

/* Secret-naming words: a key (or the identifier before '=' or ':') is secret
 * when, lower-cased with '_', '-' and '.' removed, it ends with one of these. */
struct word {
    const char *s;
    size_t n;
};
#define W(x) {x, sizeof x - 1}
static const struct word secret_words[] = {
    W("password"), W("passwd"), W("secret"), W("token"), W("apikey"), W("accesskey"),
    W("privatekey"), W("authorization"), W("credential"), W("credentials"), W("passphrase"),
    W("sessionkey"), W("cookie"),
};
#undef W

static int ends_with_secret_word(const char *norm, size_t n)
{
    if (n < 5)
        return 0;
    char last = norm[n - 1];
    for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++) {
        const struct word *w = &secret_words[i];
        if (w->s[w->n - 1] == last && n >= w->n && memcmp(norm + n - w->n, w->s, w->n) == 0)
            return 1;
    }
    return 0;
}

/* Lower-cases and drops '_', '-', '.' into norm (cap bytes). */
static size_t normalise_ident(const char *s, size_t n, char *norm, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '_' || c == '-' || c == '.')
            continue;
        norm[o++] = (char)tolower(c);
    }
    return o;
}

int redact_key_is_secret(const char *key, size_t n)
{
    char norm[64];
    if (n == 0 || n > 64)
        return 0;
    size_t m = normalise_ident(key, n, norm, sizeof norm);
    /* "tokens" and "*_id" style keys (input_tokens, tool_use_id) do not end
     * with a secret word, so they are left alone. */
    return ends_with_secret_word(norm, m);
}

static int is_ident(unsigned char c) { return isalnum(c) || c == '_' || c == '-' || c == '.'; }
static int is_alnum(unsigned char c) { return isalnum(c) != 0; }
static int is_b64url(unsigned char c) { return isalnum(c) || c == '_' || c == '-'; }
static int is_token_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' ||
           c == '=';
}

static size_t run_of(const char *s, size_t i, size_t n, int (*cls)(unsigned char))
{
    size_t j = i;
    while (j < n && cls((unsigned char)s[j]))
        j++;
    return j - i;
}

static int has_prefix(const char *s, size_t i, size_t n, const char *p)
{
    size_t k = strlen(p);
    return i + k <= n && memcmp(s + i, p, k) == 0;
}

static int has_prefix_ci(const char *s, size_t i, size_t n, const char *p)
{
    size_t k = strlen(p);
    return i + k <= n && strncasecmp(s + i, p, k) == 0;
}

/* A match: bytes [start, end) are replaced by "[REDACTED:kind]". */
struct match {
    size_t start, end;
    const char *kind;
};

/* Token patterns anchored at s[i] (which must start a word). */
static int match_token(const char *s, size_t i, size_t n, struct match *m)
{
    size_t len;
    if (has_prefix(s, i, n, "sk-") && (len = run_of(s, i + 3, n, is_b64url)) >= 20) {
        *m = (struct match){i, i + 3 + len, "api_key"};
        return 1;
    }
    if ((has_prefix(s, i, n, "AKIA") || has_prefix(s, i, n, "ASIA")) && i + 20 <= n) {
        size_t k = i + 4;
        while (k < i + 20 && (isupper((unsigned char)s[k]) || isdigit((unsigned char)s[k])))
            k++;
        if (k == i + 20 && (k == n || !is_alnum((unsigned char)s[k]))) {
            *m = (struct match){i, k, "aws_access_key"};
            return 1;
        }
    }
    if (has_prefix(s, i, n, "gh") && i + 4 <= n && strchr("pousr", s[i + 2]) && s[i + 2] &&
        s[i + 3] == '_' && (len = run_of(s, i + 4, n, is_alnum)) >= 20) {
        *m = (struct match){i, i + 4 + len, "github_token"};
        return 1;
    }
    if (has_prefix(s, i, n, "github_pat_") && (len = run_of(s, i + 11, n, is_b64url)) >= 20) {
        *m = (struct match){i, i + 11 + len, "github_token"};
        return 1;
    }
    if (has_prefix(s, i, n, "xox") && i + 5 <= n && strchr("abprse", s[i + 3]) && s[i + 3] &&
        s[i + 4] == '-' && (len = run_of(s, i + 5, n, is_b64url)) >= 10) {
        *m = (struct match){i, i + 5 + len, "slack_token"};
        return 1;
    }
    if (has_prefix(s, i, n, "eyJ")) {
        size_t a = run_of(s, i, n, is_b64url);
        if (a >= 10 && i + a < n && s[i + a] == '.') {
            size_t b = run_of(s, i + a + 1, n, is_b64url);
            if (b >= 10 && i + a + 1 + b < n && s[i + a + 1 + b] == '.') {
                size_t c = run_of(s, i + a + b + 2, n, is_b64url);
                *m = (struct match){i, i + a + b + 2 + c, "jwt"};
                return 1;
            }
        }
    }
    if (has_prefix_ci(s, i, n, "bearer ")) {
        size_t k = i + 7;
        while (k < n && s[k] == ' ')
            k++;
        if ((len = run_of(s, k, n, is_token_char)) >= 8) {
            *m = (struct match){k, k + len, "bearer_token"};
            return 1;
        }
    }
    if (has_prefix(s, i, n, "-----BEGIN ")) {
        const char *hdr_end = memmem(s + i + 11, n - i - 11, "-----", 5);
        if (hdr_end != NULL) {
            size_t h = (size_t)(hdr_end - s);
            const char *pk = memmem(s + i, h - i, "PRIVATE KEY", 11);
            if (pk != NULL) {
                const char *end = memmem(s + h + 5, n - h - 5, "-----END ", 9);
                size_t e = n;
                if (end != NULL) {
                    const char *tail = memmem(end + 9, n - (size_t)(end + 9 - s), "-----", 5);
                    e = tail ? (size_t)(tail - s) + 5 : n;
                }
                *m = (struct match){i, e, "private_key"};
                return 1;
            }
        }
    }
    return 0;
}

/* "scheme://user:password@host": the password only. */
static int match_url_password(const char *s, size_t i, size_t n, struct match *m)
{
    if (!has_prefix(s, i, n, "://"))
        return 0;
    size_t k = i + 3, colon = 0;
    while (k < n && s[k] != '@' && s[k] != '/' && s[k] != ' ' && s[k] != '\n' && s[k] != '"') {
        if (s[k] == ':' && colon == 0)
            colon = k;
        k++;
    }
    if (k < n && s[k] == '@' && colon != 0 && k > colon + 1) {
        *m = (struct match){colon + 1, k, "url_password"};
        return 1;
    }
    return 0;
}

/* At a '=' or ':' : "identifier = value" where the identifier names a secret. */
static int match_assignment(const char *s, size_t i, size_t n, struct match *m)
{
    size_t k = i;
    while (k > 0 && s[k - 1] == ' ')
        k--;
    if (k > 0 && (s[k - 1] == '"' || s[k - 1] == '\''))
        k--;
    size_t id_end = k;
    while (k > 0 && is_ident((unsigned char)s[k - 1]))
        k--;
    if (id_end == k || id_end - k > 64)
        return 0;
    char norm[64];
    size_t nl = normalise_ident(s + k, id_end - k, norm, sizeof norm);
    if (!ends_with_secret_word(norm, nl))
        return 0;
    size_t v = i + 1;
    if (s[i] == ':' && v < n && s[v] == ':') /* "Foo::Token" is code, not a pair */
        return 0;
    while (v < n && s[v] == ' ')
        v++;
    /* "Authorization: Bearer xyz": the scheme stays, the credential goes. */
    if (has_prefix_ci(s, v, n, "bearer ") || has_prefix_ci(s, v, n, "basic ")) {
        v += s[v] == 'b' || s[v] == 'B' ? 7 : 6;
        while (v < n && s[v] == ' ')
            v++;
    }
    char quote = 0;
    if (v < n && (s[v] == '"' || s[v] == '\'')) {
        quote = s[v];
        v++;
    }
    size_t e = v;
    while (e < n && s[e] != '\n' && s[e] != '\r' &&
           (quote ? s[e] != quote : (s[e] != ' ' && s[e] != ',' && s[e] != ';' && s[e] != '&' &&
                                     s[e] != '"' && s[e] != '\'' && s[e] != '}' && s[e] != ')')))
        e++;
    if (e == v || has_prefix(s, v, n, "[REDACTED"))
        return 0;
    *m = (struct match){v, e, "secret"};
    return 1;
}

static int find_next(const char *s, size_t from, size_t n, struct match *m)
{
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int word_start = i == 0 || !is_b64url((unsigned char)s[i - 1]);
        switch (c) {
        case 's': case 'A': case 'g': case 'x': case 'e': case 'B': case 'b': case '-':
            if (word_start && match_token(s, i, n, m))
                return 1;
            break;
        case ':':
            if (match_url_password(s, i, n, m) || match_assignment(s, i, n, m))
                return 1;
            break;
        case '=':
            if (match_assignment(s, i, n, m))
                return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int redact_builtin(const char *s, size_t n, struct buf *out)
{
    struct match m;
    size_t pos = 0, copied = 0;
    int count = 0;
    while (pos < n && find_next(s, pos, n, &m)) {
        if (buf_append(out, s + copied, m.start - copied) != 0 ||
            buf_printf(out, "[REDACTED:%s]", m.kind) != 0)
            return -1;
        copied = pos = m.end > m.start ? m.end : m.start + 1;
        count++;
    }
    if (buf_append(out, s + copied, n - copied) != 0)
        return -1;
    return count;
}

/* The user's pattern over s (n bytes, may hold NULs: REG_STARTEND). */
static int redact_extra(const regex_t *re, const char *s, size_t n, struct buf *out)
{
    size_t pos = 0, copied = 0;
    int count = 0;
    while (pos <= n) {
        regmatch_t m[1] = {{(regoff_t)pos, (regoff_t)n}};
        if (regexec(re, s, 1, m, pos > 0 ? REG_STARTEND | REG_NOTBOL : REG_STARTEND) != 0)
            break;
        size_t a = (size_t)m[0].rm_so, b = (size_t)m[0].rm_eo;
        if (b == a) { /* an empty match replaces nothing */
            pos = a + 1;
            continue;
        }
        if (buf_append(out, s + copied, a - copied) != 0 ||
            buf_append_str(out, "[REDACTED:pattern]") != 0)
            return -1;
        copied = pos = b;
        count++;
    }
    if (buf_append(out, s + copied, n - copied) != 0)
        return -1;
    return count;
}

int redact_text(const char *s, size_t n, const struct redact_rules *rules, struct buf *out)
{
    if (rules == NULL || !rules->has_extra)
        return redact_builtin(s, n, out);
    struct buf tmp = BUF_INIT;
    int a = redact_builtin(s, n, &tmp);
    int b = a < 0 ? -1 : redact_extra(&rules->extra, tmp.data ? tmp.data : "", tmp.len, out);
    buf_free(&tmp);
    return a < 0 || b < 0 ? -1 : a + b;
}

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

/* Cheap pre-check on the raw span: can anything in it match?  Most strings
 * (ids, paths, names, prose without assignments) hold none of these anchors
 * and skip the decode and the full scan. */
static int may_hold_secret(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '=': case ':':
            return 1;
        case '-':
            if (has_prefix(s, i, n, "-----") || (i >= 2 && s[i - 2] == 's' && s[i - 1] == 'k'))
                return 1;
            break;
        case 'A':
            if (has_prefix(s, i, n, "AKIA") || has_prefix(s, i, n, "ASIA"))
                return 1;
            break;
        case 'g':
            if ((i + 3 < n && s[i + 1] == 'h' && s[i + 3] == '_') || has_prefix(s, i, n, "github_pat_"))
                return 1;
            break;
        case 'x':
            if (has_prefix(s, i, n, "xox"))
                return 1;
            break;
        case 'e':
            if (has_prefix(s, i, n, "eyJ") || has_prefix(s, i, n, "earer "))
                return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

struct redactor {
    const char *json;
    struct buf *out;
    struct buf text;      /* decoded string */
    struct buf redacted;  /* its redacted form */
    size_t copied;        /* json[0..copied) already in out */
    int secret_key;       /* the last key names a secret */
    int changed, nomem;
    json_visit_fn also;
    void *also_ctx;
    const struct redact_rules *rules;
};

static int replace_span(struct redactor *r, size_t start, size_t len, const char *s, size_t n)
{
    if (buf_append(r->out, r->json + r->copied, start - r->copied) != 0 ||
        json_escape_append(r->out, s, n) != 0) {
        r->nomem = 1;
        return 1;
    }
    r->copied = start + len;
    r->changed = 1;
    return 0;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct redactor *r = ctx;
    if (r->also != NULL && r->also(r->also_ctx, tok, depth, start, len) != 0)
        return 1;
    const char *raw = r->json + start;
    int secret_value = r->secret_key;
    r->secret_key = 0;
    if (tok != JSON_TOK_KEY && tok != JSON_TOK_STRING)
        return 0;
    if (tok == JSON_TOK_STRING && secret_value) {
        if (len == 0 || (len == 10 && memcmp(raw, "[REDACTED]", 10) == 0))
            return 0;
        return replace_span(r, start, len, "[REDACTED]", 10);
    }
    if (tok == JSON_TOK_KEY) {
        if (len <= 64) {
            char key[64];
            size_t kl = json_unescape(raw, len, key);
            r->secret_key = redact_key_is_secret(key, kl);
        }
        return 0;
    }
    if ((r->rules == NULL || !r->rules->has_extra) && !may_hold_secret(raw, len))
        return 0;
    buf_reset(&r->text);
    buf_reset(&r->redacted);
    if (buf_reserve(&r->text, len) != 0) {
        r->nomem = 1;
        return 1;
    }
    r->text.len = json_unescape(raw, len, r->text.data);
    int found = redact_text(r->text.data, r->text.len, r->rules, &r->redacted);
    if (found < 0) {
        r->nomem = 1;
        return 1;
    }
    if (found == 0)
        return 0;
    return replace_span(r, start, len, r->redacted.data, r->redacted.len);
}

int redact_json(const char *json, size_t len, const struct redact_rules *rules, struct buf *out,
                json_visit_fn also, void *also_ctx)
{
    struct redactor r = {.json = json, .out = out, .also = also, .also_ctx = also_ctx,
                         .rules = rules};
    buf_reset(out);
    enum json_status st = json_walk(json, len, visit, &r, NULL);
    int rc = 0;
    if (r.nomem || st == JSON_NOMEM)
        rc = -1;
    else if (r.changed)
        rc = buf_append(out, json + r.copied, len - r.copied) == 0 ? 1 : -1;
    buf_free(&r.text);
    buf_free(&r.redacted);
    return rc;
}
