/*
 * redact.h - removes secrets from a hook payload before it is stored.
 *
 * Every string of a JSON payload (keys and values, at any depth) is decoded
 * (escapes resolved, so "\u0067hp_..." is seen as "ghp_...") and scanned:
 *   - a value whose key names a secret (password, token, api_key, DB_PASS,
 *     pin, ...) is replaced whole: a string by "[REDACTED]", a number by the
 *     string "[REDACTED]", and inside an object or array under such a key
 *     every string and number the same way;
 *   - inside free text (prompts, commands, file contents), recognised
 *     credentials are replaced by "[REDACTED:<kind>]" (docs/REDACTION.md has
 *     the table of kinds);
 *   - a string that holds JSON itself (tool output) is redacted as JSON.
 * A string with no match is left byte for byte, escapes and all; a string
 * that changes is re-escaped (as UTF-8, \u-escaped only for control
 * characters).  The payload keeps its shape: the same members in the same
 * order, only string contents (and secret numbers) change.
 */
#ifndef CHRONICLE_REDACT_H
#define CHRONICLE_REDACT_H

#include <stddef.h>

#include <regex.h>

#include "chronicle/buf.h"
#include "chronicle/json_scan.h"

/*
 * What to redact: the built-in rules, plus optionally one user pattern
 * (CHRONICLE_REDACT_PATTERN, a POSIX extended regex; alternatives with |)
 * whose matches become "[REDACTED:pattern]".  Owner: the collector context;
 * redact_rules_free() releases the compiled pattern.
 */
struct redact_rules {
    int on;          /* 0: store payloads as received */
    int has_extra;
    regex_t extra;
};

/* Compiles pattern (NULL or "" for none).  0, or -1 with err naming it. */
int redact_rules_init(struct redact_rules *r, int on, const char *pattern, char *err,
                      size_t errlen);
void redact_rules_free(struct redact_rules *r);

/*
 * Redacts the JSON text json (len bytes).  When something is redacted,
 * writes the redacted text to out (which is reset first) and returns 1; 0
 * when nothing matched (out empty: use the input as is); -2 when json is not
 * valid UTF-8 JSON (out empty; store it as raw text with redact_raw); -1 on
 * ENOMEM.  also, when not NULL, sees every token of the same walk (spans
 * refer to json), so a caller needing a second pass over the payload gets it
 * free; after -2 it has seen only a prefix.
 *
 * Bound: out is never longer than REDACT_GROWTH_MAX * len + 64 bytes.  The
 * worst case is the user's pattern matching single bytes ("[REDACTED:pattern]"
 * is 18); built-in matches need more bytes of context each (a number under a
 * secret key, four levels of escaped JSON deep, grows 13.5-fold), and
 * markers are never matched again.  tests/fuzz/fuzz_redact.c checks it.
 */
#define REDACT_GROWTH_MAX 18
int redact_json(const char *json, size_t len, const struct redact_rules *rules, struct buf *out,
                json_visit_fn also, void *also_ctx);

/*
 * Redacts free text s (n bytes) into out (appended).  Returns the number of
 * secrets replaced, or -1 on ENOMEM.  rules may be NULL (built-in rules
 * only).  This is what each decoded JSON string goes through.
 */
int redact_text(const char *s, size_t n, const struct redact_rules *rules, struct buf *out);

/*
 * Redacts a raw payload (not JSON, or cut short: WIRE_FLAG_INVALID) into out
 * (appended): first each "..." holding JSON escapes is decoded, scanned and
 * re-escaped, then the whole text goes through redact_text.  Returns the
 * number of secrets replaced, or -1 on ENOMEM.
 */
int redact_raw(const char *s, size_t n, const struct redact_rules *rules, struct buf *out);

/* 1 if a JSON key (decoded, n bytes) names a secret. */
int redact_key_is_secret(const char *key, size_t n);

#endif
