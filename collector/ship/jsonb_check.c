/* jsonb_check.c - PostgreSQL jsonb acceptance.  See jsonb_check.h. */
#include "jsonb_check.h"

#include <stdint.h>

#include "chronicle/json_scan.h"

#define MAX_DIGITS 1000
#define MAX_EXPONENT 1000

struct walk {
    const char *json;
    int refused;
};

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A string span (escapes as sent; json_walk checked their syntax). */
static int string_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\')
            continue;
        if (++i >= len)
            return 0;
        if (s[i] != 'u')
            continue;
        unsigned cp;
        if (i + 4 >= len || hex4(s + i + 1, &cp) != 0)
            return 0;
        i += 4;
        if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            return 0; /* NUL, or a low surrogate with no high one before it */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (i + 6 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' ||
                hex4(s + i + 3, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                return 0;
            i += 6;
        }
    }
    return 1;
}

/* A number span: at most MAX_DIGITS digits and |exponent| <= MAX_EXPONENT,
 * well inside numeric's limits (131072 digits before the point, 16383
 * after). */
static int number_ok(const char *s, size_t len)
{
    size_t digits = 0, i = 0;
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++)
        digits += s[i] >= '0' && s[i] <= '9';
    if (digits > MAX_DIGITS)
        return 0;
    if (i == len)
        return 1;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    int64_t e = 0;
    for (; i < len; i++) {
        e = e * 10 + (s[i] - '0');
        if (e > MAX_EXPONENT)
            return 0;
    }
    return 1;
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct walk *w = ctx;
    int ok = 1;
    if (depth > JSONB_MAX_DEPTH)
        ok = 0;
    else if (tok == JSON_TOK_STRING || tok == JSON_TOK_KEY)
        ok = string_ok(w->json + start, len);
    else if (tok == JSON_TOK_NUMBER)
        ok = number_ok(w->json + start, len);
    if (!ok)
        w->refused = 1;
    return !ok; /* the first refusal ends the walk */
}

enum jsonb_verdict jsonb_check(const char *json, size_t len)
{
    struct walk w = {json, 0};
    enum json_status st = json_walk(json, len, visit, &w, NULL);
    if (w.refused)
        return JSONB_REFUSED;
    return st == JSON_OK ? JSONB_OK : JSONB_NOT_JSON;
}

int utf8_text_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (n == 0 || c > 0xF4 || i + n > len)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        unsigned c1 = s[i + 1];
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
            (c == 0xF4 && c1 > 0x8F))
            return 0; /* overlong, surrogate, or above U+10FFFF */
        i += n;
    }
    return 1;
}
