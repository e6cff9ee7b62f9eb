/*
 * jsonb_check.h - would PostgreSQL's jsonb accept this JSON text?
 *
 * Chronicle stores payloads exactly as sent (json_scan.h), and some valid
 * JSON is refused by jsonb: the escape \u0000 (jsonb strings are text, and
 * text holds no NUL), an unpaired surrogate escape, numbers beyond
 * numeric's range (1e999999), and nesting deep enough to exhaust the
 * server's stack.  One such payload must not fail a whole batch, so
 * chronicle-ship checks each payload first and ships the refused ones as
 * text (events.payload_text) instead.  The check is conservative: it may
 * send to text a number jsonb would have taken (more than 1000 digits or an
 * exponent beyond +-1000), never the other way round.
 */
#ifndef CHRONICLE_SHIP_JSONB_CHECK_H
#define CHRONICLE_SHIP_JSONB_CHECK_H

#include <stddef.h>

#define JSONB_MAX_DEPTH 200

enum jsonb_verdict {
    JSONB_OK,           /* valid JSON that jsonb accepts */
    JSONB_REFUSED,      /* valid JSON (and UTF-8) that jsonb would refuse: store as text */
    JSONB_NOT_JSON,     /* not valid JSON at all */
};

enum jsonb_verdict jsonb_check(const char *json, size_t len);

/* 1 when s[0..len) is valid UTF-8 with no NUL byte (what a PostgreSQL text
 * value in a UTF8 database may hold). */
int utf8_text_valid(const char *s, size_t len);

#endif
