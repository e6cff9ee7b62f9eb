/* libFuzzer target: the redactor on outside bytes.  The first byte picks the
 * rules (built-in only, or with a user pattern that can match inside UTF-8
 * sequences); the rest is the payload.  Checks what redact.h promises:
 *   - valid JSON in, valid JSON out, with the same shape (the same tokens at
 *     the same depths; a number may have become a string);
 *   - 0 (nothing found) leaves out empty, and -2 only for invalid input;
 *   - no output, JSON or raw, is longer than REDACT_GROWTH_MAX * len + 64. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "chronicle/json_scan.h"
#include "chronicle/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct shape {
    unsigned char tok[4096];
    size_t depth[4096];
    size_t n, total;
};

static int record(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    (void)start;
    (void)len;
    struct shape *s = ctx;
    if (s->n < sizeof s->tok) {
        s->tok[s->n] = (unsigned char)tok;
        s->depth[s->n++] = depth;
    }
    s->total++;
    return 0;
}

static void same_shape(const char *a, size_t an, const char *b, size_t bn)
{
    static struct shape sa, sb;
    sa.n = sa.total = sb.n = sb.total = 0;
    if (json_walk(a, an, record, &sa, NULL) != JSON_OK || json_walk(b, bn, record, &sb, NULL) != JSON_OK)
        abort();
    if (sa.total != sb.total)
        abort();
    for (size_t i = 0; i < sa.n; i++) {
        int number_to_string = sa.tok[i] == JSON_TOK_NUMBER && sb.tok[i] == JSON_TOK_STRING;
        if ((sa.tok[i] != sb.tok[i] && !number_to_string) || sa.depth[i] != sb.depth[i])
            abort();
    }
}

static void bounded(const struct buf *out, size_t size)
{
    if (out->len > REDACT_GROWTH_MAX * size + 64)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct redact_rules rules;
    char err[128];
    if (redact_rules_init(&rules, 1, data[0] & 1 ? "[0-9]{3}|.\xa9|x" : NULL, err, sizeof err) != 0)
        abort();
    const char *s = (const char *)data + 1;
    size--;
    struct buf out = BUF_INIT;
    int valid = json_walk(s, size, NULL, NULL, NULL) == JSON_OK;
    int r = redact_json(s, size, &rules, &out, NULL, NULL);
    if (r == -2 ? valid : r >= 0 && !valid)
        abort();
    if (r == 0 && out.len != 0)
        abort();
    if (r == 1) {
        same_shape(s, size, out.data, out.len);
        bounded(&out, size);
    }
    buf_reset(&out);
    if (redact_raw(s, size, &rules, &out) >= 0)
        bounded(&out, size);
    buf_reset(&out);
    if (redact_text(s, size, &rules, &out) >= 0)
        bounded(&out, size);
    buf_free(&out);
    redact_rules_free(&rules);
    return 0;
}
