/*
 * ws_conn.h - the WebSocket transport: the RFC 6455 upgrade on top of
 * evhttp, then wslay framing over the connection's bufferevent.
 *
 * Transport only, on the line libevent's evws (ws.h) draws: a ws_conn knows
 * nothing of what messages mean.  Its user (live_feed.c, the subscribers)
 * gets complete, valid UTF-8 text messages and a "writable" callback, and
 * sends text or pre-framed bytes; pings, pongs, close handshakes, protocol
 * errors and binary frames (refused with 1003) are handled here.
 *
 * Bounded under any client: the client's input is taken one frame at a
 * time, and the next frame only while nothing it caused is still queued in
 * wslay, no pong is still waiting in the output (at most one pong
 * outstanding) and ws_conn_backlog() is under the user's output_cap.
 * Otherwise reading stops (EV_READ off: TCP flow control holds the client
 * back) until the output drains.  A client that never reads thus costs at
 * most its cap, whatever it sends.
 *
 * Ownership: a ws_conn owns its wslay context and, once upgraded, the
 * evhttp connection (and through it the bufferevent and the socket).  It
 * ends itself, from a libevent callback and never inside a call its user
 * made: on_close is the last callback, after which the ws_conn is freed and
 * the user must forget the pointer.  ws_conn_free() ends one at once
 * without calling on_close (server shutdown).
 */
#ifndef CHRONICLE_WS_CONN_H
#define CHRONICLE_WS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

struct ws_conn;

struct ws_conn_callbacks {
    /* A complete text message (valid UTF-8, at most WS_MAX_MESSAGE bytes). */
    void (*on_text)(struct ws_conn *ws, const char *msg, size_t len, void *arg);
    /* The socket has taken everything queued. */
    void (*on_writable)(struct ws_conn *ws, void *arg);
    /* The connection is gone (closed, failed, timed out). */
    void (*on_close)(struct ws_conn *ws, void *arg);
    /* Bytes that may be queued to this client (ws_conn_backlog()) before
     * no more of its input is read.  NULL: WS_DEFAULT_OUTPUT_CAP. */
    size_t (*output_cap)(struct ws_conn *ws, void *arg);
};

#define WS_MAX_MESSAGE (64 * 1024) /* client messages are small JSON */
#define WS_DEFAULT_OUTPUT_CAP (64 * 1024)

/* Close codes (RFC 6455 7.4.1) a user may send. */
enum ws_close_code {
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_POLICY_VIOLATION = 1008,
    WS_CLOSE_INTERNAL_ERROR = 1011,
    WS_CLOSE_SERVICE_RESTART = 1012,
};

/*
 * Checks a GET /ws request's upgrade headers (Origin, Upgrade, Connection,
 * version, key).  0 with the Sec-WebSocket-Accept value in accept, or -1
 * after answering the error (403, 426, 400).
 */
int ws_conn_check(struct http_ctx *hc, char accept[29]);

/* Answers 101 and takes the connection over.  NULL (and an error answered)
 * on ENOMEM. */
struct ws_conn *ws_conn_accept(struct http_ctx *hc, const char accept[29],
                               const struct ws_conn_callbacks *cb, void *arg);

/* Queues a text message (copied).  0, or -1 when closing or on ENOMEM. */
int ws_conn_send_text(struct ws_conn *ws, const char *msg, size_t len);
/* Queues bytes already framed by ws_frame_text(), behind anything queued.
 * 0 or -1 (also from inside on_text, where the order could not be kept). */
int ws_conn_send_frame(struct ws_conn *ws, const unsigned char *frame, size_t len);
/* Queues a ping. */
int ws_conn_ping(struct ws_conn *ws);
/* Queues a close frame (once) and flushes; the connection ends when the
 * socket has taken it. */
void ws_conn_close(struct ws_conn *ws, uint16_t code, const char *reason);
/* Moves queued messages to the socket's buffer. */
void ws_conn_flush(struct ws_conn *ws);

/* Bytes queued and not yet taken by the socket: wslay's queue and the
 * bufferevent's output together. */
size_t ws_conn_backlog(const struct ws_conn *ws);
/* 1 once a close was queued or the connection failed: sending is useless. */
int ws_conn_closing(const struct ws_conn *ws);
/* Monotonic time of the last frame of any kind from the client. */
int64_t ws_conn_last_rx(const struct ws_conn *ws);

/* Ends the connection now, without on_close. */
void ws_conn_free(struct ws_conn *ws);

/* An unmasked FIN text frame holding msg[0..len): built once per event and
 * copied to every client (server frames are the same for all).  malloc'd,
 * caller frees; NULL on ENOMEM. */
unsigned char *ws_frame_text(const char *msg, size_t len, size_t *frame_len);

#endif
