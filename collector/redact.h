/*
 * redact.h - removes secrets from a hook payload before it is stored.
 *
 * The payload keeps its exact shape: only string contents change.  Two
 * rules apply to every string (keys and values, at any depth):
 *   - a value whose key names a secret (password, token, secret, api_key,
 *     authorization, ...) is replaced whole by "[REDACTED]";
 *   - inside free text (prompts, commands, file contents), recognised
 *     credentials are replaced by "[REDACTED:<kind>]": Anthropic/OpenAI
 *     sk- keys, AWS access key ids, GitHub and Slack tokens, bearer tokens,
 *     JWTs, PEM private keys, passwords in URLs, and the value of
 *     key=value / key: value pairs whose key names a secret.
 * Strings that contain none of these are copied byte for byte, escapes and
 * all; a string that changes is re-escaped (as UTF-8, never \u-escaped
 * except for control characters).
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
 * json must be valid JSON (len bytes).  When something is redacted, writes
 * the redacted text to out (which is reset first) and returns 1; returns 0
 * when nothing matched (out untouched: use the input as is), -1 on ENOMEM.
 * also, when not NULL, sees every token of the same walk (spans refer to
 * json), so a caller needing a second pass over the payload gets it free.
 */
int redact_json(const char *json, size_t len, const struct redact_rules *rules, struct buf *out,
                json_visit_fn also, void *also_ctx);

/*
 * Redacts free text s (n bytes) into out (appended).  Returns the number of
 * secrets replaced, or -1 on ENOMEM.  rules may be NULL (built-in rules
 * only).  Exposed for tests and for raw (invalid) payloads.
 */
int redact_text(const char *s, size_t n, const struct redact_rules *rules, struct buf *out);

/* 1 if a JSON key (decoded, n bytes) names a secret. */
int redact_key_is_secret(const char *key, size_t n);

#endif
