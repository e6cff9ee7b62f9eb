/*
 * http_sink - a local webhook receiver for the alert tests.
 *
 *   http_sink PORT_FILE LOG [--fail N] [--hang]
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE), reads each
 * request (headers, then Content-Length bytes of body) and appends one line
 * to LOG: "<status answered>\t<request path>\t<body, newlines as spaces>"
 * (status 0: not answered).  The first N
 * requests are answered 500, the rest 200.  With --hang it accepts and reads
 * but never answers (a dead webhook that keeps the connection open).
 * Sequential by design: a test's deliveries are few.  Stops on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQ (1 << 20)
#define MAX_HELD 1024

static int read_request(int fd, char *buf, size_t cap, size_t *len, char **body, size_t *blen)
{
    size_t n = 0;
    char *hdr_end = NULL;
    long clen = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return -1;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        buf[n] = '\0';
        if (hdr_end == NULL && (hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
            for (char *h = buf; h < hdr_end; h = strstr(h, "\r\n") + 2)
                if (strncasecmp(h, "Content-Length:", 15) == 0)
                    clen = strtol(h + 15, NULL, 10);
        }
        if (hdr_end && n >= (size_t)(hdr_end + 4 - buf) + (size_t)clen)
            break;
        if (n >= cap - 1)
            return -1;
    }
    *len = n;
    *body = hdr_end + 4;
    *blen = (size_t)clen;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http_sink PORT_FILE LOG [--fail N] [--hang]\n");
        return 2;
    }
    long fail = 0;
    int hang = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc)
            fail = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--hang") == 0)
            hang = 1;
        else {
            fprintf(stderr, "http_sink: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
        perror("http_sink: listen");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *pf = fopen(tmp, "w");
    if (pf == NULL || fprintf(pf, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0 ||
        rename(tmp, argv[1]) != 0) {
        perror("http_sink: port file");
        return 1;
    }
    static char buf[MAX_REQ];
    int nheld = 0;
    long seen = 0;
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            perror("http_sink: accept");
            return 1;
        }
        size_t len, blen;
        char *body;
        if (read_request(fd, buf, sizeof buf, &len, &body, &blen) != 0) {
            close(fd);
            continue;
        }
        char path[512] = "?";
        sscanf(buf, "%*s %511s", path);
        for (size_t i = 0; i < blen; i++)
            if (body[i] == '\n' || body[i] == '\r')
                body[i] = ' ';
        seen++;
        FILE *log = fopen(argv[2], "a");
        if (log) {
            fprintf(log, "%d\t%s\t%.*s\n", hang ? 0 : seen <= fail ? 500 : 200, path, (int)blen,
                    body);
            fclose(log);
        }
        if (hang) {
            if (nheld < MAX_HELD)
                nheld++; /* never answered, never closed: the descriptor stays open */
            else
                close(fd);
            continue;
        }
        const char *reply = seen <= fail
            ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfail"
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        if (write(fd, reply, strlen(reply)) < 0)
            perror("http_sink: write");
        close(fd);
    }
}
