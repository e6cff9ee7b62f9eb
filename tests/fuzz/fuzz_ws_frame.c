/* fuzz_ws_frame.c - libFuzzer target: bytes from a WebSocket client, framed
 * by wslay in server mode exactly as ws_conn.c configures it, each complete
 * message through the same checks (UTF-8, JSON message parser, filters). */
#include <stdint.h>
#include <string.h>
#include <wslay/wslay.h>

#include "ws_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
    const uint8_t *data;
    size_t size, off;
    struct ws_filters filters;
};

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    struct feed *f = user;
    size_t left = f->size - f->off;
    if (left == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    /* Short reads on purpose: frames arrive split as they do on sockets. */
    size_t n = len < left ? len : left;
    if (n > 7)
        n = 7 + (f->off % 13);
    if (n > left)
        n = left;
    memcpy(buf, f->data + f->off, n);
    f->off += n;
    return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)ctx;
    (void)data;
    (void)flags;
    (void)user;
    return (ssize_t)len;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    struct feed *f = user;
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return;
    if (!utf8_valid(arg->msg, arg->msg_length)) {
        wslay_event_queue_close(ctx, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, NULL, 0);
        return;
    }
    enum ws_msg_type t;
    char err[256];
    if (ws_message_parse((const char *)arg->msg, arg->msg_length, &t, &f->filters, err,
                         sizeof err) == 0)
        (void)ws_filters_match(&f->filters, "s", "Stop");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct wslay_event_callbacks cbs = {on_recv, on_send, NULL, NULL, NULL, NULL,
                                                     on_msg};
    struct feed f;
    memset(&f, 0, sizeof f);
    f.data = data;
    f.size = size;
    wslay_event_context_ptr ctx;
    if (wslay_event_context_server_init(&ctx, &cbs, &f) != 0)
        return 0;
    wslay_event_config_set_max_recv_msg_length(ctx, 64 * 1024);
    for (int i = 0; i < 64 && f.off < f.size; i++) {
        if (wslay_event_recv(ctx) != 0 || wslay_event_send(ctx) != 0)
            break;
    }
    wslay_event_context_free(ctx);
    ws_filters_free(&f.filters);
    return 0;
}
