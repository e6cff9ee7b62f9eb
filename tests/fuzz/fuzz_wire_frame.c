/* libFuzzer target: bytes from a client socket or a spool file, through the
 * streaming msgpack decoder, frame validation, and (for frames that pass)
 * the whole receive path: redaction and field extraction. */
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "chronicle/wire.h"
#include "pending_event.h"
#include "chronicle/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_unpacker up;
    if (!msgpack_unpacker_init(&up, 1024))
        return 0;
    /* Feed in two pieces, as a socket would. */
    size_t half = size / 2;
    const uint8_t *parts[2] = {data, data + half};
    size_t lens[2] = {half, size - half};
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    struct wire_scan scan = {0};
    for (int p = 0; p < 2; p++) {
        const char *why;
        /* As in conn.c: nothing reaches msgpack-c before the shape check. */
        if (wire_scan_feed(&scan, parts[p], lens[p], 1 << 20, &why) != 0)
            break;
        if (!msgpack_unpacker_reserve_buffer(&up, lens[p] + 1))
            break;
        memcpy(msgpack_unpacker_buffer(&up), parts[p], lens[p]);
        msgpack_unpacker_buffer_consumed(&up, lens[p]);
        while (msgpack_unpacker_next(&up, &res) == MSGPACK_UNPACK_SUCCESS) {
            struct wire_event ev;
            char err[256];
            if (wire_decode_event(&res.data, &ev, err, sizeof err) == 0 && ev.kind == WIRE_EVENT) {
                static const struct redact_rules on = {.on = 1};
                struct pending_event *pe = pending_event_new(&ev, &on);
                pending_event_free(pe);
            }
            struct wire_reply r;
            wire_decode_reply(&res.data, &r);
        }
    }
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    return 0;
}
