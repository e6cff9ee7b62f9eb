/* delivery.c - connect, write and await the ack under one deadline. */
#include "delivery.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"

static int ms_left(int64_t deadline)
{
    int64_t left = deadline - clock_mono_ns();
    return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* Unix-socket connect never completes asynchronously: a full backlog gives
 * EAGAIN at once.  Retry briefly, since a burst of parallel hooks can fill
 * the backlog for a moment while the collector accepts. */
static int connect_until(const char *path, int64_t deadline, char *why, size_t whylen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(why, whylen, "socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    for (;;) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN || ms_left(deadline) == 0) {
            snprintf(why, whylen, "connect %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms_left(deadline));
        if (n > 0)
            return 0;
        if (n == 0)
            return 1;
        if (errno != EINTR)
            return -1;
    }
}

static enum delivery_result write_frame(int fd, const char *p, size_t len, int64_t deadline,
                                        char *why, size_t whylen)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            snprintf(why, whylen, "write: %s", strerror(errno));
            return DELIVERY_FAILED;
        }
        int w = wait_fd(fd, POLLOUT, deadline);
        if (w != 0) {
            snprintf(why, whylen, w > 0 ? "timed out writing the frame" : "poll: %s",
                     strerror(errno));
            return w > 0 ? DELIVERY_TIMEOUT : DELIVERY_FAILED;
        }
    }
    return DELIVERY_ACKED;
}

static enum delivery_result read_reply(int fd, int64_t deadline, struct wire_reply *reply,
                                       char *why, size_t whylen)
{
    char data[4096]; /* replies are tiny; anything longer is nonsense */
    size_t have = 0;
    for (;;) {
        int w = wait_fd(fd, POLLIN, deadline);
        if (w != 0) {
            snprintf(why, whylen, w > 0 ? "no ack before the deadline" : "poll failed");
            return w > 0 ? DELIVERY_TIMEOUT : DELIVERY_FAILED;
        }
        ssize_t n = recv(fd, data + have, sizeof data - have, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(why, whylen, "read: %s", strerror(errno));
            return DELIVERY_FAILED;
        }
        if (n == 0) {
            snprintf(why, whylen, "collector closed the connection without an ack");
            return DELIVERY_FAILED;
        }
        have += (size_t)n;
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        msgpack_unpack_return r = msgpack_unpack_next(&up, data, have, &off);
        if (r == MSGPACK_UNPACK_SUCCESS) {
            int bad = wire_decode_reply(&up.data, reply) != 0;
            if (!bad && !reply->ok)
                snprintf(why, whylen, "collector refused the frame: %.*s",
                         (int)(reply->err.len > 200 ? 200 : reply->err.len),
                         reply->err.ptr ? reply->err.ptr : "");
            msgpack_unpacked_destroy(&up);
            reply->err.ptr = NULL; /* pointed into the freed zone */
            reply->err.len = 0;
            if (bad) {
                snprintf(why, whylen, "reply is not a valid frame");
                return DELIVERY_FAILED;
            }
            return reply->ok ? DELIVERY_ACKED : DELIVERY_REJECTED;
        }
        msgpack_unpacked_destroy(&up);
        if (r != MSGPACK_UNPACK_CONTINUE || have == sizeof data) {
            snprintf(why, whylen, "reply is not msgpack");
            return DELIVERY_FAILED;
        }
    }
}

enum delivery_result delivery_send(const char *path, const void *frame, size_t len,
                                   const unsigned char *expect_id, long timeout_ms,
                                   struct wire_reply *reply, char *why, size_t whylen)
{
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    why[0] = '\0';
    int fd = connect_until(path, deadline, why, whylen);
    if (fd < 0)
        return DELIVERY_UNREACHABLE;
    enum delivery_result r = write_frame(fd, frame, len, deadline, why, whylen);
    if (r == DELIVERY_ACKED)
        r = read_reply(fd, deadline, reply, why, whylen);
    close(fd);
    if (r == DELIVERY_ACKED && expect_id != NULL &&
        (!reply->has_id || memcmp(reply->id, expect_id, WIRE_ID_LEN) != 0)) {
        snprintf(why, whylen, "ack names another event");
        return DELIVERY_FAILED;
    }
    return r;
}
