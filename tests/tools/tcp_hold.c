/*
 * tcp_hold - test tool: hostile TCP clients of chronicle-server on 127.0.0.1.
 *
 *   tcp_hold hold PORT N MS
 *       opens N connections at once (non-blocking connects, never waited
 *       for), sends nothing, holds them MS ms, closes them all; prints
 *       "HELD <connected> of N" (connected = those whose connect completed).
 *   tcp_hold trickle PORT INTERVAL_MS BURST TEXT
 *       one connection: sends TEXT's first BURST bytes at once, then the
 *       rest one byte every INTERVAL_MS, reading whatever comes back; prints
 *       "CLOSED <bytes sent>" when the server closed the connection first,
 *       or "COMPLETE <bytes sent>" when all of TEXT went out, then
 *       "ANSWERS <n>" (HTTP status lines received).  TEXT takes \r and \n.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int connect_nb(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int hold(int port, int n, long ms)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    if (fds == NULL)
        return 1;
    for (int i = 0; i < n; i++)
        fds[i] = connect_nb(port);
    sleep_ms(ms);
    int connected = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        int e = 0;
        socklen_t el = sizeof e;
        struct pollfd p = {fds[i], POLLOUT, 0};
        if (poll(&p, 1, 0) == 1 && getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
            connected++;
        close(fds[i]);
    }
    printf("HELD %d of %d\n", connected, n);
    free(fds);
    return 0;
}

/* "\r" and "\n" in text become CR and LF; returns the length. */
static size_t unescape(char *t)
{
    size_t o = 0;
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == '\\' && (t[i + 1] == 'r' || t[i + 1] == 'n')) {
            t[o++] = t[i + 1] == 'r' ? '\r' : '\n';
            i++;
        } else {
            t[o++] = t[i];
        }
    }
    t[o] = '\0';
    return o;
}

/* Reads what is there; 1 when the server has closed. */
static int drain(int fd, int timeout_ms, int *answers)
{
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) == 1) {
        char buf[4096];
        ssize_t r = read(fd, buf, sizeof buf - 1);
        if (r <= 0)
            return 1;
        buf[r] = '\0';
        for (char *s = buf; (s = strstr(s, "HTTP/1.1 ")) != NULL; s++)
            (*answers)++;
        timeout_ms = 0;
    }
    return (p.revents & (POLLHUP | POLLERR)) != 0;
}

static int trickle(int port, long interval, size_t burst, char *text)
{
    size_t len = unescape(text), sent = 0;
    int fd = connect_nb(port), answers = 0, closed = 0;
    struct pollfd p = {fd, POLLOUT, 0};
    if (fd < 0 || poll(&p, 1, 5000) != 1)
        return 1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    while (sent < len && !closed) {
        size_t n = sent < burst ? burst - sent : 1;
        if (n > len - sent)
            n = len - sent;
        ssize_t w = send(fd, text + sent, n, MSG_NOSIGNAL);
        if (w <= 0) {
            closed = 1;
            break;
        }
        sent += (size_t)w;
        closed = drain(fd, sent < burst ? 200 : (int)interval, &answers);
    }
    if (!closed)
        drain(fd, 1000, &answers);
    printf("%s %zu\nANSWERS %d\n", closed ? "CLOSED" : "COMPLETE", sent, answers);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "hold") == 0)
        return hold(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
    if (argc == 6 && strcmp(argv[1], "trickle") == 0)
        return trickle(atoi(argv[2]), atol(argv[3]), (size_t)atol(argv[4]), argv[5]);
    fprintf(stderr, "usage: tcp_hold hold PORT N MS | trickle PORT INTERVAL_MS BURST TEXT\n");
    return 2;
}
