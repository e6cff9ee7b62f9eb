/* json_scan.c - iterative JSON validation and tokenisation.  See json_scan.h. */
#include "chronicle/json_scan.h"
#include "chronicle/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Container stack: one byte per level ('{' or '['), inline up to 512 levels,
 * then on the heap.  Depth is bounded by input size, never by recursion. */
struct nest {
    unsigned char inline_stack[512];
    unsigned char *stack;
    size_t depth, cap;
};

static int nest_push(struct nest *n, unsigned char c)
{
    if (n->depth == n->cap) {
        size_t cap = n->cap * 2;
        unsigned char *p;
        if (n->stack == n->inline_stack) {
            p = malloc(cap);
            if (p != NULL)
                memcpy(p, n->stack, n->depth);
        } else {
            p = realloc(n->stack, cap);
        }
        if (p == NULL)
            return -1;
        n->stack = p;
        n->cap = cap;
    }
    n->stack[n->depth++] = c;
    return 0;
}

static size_t skip_ws(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the UTF-8 sequence starting at s[i] (1..4), 0 if malformed,
 * -1 if the input ends inside it. */
static int utf8_seq(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) n = 2;
    else if (c < 0xF0) { n = 3; if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F; }
    else if (c < 0xF5) { n = 4; if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F; }
    else return 0;
    for (int k = 1; k < n; k++) {
        if (i + (size_t)k >= len) return -1;
        unsigned char d = s[i + (size_t)k];
        if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return 0;
    }
    return n;
}

/* Scans a string whose opening quote is at s[i].  Returns JSON_OK with *end
 * at the closing quote. */
/* 1 for bytes that end a run of plain string content: quote, backslash,
 * control characters and non-ASCII.  One table load per byte keeps the
 * common case (ASCII text) tight; the scanner runs over every payload. */
static const unsigned char string_special[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static enum json_status scan_string(const char *str, size_t i, size_t len, size_t *end)
{
    const unsigned char *s = (const unsigned char *)str;
    i++;
    while (i < len) {
        while (i < len && !string_special[s[i]])
            i++;
        if (i >= len)
            break;
        unsigned char c = s[i];
        if (c == '"') { *end = i; return JSON_OK; }
        if (c < 0x20) { *end = i; return JSON_INVALID; }
        if (c == '\\') {
            if (i + 1 >= len) return JSON_INCOMPLETE;
            c = s[i + 1];
            if (c == 'u') {
                for (size_t k = 2; k < 6; k++) {
                    if (i + k >= len) return JSON_INCOMPLETE;
                    if (!is_hex(s[i + k])) { *end = i + k; return JSON_INVALID; }
                }
                i += 6;
            } else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
                i += 2;
            } else {
                *end = i + 1;
                return JSON_INVALID;
            }
            continue;
        }
        if (c < 0x80) { i++; continue; }
        int n = utf8_seq(s, i, len);
        if (n < 0) return JSON_INCOMPLETE;
        if (n == 0) { *end = i; return JSON_INVALID; }
        i += (size_t)n;
    }
    return JSON_INCOMPLETE;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Scans a number starting at s[i]; *end is one past it.  A number that runs
 * to the end of input is complete only if nothing could extend it, which the
 * caller decides (top-level numbers are complete at end of input). */
static enum json_status scan_number(const char *s, size_t i, size_t len, size_t *end)
{
    if (s[i] == '-') i++;
    if (i >= len) return JSON_INCOMPLETE;
    if (s[i] == '0') i++;
    else if (is_digit(s[i])) { while (i < len && is_digit(s[i])) i++; }
    else { *end = i; return JSON_INVALID; }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len) return JSON_INCOMPLETE;
        if (!is_digit(s[i])) { *end = i; return JSON_INVALID; }
        while (i < len && is_digit(s[i])) i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= len) return JSON_INCOMPLETE;
        if (!is_digit(s[i])) { *end = i; return JSON_INVALID; }
        while (i < len && is_digit(s[i])) i++;
    }
    *end = i;
    return JSON_OK;
}

static enum json_status scan_literal(const char *s, size_t i, size_t len, size_t *end)
{
    static const char *words[] = {"true", "false", "null"};
    for (size_t w = 0; w < 3; w++) {
        size_t n = strlen(words[w]);
        if (s[i] != words[w][0]) continue;
        size_t avail = len - i < n ? len - i : n;
        if (memcmp(s + i, words[w], avail) != 0) { *end = i; return JSON_INVALID; }
        if (avail < n) return JSON_INCOMPLETE;
        *end = i + n;
        return JSON_OK;
    }
    *end = i;
    return JSON_INVALID;
}

#define VISIT(tok, start, n)                                                  \
    do {                                                                      \
        if (fn != NULL && fn(ctx, (tok), nest.depth, (start), (n)) != 0) {    \
            st = JSON_STOPPED;                                                \
            goto out;                                                         \
        }                                                                     \
    } while (0)

#define FAIL(status, at)                                                      \
    do {                                                                      \
        st = (status);                                                        \
        bad = (at);                                                           \
        goto out;                                                             \
    } while (0)

enum json_status json_walk(const char *s, size_t len, json_visit_fn fn, void *ctx,
                           size_t *value_end)
{
    struct nest nest;
    nest.stack = nest.inline_stack;
    nest.cap = sizeof nest.inline_stack;
    nest.depth = 0;
    enum json_status st = JSON_OK;
    size_t bad = 0, end = 0;
    size_t i = skip_ws(s, 0, len);

value:
    if (i >= len) FAIL(JSON_INCOMPLETE, i);
    switch (s[i]) {
    case '{':
    case '[': {
        char open = s[i];
        VISIT(open == '{' ? JSON_TOK_OBJ_BEGIN : JSON_TOK_ARR_BEGIN, i, 1);
        if (nest_push(&nest, (unsigned char)open) != 0) FAIL(JSON_NOMEM, i);
        i = skip_ws(s, i + 1, len);
        if (i >= len) FAIL(JSON_INCOMPLETE, i);
        if (s[i] == (open == '{' ? '}' : ']')) goto close;
        if (open == '{') goto key;
        goto value;
    }
    case '"': {
        enum json_status r = scan_string(s, i, len, &end);
        if (r != JSON_OK) FAIL(r, end);
        VISIT(JSON_TOK_STRING, i + 1, end - i - 1);
        i = end + 1;
        goto after_value;
    }
    case 't':
    case 'f':
    case 'n': {
        enum json_status r = scan_literal(s, i, len, &end);
        if (r != JSON_OK) FAIL(r, end);
        VISIT(JSON_TOK_LITERAL, i, end - i);
        i = end;
        goto after_value;
    }
    default: {
        if (s[i] != '-' && !is_digit(s[i])) FAIL(JSON_INVALID, i);
        enum json_status r = scan_number(s, i, len, &end);
        if (r != JSON_OK) FAIL(r, end);
        /* Inside a container a number must be followed by something. */
        if (end >= len && nest.depth > 0) FAIL(JSON_INCOMPLETE, end);
        VISIT(JSON_TOK_NUMBER, i, end - i);
        i = end;
        goto after_value;
    }
    }

key:
    if (s[i] != '"') FAIL(JSON_INVALID, i);
    {
        enum json_status r = scan_string(s, i, len, &end);
        if (r != JSON_OK) FAIL(r, end);
        VISIT(JSON_TOK_KEY, i + 1, end - i - 1);
        i = skip_ws(s, end + 1, len);
        if (i >= len) FAIL(JSON_INCOMPLETE, i);
        if (s[i] != ':') FAIL(JSON_INVALID, i);
        i = skip_ws(s, i + 1, len);
        goto value;
    }

close:
    nest.depth--;
    VISIT(s[i] == '}' ? JSON_TOK_OBJ_END : JSON_TOK_ARR_END, i, 1);
    i++;

after_value:
    if (nest.depth == 0) {
        size_t vend = i;
        i = skip_ws(s, i, len);
        if (i != len) FAIL(JSON_INVALID, i);
        end = vend;
        goto out;
    }
    i = skip_ws(s, i, len);
    if (i >= len) FAIL(JSON_INCOMPLETE, i);
    {
        unsigned char top = nest.stack[nest.depth - 1];
        if (s[i] == (top == '{' ? '}' : ']')) goto close;
        if (s[i] != ',') FAIL(JSON_INVALID, i);
        i = skip_ws(s, i + 1, len);
        if (i >= len) FAIL(JSON_INCOMPLETE, i);
        if (top == '{') goto key;
        goto value;
    }

out:
    if (nest.stack != nest.inline_stack)
        free(nest.stack);
    if (value_end != NULL)
        *value_end = st == JSON_OK ? end : bad;
    return st;
}

const char *json_status_name(enum json_status st)
{
    switch (st) {
    case JSON_OK: return "ok";
    case JSON_INCOMPLETE: return "incomplete JSON";
    case JSON_INVALID: return "invalid JSON";
    case JSON_STOPPED: return "stopped";
    case JSON_NOMEM: return "out of memory";
    }
    return "?";
}

static unsigned hex_value(const char *p)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else v |= (unsigned)(c - 'A' + 10);
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t json_unescape(const char *raw, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] != '\\' || i + 1 >= len) { out[o++] = raw[i++]; continue; }
        char c = raw[i + 1];
        if (c != 'u' || i + 6 > len) {
            switch (c) {
            case 'b': out[o++] = '\b'; break;
            case 'f': out[o++] = '\f'; break;
            case 'n': out[o++] = '\n'; break;
            case 'r': out[o++] = '\r'; break;
            case 't': out[o++] = '\t'; break;
            default: out[o++] = c; break;
            }
            i += 2;
            continue;
        }
        unsigned cp = hex_value(raw + i + 2);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && raw[i] == '\\' && raw[i + 1] == 'u') {
            unsigned lo = hex_value(raw + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        o += put_utf8(out + o, cp);
    }
    return o;
}

int json_escape_append(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes copied verbatim in one append */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(b, s + run, i - run) != 0)
            return -1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            elen = 6;
        }
        if (buf_append(b, esc, elen) != 0)
            return -1;
        run = i + 1;
    }
    return buf_append(b, s + run, n - run);
}
