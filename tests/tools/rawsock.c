/*
 * rawsock - test tool: writes stdin, byte for byte, to a Unix socket, then
 * prints every reply frame as one line of text:
 *   ok <hex id> | ok pong | error <message> | closed
 * Lets shell tests send garbage, truncated or hostile frames.
 *   rawsock SOCKET [--half-close] [--expect N]   (stop after N replies)
 */
#include <errno.h>
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chronicle/wire.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rawsock SOCKET [--half-close]\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
            break; /* the collector may close on garbage: keep reading replies */
    }
    long expect = -1, replies = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--half-close") == 0)
            shutdown(fd, SHUT_WR);
        else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
            expect = atol(argv[++i]);
    }
    msgpack_unpacker up;
    msgpack_unpacker_init(&up, 4096);
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    while (expect < 0 || replies < expect) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        msgpack_unpacker_reserve_buffer(&up, 4096);
        n = recv(fd, msgpack_unpacker_buffer(&up), 4096, 0);
        if (n <= 0) {
            printf("closed\n");
            break;
        }
        msgpack_unpacker_buffer_consumed(&up, (size_t)n);
        while (msgpack_unpacker_next(&up, &res) == MSGPACK_UNPACK_SUCCESS) {
            struct wire_reply r;
            replies++;
            if (wire_decode_reply(&res.data, &r) != 0)
                printf("unparsable reply\n");
            else if (r.ok && r.pong)
                printf("ok pong\n");
            else if (r.ok) {
                printf("ok ");
                for (int i = 0; i < WIRE_ID_LEN; i++)
                    printf("%02x", r.id[i]);
                printf("\n");
            } else
                printf("error %.*s\n", (int)r.err.len, r.err.ptr ? r.err.ptr : "");
            fflush(stdout);
        }
    }
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
    close(fd);
    return 0;
}
