/*
 * make_frame - test tool: writes N event frames to stdout, as chronicle-send
 * would encode them but with a chosen timestamp, so tests can feed old
 * events (retention) or many events over one connection (with rawsock).
 * Events alternate PreToolUse / PostToolUse of one tool call per pair.
 *
 *   make_frame TS_NS N SESSION_ID
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "chronicle/wire.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: make_frame TS_NS N SESSION_ID\n");
        return 2;
    }
    long long ts = atoll(argv[1]);
    long n = atol(argv[2]);
    struct buf out = BUF_INIT;
    for (long i = 0; i < n; i++) {
        char payload[512];
        int len = snprintf(payload, sizeof payload,
                           "{\"session_id\":\"%s\",\"hook_event_name\":\"%s\",\"tool_name\":\"Bash\","
                           "\"tool_use_id\":\"%s-%ld\",\"cwd\":\"/w\",\"seq\":%ld}",
                           argv[3], i % 2 ? "PostToolUse" : "PreToolUse", argv[3], i / 2, i);
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
