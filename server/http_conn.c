/*
 * http_conn.c - the connections under evhttp: the listener, the cap on
 * connections held at once, the deadline for a request to arrive, and what
 * happens when file descriptors run out.
 *
 * evhttp accepts sockets itself and tells us of a new connection only
 * through the bufferevent callback (make_bev), before the connection
 * exists.  Each new bufferevent is kept (with a reference) until the next
 * loop turn, when the connection holding it is known: evhttp makes the
 * bufferevent's callback argument its evhttp_connection (libevent 2.1's
 * http.c, checked below), and from then on its close callback tells us when
 * it goes.  So every connection is counted from its accept, including those
 * that never complete a request.
 *
 * The cap: accepting stops (evconnlistener_disable) while cap = max_connections
 * + CONN_SLACK connections are open; the first request of a connection
 * accepted beyond max_connections is answered 503.  max_connections is
 * lowered at start-up to fit RLIMIT_NOFILE, so the cap is reached before the
 * file descriptors run out.
 *
 * The deadline (slowloris): a connection waiting for a request must receive
 * it in full within CHRONICLE_HTTP_TIMEOUT_S of its accept or of its
 * previous answer; evhttp's own timeout counts only silence, which a client
 * sending a byte a second never gives.  A sweep each second closes the late.
 * WebSocket connections (answered 101, never completed) are ws_conn's.
 *
 * Out of file descriptors anyway (EMFILE, ENFILE; e.g. the limit lowered
 * under a running server): accepting pauses for ACCEPT_RETRY_MS or until a
 * connection closes, with one log line per ACCEPT_LOG_S, instead of retrying
 * accept() at full speed.
 */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"

#define CONN_SLACK 16        /* connections beyond max_connections, told 503 */
#define FD_RESERVE 48        /* descriptors that are not connections: stdio, epoll,
                              * signals, inotify, the database and its -wal/-shm... */
#define ACCEPT_RETRY_MS 100
#define ACCEPT_LOG_S 10
#define WAITING_FOR_ANSWER INT64_MAX

struct conn_slot {
    struct evhttp_connection *evcon;
    int64_t ready_ns;   /* waiting for a request since; WAITING_FOR_ANSWER while one
                         * is answered, or for good once a WebSocket */
    int refused;        /* accepted beyond max_connections: its request gets a 503 */
};

/* ---- the listener: paused while full or out of descriptors -------------- */

static struct evconnlistener *listener(struct server *srv)
{
    return srv->bound ? evhttp_bound_socket_get_listener(srv->bound) : NULL;
}

static void pause_accepting(struct server *srv, int why)
{
    struct evconnlistener *lev = listener(srv);
    if (srv->conns.paused == 0 && lev != NULL)
        evconnlistener_disable(lev);
    srv->conns.paused |= why;
}

static void resume_accepting(struct server *srv, int why)
{
    struct evconnlistener *lev = listener(srv);
    int was = srv->conns.paused;
    srv->conns.paused &= ~why;
    if (was != 0 && srv->conns.paused == 0 && lev != NULL && !srv->shutting_down)
        evconnlistener_enable(lev);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    resume_accepting(arg, CONN_PAUSE_FDS);
}

/* Finds the server from the event base: the listener's error callback gets
 * evhttp's argument, not ours, and the sweep timer's argument is the server. */
static void on_sweep(evutil_socket_t fd, short what, void *arg);
static int find_server(const struct event_base *base, const struct event *ev, void *out)
{
    (void)base;
    if (event_get_callback(ev) != on_sweep)
        return 0;
    *(struct server **)out = event_get_callback_arg(ev);
    return 1;
}

static void on_accept_error(struct evconnlistener *lev, void *http)
{
    (void)http;
    int err = EVUTIL_SOCKET_ERROR();
    struct server *srv = NULL;
    event_base_foreach_event(evconnlistener_get_base(lev), find_server, &srv);
    if (srv == NULL) {
        evconnlistener_disable(lev); /* cannot happen: never spin all the same */
        return;
    }
    srv->metrics.accept_errors++;
    pause_accepting(srv, CONN_PAUSE_FDS);
    static const struct timeval retry = {0, ACCEPT_RETRY_MS * 1000};
    event_add(srv->conns.resume_ev, &retry);
    int64_t now = clock_mono_ns();
    srv->conns.errors_unlogged++;
    if (srv->conns.logged_ns != 0 && now - srv->conns.logged_ns < ACCEPT_LOG_S * NS_PER_S)
        return;
    struct rlimit rl = {0, 0};
    (void)getrlimit(RLIMIT_NOFILE, &rl);
    log_msg(SERVER_TAG, LOG_LEVEL_WARN, "accept: %s (%ld connections open, RLIMIT_NOFILE %llu; %ld "
            "time(s) since the last such line): not accepting for %d ms at a time until "
            "descriptors free up", evutil_socket_error_to_string(err), srv->conns.n,
            (unsigned long long)rl.rlim_cur, srv->conns.errors_unlogged, ACCEPT_RETRY_MS);
    srv->conns.logged_ns = now;
    srv->conns.errors_unlogged = 0;
}

/* ---- the table of connections ------------------------------------------- */

static struct conn_slot *find(struct server *srv, const struct evhttp_connection *evcon)
{
    for (long i = 0; i < srv->conns.n; i++)
        if (srv->conns.slot[i].evcon == evcon)
            return &srv->conns.slot[i];
    return NULL;
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct server *srv = arg;
    struct conn_slot *s = find(srv, evcon);
    if (s != NULL)
        *s = srv->conns.slot[--srv->conns.n];
    resume_accepting(srv, CONN_PAUSE_FULL);
    /* Its descriptor is closed once this returns: try again next turn. */
    if (srv->conns.paused & CONN_PAUSE_FDS) {
        static const struct timeval now = {0, 0};
        event_add(srv->conns.resume_ev, &now);
    }
}

/* Starts tracking evcon; NULL when the table is full. */
static struct conn_slot *add(struct server *srv, struct evhttp_connection *evcon)
{
    if (srv->conns.n >= srv->conns.cap)
        return NULL;
    struct conn_slot *s = &srv->conns.slot[srv->conns.n++];
    s->evcon = evcon;
    s->ready_ns = clock_mono_ns();
    s->refused = srv->conns.n > srv->cfg.max_connections;
    evhttp_connection_set_closecb(evcon, on_conn_close, srv);
    /* Nagle + delayed ACK was measured at a 44 ms floor for a 26 KB answer.
     * Linux passes the listener's TCP_NODELAY on to accepted sockets; set it
     * again here so that the rule does not depend on that. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "TCP_NODELAY: %s", strerror(errno));
    return s;
}

/* The loop turn after accepts: the connections of the new bufferevents. */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct server *srv = arg;
    for (int i = 0; i < srv->conns.n_fresh; i++) {
        struct bufferevent *bev = srv->conns.fresh[i];
        bufferevent_data_cb readcb = NULL;
        void *cbarg = NULL;
        bufferevent_getcb(bev, &readcb, NULL, NULL, &cbarg);
        /* NULL callbacks: evhttp already freed it (bufferevent_free clears
         * them; our reference kept the memory). */
        struct evhttp_connection *evcon = cbarg;
        if (readcb != NULL && evcon != NULL && evhttp_connection_get_bufferevent(evcon) == bev &&
            find(srv, evcon) == NULL && add(srv, evcon) == NULL)
            evhttp_connection_free(evcon); /* over the cap after all */
        bufferevent_decref(bev);
    }
    srv->conns.n_fresh = 0;
    if (srv->conns.n < srv->conns.cap)
        resume_accepting(srv, CONN_PAUSE_FULL);
}

/* evhttp's bufferevent for each accepted socket: large single writes, so a
 * big answer leaves in one write(2) instead of 16 KiB pieces.  Remembered
 * until on_adopt; accepting pauses when the cap or the list is reached. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct server *srv = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        return NULL;
    bufferevent_set_max_single_write(bev, 1 << 20);
    struct conns *c = &srv->conns;
    if (c->n_fresh < CONN_FRESH_MAX) {
        bufferevent_incref(bev);
        c->fresh[c->n_fresh++] = bev;
        event_active(c->adopt_ev, EV_TIMEOUT, 0);
    }
    if (c->n + c->n_fresh >= c->cap || c->n_fresh == CONN_FRESH_MAX)
        pause_accepting(srv, CONN_PAUSE_FULL);
    return bev;
}

/* ---- the request deadline -------------------------------------------------- */

static void on_request_done(struct evhttp_request *req, void *arg)
{
    struct conn_slot *s = find(arg, evhttp_request_get_connection(req));
    if (s != NULL)
        s->ready_ns = clock_mono_ns(); /* answered: the next request's clock starts */
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct server *srv = arg;
    int64_t now = clock_mono_ns(), limit = (int64_t)srv->cfg.http_timeout_s * NS_PER_S;
    /* Backwards: closing one moves the last slot into its place. */
    for (long i = srv->conns.n - 1; i >= 0; i--) {
        struct conn_slot *s = &srv->conns.slot[i];
        if (s->ready_ns != WAITING_FOR_ANSWER && now - s->ready_ns > limit) {
            srv->metrics.request_timeouts++;
            evhttp_connection_free(s->evcon);
        }
    }
}

int http_conn_track(struct server *srv, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon == NULL)
        return 0;
    struct conn_slot *s = find(srv, evcon);
    if (s == NULL && (s = add(srv, evcon)) == NULL)
        return -1; /* not seen at its accept (out of memory then), and no room now */
    if (s->refused)
        return -1;
    s->ready_ns = WAITING_FOR_ANSWER;
    evhttp_request_set_on_complete_cb(req, on_request_done, srv);
    return 0;
}

/* ---- set-up ------------------------------------------------------------------ */

/* max_connections lowered to what RLIMIT_NOFILE leaves.  0 or -1 with err. */
static int fit_fd_limit(struct server *srv, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    long have = (long)rl.rlim_cur - FD_RESERVE - CONN_SLACK;
    if (have >= srv->cfg.max_connections)
        return 0;
    if (have < 4) {
        snprintf(err, errlen, "RLIMIT_NOFILE is %llu: at least %d file descriptors are needed",
                 (unsigned long long)rl.rlim_cur, 4 + FD_RESERVE + CONN_SLACK);
        return -1;
    }
    log_msg(SERVER_TAG, LOG_LEVEL_WARN, "CHRONICLE_MAX_CONNECTIONS=%ld does not fit RLIMIT_NOFILE %llu: "
            "%ld connections at most (raise LimitNOFILE= / ulimit -n)", srv->cfg.max_connections,
            (unsigned long long)rl.rlim_cur, have);
    srv->cfg.max_connections = have;
    return 0;
}

int http_listen(struct server *srv, const char *bind_addr, int port, char *err, size_t errlen)
{
    if (fit_fd_limit(srv, err, errlen) != 0)
        return -1;
    struct conns *c = &srv->conns;
    c->cap = srv->cfg.max_connections + CONN_SLACK;
    c->slot = calloc((size_t)c->cap, sizeof *c->slot);
    c->adopt_ev = event_new(srv->base, -1, 0, on_adopt, srv);
    c->sweep_ev = event_new(srv->base, -1, EV_PERSIST, on_sweep, srv);
    c->resume_ev = evtimer_new(srv->base, on_resume, srv);
    static const struct timeval second = {1, 0};
    if (c->slot == NULL || c->adopt_ev == NULL || c->sweep_ev == NULL || c->resume_ev == NULL ||
        event_add(c->sweep_ev, &second) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(srv->http, bind_addr, (ev_uint16_t)port);
    if (bs == NULL) {
        snprintf(err, errlen, "cannot listen on %s port %d: %s", bind_addr, port,
                 strerror(errno));
        return -1;
    }
    srv->bound = bs;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bs), on_accept_error);
    evutil_socket_t lfd = evhttp_bound_socket_get_fd(bs);
    int one = 1;
    if (setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "TCP_NODELAY on the listener: %s", strerror(errno));
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (getsockname(lfd, (struct sockaddr *)&got, &gl) == 0) {
        if (got.ss_family == AF_INET)
            srv->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
        else if (got.ss_family == AF_INET6)
            srv->port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
    }
    return 0;
}

void http_conn_install(struct server *srv)
{
    evhttp_set_bevcb(srv->http, make_bev, srv);
}

void http_conn_free(struct server *srv)
{
    struct conns *c = &srv->conns;
    for (int i = 0; i < c->n_fresh; i++)
        bufferevent_decref(c->fresh[i]);
    c->n_fresh = 0;
    if (c->adopt_ev) event_free(c->adopt_ev);
    if (c->sweep_ev) event_free(c->sweep_ev);
    if (c->resume_ev) event_free(c->resume_ev);
    c->adopt_ev = c->sweep_ev = c->resume_ev = NULL;
    free(c->slot);
    c->slot = NULL;
    c->n = 0;
}
