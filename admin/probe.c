/* probe.c - ping the collector over its socket, GET /health from the server. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "chronicle/endpoint.h"
#include "chronicle/wire.h"

/* Waits for events on fd until the deadline.  1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = (deadline - clock_mono_ns()) / 1000000;
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r;
    }
}

/* Non-blocking connect bounded by the deadline.  0 or -1 with errno. */
static int connect_by(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EAGAIN)
        return -1;
    int r = wait_fd(fd, POLLOUT, deadline);
    if (r <= 0) {
        errno = r == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return -1;
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (wait_fd(fd, POLLOUT, deadline) <= 0)
                return -1;
            continue;
        }
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_pong(int fd, int64_t deadline, struct collector_pong *pong, char *err, size_t errlen)
{
    msgpack_unpacker up;
    if (!msgpack_unpacker_init(&up, 4096)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    int rc = -1;
    for (;;) {
        msgpack_unpack_return ur = msgpack_unpacker_next(&up, &res);
        if (ur == MSGPACK_UNPACK_SUCCESS) {
            struct wire_reply r;
            if (wire_decode_reply(&res.data, &r) != 0 || !r.ok || !r.pong)
                snprintf(err, errlen, "the collector answered, but not with a pong%s%.*s",
                         r.err.ptr ? ": " : "", (int)(r.err.ptr ? r.err.len : 0),
                         r.err.ptr ? r.err.ptr : "");
            else {
                pong->committed = r.committed;
                pong->queue = r.queue;
                rc = 0;
            }
            break;
        }
        if (ur != MSGPACK_UNPACK_CONTINUE) {
            snprintf(err, errlen, "the collector sent bytes that are not msgpack");
            break;
        }
        if (wait_fd(fd, POLLIN, deadline) <= 0) {
            snprintf(err, errlen, "no answer in time");
            break;
        }
        if (!msgpack_unpacker_reserve_buffer(&up, 4096)) {
            snprintf(err, errlen, "out of memory");
            break;
        }
        ssize_t n = recv(fd, msgpack_unpacker_buffer(&up), 4096, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, n == 0 ? "the collector closed the connection"
                                         : "reading the answer failed");
            break;
        }
        msgpack_unpacker_buffer_consumed(&up, (size_t)n);
    }
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    return rc;
}

int probe_collector(const char *socket_path, int timeout_ms, struct collector_pong *pong, char *err,
                    size_t errlen)
{
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path too long");
        return -1;
    }
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = -1;
    struct buf frame = BUF_INIT;
    struct wire_event ping = {.kind = WIRE_PING};
    if (connect_by(fd, (struct sockaddr *)&sa, sizeof sa, deadline) != 0)
        snprintf(err, errlen, "connect: %s", strerror(errno));
    else if (wire_encode_event(&ping, &frame) != 0)
        snprintf(err, errlen, "out of memory");
    else if (send_all(fd, frame.data, frame.len, deadline) != 0)
        snprintf(err, errlen, "send: %s", strerror(errno));
    else
        rc = read_pong(fd, deadline, pong, err, errlen);
    buf_free(&frame);
    close(fd);
    return rc;
}

/* The endpoint's address as a sockaddr.  0 or -1 with err. */
static int endpoint_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss, socklen_t *len,
                             char *err, size_t errlen)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, ep->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)ep->port);
        *len = sizeof *s4;
    } else if (inet_pton(AF_INET6, ep->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)ep->port);
        *len = sizeof *s6;
    } else {
        snprintf(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", ep->host);
        return -1;
    }
    return 0;
}

int probe_server(const struct endpoint *ep, int timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    struct sockaddr_storage sa;
    socklen_t salen;
    char authority[96];
    if (endpoint_sockaddr(ep, &sa, &salen, err, errlen) != 0)
        return -1;
    if (endpoint_authority(ep, authority, sizeof authority) != 0) {
        snprintf(err, errlen, "address too long");
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    char req[512], resp[512];
    int bearer = ep->token_source != ENDPOINT_TOKEN_NONE;
    int n = snprintf(req, sizeof req,
                     "GET /health HTTP/1.1\r\nHost: %s\r\n%s%s%sConnection: close\r\n\r\n",
                     authority, bearer ? "Authorization: Bearer " : "", bearer ? ep->token : "",
                     bearer ? "\r\n" : "");
    size_t got = 0;
    int rc = -1;
    if (n < 0 || (size_t)n >= sizeof req) {
        snprintf(err, errlen, "request too long");
        goto out;
    }
    if (connect_by(fd, (struct sockaddr *)&sa, salen, deadline) != 0) {
        snprintf(err, errlen, "connect: %s", strerror(errno));
        goto out;
    }
    if (send_all(fd, req, (size_t)n, deadline) != 0) {
        snprintf(err, errlen, "send: %s", strerror(errno));
        goto out;
    }
    /* The status line is all we need. */
    while (got < sizeof resp - 1 && memchr(resp, '\n', got) == NULL) {
        if (wait_fd(fd, POLLIN, deadline) <= 0) {
            snprintf(err, errlen, "no answer in time");
            goto out;
        }
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    resp[got] = '\0';
    int status = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
        snprintf(err, errlen, "not an HTTP answer");
        goto out;
    }
    if (status != 200) {
        snprintf(err, errlen, "/health answered HTTP %d", status);
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}
