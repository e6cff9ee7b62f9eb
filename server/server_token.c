/* server_token.c - making and reading $CHRONICLE_HOME/server.token.  See server_token.h. */
#include "server_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_BYTES 32

int server_token_valid(const char *t)
{
    size_t n = 0;
    for (; t[n] != '\0'; n++)
        if ((unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
            return 0;
    return n > 0 && n <= SERVER_TOKEN_MAX;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 64 hex digits and a newline from getrandom(). */
static int random_text(char out[2 * TOKEN_BYTES + 2])
{
    unsigned char raw[TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * TOKEN_BYTES] = '\n';
    out[2 * TOKEN_BYTES + 1] = '\0';
    return 0;
}

/* Writes a new token to a temporary file and links it to path.  0, 1 when
 * another process created path first (read theirs), or -1 with err. */
static int create_file(const char *path, char *err, size_t errlen)
{
    char tmp[4200], text[2 * TOKEN_BYTES + 2];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    if (random_text(text) != 0) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    /* A leftover of a crashed start with our pid: ours to remove. */
    (void)unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    int rc = -1;
    if (!ok)
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(saved));
    else if (link(tmp, path) == 0)
        rc = 0;
    else if (errno == EEXIST)
        rc = 1;
    /* A file system without hard links: rename (last writer wins a race). */
    else if ((errno == EPERM || errno == ENOTSUP) && rename(tmp, path) == 0)
        rc = 0;
    else
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    (void)unlink(tmp);
    return rc;
}

/* Checks what fd is, then reads the token.  0 or -1 with err. */
static int read_fd(int fd, const char *path, char *token, size_t tokenlen, char *err,
                   size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file; remove it and restart to get a new token",
                 path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s belongs to uid %ld, not to us (uid %ld); remove it and restart",
                 path, (long)st.st_uid, (long)geteuid());
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s may be read by other users (mode %04o): the token may be known; "
                 "remove it and restart to get a new one", path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    char text[SERVER_TOKEN_MAX + 3];
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    text[n] = '\0';
    if (!server_token_valid(text) || (size_t)n >= tokenlen) {
        snprintf(err, errlen, "%s does not hold a token (1 to %d visible ASCII characters); "
                 "remove it and restart to get a new one", path, SERVER_TOKEN_MAX);
        return -1;
    }
    memcpy(token, text, (size_t)n + 1);
    return 0;
}

/* 0 read, 1 absent, -1 error. */
static int read_file(const char *path, char *token, size_t tokenlen, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO planted there cannot make us hang. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        if (errno == ELOOP)
            snprintf(err, errlen, "%s is a symbolic link; not followed (remove it and restart)",
                     path);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = read_fd(fd, path, token, tokenlen, err, errlen);
    close(fd);
    return rc;
}

int server_token_load(const char *home, char *token, size_t tokenlen, int *created, char *err,
                      size_t errlen)
{
    char path[4096];
    *created = 0;
    if (snprintf(path, sizeof path, "%s/%s", home, SERVER_TOKEN_FILE) >= (int)sizeof path) {
        snprintf(err, errlen, "CHRONICLE_HOME is too long");
        return -1;
    }
    int rc = read_file(path, token, tokenlen, err, errlen);
    if (rc != 1)
        return rc;
    rc = create_file(path, err, errlen);
    if (rc < 0)
        return -1;
    *created = rc == 0;
    rc = read_file(path, token, tokenlen, err, errlen);
    if (rc == 1)
        snprintf(err, errlen, "%s vanished as it was created", path);
    return rc == 0 ? 0 : -1;
}
