/* spool.c - atomic spool files and the drop counter file. */
#include "chronicle/spool.h"

#include "chronicle/home.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void spool_hex_id(const unsigned char id[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[32] = '\0';
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * The directories are opened with O_NOFOLLOW and checked (ours, not
 * writable by others: home.h) and the file is created and renamed relative
 * to those descriptors, so a symlinked or planted spool/ cannot redirect an
 * event, however the path changes meanwhile.
 */
int spool_write(const struct chronicle_config *cfg, const void *frame, size_t len,
                int64_t ts_ns, const unsigned char id[16])
{
    char hex[33], name[96], tmp[128], final[128], err[PATH_MAX + 256];
    spool_hex_id(id, hex);
    snprintf(name, sizeof name, "%020lld-%ld-%s", (long long)ts_ns, (long)getpid(), hex);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    snprintf(final, sizeof final, "%s" SPOOL_SUFFIX, name);

    int home = home_open_dir(cfg->home, 1, NULL, err, sizeof err);
    int dir = home >= 0 ? home_open_dir(cfg->spool_dir, 1, NULL, err, sizeof err) : -1;
    int tdir = dir >= 0 ? home_open_dir(cfg->spool_tmp, 1, NULL, err, sizeof err) : -1;
    int fd = tdir >= 0 ? openat(tdir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                0600) : -1;
    int rc = -1;
    /* fsync before rename: after a crash the name must never point at a
     * short file.  This path only runs when the collector did not answer, so
     * its cost is not on the common path. */
    if (fd >= 0) {
        if (write_all(fd, frame, len) == 0 && fsync(fd) == 0 && close(fd) == 0) {
            fd = -1;
            rc = renameat(tdir, tmp, dir, final);
        }
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (rc != 0)
            unlinkat(tdir, tmp, 0);
        errno = e;
    }
    int e = errno;
    if (tdir >= 0)
        close(tdir);
    if (dir >= 0)
        close(dir);
    if (home >= 0)
        close(home);
    errno = e;
    return rc;
}

int spool_record_drop(const struct chronicle_config *cfg, int64_t ts_ns,
                      const unsigned char id[16], const char *event_type, int err)
{
    char hex[33], line[256];
    spool_hex_id(id, hex);
    int n = snprintf(line, sizeof line, "%lld %s %.64s %s\n", (long long)ts_ns, hex,
                     event_type ? event_type : "-", strerror(err));
    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* O_NOFOLLOW and ours: a symlinked drop file must not make us append
     * to somebody else's file. */
    int fd = open(cfg->drop_file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (!home_file_is_ours(fd)) {
        close(fd);
        errno = EACCES;
        return -1;
    }
    int rc = write_all(fd, line, (size_t)n);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

long spool_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    long n = 0;
    struct dirent *e;
    size_t sl = strlen(SPOOL_SUFFIX);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > sl && strcmp(e->d_name + l - sl, SPOOL_SUFFIX) == 0)
            n++;
    }
    closedir(d);
    return n;
}

long spool_count_drops(const char *drop_file)
{
    FILE *f = fopen(drop_file, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    long n = 0;
    int c, last = '\n';
    while ((c = getc(f)) != EOF) {
        n += c == '\n';
        last = c;
    }
    n += last != '\n'; /* a last line cut short by a full disk still counts */
    fclose(f);
    return n;
}
