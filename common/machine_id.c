/* machine_id.c - $CHRONICLE_HOME/machine-id.  See machine_id.h. */
#include "chronicle/machine_id.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int machine_id_valid(const char *s)
{
    if (strlen(s) != MACHINE_ID_LEN)
        return 0;
    for (int i = 0; i < MACHINE_ID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static int read_id(const char *path, char out[MACHINE_ID_LEN + 1], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char text[64];
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof text - 1) : -1;
    close(fd);
    if (n < 0)
        n = 0;
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    if (!machine_id_valid(text)) {
        snprintf(err, errlen, "%s: not a machine id (a UUID); move it aside to get a new one",
                 path);
        return -1;
    }
    memcpy(out, text, MACHINE_ID_LEN + 1);
    return 0;
}

/* A random (version 4) UUID. */
static int new_id(char out[MACHINE_ID_LEN + 1])
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, MACHINE_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
    return 0;
}

/* Writes a new id to a private temporary file and links it into place:
 * link() fails with EEXIST when another process won the race, and then its
 * id is the one. */
static int create_id(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX], id[MACHINE_ID_LEN + 2];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp ||
        new_id(id) != 0) {
        snprintf(err, errlen, "%s: cannot make an id", path);
        return -1;
    }
    strcat(id, "\n");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, id, MACHINE_ID_LEN + 1) == MACHINE_ID_LEN + 1 &&
             fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (ok && link(tmp, path) != 0 && errno != EEXIST) {
        saved = errno;
        ok = 0;
    }
    unlink(tmp);
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

int machine_id_get(const char *home, int create, char out[MACHINE_ID_LEN + 1], char *err,
                   size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", home, MACHINE_ID_NAME) >= (int)sizeof path) {
        snprintf(err, errlen, "machine-id: path too long");
        return -1;
    }
    int rc = read_id(path, out, err, errlen);
    if (rc != 1 || !create)
        return rc;
    if (create_id(path, err, errlen) != 0)
        return -1;
    rc = read_id(path, out, err, errlen);
    return rc == 1 ? -1 : rc;
}
