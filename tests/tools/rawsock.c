/*
 * rawsock - test tool: writes stdin, byte for byte, to a Unix socket, then
 * prints every reply frame as one line of text:
 *   ok <hex id> | ok pong | error <message> | closed
 * Lets shell tests send garbage, truncated or hostile frames.
 *   rawsock SOCKET [--half-close]
 */
#include <errno.h>
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
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
    if (argc > 2 && strcmp(argv[2], "--half-close") == 0)
        shutdown(fd, SHUT_WR);
    msgpack_unpacker up;
    msgpack_unpacker_init(&up, 4096);
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    for (;;) {
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
