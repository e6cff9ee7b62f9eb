/* collector_state.c - reading collector.state.  See collector_state.h. */
#include "chronicle/collector_state.h"

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chronicle/home.h"

int collector_state_read(const char *home, struct collector_state *st)
{
    memset(st, 0, sizeof *st);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/collector.state", home);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char text[4097];
    ssize_t n = home_file_is_ours(fd) ? pread(fd, text, sizeof text - 1, 0) : -1;
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"pid", offsetof(struct collector_state, pid)},
        {"updated_ns", offsetof(struct collector_state, updated_ns)},
        {"started_ns", offsetof(struct collector_state, started_ns)},
        {"committed", offsetof(struct collector_state, committed)},
        {"pending", offsetof(struct collector_state, pending)},
        {"pending_bytes", offsetof(struct collector_state, pending_bytes)},
        {"oldest_pending_ns", offsetof(struct collector_state, oldest_pending_ns)},
        {"commit_failing_since_ns", offsetof(struct collector_state, commit_failing_since_ns)},
    };
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[32];
        long long v;
        if (sscanf(line, "%31s %lld", key, &v) != 2)
            continue;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strcmp(key, keys[i].key) == 0)
                *(int64_t *)((char *)st + keys[i].off) = v;
    }
    return st->updated_ns > 0 ? 0 : -1;
}
