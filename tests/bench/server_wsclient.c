/*
 * server_wsclient.c - a small RFC 6455 client for chronicle-server's tests
 * and benchmarks (there is no WebSocket client among the Debian packages the
 * project may use).
 *
 *   server_wsclient [-p PATH] [-n N] [-e] [-q] [-t MS] [-s TEXT] [-r HEX] [-H HDR]...
 *                   [-F MS | -S MS] PORT
 *
 * Connects to 127.0.0.1:PORT, sends the opening handshake (masked frames as
 * a client must), then:
 *   -s TEXT  sends TEXT as one masked text frame
 *   -r HEX   sends raw bytes (hex) as they are, e.g. an unmasked frame
 *   -F MS    floods: sends pings (125-byte payloads), or with -s TEXT that
 *            text message over and over, as fast as the socket takes them
 *            for MS ms, and never reads; prints FLOOD <bytes sent>
 *   -S MS    stalls: never reads for MS ms after the handshake (a client
 *            whose output backs up); prints STALLED
 * and prints one line per thing received:
 *   HTTP <status line>   when the handshake is refused (exit 3)
 *   MSG <text>           each text message
 *   PING / PONG <payload> / CLOSE <code> <reason>
 *   END <messages>       at exit (after N messages, a close, EOF or -t MS);
 *                        with -e only event messages count
 *   -q                   event messages are counted, not printed (a reader
 *                        that costs next to nothing per event)
 * Answers pings with pongs and a close with a close.  Exit 0 unless the
 * connection or handshake failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_frame(int fd, int opcode, const void *data, size_t len)
{
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        hdr[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(hdr + h, mask, 4);
    h += 4;
    unsigned char *body = malloc(len ? len : 1);
    if (body == NULL)
        return -1;
    for (size_t i = 0; i < len; i++)
        body[i] = ((const unsigned char *)data)[i] ^ mask[i % 4];
    int rc = write_all(fd, hdr, h) || write_all(fd, body, len);
    free(body);
    return rc;
}

static int hexbytes(const char *hex, unsigned char *out, size_t *n)
{
    size_t l = strlen(hex);
    if (l % 2)
        return -1;
    for (size_t i = 0; i < l / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    *n = l / 2;
    return 0;
}

struct rx {
    unsigned char *buf;
    size_t len, cap;
    unsigned char *msg; /* fragments being assembled */
    size_t msg_len;
};

/* Parses one complete frame from rx->buf; returns bytes used, 0 if more are
 * needed. */
static size_t parse_frame(struct rx *rx, int *fin, int *op, unsigned char **payload, size_t *plen)
{
    if (rx->len < 2)
        return 0;
    const unsigned char *b = rx->buf;
    *fin = b[0] >> 7;
    *op = b[0] & 15;
    int masked = b[1] >> 7;
    uint64_t l = b[1] & 127;
    size_t h = 2;
    if (l == 126) {
        if (rx->len < 4) return 0;
        l = (uint64_t)b[2] << 8 | b[3];
        h = 4;
    } else if (l == 127) {
        if (rx->len < 10) return 0;
        l = 0;
        for (int i = 0; i < 8; i++) l = l << 8 | b[2 + i];
        h = 10;
    }
    if (masked)
        h += 4; /* a server must not mask; we report it via the opcode line */
    if (rx->len < h + l)
        return 0;
    *payload = rx->buf + h;
    *plen = (size_t)l;
    return h + (size_t)l;
}

/* -F: pings (or text messages), written without ever reading, until the
 * deadline. */
static long long flood(int fd, long ms, const char *text)
{
    unsigned char batch[64 * 131];
    size_t len = text ? strlen(text) : 125, flen = len + 6;
    if (len > 125)
        return -1;
    for (size_t f = 0; f < 64; f++) {
        unsigned char *p = batch + f * flen;
        p[0] = text ? 0x81 : 0x89;        /* FIN, text or ping */
        p[1] = (unsigned char)(0x80 | len); /* masked */
        memset(p + 2, 0, 4);              /* zero mask: the payload goes as it is */
        if (text)
            memcpy(p + 6, text, len);
        else
            memset(p + 6, 'p', len);
    }
    size_t blen = 64 * flen;
    long long sent = 0;
    size_t off = 0;
    int64_t deadline = now_ms() + ms;
    for (int64_t left; (left = deadline - now_ms()) > 0;) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if (p.revents & (POLLERR | POLLHUP))
            break;
        ssize_t w = send(fd, batch + off, blen - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            break;
        sent += w;
        off = (off + (size_t)w) % blen;
    }
    return sent;
}

int main(int argc, char **argv)
{
    const char *path = "/ws", *send_text = NULL, *raw_hex = NULL;
    const char *headers[8];
    int nh = 0, events_only = 0, quiet = 0;
    long want = -1, timeout = 5000, flood_ms = 0, stall_ms = 0;
    int opt;
    while ((opt = getopt(argc, argv, "p:n:t:s:r:H:eqF:S:")) != -1) {
        switch (opt) {
        case 'p': path = optarg; break;
        case 'n': want = atol(optarg); break;
        case 't': timeout = atol(optarg); break;
        case 's': send_text = optarg; break;
        case 'r': raw_hex = optarg; break;
        case 'H': if (nh < 8) headers[nh++] = optarg; break;
        case 'e': events_only = 1; break;
        case 'q': quiet = 1; break;
        case 'F': flood_ms = atol(optarg); break;
        case 'S': stall_ms = atol(optarg); break;
        default: return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: server_wsclient [-p PATH] [-n N] [-e] [-q] [-t MS] [-s TEXT] "
                        "[-r HEX] [-H HDR] [-F MS | -S MS] PORT\n");
        return 2;
    }
    int port = atoi(argv[optind]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n", path, port);
    for (int i = 0; i < nh; i++)
        n += snprintf(req + n, sizeof req - (size_t)n, "%s\r\n", headers[i]);
    n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    if (write_all(fd, req, (size_t)n) != 0)
        return 1;
    struct rx rx = {0};
    rx.cap = 1 << 16;
    rx.buf = malloc(rx.cap);
    if (rx.buf == NULL)
        return 1;
    int64_t deadline = now_ms() + timeout;
    int handshake = 0, closed = 0;
    long msgs = 0;
    unsigned char *msg = NULL;
    size_t msg_len = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (!closed && (want < 0 || msgs < want)) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if (rx.len == rx.cap) {
            rx.cap *= 2;
            unsigned char *nb = realloc(rx.buf, rx.cap);
            if (nb == NULL) return 1;
            rx.buf = nb;
        }
        ssize_t r = read(fd, rx.buf + rx.len, rx.cap - rx.len);
        if (r <= 0)
            break;
        rx.len += (size_t)r;
        if (!handshake) {
            unsigned char *end = memmem(rx.buf, rx.len, "\r\n\r\n", 4);
            if (end == NULL)
                continue;
            char *eol = memchr(rx.buf, '\r', rx.len);
            if (rx.len < 12 || memcmp(rx.buf, "HTTP/1.1 101", 12) != 0) {
                printf("HTTP %.*s\n", (int)(eol - (char *)rx.buf), (char *)rx.buf);
                /* the error body, for tests to inspect */
                size_t used = (size_t)(end + 4 - rx.buf);
                printf("BODY %.*s\n", (int)(rx.len - used), (char *)rx.buf + used);
                free(rx.buf);
                close(fd);
                return 3;
            }
            if (memmem(rx.buf, (size_t)(end - rx.buf), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28) == NULL) {
                printf("HTTP bad Sec-WebSocket-Accept\n");
                free(rx.buf);
                close(fd);
                return 3;
            }
            size_t used = (size_t)(end + 4 - rx.buf);
            memmove(rx.buf, rx.buf + used, rx.len - used);
            rx.len -= used;
            handshake = 1;
            if (send_text && !flood_ms && send_frame(fd, 1, send_text, strlen(send_text)) != 0)
                return 1;
            if (raw_hex) {
                unsigned char raw[4096];
                size_t rl;
                if (hexbytes(raw_hex, raw, &rl) != 0 || write_all(fd, raw, rl) != 0)
                    return 2;
            }
            if (flood_ms > 0 || stall_ms > 0) {
                if (flood_ms > 0) {
                    printf("FLOOD %lld\n", flood(fd, flood_ms, send_text));
                } else {
                    struct timespec ts = {stall_ms / 1000, (stall_ms % 1000) * 1000000};
                    nanosleep(&ts, NULL);
                    printf("STALLED\n");
                }
                free(rx.buf);
                close(fd);
                return 0;
            }
        }
        for (;;) {
            int fin, op;
            unsigned char *pl;
            size_t plen;
            size_t used = parse_frame(&rx, &fin, &op, &pl, &plen);
            if (used == 0)
                break;
            if (op == 1 || op == 0) {
                unsigned char *nm = realloc(msg, msg_len + plen + 1);
                if (nm == NULL) return 1;
                msg = nm;
                memcpy(msg + msg_len, pl, plen);
                msg_len += plen;
                if (fin) {
                    msg[msg_len] = '\0';
                    int event = strncmp((char *)msg, "{\"type\":\"event\",", 16) == 0;
                    if (!quiet || !event)
                        printf("MSG %s\n", (char *)msg);
                    if (!events_only || event)
                        msgs++;
                    msg_len = 0;
                }
            } else if (op == 10) {
                printf("PONG %.*s\n", (int)plen, (char *)pl);
            } else if (op == 9) {
                printf("PING\n");
                send_frame(fd, 10, pl, plen);
            } else if (op == 8) {
                int code = plen >= 2 ? pl[0] << 8 | pl[1] : 0;
                printf("CLOSE %d %.*s\n", code, plen > 2 ? (int)plen - 2 : 0, (char *)pl + 2);
                unsigned char c[2] = {(unsigned char)(code >> 8), (unsigned char)code};
                send_frame(fd, 8, c, plen >= 2 ? 2 : 0);
                closed = 1;
            }
            memmove(rx.buf, rx.buf + used, rx.len - used);
            rx.len -= used;
            if (closed || (want >= 0 && msgs >= want))
                break;
        }
    }
    printf("END %ld\n", msgs);
    free(msg);
    free(rx.buf);
    close(fd);
    return handshake ? 0 : 1;
}
