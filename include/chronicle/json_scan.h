/*
 * json_scan.h - a strict, non-recursive JSON (RFC 8259) scanner.
 *
 * Chronicle never re-serialises a hook payload: it stores the bytes it was
 * given.  That is how integers beyond 64 bits, deep nesting, escaped NULs and
 * raw UTF-8 survive exactly.  So instead of a DOM parser this is a walker
 * that validates the text and reports each token's byte span to a visitor;
 * callers that want to change a string (truncation, redaction) copy the
 * text around that span.
 *
 * No allocation unless nesting is deeper than 512 levels; depth is limited
 * only by memory.  Strings must be valid UTF-8 (no overlongs, no encoded
 * surrogates, nothing above U+10FFFF) and hold no raw control characters.
 */
#ifndef CHRONICLE_JSON_SCAN_H
#define CHRONICLE_JSON_SCAN_H

#include <stddef.h>

enum json_token {
    JSON_TOK_OBJ_BEGIN,
    JSON_TOK_OBJ_END,
    JSON_TOK_ARR_BEGIN,
    JSON_TOK_ARR_END,
    JSON_TOK_KEY,      /* span excludes the quotes; escapes left as sent */
    JSON_TOK_STRING,   /* span excludes the quotes; escapes left as sent */
    JSON_TOK_NUMBER,
    JSON_TOK_LITERAL,  /* true, false, null */
};

enum json_status {
    JSON_OK = 0,         /* exactly one value, optionally surrounded by whitespace */
    JSON_INCOMPLETE = 1, /* a valid prefix: the input ends inside the value */
    JSON_INVALID = 2,    /* not JSON */
    JSON_STOPPED = 3,    /* the visitor returned non-zero */
    JSON_NOMEM = 4,      /* nesting stack could not grow */
};

/*
 * Called for each token.  depth is the nesting level of the token's
 * container (0 for the top-level value, 1 for the members of a top-level
 * object).  start/len is the token's byte span in the input.  Returning
 * non-zero stops the walk with JSON_STOPPED.
 */
typedef int (*json_visit_fn)(void *ctx, enum json_token tok, size_t depth,
                             size_t start, size_t len);

/*
 * Walks buf[0..len).  fn may be NULL (pure validation).  On JSON_OK,
 * *value_end (if not NULL) is the offset just past the value.  On
 * JSON_INVALID, *value_end is the offset of the first bad byte.
 */
enum json_status json_walk(const char *buf, size_t len, json_visit_fn fn, void *ctx,
                           size_t *value_end);

/* Short human name for a status. */
const char *json_status_name(enum json_status st);

/*
 * Decodes the escapes of a string span (as given to the visitor) into out,
 * which must hold at least len bytes (decoding never grows a string).
 * Lone surrogate escapes become U+FFFD.  Returns the decoded length.
 */
size_t json_unescape(const char *raw, size_t len, char *out);

struct buf;
/* Appends s (n bytes of UTF-8) as a JSON string body, without quotes. */
int json_escape_append(struct buf *b, const char *s, size_t n);

#endif
