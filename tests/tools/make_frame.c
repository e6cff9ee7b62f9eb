/*
 * make_frame - test tool: writes N event frames to stdout, as chronicle-send
 * would encode them but with a chosen timestamp, so tests can feed old
 * events (retention) or many events over one connection (with rawsock).
 * Events alternate PreToolUse / PostToolUse of one tool call per pair.
 *
 *   make_frame TS_NS N SESSION_ID [COMMAND]
 *                                       COMMAND (plain text, no quotes): each
 *                                       event carries tool_input.command
 *   make_frame --payload FILE [FLAGS]   one frame carrying FILE's bytes as
 *                                       they are, with FLAGS (default 0), so
 *                                       tests can send what the sender never
 *                                       would (invalid JSON not flagged)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/wire.h"

/* One frame whose payload is the file's bytes. */
static int payload_frame(const char *path, uint32_t flags, struct buf *out)
{
    struct buf payload = BUF_INIT;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&payload, chunk, n);
    if (fclose(f) != 0 || rc != 0)
        return 1;
    struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = (int64_t)time(NULL) * 1000000000LL,
                            .uid = 1, .pid = 1, .ppid = 1, .claude_pid = -1, .flags = flags,
                            .orig_size = payload.len};
    if (getrandom(ev.id, sizeof ev.id, 0) != sizeof ev.id)
        return 1;
    ev.payload = (struct wire_str){payload.data ? payload.data : "", payload.len};
    rc = wire_encode_event(&ev, out) != 0;
    buf_free(&payload);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--payload") == 0) {
        struct buf out = BUF_INIT;
        if (payload_frame(argv[2], argc > 3 ? (uint32_t)atol(argv[3]) : 0, &out) != 0)
            return 1;
        int rc = fwrite(out.data, 1, out.len, stdout) != out.len;
        buf_free(&out);
        return rc;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: make_frame TS_NS N SESSION_ID | make_frame --payload FILE [FLAGS]\n");
        return 2;
    }
    long long ts = atoll(argv[1]);
    long n = atol(argv[2]);
    struct buf out = BUF_INIT;
    for (long i = 0; i < n; i++) {
        char payload[1024], input[600] = "";
        if (argc > 4)
            snprintf(input, sizeof input, ",\"tool_input\":{\"command\":\"%.500s\"}", argv[4]);
        int len = snprintf(payload, sizeof payload,
                           "{\"session_id\":\"%s\",\"hook_event_name\":\"%s\",\"tool_name\":\"Bash\","
                           "\"tool_use_id\":\"%s-%ld\",\"cwd\":\"/w\",\"seq\":%ld%s}",
                           argv[3], i % 2 ? "PostToolUse" : "PreToolUse", argv[3], i / 2, i, input);
        struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = ts + i, .uid = 1, .pid = 1, .ppid = 1,
                                .claude_pid = -1};
        if (getrandom(ev.id, sizeof ev.id, 0) != sizeof ev.id)
            return 1;
        ev.payload = (struct wire_str){payload, (size_t)len};
        ev.orig_size = (uint64_t)len;
        if (wire_encode_event(&ev, &out) != 0)
            return 1;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len)
        return 1;
    buf_free(&out);
    return 0;
}
