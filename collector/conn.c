/*
 * conn.c - one client connection: streaming msgpack decode, validation,
 * replies.
 *
 * A connection may carry any number of frames (chronicle-send sends one; a
 * load tool pipelines thousands).  Each frame gets exactly one reply, in
 * commit order.  A frame that fails validation gets an error reply and the
 * connection is closed once the reply is written: after garbage there is no
 * trustworthy frame boundary left.
 *
 * A connection may close while its events wait for a commit (the sender gave
 * up).  The struct then lives on, detached from its bufferevent, until its
 * last event is done, so a queued event never points at freed memory.
 *
 * One deferred-free rule (redis's freeClientAsync): code that runs inside
 * drain_input() (frame handling, reject()) only marks a connection closing;
 * drain_input() closes it at its single exit and tells its caller, so
 * nothing ever reads a connection that a nested call freed.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "chronicle/wire.h"
#include "collector.h"

struct conn {
    struct collector *c;
    struct conn *prev, *next;
    struct bufferevent *bev;    /* NULL once closed */
    msgpack_unpacker up;
    int has_unpacker;           /* up is initialised (not after a failed re-init) */
    struct wire_scan scan;      /* shape check ahead of the decoder */
    int inflight;               /* queued events that will ack here */
    long frames;                /* frames handled (--verbose) */
    long peer_pid;
    int closing;                /* close once the output is written */
};

static void conn_free_if_done(struct conn *k)
{
    if (k->bev == NULL && k->inflight == 0)
        free(k);
}

static void conn_close(struct conn *k)
{
    struct collector *c = k->c;
    if (k->bev == NULL)
        return;
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_DEBUG, "connection from pid %ld closed after %ld frame(s), %d awaiting "
                "commit", k->peer_pid, k->frames, k->inflight);
    bufferevent_free(k->bev);
    k->bev = NULL;
    if (k->has_unpacker)
        msgpack_unpacker_destroy(&k->up);
    k->has_unpacker = 0;
    if (k->prev)
        k->prev->next = k->next;
    else
        c->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    c->nconns--;
    conn_free_if_done(k);
}

static void send_reply(struct conn *k, const struct wire_reply *r)
{
    if (k->bev == NULL)
        return;
    struct buf out = BUF_INIT;
    if (wire_encode_reply(r, &out) == 0)
        bufferevent_write(k->bev, out.data, out.len);
    buf_free(&out);
}

/* Rejects a frame: counts it, replies with the reason and marks the
 * connection closing.  It only marks: drain_input() closes it at its single
 * exit (or on_write once the reply is out), so no caller ever touches a
 * connection that a nested call freed. */
static void reject(struct conn *k, const char *reason_label, const char *msg)
{
    struct collector *c = k->c;
    stats_add(&c->stats, "events_rejected_total", reason_label, 1);
    log_msg(TAG, LOG_LEVEL_WARN, "rejected a frame (%s): %s", reason_label, msg);
    struct wire_reply r = {.ok = 0, .err = {msg, strlen(msg)}};
    send_reply(k, &r);
    k->closing = 1;
    bufferevent_disable(k->bev, EV_READ);
}

/* The event's completion callback: it is committed, acknowledge it. */
static void event_done(struct pending_event *p, int committed, void *arg)
{
    struct conn *k = arg;
    k->inflight--;
    if (committed) {
        struct wire_reply r = {.ok = 1, .has_id = 1};
        memcpy(r.id, p->id, WIRE_ID_LEN);
        send_reply(k, &r);
    }
    conn_free_if_done(k);
}

/* An acknowledgement's answer (loop, after its commit). */
static void ack_done(void *arg, int found, int64_t acked_ns)
{
    struct conn *k = arg;
    k->inflight--;
    static const char missing[] = "no such alert";
    struct wire_reply r = {.ok = found, .has_acked = found, .acked_ns = acked_ns};
    if (!found)
        r.err = (struct wire_str){missing, sizeof missing - 1};
    send_reply(k, &r);
    conn_free_if_done(k);
}

static void handle_frame(struct conn *k, const msgpack_object *obj)
{
    struct collector *c = k->c;
    struct wire_event ev;
    char err[256];
    k->frames++;
    if (wire_decode_event(obj, &ev, err, sizeof err) != 0) {
        reject(k, "bad_frame", err);
        return;
    }
    if (ev.kind == WIRE_PING) {
        /* Answered from memory, so that it works while nothing can be
         * committed (a full disk): what waits, and for how long. */
        struct ingest_status st;
        ingest_get_status(c->ingest, &st);
        int64_t now = clock_wall_ns();
        struct wire_reply r = {
            .ok = 1, .pong = 1, .committed = st.committed, .queue = (int64_t)st.pending,
            .oldest_ms = st.oldest_received_ns ? (now - st.oldest_received_ns) / NS_PER_MS : 0,
            .failing_ms = st.failing_since_ns ? (now - st.failing_since_ns) / NS_PER_MS : 0};
        send_reply(k, &r);
        return;
    }
    if (ev.kind == WIRE_ACK) {
        /* The server's POST /api/alerts/{id}/ack: the writer thread applies
         * it, the answer comes back here once committed (ack_done). */
        if (alert_engine_ack(c->alerts, ev.alert_id, ack_done, k) != 0) {
            reject(k, "no_memory", "collector out of memory");
            return;
        }
        k->inflight++;
        return;
    }
    struct pending_event *p = pending_event_new(&ev, &c->redact_rules);
    if (p == NULL) {
        reject(k, "no_memory", "collector out of memory");
        return;
    }
    p->done = event_done;
    p->done_arg = k;
    k->inflight++;
    ingest_push(c->ingest, p);
}

/*
 * Feeds everything buffered on k into the unpacker and handles each
 * complete frame.  Returns 1 when it closed the connection (k may be freed:
 * the caller must not touch it), else 0.
 */
static int drain_input(struct conn *k)
{
    struct collector *c = k->c;
    struct evbuffer *in = bufferevent_get_input(k->bev);
    msgpack_unpacked result;
    msgpack_unpacked_init(&result);
    while (!k->closing) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            break;
        if (len > 256 * 1024)
            len = 256 * 1024; /* bounded steps keep one client from hogging memory */
        if (!msgpack_unpacker_reserve_buffer(&k->up, len)) {
            reject(k, "no_memory", "collector out of memory");
            break;
        }
        int got = evbuffer_remove(in, msgpack_unpacker_buffer(&k->up), len);
        if (got <= 0)
            break;
        const char *why;
        if (wire_scan_feed(&k->scan, (const unsigned char *)msgpack_unpacker_buffer(&k->up),
                           (size_t)got, (uint64_t)c->cfg.max_frame, &why) != 0) {
            char msg[128];
            if (strstr(why, "larger") != NULL) {
                snprintf(msg, sizeof msg, "frame larger than %ld bytes", c->cfg.max_frame);
                reject(k, "oversize", msg);
            } else {
                reject(k, "bad_frame", why);
            }
            break;
        }
        msgpack_unpacker_buffer_consumed(&k->up, (size_t)got);
        for (;;) {
            msgpack_unpack_return r = msgpack_unpacker_next(&k->up, &result);
            if (r == MSGPACK_UNPACK_SUCCESS) {
                handle_frame(k, &result.data);
                if (k->closing)
                    break;
                continue;
            }
            if (r == MSGPACK_UNPACK_CONTINUE)
                break; /* the scanner already bounds what may accumulate */
            reject(k, r == MSGPACK_UNPACK_NOMEM_ERROR ? "no_memory" : "not_msgpack",
                   r == MSGPACK_UNPACK_NOMEM_ERROR ? "collector out of memory"
                                                   : "bytes are not a msgpack frame");
            break;
        }
    }
    msgpack_unpacked_destroy(&result);
    /* The unpacker keeps the zone of the last message; release big ones so
     * an idle pipelining client does not pin a megabyte. */
    if (!k->closing && msgpack_unpacker_buffer_capacity(&k->up) > 1024 * 1024 &&
        msgpack_unpacker_message_size(&k->up) == 0) {
        msgpack_unpacker_destroy(&k->up);
        k->has_unpacker = msgpack_unpacker_init(&k->up, 8192);
        if (!k->has_unpacker) {
            k->closing = 1; /* out of memory: finish what is queued, then go */
            bufferevent_disable(k->bev, EV_READ);
        }
    }
    /* The single exit: a rejected connection closes once its reply is out
     * (else on_write closes it when the socket has taken the reply). */
    if (k->closing && k->inflight == 0 &&
        evbuffer_get_length(bufferevent_get_output(k->bev)) == 0) {
        conn_close(k);
        return 1;
    }
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    drain_input(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct conn *k = arg;
    if (k->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_close(k);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct conn *k = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        /* EOF with frames still buffered: the client half-closed after
         * writing; handle them (they will be acked if the socket allows). */
        if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !k->closing &&
            drain_input(k))
            return; /* closed (and maybe freed) there */
        /* The client stopped inside a frame: say so (it may still read),
         * rather than close in silence.  on_write closes once the reply is
         * out. */
        if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !k->closing &&
            !wire_scan_at_boundary(&k->scan)) {
            reject(k, "bad_frame", "the connection ended inside a frame (truncated)");
            if (evbuffer_get_length(bufferevent_get_output(k->bev)) > 0)
                return;
        }
        /* A broken socket, or nothing left to answer: close now.  Queued
         * events keep the struct alive (see conn_free_if_done). */
        if (k->inflight == 0 || (what & BEV_EVENT_ERROR))
            conn_close(k);
        else
            k->closing = 1; /* half-closed client still waiting for its acks */
    }
}

static int peer_allowed(evutil_socket_t fd, struct ucred *cred)
{
    socklen_t len = sizeof *cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0)
        return 0;
    /* The socket is 0600 in a 0700 directory; this double-checks that only
     * our own user (or root) feeds the database. */
    return cred->uid == getuid() || cred->uid == 0;
}

void conn_accept(struct collector *c, evutil_socket_t fd)
{
    struct ucred cred = {0, 0, 0};
    if (!peer_allowed(fd, &cred)) {
        log_msg(TAG, LOG_LEVEL_WARN, "refused a connection from uid %ld (pid %ld): another user",
                (long)cred.uid, (long)cred.pid);
        stats_add(&c->stats, "events_rejected_total", "foreign_uid", 1);
        close(fd);
        return;
    }
    struct conn *k = calloc(1, sizeof *k);
    if (k == NULL) {
        close(fd);
        return;
    }
    k->c = c;
    k->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (k->bev != NULL)
        k->has_unpacker = msgpack_unpacker_init(&k->up, 8192);
    if (k->bev == NULL || !k->has_unpacker) {
        if (k->bev)
            bufferevent_free(k->bev);
        else
            close(fd);
        free(k);
        return;
    }
    bufferevent_priority_set(k->bev, PRIO_IO);
    bufferevent_setcb(k->bev, on_read, on_write, on_event, k);
    if (!c->paused)
        bufferevent_enable(k->bev, EV_READ);
    k->next = c->conns;
    if (c->conns)
        c->conns->prev = k;
    c->conns = k;
    c->nconns++;
    k->peer_pid = (long)cred.pid;
    if (c->verbose)
        log_msg(TAG, LOG_LEVEL_DEBUG, "connection from pid %ld (%zu open)", k->peer_pid, c->nconns);
}

void conn_set_reading(struct collector *c, int on)
{
    for (struct conn *k = c->conns; k; k = k->next) {
        if (k->closing)
            continue;
        if (on)
            bufferevent_enable(k->bev, EV_READ);
        else
            bufferevent_disable(k->bev, EV_READ);
    }
    if (c->listener) {
        if (on)
            evconnlistener_enable(c->listener);
        else
            evconnlistener_disable(c->listener);
    }
}

void conn_read_buffered(struct collector *c)
{
    for (struct conn *k = c->conns, *next; k; k = next) {
        next = k->next;
        if (!k->closing)
            drain_input(k);
    }
}

void conn_flush_and_close_all(struct collector *c)
{
    while (c->conns) {
        struct conn *k = c->conns;
        struct evbuffer *out = bufferevent_get_output(k->bev);
        /* Acks are a few dozen bytes: one non-blocking write delivers them
         * to a client that still listens; one that left does not matter. */
        if (evbuffer_get_length(out) > 0)
            evbuffer_write(out, bufferevent_getfd(k->bev));
        k->inflight = 0;
        conn_close(k);
    }
}
