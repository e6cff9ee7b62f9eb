/*
 * ingest_load - sustained ingest load for chronicle-collector: N events over
 * K connections, each keeping W frames in flight (pipelined, like many
 * senders at once), counting commit acks.  Prints events/s.
 *
 *   ingest_load SOCKET N K W
 */
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_payload.h"

static long long bench_t0; /* first event time */
#include "chronicle/wire.h"

struct client {
    int fd;
    long sent, acked, quota;
    struct buf out;
    size_t out_off;
    msgpack_unpacker up;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void queue_frames(struct client *c, long *next_id, long window)
{
    struct bench_row r;
    while (c->sent < c->quota && c->sent - c->acked < window) {
        long i = (*next_id)++;
        bench_row_make(&r, i);
        struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = bench_t0 + i,
                                .uid = 1000, .pid = 4242, .ppid = 4241, .claude_pid = 4000};
        memset(ev.id, 0, sizeof ev.id);
        for (int b = 0; b < 8; b++) /* big-endian: time-ordered like UUIDv7 */
            ev.id[b] = (unsigned char)(i >> (56 - 8 * b));
        memcpy(ev.id + 8, "ingestld", 8);
        ev.host = (struct wire_str){"bench", 5};
        ev.payload = (struct wire_str){r.payload, (size_t)r.payload_len};
        ev.orig_size = (uint64_t)r.payload_len;
        if (wire_encode_event(&ev, &c->out) != 0)
            exit(1);
        c->sent++;
    }
}

int main(int argc, char **argv)
{
    bench_t0 = bench_now_ns();
    if (argc < 5) {
        fprintf(stderr, "usage: ingest_load SOCKET N CONNECTIONS WINDOW\n");
        return 2;
    }
    long n = atol(argv[2]), k = atol(argv[3]), window = atol(argv[4]);
    struct client *cl = calloc((size_t)k, sizeof *cl);
    struct pollfd *pf = calloc((size_t)k, sizeof *pf);
    long next_id = 0;
    for (long i = 0; i < k; i++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
        cl[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(cl[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            perror("connect");
            return 1;
        }
        fcntl(cl[i].fd, F_SETFL, O_NONBLOCK);
        cl[i].quota = n / k + (i < n % k ? 1 : 0);
        msgpack_unpacker_init(&cl[i].up, 65536);
    }
    double t0 = now();
    long done = 0, errors = 0;
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    while (done < n) {
        for (long i = 0; i < k; i++) {
            struct client *c = &cl[i];
            if (c->out_off == c->out.len) {
                buf_reset(&c->out);
                c->out_off = 0;
                queue_frames(c, &next_id, window);
            }
            pf[i].fd = c->fd;
            pf[i].events = POLLIN | (c->out_off < c->out.len ? POLLOUT : 0);
        }
        if (poll(pf, (nfds_t)k, 10000) <= 0) {
            fprintf(stderr, "stalled: %ld of %ld acked\n", done, n);
            return 1;
        }
        for (long i = 0; i < k; i++) {
            struct client *c = &cl[i];
            if ((pf[i].revents & POLLOUT) && c->out_off < c->out.len) {
                ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
                if (w > 0)
                    c->out_off += (size_t)w;
            }
            if (pf[i].revents & (POLLIN | POLLHUP)) {
                msgpack_unpacker_reserve_buffer(&c->up, 65536);
                ssize_t r = read(c->fd, msgpack_unpacker_buffer(&c->up), 65536);
                if (r <= 0) {
                    fprintf(stderr, "connection closed by the collector\n");
                    return 1;
                }
                msgpack_unpacker_buffer_consumed(&c->up, (size_t)r);
                while (msgpack_unpacker_next(&c->up, &res) == MSGPACK_UNPACK_SUCCESS) {
                    struct wire_reply rep;
                    if (wire_decode_reply(&res.data, &rep) != 0 || !rep.ok)
                        errors++;
                    c->acked++;
                    done++;
                }
            }
        }
    }
    double dt = now() - t0;
    printf("collector ingest: %ld events in %.2f s = %.0f events/s (%ld connections, window %ld, %ld errors)\n",
           n, dt, n / dt, k, window, errors);
    return errors ? 1 : 0;
}
