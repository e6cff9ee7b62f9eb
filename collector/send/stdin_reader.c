/* stdin_reader.c - bounded read of the hook payload.  See stdin_reader.h. */
#include "stdin_reader.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/json_scan.h"

/* Only a buffer whose last non-blank byte closes a container (or a string)
 * can hold a complete value, so the full validation runs on few reads. */
static int may_be_complete(const struct buf *b)
{
    size_t i = b->len;
    while (i > 0 && (b->data[i - 1] == ' ' || b->data[i - 1] == '\n' ||
                     b->data[i - 1] == '\r' || b->data[i - 1] == '\t'))
        i--;
    if (i == 0)
        return 0;
    char c = b->data[i - 1];
    return c == '}' || c == ']';
}

enum read_end stdin_read(int fd, struct buf *out, long timeout_ms, long max)
{
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if ((long)out->len >= max)
            return READ_CAPPED;
        int64_t left_ns = deadline - clock_mono_ns();
        if (left_ns <= 0)
            return READ_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)((left_ns + 999999) / 1000000));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return READ_ERROR;
        }
        if (n == 0)
            return READ_TIMEOUT;
        if (p.revents & POLLNVAL)
            return READ_ERROR;
        size_t want = 64 * 1024;
        if ((long)(out->len + want) > max)
            want = (size_t)(max - (long)out->len);
        if (buf_reserve(out, want) != 0)
            return READ_CAPPED;
        ssize_t r = read(fd, out->data + out->len, want);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return READ_ERROR;
        }
        if (r == 0)
            return READ_EOF;
        out->len += (size_t)r;
        out->data[out->len] = '\0';
        if (may_be_complete(out) && json_walk(out->data, out->len, NULL, NULL, NULL) == JSON_OK)
            return READ_COMPLETE;
    }
}

const char *read_end_name(enum read_end how)
{
    switch (how) {
    case READ_EOF: return "eof";
    case READ_COMPLETE: return "complete value";
    case READ_CAPPED: return "size cap";
    case READ_TIMEOUT: return "deadline";
    case READ_ERROR: return "read error";
    }
    return "?";
}
