/* libFuzzer target: a stored event as chronicle-ship turns it into
 * PostgreSQL values: the jsonb acceptance check, the UTF-8 repair of text
 * columns and the payload fields.  Checks what it promises: a payload placed
 * for jsonb is JSON jsonb_check accepts, every text column is valid UTF-8,
 * and nothing is lost (the payload goes to exactly one column, whole). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonb_check.h"
#include "ship_row.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* First bytes up to a NUL: the event type and a host (as text
     * columns); the rest: the payload. */
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t head = nul ? (size_t)(nul - s) : 0;
    char text[256];
    size_t tl = head < sizeof text - 1 ? head : sizeof text - 1;
    memcpy(text, s, tl);
    text[tl] = '\0';
    const char *payload = nul ? nul + 1 : s;
    size_t plen = size - (size_t)(payload - s);
    struct local_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = 1;
    ev.event_uid = "0123456789abcdef";
    ev.event_uid_len = 16;
    ev.col[SC_EVENT_TYPE] = text;
    ev.col[SC_HOST] = text;
    ev.col[SC_TOOL_USE_ID] = "t";
    ev.payload = payload;
    ev.payload_len = plen;
    ev.duration_ms = ev.uid = ev.pid = ev.ppid = ev.claude_pid = -1;
    struct ship_batch b;
    memset(&b, 0, sizeof b);
    if (ship_batch_add(&b, &ev) != 0) {
        ship_batch_free(&b);
        return 0;
    }
    const struct ship_row *r = &b.rows[0];
    size_t len;
    const char *v;
    if ((v = ship_row_col(&b, r, SC_PAYLOAD, &len)) && jsonb_check(v, len) != JSONB_OK)
        abort();
    int placed = 0;
    for (int c = SC_PAYLOAD; c <= SC_RAW; c++)
        if ((v = ship_row_col(&b, r, (enum ship_col)c, &len))) {
            placed++;
            if (len != plen || memcmp(v, payload, plen) != 0)
                abort();
            if (c == SC_PAYLOAD_TEXT && !utf8_text_valid(v, len))
                abort();
        }
    if (placed != 1)
        abort();
    for (int c = 0; c < SC_COUNT; c++)
        if (c != SC_RAW && (v = ship_row_col(&b, r, (enum ship_col)c, &len)) && c != SC_PAYLOAD &&
            c != SC_PAYLOAD_TEXT && !utf8_text_valid(v, len))
            abort();
    ship_batch_free(&b);
    return 0;
}
