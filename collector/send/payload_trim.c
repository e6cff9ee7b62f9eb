/* payload_trim.c - cut the longest strings to fit a size limit.  See payload_trim.h. */
#include "payload_trim.h"

#include <stdio.h>
#include <stdlib.h>

#include "chronicle/json_scan.h"

struct span {
    size_t start, len; /* raw (escaped) bytes between the quotes */
};

struct spans {
    struct span *v;
    size_t n, cap;
    int nomem;
};

static int collect(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    (void)depth;
    struct spans *s = ctx;
    if (tok != JSON_TOK_STRING)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct span *p = realloc(s->v, cap * sizeof *p);
        if (p == NULL) {
            s->nomem = 1;
            return 1;
        }
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = (struct span){start, len};
    return 0;
}

static size_t marker_len(size_t orig)
{
    char m[96];
    int n = snprintf(m, sizeof m, TRIM_MARKER_FMT, orig);
    return n > 0 ? (size_t)n : 0;
}

/* Bytes saved by cutting every string longer than keep (+ its marker). */
static size_t saved_at(const struct spans *s, size_t keep)
{
    size_t saved = 0;
    for (size_t i = 0; i < s->n; i++) {
        size_t cut = keep + marker_len(s->v[i].len);
        if (s->v[i].len > cut)
            saved += s->v[i].len - cut;
    }
    return saved;
}

/* Largest prefix of the raw string no longer than keep that ends on a
 * character boundary: never inside an escape or a UTF-8 sequence. */
static size_t safe_prefix(const char *raw, size_t len, size_t keep)
{
    size_t i = 0, last = 0;
    while (i < len && i <= keep) {
        last = i;
        unsigned char c = (unsigned char)raw[i];
        if (c == '\\')
            i += raw[i + 1] == 'u' ? 6 : 2;
        else if (c < 0x80)
            i += 1;
        else if (c < 0xE0)
            i += 2;
        else if (c < 0xF0)
            i += 3;
        else
            i += 4;
    }
    return i <= keep ? i : last;
}

int payload_trim(const char *json, size_t len, size_t limit, struct buf *out)
{
    struct spans s = {0};
    if (json_walk(json, len, collect, &s, NULL) != JSON_OK) {
        free(s.v);
        return s.nomem ? -1 : 1;
    }
    /* Binary search for the largest keep whose result fits. */
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].len > hi)
            hi = s.v[i].len;
    int fits = len - saved_at(&s, 0) <= limit;
    if (fits) {
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (len - saved_at(&s, mid) <= limit)
                lo = mid;
            else
                hi = mid - 1;
        }
    }
    size_t keep = lo, copied = 0;
    int rc = 0;
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        const struct span *sp = &s.v[i];
        if (sp->len <= keep + marker_len(sp->len))
            continue;
        size_t pre = safe_prefix(json + sp->start, sp->len, keep);
        rc = buf_append(out, json + copied, sp->start + pre - copied) != 0 ||
             buf_printf(out, TRIM_MARKER_FMT, sp->len) != 0;
        copied = sp->start + sp->len;
    }
    if (rc == 0)
        rc = buf_append(out, json + copied, len - copied);
    free(s.v);
    if (rc != 0)
        return -1;
    return fits ? 0 : 1;
}
