/*
 * ws_conn.c - the WebSocket transport.  See ws_conn.h.
 *
 * evhttp (libevent 2.1) has no WebSocket support; its public API is enough
 * to take a connection over: answer 101 with evhttp_send_reply_start(), then
 * replace the bufferevent's callbacks with ours.  From then on evhttp only
 * owns the memory; ending the ws_conn releases it with
 * evhttp_connection_free().
 *
 * wslay's send callback appends to the bufferevent's output buffer, which
 * always accepts; the user bounds what it queues with ws_conn_backlog(), and
 * what the client's own frames cause (pongs, replies) is bounded by reading
 * them only within the cap (may_take_frame).
 * Pre-framed bytes (events, framed once for every client) bypass wslay.
 *
 * One deferred-end rule: the functions the user calls never free the
 * connection.  A failure marks it and activates later_ev, whose callback
 * (a top-level libevent callback) calls on_close and frees; the
 * bufferevent's own callbacks end it directly, since nothing of ours is on
 * the stack below them.  No wslay call is made from inside another
 * (in_wslay): messages queued from on_text go out when on_read flushes.
 */
#include "ws_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <wslay/wslay.h>

#include "chronicle/clock.h"
#include "http_guard.h"
#include "chronicle/log.h"
#include "ws_handshake.h"
#include "ws_message.h"

struct ws_conn {
    struct server *srv;           /* metrics */
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    wslay_event_context_ptr ctx;
    struct ws_conn_callbacks cb;
    void *arg;
    struct event *later_ev;       /* next loop turn: end if doomed, else read */
    int64_t last_rx_mono;
    struct evbuffer_cb_entry *out_cb; /* counts what the socket takes */
    uint64_t out_drained;         /* bytes the socket has taken from the output */
    uint64_t pong_mark;           /* ... once out_drained reaches it, our last pong is gone */
    uint64_t rx_frame_left;       /* bytes of the client's current frame not yet given to wslay */
    int pong_flush;               /* a ping was read: its pong is in wslay's queue */
    int read_paused;              /* EV_READ off until the output drains */
    int in_wslay;                 /* wslay is running one of our callbacks */
    int doomed;                   /* end at the next safe point */
    int proto_error;              /* we failed the connection: ignore further input */
    int close_queued;             /* ws_conn_close() was called: nothing may follow */
};

size_t ws_conn_backlog(const struct ws_conn *ws)
{
    return evbuffer_get_length(bufferevent_get_output(ws->bev)) +
           wslay_event_get_queued_msg_length(ws->ctx);
}

int ws_conn_closing(const struct ws_conn *ws)
{
    return ws->doomed || ws->proto_error || ws->close_queued ||
           wslay_event_get_close_sent(ws->ctx);
}

int64_t ws_conn_last_rx(const struct ws_conn *ws) { return ws->last_rx_mono; }

void ws_conn_free(struct ws_conn *ws)
{
    if (ws == NULL)
        return;
    if (ws->out_cb)
        evbuffer_remove_cb_entry(bufferevent_get_output(ws->bev), ws->out_cb);
    wslay_event_context_free(ws->ctx);
    if (ws->later_ev)
        event_free(ws->later_ev);
    /* Frees the bufferevent (closing the socket) and the 101 request. */
    if (ws->evcon)
        evhttp_connection_free(ws->evcon);
    free(ws);
}

/* Ends ws now: the user's last callback, then the memory.  Only from a
 * top-level libevent callback. */
static void end(struct ws_conn *ws)
{
    if (ws->cb.on_close)
        ws->cb.on_close(ws, ws->arg);
    ws_conn_free(ws);
}

/* Marks ws for ending at the next loop turn (see the top of the file). */
static void doom(struct ws_conn *ws)
{
    ws->doomed = 1;
    event_active(ws->later_ev, EV_TIMEOUT, 0);
}

static void on_read(struct bufferevent *bev, void *arg);

/* The next loop turn after doom(), or after an upgrade whose request was
 * followed by frames already buffered (no read event will announce them). */
static void on_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ws_conn *ws = arg;
    if (ws->doomed)
        end(ws);
    else
        on_read(ws->bev, ws);
}

/* ---- taking input: one frame at a time, within the caps ------------------ */

static size_t output_cap(struct ws_conn *ws)
{
    return ws->cb.output_cap ? ws->cb.output_cap(ws, ws->arg) : WS_DEFAULT_OUTPUT_CAP;
}

/* 1 when the client's next frame may be read: what its previous frames
 * caused has left wslay's queue, its last pong has left the output, and the
 * output is under the cap. */
static int may_take_frame(struct ws_conn *ws)
{
    return wslay_event_get_queued_msg_count(ws->ctx) == 0 && !ws->pong_flush &&
           ws->out_drained >= ws->pong_mark && ws_conn_backlog(ws) < output_cap(ws);
}

/* The length of the frame starting the input (header and payload), once its
 * header is all there: 0, or -1 when more bytes are needed. */
static int next_frame_length(struct evbuffer *in, uint64_t *total)
{
    unsigned char h[14];
    ev_ssize_t got = evbuffer_copyout(in, h, sizeof h);
    if (got < 2)
        return -1;
    unsigned len7 = h[1] & 127;
    size_t hlen = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
    if ((size_t)got < hlen)
        return -1;
    uint64_t payload = len7;
    if (len7 >= 126) {
        payload = 0;
        for (size_t i = 2; i < (len7 == 126 ? 4u : 10u); i++)
            payload = payload << 8 | h[i];
    }
    /* (wslay refuses what is too long as soon as it reads the header) */
    *total = payload > UINT64_MAX - hlen ? UINT64_MAX : hlen + payload;
    return 0;
}

/* 1 when on_read should run wslay again: at a frame boundary, with the next
 * frame's header buffered, and allowed to take it. */
static int frame_waiting(struct ws_conn *ws)
{
    uint64_t n;
    return ws->rx_frame_left == 0 && !ws_conn_closing(ws) && wslay_event_want_read(ws->ctx) &&
           next_frame_length(bufferevent_get_input(ws->bev), &n) == 0 && may_take_frame(ws);
}

/* Turns reading off at a frame boundary while the next frame may not be
 * taken, and back on (handling what is already buffered) once it may. */
static void update_reading(struct ws_conn *ws)
{
    if (ws->doomed || ws->proto_error)
        return;
    int pause = ws->rx_frame_left == 0 && !may_take_frame(ws);
    if (pause && !ws->read_paused) {
        ws->read_paused = 1;
        bufferevent_disable(ws->bev, EV_READ);
    } else if (!pause && ws->read_paused) {
        ws->read_paused = 0;
        bufferevent_enable(ws->bev, EV_READ);
        if (evbuffer_get_length(bufferevent_get_input(ws->bev)) > 0)
            event_active(ws->later_ev, EV_TIMEOUT, 0); /* no read event will come for it */
    }
}

/* The output evbuffer changed: count what the socket took, and resume
 * reading once the client has read enough.  (Runs inside libevent's write
 * handling: nothing here ends the connection.) */
static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    struct ws_conn *ws = arg;
    if (info->n_deleted == 0)
        return;
    ws->out_drained += info->n_deleted;
    if (ws->read_paused && !ws->in_wslay)
        update_reading(ws);
}

/* ---- wslay callbacks -------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_conn *ws = user;
    struct evbuffer *in = bufferevent_get_input(ws->bev);
    if (ws->rx_frame_left == 0 &&
        (!may_take_frame(ws) || next_frame_length(in, &ws->rx_frame_left) != 0)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > ws->rx_frame_left)
        len = (size_t)ws->rx_frame_left;
    int n = evbuffer_remove(in, buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ws->rx_frame_left -= (uint64_t)n;
    return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_conn *ws = user;
    if (evbuffer_add(bufferevent_get_output(ws->bev), data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    struct ws_conn *ws = user;
    ws->last_rx_mono = clock_mono_ns();
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        ws_conn_close(ws, WSLAY_CODE_UNSUPPORTED_DATA, "binary messages are not accepted");
        return;
    }
    if (arg->opcode == WSLAY_PING)
        ws->pong_flush = 1; /* wslay queued the pong: no frame more until it is gone */
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return; /* ping/pong/close: wslay answers them itself */
    if (!utf8_valid(arg->msg, arg->msg_length)) {
        ws_conn_close(ws, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "text is not valid UTF-8");
        return;
    }
    if (ws->cb.on_text && !ws_conn_closing(ws))
        ws->cb.on_text(ws, (const char *)arg->msg, arg->msg_length, ws->arg);
}

/* ---- sending ------------------------------------------------------------ */

int ws_conn_send_text(struct ws_conn *ws, const char *msg, size_t len)
{
    if (ws_conn_closing(ws))
        return -1;
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)msg, len};
    if (wslay_event_queue_msg(ws->ctx, &m) != 0)
        return -1;
    ws->srv->metrics.ws_messages_sent++;
    return 0;
}

int ws_conn_ping(struct ws_conn *ws)
{
    struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"hb", 2};
    return ws_conn_closing(ws) || wslay_event_queue_msg(ws->ctx, &ping) != 0 ? -1 : 0;
}

void ws_conn_flush(struct ws_conn *ws)
{
    if (ws->doomed || ws->in_wslay || !wslay_event_want_write(ws->ctx))
        return;
    ws->in_wslay++;
    int r = wslay_event_send(ws->ctx);
    ws->in_wslay--;
    if (r != 0) {
        doom(ws);
    } else if (ws->pong_flush) {
        /* The pong is now somewhere in the output: gone once the socket has
         * taken everything queued so far. */
        ws->pong_flush = 0;
        ws->pong_mark = ws->out_drained + evbuffer_get_length(bufferevent_get_output(ws->bev));
    }
}

int ws_conn_send_frame(struct ws_conn *ws, const unsigned char *frame, size_t len)
{
    if (ws_conn_closing(ws) || ws->in_wslay)
        return -1;
    /* Frames wslay still holds go first, so the stream stays in order; its
     * send callback takes everything, so afterwards it holds nothing. */
    ws_conn_flush(ws);
    if (ws_conn_closing(ws) || evbuffer_add(bufferevent_get_output(ws->bev), frame, len) != 0)
        return -1; /* (the flush may have sent wslay's reply to the peer's close) */
    ws->srv->metrics.ws_messages_sent++;
    return 0;
}

void ws_conn_close(struct ws_conn *ws, uint16_t code, const char *reason)
{
    if (ws_conn_closing(ws))
        return;
    ws->close_queued = 1;
    if (wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, strlen(reason)) != 0)
        doom(ws);
    ws_conn_flush(ws);
}

unsigned char *ws_frame_text(const char *msg, size_t len, size_t *frame_len)
{
    unsigned char *f = malloc(len + 10);
    if (f == NULL)
        return NULL;
    size_t h = 0;
    f[h++] = 0x81; /* FIN, text */
    if (len < 126) {
        f[h++] = (unsigned char)len;
    } else if (len < 65536) {
        f[h++] = 126;
        f[h++] = (unsigned char)(len >> 8);
        f[h++] = (unsigned char)len;
    } else {
        f[h++] = 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    memcpy(f + h, msg, len);
    *frame_len = h + len;
    return f;
}

/* ---- bufferevent callbacks ---------------------------------------------- */

/* Fails the connection (RFC 6455 7.1.7) when wslay reports a protocol
 * error without having sent a close itself: a raw close 1002 frame, no more
 * reading, end once the socket has taken it. */
static void fail_connection(struct ws_conn *ws)
{
    static const unsigned char close_1002[] = {0x88, 0x02, 0x03, 0xea};
    ws->proto_error = 1;
    bufferevent_disable(ws->bev, EV_READ);
    if (!wslay_event_get_close_sent(ws->ctx) &&
        evbuffer_add(bufferevent_get_output(ws->bev), close_1002, sizeof close_1002) != 0)
        ws->doomed = 1;
}

/* After a callback: 1 when ws is finished (and was ended here). */
static int end_if_finished(struct ws_conn *ws)
{
    size_t out = evbuffer_get_length(bufferevent_get_output(ws->bev));
    if (ws->doomed || ((ws->proto_error || wslay_event_get_close_sent(ws->ctx)) && out == 0 &&
                       !wslay_event_want_write(ws->ctx))) {
        end(ws);
        return 1;
    }
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct ws_conn *ws = arg;
    if (ws->proto_error || ws->doomed)
        return;
    /* wslay stops at each frame whose answer is still queued (see
     * may_take_frame); once flushed, the next frame may be taken. */
    do {
        ws->in_wslay++;
        int r = wslay_event_recv(ws->ctx);
        ws->in_wslay--;
        /* wslay 1.0 reports some protocol violations (fragmented or
         * oversized control frames) as WSLAY_ERR_CALLBACK_FAILURE with
         * reading disabled; our receive callback itself never fails.
         * Anything but ENOMEM is the peer's fault. */
        if (r == WSLAY_ERR_NOMEM)
            ws->doomed = 1;
        else if (r != 0)
            fail_connection(ws);
        if (!ws->doomed && !ws->proto_error)
            ws_conn_flush(ws);
        if (end_if_finished(ws))
            return;
    } while (!ws->doomed && !ws->proto_error && frame_waiting(ws));
    update_reading(ws);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct ws_conn *ws = arg;
    if (end_if_finished(ws))
        return;
    if (ws->cb.on_writable && !ws_conn_closing(ws)) {
        ws->cb.on_writable(ws, ws->arg);
        ws_conn_flush(ws);
    }
    update_reading(ws);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct ws_conn *ws = arg;
    if (what & BEV_EVENT_TIMEOUT)
        ws->srv->metrics.ws_slow_disconnects++; /* output not read for http_timeout_s */
    end(ws);
}

/* ---- the upgrade ---------------------------------------------------------- */

int ws_conn_check(struct http_ctx *hc, char accept[29])
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(hc->req);
    const struct chronicle_config *cfg = &hc->srv->cfg;
    const char *origin = evhttp_find_header(in, "Origin");
    if (origin != NULL &&
        !guard_origin_allowed(origin, cfg->bind, cfg->allowed_hosts, cfg->cors_origin)) {
        http_reply_error(hc, 403, "forbidden_origin",
                         "Origin '%.100s' may not open a WebSocket; set CHRONICLE_CORS_ORIGIN",
                         origin);
        return -1;
    }
    if (!ws_header_has_token(evhttp_find_header(in, "Upgrade"), "websocket") ||
        !ws_header_has_token(evhttp_find_header(in, "Connection"), "upgrade")) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Upgrade", "websocket");
        http_reply_error(hc, 426, "upgrade_required",
                         "/ws is a WebSocket endpoint: send Upgrade: websocket");
        return -1;
    }
    const char *version = evhttp_find_header(in, "Sec-WebSocket-Version");
    if (version == NULL || strcmp(version, "13") != 0) {
        evhttp_add_header(evhttp_request_get_output_headers(hc->req), "Sec-WebSocket-Version",
                          "13");
        http_reply_error(hc, 426, "bad_websocket_version", "only WebSocket version 13 is spoken");
        return -1;
    }
    if (ws_accept_key(evhttp_find_header(in, "Sec-WebSocket-Key"), accept) != 0) {
        http_reply_error(hc, 400, "bad_websocket_key",
                         "Sec-WebSocket-Key must be the base64 of 16 bytes");
        return -1;
    }
    return 0;
}

static struct ws_conn *conn_new(struct server *srv, const struct ws_conn_callbacks *cb, void *arg)
{
    static const struct wslay_event_callbacks cbs = {on_recv, on_send, NULL, NULL, NULL, NULL,
                                                     on_message};
    struct ws_conn *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return NULL;
    if (wslay_event_context_server_init(&ws->ctx, &cbs, ws) != 0) {
        free(ws);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, WS_MAX_MESSAGE);
    ws->later_ev = event_new(srv->base, -1, 0, on_later, ws);
    if (ws->later_ev == NULL) {
        ws_conn_free(ws);
        return NULL;
    }
    ws->srv = srv;
    ws->cb = *cb;
    ws->arg = arg;
    ws->last_rx_mono = clock_mono_ns();
    return ws;
}

struct ws_conn *ws_conn_accept(struct http_ctx *hc, const char accept[29],
                               const struct ws_conn_callbacks *cb, void *arg)
{
    struct server *srv = hc->srv;
    struct ws_conn *ws = conn_new(srv, cb, arg);
    if (ws == NULL) {
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    struct evkeyvalq *oh = evhttp_request_get_output_headers(hc->req);
    evhttp_add_header(oh, "Upgrade", "websocket");
    evhttp_add_header(oh, "Connection", "Upgrade");
    evhttp_add_header(oh, "Sec-WebSocket-Accept", accept);
    hc->status = 101;
    evhttp_send_reply_start(hc->req, 101, "Switching Protocols");
    ws->evcon = evhttp_request_get_connection(hc->req);
    ws->bev = evhttp_connection_get_bufferevent(ws->evcon);
    /* Take the connection over: evhttp's callbacks would treat WebSocket
     * bytes as a new HTTP request. */
    bufferevent_setcb(ws->bev, on_read, on_write, on_event, ws);
    struct timeval wt = {srv->cfg.http_timeout_s, 0};
    bufferevent_set_timeouts(ws->bev, NULL, &wt);
    /* on_write runs when the output is empty: the moment to tell the user
     * it may send again, or to end a closed connection. */
    bufferevent_setwatermark(ws->bev, EV_WRITE, 0, 0);
    ws->out_cb = evbuffer_add_cb(bufferevent_get_output(ws->bev), on_output_change, ws);
    if (ws->out_cb == NULL)
        doom(ws); /* ENOMEM: ended at the next loop turn */
    bufferevent_enable(ws->bev, EV_READ | EV_WRITE);
    /* Frames the client sent right behind its handshake are already
     * buffered; no read event will announce them. */
    if (evbuffer_get_length(bufferevent_get_input(ws->bev)) > 0)
        event_active(ws->later_ev, EV_TIMEOUT, 0);
    return ws;
}
