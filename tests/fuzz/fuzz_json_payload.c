/* libFuzzer target: a hook payload as chronicle-send reads it from stdin:
 * the scanner, the trimmer (with a small limit so it always runs), the
 * redactor and the field extractor.  Checks the invariants each promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "chronicle/json_scan.h"
#include "event_fields.h"
#include "payload_trim.h"
#include "chronicle/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (json_walk(s, size, NULL, NULL, NULL) != JSON_OK) {
        struct buf out = BUF_INIT;
        redact_text(s, size, NULL, &out); /* invalid payloads are redacted as text */
        buf_free(&out);
        return 0;
    }
    struct buf trimmed = BUF_INIT, red = BUF_INIT;
    int t = payload_trim(s, size, size / 2 + 64, &trimmed);
    /* Trimming never breaks the JSON. */
    if (t >= 0 && json_walk(trimmed.data, trimmed.len, NULL, NULL, NULL) != JSON_OK)
        abort();
    if (t == 0 && trimmed.len > size / 2 + 64)
        abort();
    struct event_fields f = {0};
    event_fields_begin(&f, s);
    int r = redact_json(s, size, NULL, &red, event_fields_visit, &f);
    event_fields_end(&f);
    /* Redaction never breaks the JSON either. */
    if (r == 1 && json_walk(red.data, red.len, NULL, NULL, NULL) != JSON_OK)
        abort();
    event_fields_free(&f);
    buf_free(&trimmed);
    buf_free(&red);
    return 0;
}
