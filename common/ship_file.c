/* ship_file.c - ship.cursor and ship.state.  See ship_file.h. */
#include "chronicle/ship_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"

#define FILE_MAX 8192

/* One "key=value" field of a struct: an int64 or a char array. */
struct field {
    const char *key;
    size_t offset;
    size_t size; /* 0: int64_t; else a char array of this size */
};

#define I64(s, f) {#f, offsetof(struct s, f), 0}
#define STR(s, f) {#f, offsetof(struct s, f), sizeof(((struct s *)0)->f)}

static const struct field state_fields[] = {
    I64(ship_state, pid), STR(ship_state, target), STR(ship_state, machine_id),
    STR(ship_state, phase), I64(ship_state, shipped_id), I64(ship_state, local_max_id),
    I64(ship_state, lag_events), I64(ship_state, lag_ns), I64(ship_state, last_commit_ns),
    I64(ship_state, events_total), I64(ship_state, duplicates_total),
    I64(ship_state, batches_total), I64(ship_state, payload_text_total),
    I64(ship_state, usage_rows_total), I64(ship_state, errors_total),
    I64(ship_state, lag_p50_us), I64(ship_state, lag_p99_us), STR(ship_state, last_error),
    I64(ship_state, last_error_ns), I64(ship_state, updated_ns),
};

static int path_of(char *out, const char *home, const char *name, const char *suffix)
{
    int n = snprintf(out, PATH_MAX, "%s/%s%s", home, name, suffix);
    return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* The whole file, NUL-terminated, into buf (FILE_MAX + 1 bytes).  0, 1 when
 * missing or not a regular file, -1 with err. */
static int slurp(const char *path, char *buf, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 1;
    }
    size_t len = 0;
    ssize_t n;
    while (len < FILE_MAX && (n = read(fd, buf + len, FILE_MAX - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return 0;
}

/* Replaces control characters so one value stays on one line. */
static void put_value(struct buf *b, const char *v, int *rc)
{
    for (; *v; v++) {
        char ch = (unsigned char)*v < 0x20 ? ' ' : *v;
        *rc |= buf_append(b, &ch, 1);
    }
}

static int write_atomic(const char *home, const char *name, const struct buf *text, int durable,
                        char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (path_of(path, home, name, "") != 0 || path_of(tmp, home, name, ".tmp") != 0) {
        snprintf(err, errlen, "%s: path too long", name);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < text->len) {
        ssize_t n = write(fd, text->data + off, text->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    int ok = off == text->len && (!durable || fsync(fd) == 0);
    int saved = errno;
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(ok ? errno : saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Calls fn(key, value, ctx) for each "key=value" line of text (modified). */
static void each_line(char *text, void (*fn)(const char *, const char *, void *), void *ctx)
{
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        fn(line, eq + 1, ctx);
    }
}

static int parse_i64(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return -1;
    *out = x;
    return 0;
}

static int parse_hex16(const char *v, unsigned char out[SHIP_UID_LEN])
{
    if (strlen(v) != 2 * SHIP_UID_LEN)
        return -1;
    for (int i = 0; i < SHIP_UID_LEN; i++) {
        unsigned x;
        if (sscanf(v + 2 * i, "%2x", &x) != 1)
            return -1;
        out[i] = (unsigned char)x;
    }
    return 0;
}

void ship_uid_hex(const unsigned char uid[SHIP_UID_LEN], char out[2 * SHIP_UID_LEN + 1])
{
    for (int i = 0; i < SHIP_UID_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", uid[i]);
}

/* ---- ship.cursor ----------------------------------------------------- */

struct cursor_parse {
    struct ship_cursor *c;
    int have_id, bad;
};

static void cursor_field(const char *k, const char *v, void *ctx)
{
    struct cursor_parse *p = ctx;
    if (strcmp(k, "last_id") == 0) {
        p->bad |= parse_i64(v, &p->c->last_id) != 0 || p->c->last_id < 0;
        p->have_id = 1;
    } else if (strcmp(k, "last_uid") == 0)
        p->bad |= parse_hex16(v, p->c->last_uid) != 0;
    else if (strcmp(k, "usage_synced_ns") == 0)
        p->bad |= parse_i64(v, &p->c->usage_synced_ns) != 0;
    else if (strcmp(k, "written_ns") == 0)
        p->bad |= parse_i64(v, &p->c->written_ns) != 0;
}

int ship_cursor_read(const char *home, struct ship_cursor *c, char *err, size_t errlen)
{
    char path[PATH_MAX], text[FILE_MAX + 1];
    memset(c, 0, sizeof *c);
    if (path_of(path, home, SHIP_CURSOR_NAME, "") != 0) {
        snprintf(err, errlen, "ship.cursor: path too long");
        return -1;
    }
    int rc = slurp(path, text, err, errlen);
    if (rc != 0)
        return rc;
    struct cursor_parse p = {c, 0, 0};
    each_line(text, cursor_field, &p);
    if (p.bad || !p.have_id) {
        snprintf(err, errlen, "%s: not a cursor file", path);
        memset(c, 0, sizeof *c);
        return -1;
    }
    return 0;
}

int ship_cursor_write(const char *home, const struct ship_cursor *c, char *err, size_t errlen)
{
    char hex[2 * SHIP_UID_LEN + 1];
    ship_uid_hex(c->last_uid, hex);
    struct buf b = BUF_INIT;
    int rc = buf_printf(&b, "last_id=%lld\nlast_uid=%s\nusage_synced_ns=%lld\nwritten_ns=%lld\n",
                        (long long)c->last_id, hex, (long long)c->usage_synced_ns,
                        (long long)clock_wall_ns());
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    else
        rc = write_atomic(home, SHIP_CURSOR_NAME, &b, 1, err, errlen);
    buf_free(&b);
    return rc;
}

/* ---- ship.state ------------------------------------------------------ */

static void state_field(const char *k, const char *v, void *ctx)
{
    char *base = ctx;
    for (size_t i = 0; i < sizeof state_fields / sizeof state_fields[0]; i++) {
        const struct field *f = &state_fields[i];
        if (strcmp(k, f->key) != 0)
            continue;
        if (f->size == 0)
            (void)parse_i64(v, (int64_t *)(base + f->offset)); /* a bad number stays 0 */
        else
            snprintf(base + f->offset, f->size, "%s", v);
        return;
    }
}

int ship_state_read(const char *home, struct ship_state *s, char *err, size_t errlen)
{
    char path[PATH_MAX], text[FILE_MAX + 1];
    memset(s, 0, sizeof *s);
    if (path_of(path, home, SHIP_STATE_NAME, "") != 0) {
        snprintf(err, errlen, "ship.state: path too long");
        return -1;
    }
    int rc = slurp(path, text, err, errlen);
    if (rc == 0)
        each_line(text, state_field, s);
    return rc;
}

int ship_state_write(const char *home, const struct ship_state *s, char *err, size_t errlen)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    const char *base = (const char *)s;
    for (size_t i = 0; i < sizeof state_fields / sizeof state_fields[0]; i++) {
        const struct field *f = &state_fields[i];
        rc |= buf_printf(&b, "%s=", f->key);
        if (f->size == 0)
            rc |= buf_printf(&b, "%lld", (long long)*(const int64_t *)(base + f->offset));
        else
            put_value(&b, base + f->offset, &rc);
        rc |= buf_append(&b, "\n", 1);
    }
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else {
        rc = write_atomic(home, SHIP_STATE_NAME, &b, 0, err, errlen);
    }
    buf_free(&b);
    return rc;
}
