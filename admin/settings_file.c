/* settings_file.c - read, back up and atomically replace a settings file. */
#include "settings_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int settings_file_read(struct settings_file *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    snprintf(f->real, sizeof f->real, "%s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            struct stat lst;
            /* A dangling symlink: writing would replace the link. */
            if (lstat(path, &lst) == 0) {
                snprintf(err, errlen, "%s: dangling symbolic link; fix or remove it", path);
                return -1;
            }
            return 0;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size > SETTINGS_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %d bytes; not a settings file?", path,
                 SETTINGS_MAX_BYTES);
        close(fd);
        return -1;
    }
    f->exists = 1;
    f->mode = st.st_mode & 07777;
    f->uid = st.st_uid;
    f->gid = st.st_gid;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    if (realpath(path, f->real) == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    for (;;) {
        if (buf_reserve(&f->text, 65536) != 0) {
            snprintf(err, errlen, "out of memory");
            break;
        }
        ssize_t n = read(fd, f->text.data + f->text.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) {
            close(fd);
            return 0;
        }
        f->text.len += (size_t)n;
    }
    close(fd);
    settings_file_free(f);
    return -1;
}

void settings_file_free(struct settings_file *f)
{
    buf_free(&f->text);
}

int settings_file_changed(const struct settings_file *f)
{
    struct stat st;
    if (stat(f->real, &st) != 0)
        return f->exists;
    return !f->exists || st.st_dev != f->dev || st.st_ino != f->ino || st.st_size != f->size ||
           st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec;
}

int settings_file_read_only(const struct settings_file *f)
{
    return f->exists && (f->mode & 0222) == 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *file)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int settings_file_backup(const struct settings_file *f, char *backup, char *err, size_t errlen)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    int fd = -1;
    /* Two runs in one second get "-2", "-3"...: a backup is never replaced. */
    for (int i = 1; i < 100 && fd < 0; i++) {
        int n = i == 1 ? snprintf(backup, PATH_MAX, "%s.chronicle-backup-%s", f->real, stamp)
                       : snprintf(backup, PATH_MAX, "%s.chronicle-backup-%s-%d", f->real, stamp, i);
        if (n < 0 || n >= PATH_MAX) {
            snprintf(err, errlen, "%s: backup path too long", f->real);
            return -1;
        }
        fd = open(backup, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->mode & 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot create backup %s: %s", backup, strerror(errno));
        return -1;
    }
    if (write_all(fd, f->text.data ? f->text.data : "", f->text.len) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write backup %s: %s", backup, strerror(errno));
        close(fd);
        unlink(backup);
        return -1;
    }
    close(fd);
    return 0;
}

static int make_parent(const char *file, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    char *d = dirname(dir);
    struct stat st;
    if (stat(d, &st) == 0)
        return 0;
    if (mkdir(d, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", d, strerror(errno));
        return -1;
    }
    return 0;
}

int settings_file_write(const struct settings_file *f, const char *text, size_t len, char *err,
                        size_t errlen)
{
    if (make_parent(f->real, err, errlen) != 0)
        return -1;
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.chronicle-tmp-XXXXXX", f->real);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file beside %s: %s", f->real,
                 strerror(errno));
        return -1;
    }
    mode_t mode = f->exists ? f->mode : 0600;
    const char *what = NULL;
    if (fchmod(fd, mode) != 0)
        what = "chmod";
    /* Keep the owner when root edits a user's file; as that user this is a
     * no-op, and failing to chown is not worth refusing the install. */
    else if (f->exists && geteuid() == 0 && fchown(fd, f->uid, f->gid) != 0)
        what = "chown";
    else if (write_all(fd, text, len) != 0)
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    if (close(fd) != 0 && what == NULL)
        what = "close";
    if (what == NULL && rename(tmp, f->real) != 0)
        what = "rename";
    if (what != NULL) {
        snprintf(err, errlen, "cannot replace %s (%s): %s; the file is unchanged", f->real, what,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (fsync_dir(f->real) != 0) {
        snprintf(err, errlen, "%s written, but syncing its directory failed: %s", f->real,
                 strerror(errno));
        return -1;
    }
    return 0;
}
