/* hook_events.c - the hook events Chronicle registers, by Claude Code version. */
#include "hook_events.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"

const struct event_type *hook_event_find(const char *name)
{
    return event_type_find(name, strlen(name));
}

int hook_event_forbidden(const char *name)
{
    return strcmp(name, "WorktreeCreate") == 0;
}

static int parse_num(const char **p, int *out)
{
    const char *s = *p;
    long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s - '0');
        if (v > 1000000)
            return -1;
        s++;
    }
    *out = (int)v;
    *p = s;
    return 0;
}

int claude_version_parse(const char *text, struct claude_version *v)
{
    memset(v, 0, sizeof *v);
    for (const char *s = text; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || (s > text && s[-1] >= '0' && s[-1] <= '9'))
            continue;
        const char *p = s;
        struct claude_version t = {1, 0, 0, 0};
        if (parse_num(&p, &t.major) == 0 && *p == '.' && (p++, parse_num(&p, &t.minor) == 0) &&
            *p == '.' && (p++, parse_num(&p, &t.patch) == 0)) {
            *v = t;
            return 0;
        }
    }
    return -1;
}

int claude_version_cmp(const struct claude_version *a, int major, int minor, int patch)
{
    if (a->major != major)
        return a->major < major ? -1 : 1;
    if (a->minor != minor)
        return a->minor < minor ? -1 : 1;
    if (a->patch != patch)
        return a->patch < patch ? -1 : 1;
    return 0;
}

int claude_version_has_exec_form(const struct claude_version *v)
{
    return v->known && claude_version_cmp(v, HOOK_EXEC_FORM_MAJOR, HOOK_EXEC_FORM_MINOR,
                                          HOOK_EXEC_FORM_PATCH) >= 0;
}

int hook_event_supported(const struct event_type *e, const struct claude_version *v)
{
    if (e->opt_in_only)
        return 0;
    if (!v->known)
        return e->in_default_set;
    return claude_version_cmp(v, e->major, e->minor, e->patch) >= 0;
}

/* Reads the child's stdout until EOF or the deadline.  Returns 0 on EOF. */
static int read_until(int fd, char *out, size_t cap, int64_t deadline_ns)
{
    size_t len = 0;
    for (;;) {
        int64_t left_ms = (deadline_ns - clock_mono_ns()) / 1000000;
        if (left_ms <= 0)
            return -1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        char chunk[256];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
        memcpy(out + len, chunk, take);
        len += take;
    }
    out[len] = '\0';
    return 0;
}

int claude_version_probe(const char *program, int timeout_ms, struct claude_version *v)
{
    memset(v, 0, sizeof *v);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* Own process group, so a timeout kills node and its children too. */
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 2);
        }
        dup2(fds[1], 1);
        execlp(program, program, "--version", (char *)NULL);
        _exit(127);
    }
    /* Also here: whichever of parent and child runs first, the group exists
     * before we might signal it. */
    setpgid(pid, pid);
    close(fds[1]);
    char out[512];
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    int rc = read_until(fds[0], out, sizeof out, deadline);
    close(fds[0]);
    if (rc != 0)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return claude_version_parse(out, v);
}
