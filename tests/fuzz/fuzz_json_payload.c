/* libFuzzer target: a hook payload as chronicle-send reads it from stdin:
 * the scanner, the trimmer (with a small limit so it always runs), the
 * redactor and the field extractor.  Checks the invariants each promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/json_scan.h"
#include "event_fields.h"
#include "payload_trim.h"
#include "chronicle/redact.h"
#include "session_state.h"
#include "transcript_row.h"

/* A one-line text: no control characters, within its buffer. */
static void check_line(const char *t, size_t cap)
{
    size_t n = strnlen(t, cap);
    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            abort();
}

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
    /* The session state machine's reading of it (collector/session_state.h),
     * as every kind of event, and a transcript line's title. */
    static const uint32_t kinds[] = {EVF_PERMISSION | EVF_AWAITING_INPUT, EVF_TURN_END |
                                     EVF_AWAITING_INPUT, EVF_TURN_FAILED, EVF_PROMPT,
                                     EVF_SESSION_START, EVF_ELICITATION | EVF_AWAITING_INPUT};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct state_event ev;
        memset(&ev, 0, sizeof ev);
        ev.flags = kinds[k];
        state_event_read(&ev, s, size);
        check_line(ev.detail.tool_name, sizeof ev.detail.tool_name);
        check_line(ev.detail.tool_input, sizeof ev.detail.tool_input);
        check_line(ev.detail.message, sizeof ev.detail.message);
        check_line(ev.detail.error, sizeof ev.detail.error);
        check_line(ev.title, sizeof ev.title);
        struct session_state st = {0};
        session_state_next(&st, &ev, &st);
        struct buf dj = BUF_INIT;
        int empty;
        if (state_detail_json(&st.detail, &dj, &empty) == 0 && !empty &&
            json_walk(dj.data, dj.len, NULL, NULL, NULL) != JSON_OK)
            abort(); /* the stored detail is always JSON */
        buf_free(&dj);
    }
    struct transcript_row row;
    if (transcript_row_parse(s, size, &row) == 0 && row.kind == ROW_TITLE)
        check_line(row.title, sizeof row.title);
    event_fields_free(&f);
    buf_free(&trimmed);
    buf_free(&red);
    return 0;
}
