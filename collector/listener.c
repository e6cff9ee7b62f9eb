/*
 * listener.c - the collector's Unix socket: inherited from systemd (socket
 * activation: LISTEN_PID/LISTEN_FDS, fd 3) or bound here.
 *
 * With socket activation the socket outlives the collector: connection
 * attempts made while it restarts wait in the backlog instead of failing.
 * When binding ourselves, a socket file left by a crashed collector is
 * replaced, but one that still answers is not (two writers would race).
 */
#include <errno.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "chronicle/log.h"
#include "collector.h"

#define SD_LISTEN_FDS_START 3

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    conn_accept(arg, fd);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)l;
    (void)arg;
    /* EMFILE and friends: log and keep listening; the backlog holds clients. */
    log_msg(TAG, LOG_LEVEL_WARN, "accept: %s", strerror(errno));
}

/* Returns the inherited listening fd, or -1 when not socket-activated. */
static int activation_fd(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() || atoi(fds) < 1)
        return -1;
    /* Consumed: children must not believe they were activated too. */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    int fd = SD_LISTEN_FDS_START;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
        return -1;
    return fd;
}

static int socket_answers(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int ok = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
    close(fd);
    return ok;
}

static int bind_socket(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) { /* config.c checks this too */
        snprintf(err, errlen, "socket path too long: %s", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (socket_answers(&sa)) {
        snprintf(err, errlen, "another collector is already listening on %s", path);
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* umask makes the socket 0600 from birth: chmod after bind would leave
     * a window in which another user could connect. */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "bind/listen %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int listener_open(struct collector *c, char *err, size_t errlen)
{
    int fd = activation_fd();
    c->socket_activated = fd >= 0;
    if (fd < 0 && (fd = bind_socket(c->cfg.socket_path, err, errlen)) < 0)
        return -1;
    if (evutil_make_socket_nonblocking(fd) != 0) {
        snprintf(err, errlen, "cannot make the listening socket non-blocking");
        close(fd);
        return -1;
    }
    c->listener = evconnlistener_new(c->base, on_accept, c,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (c->listener == NULL) {
        snprintf(err, errlen, "cannot listen on fd %d", fd);
        close(fd);
        return -1;
    }
    evconnlistener_set_error_cb(c->listener, on_accept_error);
    log_msg(TAG, LOG_LEVEL_INFO, "listening on %s%s", c->cfg.socket_path,
            c->socket_activated ? " (socket activation)" : "");
    return 0;
}

void listener_close(struct collector *c)
{
    if (c->listener == NULL)
        return;
    evconnlistener_free(c->listener);
    c->listener = NULL;
    /* An activated socket belongs to systemd, which keeps it for the next
     * start; our own is removed so senders fail fast and spool. */
    if (!c->socket_activated)
        unlink(c->cfg.socket_path);
}
