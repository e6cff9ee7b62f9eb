/*
 * ship_pace - sends events to chronicle-collector at a steady rate (for the
 * shipping lag benchmark: local commit -> PostgreSQL commit at 1,000
 * events/s).  One connection; every millisecond it sends the frames that
 * are due, with random ids and the benchmark's realistic payloads, and
 * counts the acks.  Prints the rate achieved.
 *
 *   ship_pace SOCKET RATE SECONDS
 */
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_payload.h"
#include "chronicle/wire.h"

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int frame(struct buf *out, long i)
{
    struct bench_row r;
    bench_row_make(&r, i);
    struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = bench_now_ns(), .uid = 1000,
                            .pid = 4242, .ppid = 4241, .claude_pid = 4000};
    if (getrandom(ev.id, sizeof ev.id, 0) != (ssize_t)sizeof ev.id)
        return -1;
    ev.host = (struct wire_str){"bench", 5};
    ev.payload = (struct wire_str){r.payload, (size_t)r.payload_len};
    ev.orig_size = (uint64_t)r.payload_len;
    return wire_encode_event(&ev, out);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ship_pace SOCKET RATE SECONDS\n");
        return 2;
    }
    double rate = atof(argv[2]), secs = atof(argv[3]);
    long total = (long)(rate * secs);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    msgpack_unpacker up;
    msgpack_unpacker_init(&up, 65536);
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    struct buf out = BUF_INIT;
    size_t off = 0;
    long sent = 0, acked = 0, errors = 0;
    double t0 = mono();
    while (acked < total) {
        double now = mono();
        long due = (long)((now - t0) * rate) + 1;
        if (due > total)
            due = total;
        if (off == out.len) {
            buf_reset(&out);
            off = 0;
        }
        for (; sent < due; sent++)
            if (frame(&out, sent) != 0)
                return 1;
        if (off < out.len) {
            ssize_t w = write(fd, out.data + off, out.len - off);
            if (w > 0)
                off += (size_t)w;
            else if (w < 0 && errno != EAGAIN)
                return perror("write"), 1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1) > 0) {
            msgpack_unpacker_reserve_buffer(&up, 65536);
            ssize_t r = read(fd, msgpack_unpacker_buffer(&up), 65536);
            if (r <= 0) {
                fprintf(stderr, "connection closed by the collector\n");
                return 1;
            }
            msgpack_unpacker_buffer_consumed(&up, (size_t)r);
            while (msgpack_unpacker_next(&up, &res) == MSGPACK_UNPACK_SUCCESS) {
                struct wire_reply rep;
                if (wire_decode_reply(&res.data, &rep) != 0 || !rep.ok)
                    errors++;
                acked++;
            }
        }
    }
    double dt = mono() - t0;
    printf("paced: %ld events in %.2f s = %.0f events/s (%ld errors)\n", total, dt,
           (double)total / dt, errors);
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    buf_free(&out);
    close(fd);
    return errors ? 1 : 0;
}
