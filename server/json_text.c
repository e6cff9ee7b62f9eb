/* json_text.c - JSON text into a buffer.  See json_text.h. */
#include "json_text.h"

#include <stdio.h>
#include <string.h>

int jt_key(struct buf *b, const char *key, int first)
{
    int rc = first ? 0 : buf_append(b, ",", 1);
    return rc | jt_str(b, key, strlen(key)) | buf_append(b, ":", 1);
}

int jt_str(struct buf *b, const char *s, size_t len)
{
    if (buf_reserve(b, len + 2) != 0 || buf_append(b, "\"", 1) != 0)
        return -1;
    size_t run = 0; /* bytes copied as they are, in one append */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(b, s + run, i - run) != 0)
            return -1;
        char esc[8];
        const char *e = esc;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default: snprintf(esc, sizeof esc, "\\u%04X", c); break;
        }
        if (buf_append_str(b, e) != 0)
            return -1;
        run = i + 1;
    }
    return buf_append(b, s + run, len - run) | buf_append(b, "\"", 1);
}

int jt_int(struct buf *b, int64_t v)
{
    /* By hand: snprintf's format parsing was a tenth of a payload page. */
    char n[24];
    size_t i = sizeof n;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        n[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        n[--i] = '-';
    return buf_append(b, n + i, sizeof n - i);
}

int jt_bool(struct buf *b, int v) { return buf_append_str(b, v ? "true" : "false"); }
int jt_null(struct buf *b) { return buf_append(b, "null", 4); }
int jt_raw(struct buf *b, const char *s, size_t len) { return buf_append(b, s, len); }
