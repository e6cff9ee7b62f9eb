/*
 * server_live_bench.c - live-feed latency: from a commit to the database to
 * the moment each WebSocket client has read the event.
 *
 *   server_live_bench DB PORT CLIENTS RATE SECONDS [TOKEN]
 *
 * Plays the collector's part (one writer, WAL, one transaction per event,
 * the collector's pragmas from schema_configure), paced at RATE events/s,
 * while CLIENTS WebSocket clients connected to chronicle-server on PORT read
 * the feed.  Prints p50/p99/max of commit-to-receipt over every (client,
 * event) pair, how many of the expected deliveries arrived, and the floor
 * measured in the same run: the commit itself (p50/p99 of BEGIN..COMMIT).
 * TOKEN: the server's bearer token ($CHRONICLE_HOME/server.token).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/schema.h"

struct client {
    int fd;
    unsigned char *buf;
    size_t len, cap;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int connect_ws(int port, const char *token)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[768];
    int n = snprintf(req, sizeof req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n", *token ? "Authorization: Bearer " : "",
                     token, *token ? "\r\n" : "");
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n)
        return -1;
    char resp[1024];
    size_t got = 0;
    /* Read the 101 byte by byte so no frame after it is swallowed. */
    while (got < sizeof resp - 1) {
        ssize_t r = read(fd, resp + got, 1);
        if (r <= 0)
            return -1;
        got++;
        if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    if (got < 12 || memcmp(resp, "HTTP/1.1 101", 12) != 0)
        return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Consumes complete frames; records a latency per event message. */
static void drain(struct client *c, int64_t first_id, const int64_t *commit_ns, int64_t n_events,
                  uint32_t *lat, size_t *nlat, size_t maxlat, int64_t now)
{
    size_t off = 0;
    for (;;) {
        if (c->len - off < 2)
            break;
        unsigned char *b = c->buf + off;
        uint64_t l = b[1] & 127;
        size_t h = 2;
        if (l == 126) {
            if (c->len - off < 4) break;
            l = (uint64_t)b[2] << 8 | b[3];
            h = 4;
        } else if (l == 127) {
            if (c->len - off < 10) break;
            l = 0;
            for (int i = 0; i < 8; i++) l = l << 8 | b[2 + i];
            h = 10;
        }
        if (c->len - off < h + l)
            break;
        static const char pre[] = "{\"type\":\"event\",\"data\":{\"id\":";
        if ((b[0] & 15) == 1 && l > sizeof pre && memcmp(b + h, pre, sizeof pre - 1) == 0) {
            int64_t id = strtoll((const char *)b + h + sizeof pre - 1, NULL, 10);
            int64_t k = id - first_id;
            if (k >= 0 && k < n_events && commit_ns[k] > 0 && *nlat < maxlat)
                lat[(*nlat)++] = (uint32_t)((now - commit_ns[k]) / 1000);
        }
        off += h + (size_t)l;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: server_live_bench DB PORT CLIENTS RATE SECONDS [TOKEN]\n");
        return 2;
    }
    const char *token = argc == 7 ? argv[6] : "";
    int port = atoi(argv[2]), nc = atoi(argv[3]), rate = atoi(argv[4]), secs = atoi(argv[5]);
    int64_t n_events = (int64_t)rate * secs;
    sqlite3 *db;
    char err[256];
    if (nc <= 0 || rate <= 0 || secs <= 0 || sqlite3_open(argv[1], &db) != SQLITE_OK ||
        schema_configure(db, 1, err, sizeof err) != SQLITE_OK) {
        fprintf(stderr, "server_live_bench: bad arguments or database\n");
        return 2;
    }
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO events (event_uid, session_id, event_type, ts_ns, "
                               "stored_ns, tool_name, cwd, payload, payload_size) VALUES "
                               "(randomblob(16), 'sess-live', 'PreToolUse', ?1, ?1, 'Bash', "
                               "'/home/dev/live', '{\"n\":1}', 7)", -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "server_live_bench: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    struct client *cl = calloc((size_t)nc, sizeof *cl);
    struct pollfd *pf = calloc((size_t)nc, sizeof *pf);
    int64_t *commit_ns = calloc((size_t)n_events, sizeof *commit_ns);
    uint32_t *commit_us = calloc((size_t)n_events, sizeof *commit_us);
    size_t maxlat = (size_t)n_events * (size_t)nc;
    uint32_t *lat = malloc(maxlat * sizeof *lat);
    if (!cl || !pf || !commit_ns || !commit_us || !lat) {
        fprintf(stderr, "server_live_bench: out of memory\n");
        return 1;
    }
    int connected = 0;
    for (int i = 0; i < nc; i++) {
        cl[i].fd = connect_ws(port, token);
        if (cl[i].fd < 0)
            break;
        connected++;
        cl[i].cap = 1 << 16;
        cl[i].buf = malloc(cl[i].cap);
        pf[i].fd = cl[i].fd;
        pf[i].events = POLLIN;
    }
    if (connected < nc)
        fprintf(stderr, "server_live_bench: only %d of %d clients connected\n", connected, nc);
    usleep(200000);
    int64_t first_id = -1, sent = 0;
    size_t nlat = 0;
    int64_t start = clock_mono_ns(), period = 1000000000LL / rate;
    int64_t end_drain = 0;
    for (;;) {
        int64_t now = clock_mono_ns();
        if (sent < n_events && now >= start + sent * period) {
            int64_t t0 = clock_mono_ns();
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, clock_wall_ns());
            if (sqlite3_step(ins) != SQLITE_DONE ||
                sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "server_live_bench: insert: %s\n", sqlite3_errmsg(db));
                return 1;
            }
            int64_t t1 = clock_mono_ns();
            int64_t id = sqlite3_last_insert_rowid(db);
            if (first_id < 0)
                first_id = id;
            if (id - first_id < n_events) {
                commit_ns[id - first_id] = t1;
                commit_us[id - first_id] = (uint32_t)((t1 - t0) / 1000);
            }
            sent++;
            /* The collector checkpoints between batches (autocheckpoint is
             * off); so does this stand-in, so the -wal size at the end shows
             * whether the server's readers ever held a checkpoint back. */
            if (sent % 200 == 0)
                sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            if (sent == n_events)
                end_drain = clock_mono_ns() + 3000000000LL;
            continue;
        }
        if (sent == n_events && (nlat >= (size_t)n_events * (size_t)connected || now > end_drain))
            break;
        int64_t wait_ns = sent < n_events ? start + sent * period - now : 10000000;
        int timeout = wait_ns > 0 ? (int)(wait_ns / 1000000) : 0;
        int r = poll(pf, (nfds_t)connected, timeout);
        if (r <= 0)
            continue;
        int64_t t = clock_mono_ns();
        for (int i = 0; i < connected; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            for (;;) {
                if (cl[i].len == cl[i].cap) {
                    cl[i].cap *= 2;
                    cl[i].buf = realloc(cl[i].buf, cl[i].cap);
                    if (cl[i].buf == NULL) return 1;
                }
                ssize_t n = read(cl[i].fd, cl[i].buf + cl[i].len, cl[i].cap - cl[i].len);
                if (n <= 0) {
                    if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        pf[i].fd = -1; /* closed: stop polling it */
                    break;
                }
                cl[i].len += (size_t)n;
            }
            drain(&cl[i], first_id, commit_ns, n_events, lat, &nlat, maxlat, t);
        }
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    qsort(commit_us, (size_t)n_events, sizeof *commit_us, cmp_u32);
    size_t expect = (size_t)n_events * (size_t)connected;
    printf("live: clients=%d rate=%d/s events=%lld delivered=%zu/%zu", connected, rate,
           (long long)n_events, nlat, expect);
    if (nlat > 0)
        printf(" latency_us p50=%u p99=%u max=%u", lat[nlat / 2], lat[nlat * 99 / 100],
               lat[nlat - 1]);
    printf(" | floor commit_us p50=%u p99=%u\n", commit_us[n_events / 2],
           commit_us[n_events * 99 / 100]);
    for (int i = 0; i < connected; i++) {
        close(cl[i].fd);
        free(cl[i].buf);
    }
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(cl); free(pf); free(commit_ns); free(commit_us); free(lat);
    return nlat == expect ? 0 : 1;
}
