/*
 * live_feed.h - the live feed's state and its WebSocket clients (private to
 * live_feed.c and ws_conn.c).
 *
 * Ownership: the feed owns its clients (a doubly linked list); a client owns
 * its wslay context, its filters and its evhttp connection (and through it
 * the bufferevent), all released by ws_client_free().
 */
#ifndef CHRONICLE_LIVE_FEED_H
#define CHRONICLE_LIVE_FEED_H

#include <event2/bufferevent.h>
#include <wslay/wslay.h>

#include "chronicle/ws_message.h"
#include "server.h"

struct ws_client {
    struct live_feed *feed;
    struct evhttp_connection *evcon;
    struct bufferevent *bev;
    wslay_event_context_ptr ctx;
    struct ws_filters filters;
    int64_t cursor;       /* highest event id delivered or deliberately skipped */
    int64_t gap_from;     /* first event id skipped while slow; 0 = none pending */
    int64_t last_rx_mono; /* last frame of any kind from the client */
    int in_callback;      /* set while wslay runs: frees are deferred */
    int doomed;           /* free at the end of the current callback */
    int proto_error;      /* we failed the connection: ignore further input */
    struct ws_client *prev, *next;
};

struct live_feed {
    struct server *srv;
    int inotify_fd;
    struct event *inotify_ev, *recheck_ev, *heartbeat_ev;
    struct event *more_ev;    /* active while a backlog is fanned out batch by batch */
    int recheck_step;
    int64_t data_version;
    int64_t last_id;          /* highest event id fanned out */
    int64_t last_session_eid; /* highest sessions.last_event_id fanned out */
    struct ws_client *clients;
    size_t n_clients;
};

/* An unmasked FIN text frame holding msg[0..len): built once per event and
 * copied to every client (server frames are the same for all).  malloc'd,
 * caller frees; NULL on ENOMEM. */
unsigned char *ws_frame_text(const char *msg, size_t len, size_t *frame_len);
/* Sends an event (already framed) to one client, honouring its cursor,
 * filters and output cap.  Never frees c (safe inside a client loop). */
void ws_client_deliver(struct ws_client *c, int64_t id, const char *session_id,
                       const char *event_type, const unsigned char *frame, size_t frame_len);
/* The output cap of each client now: CHRONICLE_WS_CLIENT_BUFFER_BYTES, or
 * less when CHRONICLE_WS_TOTAL_BUFFER_BYTES shared by all clients is smaller,
 * so memory stays bounded however many clients connect. */
size_t live_feed_client_cap(const struct live_feed *f);
/* Queues a text message (no cursor logic): session, heartbeat, error, gap. */
int ws_client_send_text(struct ws_client *c, const char *msg, size_t len);
/* Queues a close frame and flushes. */
void ws_client_close(struct ws_client *c, uint16_t code, const char *reason);
/* Pushes queued frames to the socket; frees the client if it is finished
 * (returns 1 then: c is gone). */
int ws_client_flush(struct ws_client *c);
/* Output bytes waiting for the socket. */
size_t ws_client_backlog(const struct ws_client *c);
void ws_client_free(struct ws_client *c);
/* Sends a ping and a heartbeat message, or closes an unresponsive client. */
void ws_client_heartbeat(struct ws_client *c, int64_t now_mono, int64_t timeout_ns);

/* Replays events (after, feed->last_id] to a new client; see ws_conn.c. */
int live_feed_replay(struct live_feed *f, struct ws_client *c, int64_t after);

#endif
