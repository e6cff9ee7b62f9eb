/* http_query.c - strict query-string decoding and typed parameter readers. */
#include "http_query.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/iso8601.h"
#include "ws_message.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes src[0..len) into dst (NUL-terminated).  -1 on a bad escape or a
 * decoded NUL, which no parameter of ours can mean. */
static int decode(const char *src, size_t len, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int h = hexval((unsigned char)src[i + 1]), l = hexval((unsigned char)src[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return 0;
}

int query_parse(struct query *q, const char *s, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    if (s == NULL || *s == '\0')
        return 0;
    size_t len = strlen(s);
    if (len > QUERY_MAX_LEN) {
        snprintf(err, errlen, "query string longer than %d bytes", QUERY_MAX_LEN);
        return -1;
    }
    /* Decoding never grows a string; each pair adds a NUL after its key and
     * one after its value, and a pair without '=' has no byte to spare for
     * the second (found by fuzz_query: " &,A").  n pairs need at most
     * len + n + 1 bytes, and n <= len. */
    q->block = malloc(2 * len + 2);
    if (q->block == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *out = q->block;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        if (pair_end == p) { /* "a=1&&b=2": empty pairs are harmless */
            p = pair_end + 1;
            continue;
        }
        if (q->n == QUERY_MAX_PARAMS) {
            snprintf(err, errlen, "more than %d query parameters", QUERY_MAX_PARAMS);
            return -1;
        }
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        const char *val = eq ? eq + 1 : pair_end;
        char *k = out;
        if (decode(p, (size_t)(key_end - p), k) != 0) {
            snprintf(err, errlen, "malformed %%-escape or NUL in a query parameter name");
            return -1;
        }
        out += strlen(k) + 1;
        /* Every parameter is compared with or stored as UTF-8 text (and
         * echoed in JSON errors): other bytes cannot match anything. */
        if (!utf8_valid((const uint8_t *)k, strlen(k))) {
            snprintf(err, errlen, "a query parameter name is not valid UTF-8");
            return -1;
        }
        char *v = out;
        if (decode(val, (size_t)(pair_end - val), v) != 0) {
            snprintf(err, errlen, "malformed %%-escape or NUL in query parameter '%.64s'", k);
            return -1;
        }
        out += strlen(v) + 1;
        if (!utf8_valid((const uint8_t *)v, strlen(v))) {
            snprintf(err, errlen, "query parameter '%.64s' is not valid UTF-8", k);
            return -1;
        }
        if (*k == '\0') {
            snprintf(err, errlen, "query parameter with an empty name");
            return -1;
        }
        q->p[q->n].key = k;
        q->p[q->n].val = v;
        q->n++;
        p = pair_end + 1;
    }
    return 0;
}

int query_without(const char *s, const char *key, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    for (const char *p = s ? s : ""; *p;) {
        size_t n = strcspn(p, "&");
        size_t kn = strcspn(p, "=&");
        char name[QUERY_MAX_LEN + 1];
        if (kn > QUERY_MAX_LEN || decode(p, kn, name) != 0)
            return -1;
        if (n > 0 && strcmp(name, key) != 0) {
            if (o + (o > 0) + n >= outlen)
                return -1;
            if (o > 0)
                out[o++] = '&';
            memcpy(out + o, p, n);
            o += n;
            out[o] = '\0';
        }
        p += n + (p[n] == '&');
    }
    return 0;
}

void query_free(struct query *q)
{
    free(q->block);
    q->block = NULL;
    q->n = 0;
}

const char *query_get(const struct query *q, const char *key)
{
    for (size_t i = q->n; i-- > 0;)
        if (strcmp(q->p[i].key, key) == 0)
            return q->p[i].val;
    return NULL;
}

int query_check_keys(const struct query *q, const char *const *allowed, char *err, size_t errlen)
{
    for (size_t i = 0; i < q->n; i++) {
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, q->p[i].key) != 0)
            a++;
        if (*a == NULL) {
            snprintf(err, errlen, "unknown parameter '%.64s'", q->p[i].key);
            return -1;
        }
    }
    return 0;
}

static int parse_long_text(const char *s, long *out)
{
    if (*s == '\0' || *s == ' ' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

enum query_status query_long(const struct query *q, const char *key, long min, long max,
                             long *out, char *err, size_t errlen)
{
    const char *s = query_get(q, key);
    if (s == NULL)
        return QUERY_ABSENT;
    long v;
    if (parse_long_text(s, &v) != 0 || v < min || v > max) {
        snprintf(err, errlen, "parameter '%s' must be an integer from %ld to %ld", key, min, max);
        return QUERY_BAD;
    }
    *out = v;
    return QUERY_OK;
}

/* A time of day must carry its zone: a local time would mean whatever the
 * server's TZ says. */
static int parse_iso(const char *s, int64_t *out_ns)
{
    struct iso8601 t;
    if (iso8601_parse(s, &t) != 0 || (t.has_time && !t.has_zone))
        return -1;
    int64_t ns = iso8601_utc_ns(&t);
    if (ns < 0)
        return -1;
    *out_ns = ns;
    return 0;
}

int query_parse_time(const char *s, int64_t *out_ns)
{
    size_t len = strlen(s);
    if (len > 0 && len <= 15 && strspn(s, "0123456789") == len) {
        long v;
        /* 15 digits of milliseconds reach year 33658: no overflow in ns. */
        if (parse_long_text(s, &v) != 0)
            return -1;
        *out_ns = (int64_t)v * 1000000;
        return 0;
    }
    return parse_iso(s, out_ns);
}

enum query_status query_time(const struct query *q, const char *key, int64_t *out_ns,
                             char *err, size_t errlen)
{
    const char *s = query_get(q, key);
    if (s == NULL)
        return QUERY_ABSENT;
    if (query_parse_time(s, out_ns) != 0) {
        snprintf(err, errlen, "parameter '%s' must be epoch milliseconds or an ISO 8601 UTC time "
                 "such as 2026-01-31T12:00:00Z", key);
        return QUERY_BAD;
    }
    return QUERY_OK;
}

enum query_status query_duration(const struct query *q, const char *key, long min_s, long max_s,
                                 long *out_s, char *err, size_t errlen)
{
    const char *s = query_get(q, key);
    if (s == NULL)
        return QUERY_ABSENT;
    size_t len = strlen(s);
    long mult = 1;
    char num[24];
    if (len > 0 && len < sizeof num) {
        memcpy(num, s, len + 1);
        switch (num[len - 1]) {
        case 's': mult = 1; num[len - 1] = '\0'; break;
        case 'm': mult = 60; num[len - 1] = '\0'; break;
        case 'h': mult = 3600; num[len - 1] = '\0'; break;
        case 'd': mult = 86400; num[len - 1] = '\0'; break;
        default: break;
        }
        long v;
        if (parse_long_text(num, &v) == 0 && v > 0 && v <= max_s / mult && v * mult >= min_s) {
            *out_s = v * mult;
            return QUERY_OK;
        }
    }
    snprintf(err, errlen, "parameter '%s' must be a duration such as 90s, 15m, 24h or 7d, "
             "from %lds to %lds", key, min_s, max_s);
    return QUERY_BAD;
}

enum query_status query_list(const struct query *q, const char *key, const char **vals,
                             size_t *n, char **storage, char *err, size_t errlen)
{
    *n = 0;
    *storage = NULL;
    size_t total = 0;
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->p[i].key, key) == 0)
            total += strlen(q->p[i].val) + 1;
    if (total == 0)
        return QUERY_ABSENT;
    char *copy = malloc(total);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return QUERY_BAD;
    }
    char *o = copy;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->p[i].key, key) != 0)
            continue;
        size_t l = strlen(q->p[i].val);
        memcpy(o, q->p[i].val, l + 1);
        char *item = o;
        o += l + 1;
        /* strtok_r would skip empty items silently; "a,,b" is a mistake. */
        for (;;) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            if (*item == '\0' || *n == QUERY_MAX_LIST) {
                if (*item == '\0')
                    snprintf(err, errlen, "parameter '%s' has an empty item", key);
                else
                    snprintf(err, errlen, "parameter '%s' has more than %d items", key,
                             QUERY_MAX_LIST);
                free(copy); /* after the last read of item, which points into it */
                *n = 0;
                return QUERY_BAD;
            }
            vals[(*n)++] = item;
            if (!comma)
                break;
            item = comma + 1;
        }
    }
    *storage = copy;
    return QUERY_OK;
}
