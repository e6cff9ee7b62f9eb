/* subagent_meta.c - a subagent's agent-<id>.meta.json (which Agent/Task call
 * spawned it, its type and task).  See subagent_meta_read() in
 * transcript_reader.h.  The file is outside bytes: read bounded, through
 * O_NOFOLLOW, parsed by the strict scanner, strings cut to their fields on
 * a character boundary. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/json_scan.h"
#include "transcript_reader.h"

#define META_MAX (64 * 1024)

struct meta_pick {
    const char *s;
    size_t key_start, key_len;
    struct subagent_meta *m;
};

static int key_is(const struct meta_pick *p, const char *name)
{
    return p->key_len == strlen(name) && memcmp(p->s + p->key_start, name, p->key_len) == 0;
}

/* Decodes a string span into dst (cap bytes with the NUL), cut before a
 * split UTF-8 character. */
static void put(char *dst, size_t cap, const char *raw, size_t len)
{
    char tmp[1024];
    if (len > sizeof tmp)
        len = sizeof tmp;
    size_t n = json_unescape(raw, len, tmp);
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)tmp[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, tmp, n);
    dst[n] = '\0';
}

static int visit(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    struct meta_pick *p = ctx;
    if (depth != 1)
        return 0;
    if (tok == JSON_TOK_KEY) {
        p->key_start = start;
        p->key_len = len;
    } else if (tok == JSON_TOK_STRING) {
        if (key_is(p, "toolUseId"))
            put(p->m->tool_use_id, sizeof p->m->tool_use_id, p->s + start, len);
        else if (key_is(p, "agentType"))
            put(p->m->agent_type, sizeof p->m->agent_type, p->s + start, len);
        else if (key_is(p, "description"))
            put(p->m->description, sizeof p->m->description, p->s + start, len);
    }
    return 0;
}

int subagent_meta_read(const char *transcript_path, struct subagent_meta *m)
{
    memset(m, 0, sizeof *m);
    size_t n = strlen(transcript_path);
    const char *base = strrchr(transcript_path, '/');
    static const char ext[] = ".jsonl";
    if (base == NULL || strncmp(base + 1, "agent-", 6) != 0 || n < sizeof ext ||
        strcmp(transcript_path + n - (sizeof ext - 1), ext) != 0)
        return -1;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%.*s.meta.json", (int)(n - (sizeof ext - 1)),
                 transcript_path) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    char *buf = NULL; /* once per subagent file read from its start */
    ssize_t got = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        st.st_size <= META_MAX && (buf = malloc(META_MAX)) != NULL)
        got = read(fd, buf, META_MAX);
    close(fd);
    int rc = -1;
    struct meta_pick p = {.s = buf, .m = m};
    if (got > 0 && json_walk(buf, (size_t)got, visit, &p, NULL) == JSON_OK)
        rc = 0;
    else
        memset(m, 0, sizeof *m);
    free(buf);
    return rc;
}
