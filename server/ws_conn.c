/*
 * ws_conn.c - one WebSocket client: the RFC 6455 upgrade on top of evhttp,
 * then wslay framing over the connection's bufferevent.
 *
 * evhttp (libevent 2.1) has no WebSocket support; its public API is enough
 * to take a connection over: answer 101 with evhttp_send_reply_start(), then
 * replace the bufferevent's callbacks with ours.  From then on evhttp only
 * owns the memory; ws_client_free() releases it with evhttp_connection_free().
 *
 * wslay's send callback appends to the bufferevent's output buffer, which
 * always accepts: the per-client cap (live_feed_client_cap()) is enforced
 * before queueing, in ws_client_deliver().  Events bypass wslay: they are
 * framed once (ws_frame_text) and the same bytes go to every client.
 */
#include "live_feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "chronicle/clock.h"
#include "chronicle/http_guard.h"
#include "chronicle/http_query.h"
#include "chronicle/log.h"
#include "chronicle/ws_handshake.h"

#define WS_MAX_MESSAGE (64 * 1024) /* client messages are small JSON */

size_t ws_client_backlog(const struct ws_client *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_client *c = user;
    int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_client *c = user;
    if (evbuffer_add(bufferevent_get_output(c->bev), data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void send_error(struct ws_client *c, const char *code, const char *message)
{
    json_t *m = json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "code", code, "message",
                          message);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (text != NULL)
        ws_client_send_text(c, text, strlen(text));
    free(text);
}

/* Fails the connection (RFC 6455 7.1.7) when wslay reports a protocol
 * error without having sent a close itself: a raw close 1002 frame, no more
 * reading, free once the socket has taken it. */
static void fail_connection(struct ws_client *c)
{
    static const unsigned char close_1002[] = {0x88, 0x02, 0x03, 0xea};
    c->proto_error = 1;
    bufferevent_disable(c->bev, EV_READ);
    if (!wslay_event_get_close_sent(c->ctx) &&
        evbuffer_add(bufferevent_get_output(c->bev), close_1002, sizeof close_1002) != 0)
        c->doomed = 1;
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    struct ws_client *c = user;
    c->last_rx_mono = clock_mono_ns();
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        ws_client_close(c, WSLAY_CODE_UNSUPPORTED_DATA, "binary messages are not accepted");
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return; /* ping/pong/close: wslay answers them itself */
    if (!utf8_valid(arg->msg, arg->msg_length)) {
        ws_client_close(c, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "text is not valid UTF-8");
        return;
    }
    enum ws_msg_type type;
    char err[256];
    if (ws_message_parse((const char *)arg->msg, arg->msg_length, &type, &c->filters, err,
                         sizeof err) != 0) {
        send_error(c, "bad_message", err);
        return;
    }
    if (type == WS_MSG_HEARTBEAT) {
        static const char hb[] = "{\"type\":\"heartbeat\"}";
        ws_client_send_text(c, hb, sizeof hb - 1);
    } else {
        static const char ok[] = "{\"type\":\"subscribed\"}";
        ws_client_send_text(c, ok, sizeof ok - 1);
    }
}

int ws_client_send_text(struct ws_client *c, const char *msg, size_t len)
{
    if (wslay_event_get_close_sent(c->ctx))
        return -1;
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)msg, len};
    if (wslay_event_queue_msg(c->ctx, &m) != 0)
        return -1;
    c->feed->srv->metrics.ws_messages_sent++;
    return 0;
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

void ws_client_deliver(struct ws_client *c, int64_t id, const char *session_id,
                       const char *event_type, const unsigned char *frame, size_t frame_len)
{
    if (id <= c->cursor || c->doomed || c->proto_error || wslay_event_get_close_sent(c->ctx))
        return;
    c->cursor = id;
    if (!ws_filters_match(&c->filters, session_id, event_type))
        return;
    if (ws_client_backlog(c) + wslay_event_get_queued_msg_length(c->ctx) >
        live_feed_client_cap(c->feed)) {
        /* Slow client: skip ahead instead of buffering without bound; the
         * gap message goes out once its output drains (on_write). */
        if (c->gap_from == 0) {
            c->gap_from = id;
            c->feed->srv->metrics.ws_gaps++;
        }
        return;
    }
    /* Frames wslay still holds go first, so the stream stays in order; its
     * send callback takes everything, so afterwards it holds nothing. */
    if (wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0)
        return; /* the next ws_client_flush() sees the error and frees c */
    if (evbuffer_add(bufferevent_get_output(c->bev), frame, frame_len) == 0)
        c->feed->srv->metrics.ws_messages_sent++;
}

static void send_gap(struct ws_client *c, const char *reason)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "{\"type\":\"gap\",\"data\":{\"from\":%lld,\"to\":%lld,\"reason\":\"%s\"}}",
                     (long long)c->gap_from, (long long)c->cursor, reason);
    c->gap_from = 0;
    if (n > 0 && (size_t)n < sizeof msg)
        ws_client_send_text(c, msg, (size_t)n);
}

void ws_client_close(struct ws_client *c, uint16_t code, const char *reason)
{
    if (!wslay_event_get_close_sent(c->ctx))
        wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason));
}

void ws_client_free(struct ws_client *c)
{
    if (c->in_callback) {
        c->doomed = 1;
        return;
    }
    struct live_feed *f = c->feed;
    if (c->prev) c->prev->next = c->next;
    else f->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    f->n_clients--;
    wslay_event_context_free(c->ctx);
    ws_filters_free(&c->filters);
    /* Frees the bufferevent (closing the socket) and the 101 request. */
    evhttp_connection_free(c->evcon);
    free(c);
}

int ws_client_flush(struct ws_client *c)
{
    c->in_callback++;
    int r = wslay_event_send(c->ctx);
    c->in_callback--;
    if (r != 0 || c->doomed) {
        c->doomed = 0;
        ws_client_free(c);
        return 1;
    }
    if (wslay_event_get_close_sent(c->ctx)) {
        /* The close frame is queued: free once the socket has taken it. */
        if (ws_client_backlog(c) == 0) {
            ws_client_free(c);
            return 1;
        }
    }
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct ws_client *c = arg;
    if (c->proto_error)
        return;
    c->in_callback++;
    int r = wslay_event_recv(c->ctx);
    c->in_callback--;
    /* wslay 1.0 reports some protocol violations (fragmented or oversized
     * control frames) as WSLAY_ERR_CALLBACK_FAILURE with reading disabled;
     * our receive callback itself never fails.  Anything but ENOMEM is the
     * peer's fault. */
    if (r != 0 && r != WSLAY_ERR_NOMEM) {
        fail_connection(c);
    } else if (r != 0) {
        c->doomed = 1;
    }
    if (c->doomed) {
        c->doomed = 0;
        ws_client_free(c);
        return;
    }
    if (c->proto_error) {
        (void)bev;
        if (ws_client_backlog(c) == 0)
            ws_client_free(c);
        return;
    }
    ws_client_flush(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct ws_client *c = arg;
    if (c->gap_from != 0 && !wslay_event_get_close_sent(c->ctx)) {
        send_gap(c, "slow_client");
        ws_client_flush(c);
        return;
    }
    if ((c->proto_error || wslay_event_get_close_sent(c->ctx)) && ws_client_backlog(c) == 0)
        ws_client_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct ws_client *c = arg;
    if (what & BEV_EVENT_TIMEOUT)
        c->feed->srv->metrics.ws_slow_disconnects++; /* output not read for http_timeout_s */
    ws_client_free(c);
}

void ws_client_heartbeat(struct ws_client *c, int64_t now_mono, int64_t timeout_ns)
{
    if (wslay_event_get_close_sent(c->ctx))
        return;
    if (now_mono - c->last_rx_mono > timeout_ns) {
        ws_client_close(c, WSLAY_CODE_POLICY_VIOLATION, "no pong received");
    } else {
        struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"hb", 2};
        char msg[96];
        int n = snprintf(msg, sizeof msg, "{\"type\":\"heartbeat\",\"ts_ms\":%lld}",
                         (long long)(clock_wall_ns() / 1000000));
        if (wslay_event_queue_msg(c->ctx, &ping) != 0 || n <= 0 ||
            ws_client_send_text(c, msg, (size_t)n) != 0) {
            ws_client_close(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "out of memory");
        }
    }
    ws_client_flush(c);
}

/* ---- the upgrade ------------------------------------------------------ */

static const char *const ws_keys[] = {"after", "session_id", "event_type", "access_token", NULL};

static int check_headers(struct http_ctx *hc, char accept[29])
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(hc->req);
    const struct chronicle_config *cfg = &hc->srv->cfg;
    const char *origin = evhttp_find_header(in, "Origin");
    if (origin != NULL && !guard_origin_allowed(origin, cfg->bind, cfg->allowed_hosts, cfg->cors_origin)) {
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

/* Initial filters from the URL: /ws?session_id=a,b&event_type=Stop */
static int url_filters(struct query *q, struct ws_filters *f, char *err, size_t errlen)
{
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *store;
    static const char *const keys[] = {"session_id", "event_type"};
    for (int k = 0; k < 2; k++) {
        if (query_list(q, keys[k], vals, &n, &store, err, errlen) == QUERY_BAD)
            return -1;
        char **dst = k == 0 ? f->session_ids : f->event_types;
        size_t *dn = k == 0 ? &f->n_sessions : &f->n_types;
        for (size_t i = 0; i < n && i < WS_FILTER_MAX; i++) {
            if ((dst[*dn] = strdup(vals[i])) == NULL) {
                free(store);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            (*dn)++;
        }
        free(store);
    }
    return 0;
}

static struct ws_client *client_new(struct http_ctx *hc)
{
    static const struct wslay_event_callbacks cbs = {on_recv, on_send, NULL, NULL, NULL, NULL,
                                                     on_message};
    struct ws_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (wslay_event_context_server_init(&c->ctx, &cbs, c) != 0) {
        free(c);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_MESSAGE);
    c->feed = hc->srv->feed;
    c->last_rx_mono = clock_mono_ns();
    return c;
}

void ws_upgrade(struct http_ctx *hc)
{
    struct server *srv = hc->srv;
    struct live_feed *f = srv->feed;
    char accept[29], err[256];
    struct query q;
    long after = -1;
    struct ws_client *c = NULL;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, ws_keys, err, sizeof err) != 0 ||
        query_long(&q, "after", 0, LONG_MAX, &after, err, sizeof err) == QUERY_BAD) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    if (check_headers(hc, accept) != 0)
        goto out;
    if (f == NULL || http_reply_if_no_db(hc))
        goto out;
    if (f->n_clients >= (size_t)srv->cfg.ws_max_clients || srv->shutting_down) {
        srv->metrics.ws_rejected++;
        http_reply_error(hc, 503, "too_many_clients", "WebSocket client cap (%ld) reached",
                         srv->cfg.ws_max_clients);
        goto out;
    }
    if ((c = client_new(hc)) == NULL || url_filters(&q, &c->filters, err, sizeof err) != 0) {
        if (c != NULL) {
            ws_filters_free(&c->filters);
            wslay_event_context_free(c->ctx);
            free(c);
            http_reply_error(hc, 400, "bad_parameter", "%s", err);
        } else {
            http_reply_error(hc, 500, "out_of_memory", "out of memory");
        }
        goto out;
    }
    /* Bring the feed up to date first, so the replay bound (last_id) is
     * as fresh as the database. */
    live_feed_poll(f);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(hc->req);
    evhttp_add_header(oh, "Upgrade", "websocket");
    evhttp_add_header(oh, "Connection", "Upgrade");
    evhttp_add_header(oh, "Sec-WebSocket-Accept", accept);
    hc->status = 101;
    evhttp_send_reply_start(hc->req, 101, "Switching Protocols");
    c->evcon = evhttp_request_get_connection(hc->req);
    c->bev = evhttp_connection_get_bufferevent(c->evcon);
    /* Take the connection over: evhttp's callbacks would treat WebSocket
     * bytes as a new HTTP request. */
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    struct timeval wt = {srv->cfg.http_timeout_s, 0};
    bufferevent_set_timeouts(c->bev, NULL, &wt);
    /* on_write runs when the output is empty: the moment to send a pending
     * gap message or to free a closed client. */
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = f->clients;
    if (f->clients)
        f->clients->prev = c;
    f->clients = c;
    f->n_clients++;
    c->cursor = f->last_id;
    if (after >= 0 && live_feed_replay(f, c, after) != 0)
        ws_client_close(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "replay failed");
    /* Frames the client sent right behind its handshake are already
     * buffered; no read event will announce them. */
    if (ws_client_flush(c) == 0 && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
        on_read(c->bev, c);
out:
    query_free(&q);
}
