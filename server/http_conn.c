/*
 * http_conn.c - the connections under evhttp: the listener and the cap on
 * connections held at once (TCP_NODELAY, tracking of open connections).
 */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>

#include "chronicle/log.h"

/*
 * Connection tracking.  evhttp accepts sockets itself and offers one hook per
 * connection, the close callback; it is attached on a connection's first
 * request.  srv->conns lists the connections that have made a request (a
 * plain array: at most max_connections entries, scanned once per request,
 * well under a microsecond at the default cap).  Sockets that never send a
 * request are bounded by evhttp's timeout and the listen backlog.
 */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct server *srv = arg;
    for (long i = 0; i < srv->connections; i++) {
        if (srv->conns[i] == evcon) {
            srv->conns[i] = srv->conns[--srv->connections];
            return;
        }
    }
}

int http_conn_track(struct server *srv, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon == NULL)
        return 0;
    for (long i = 0; i < srv->connections; i++)
        if (srv->conns[i] == evcon)
            return 0;
    if (srv->connections >= srv->cfg.max_connections)
        return -1;
    srv->conns[srv->connections++] = evcon;
    evhttp_connection_set_closecb(evcon, on_conn_close, srv);
    /* Nagle + delayed ACK was measured at a 44 ms floor for a 26 KB answer.
     * Linux passes the listener's TCP_NODELAY on to accepted sockets; set it
     * again here so that the rule does not depend on that. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "TCP_NODELAY: %s", strerror(errno));
    return 0;
}

/* The bufferevent of each new connection: large single writes, so a big
 * answer leaves in one write(2) instead of 16 KiB pieces. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    (void)arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev != NULL)
        bufferevent_set_max_single_write(bev, 1 << 20);
    return bev;
}

int http_listen(struct server *srv, const char *bind_addr, int port, char *err, size_t errlen)
{
    srv->conns = calloc((size_t)srv->cfg.max_connections, sizeof *srv->conns);
    if (srv->conns == NULL) {
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
