/*
 * http_query.h - the URL query-string parser and the typed parameter readers
 * of the REST API.
 *
 * Query strings are outside bytes: the parser is strict and bounded.  It
 * decodes application/x-www-form-urlencoded pairs ('+' is a space, %XX is a
 * byte) into one heap block owned by the struct query; query_free() releases
 * it.  Keys and values are NUL-terminated UTF-8; a key or value holding a
 * decoded NUL or bytes that are not UTF-8, a bad %-escape, more than
 * QUERY_MAX_PARAMS pairs or more than QUERY_MAX_LEN bytes is refused with a
 * message naming the problem (and the parameter).
 *
 * The readers return QUERY_ABSENT, QUERY_OK or QUERY_BAD; on QUERY_BAD they
 * write a message naming the parameter into err, ready for a 400 answer.
 */
#ifndef CHRONICLE_HTTP_QUERY_H
#define CHRONICLE_HTTP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_PARAMS 64
#define QUERY_MAX_LEN 4096
#define QUERY_MAX_LIST 64   /* values of a list parameter (a=1&a=2 or a=1,2) */

struct query_param {
    char *key; /* borrowed from struct query's block */
    char *val;
};

struct query {
    size_t n;
    struct query_param p[QUERY_MAX_PARAMS];
    char *block; /* owned: decoded keys and values */
};

enum query_status { QUERY_ABSENT = 0, QUERY_OK = 1, QUERY_BAD = -1 };

/* Parses s (may be NULL: no parameters).  Returns 0, or -1 with a message in
 * err; q needs query_free() in both cases. */
int query_parse(struct query *q, const char *s, char *err, size_t errlen);
void query_free(struct query *q);

/* The raw query string s (may be NULL) without the pairs whose decoded name
 * is key, into out: "" when nothing is left, the other pairs as they were
 * sent otherwise.  0, or -1 when out is too small or a name is malformed. */
int query_without(const char *s, const char *key, char *out, size_t outlen);

/* The value of the last occurrence of key, or NULL. */
const char *query_get(const struct query *q, const char *key);

/* Fails (returns -1, names the key in err) when q holds a key that is not in
 * the NULL-terminated allowlist: a typo in a filter must not silently widen a
 * query. */
int query_check_keys(const struct query *q, const char *const *allowed, char *err, size_t errlen);

/* Integer in [min, max]. */
enum query_status query_long(const struct query *q, const char *key, long min, long max,
                             long *out, char *err, size_t errlen);

/* A time as epoch milliseconds ("1732680000000") or ISO 8601 UTC
 * ("2026-11-27T04:51:55Z", "2026-11-27T04:51:55.123Z", "+00:00" offsets,
 * or a date "2026-11-27").  *out_ns is UTC nanoseconds. */
enum query_status query_time(const struct query *q, const char *key, int64_t *out_ns,
                             char *err, size_t errlen);

/* A duration "90s", "15m", "24h", "7d" (or plain seconds) in [min_s, max_s]. */
enum query_status query_duration(const struct query *q, const char *key, long min_s, long max_s,
                                 long *out_s, char *err, size_t errlen);

/*
 * Every value of key, from repeated keys and comma-separated lists, in order.
 * vals[] point into a copy owned by *storage (free() it; NULL when absent).
 * More than QUERY_MAX_LIST values or an empty item is QUERY_BAD.
 */
enum query_status query_list(const struct query *q, const char *key, const char **vals,
                             size_t *n, char **storage, char *err, size_t errlen);

/* Parses a time text as query_time() does; 0 or -1. */
int query_parse_time(const char *s, int64_t *out_ns);

#endif
