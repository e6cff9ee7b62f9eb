/* home.c - CHRONICLE_HOME's ownership and modes.  See home.h. */
#include "chronicle/home.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void note(struct home_report *r, const char *path, mode_t from, mode_t to)
{
    if (r == NULL || r->n >= (int)(sizeof r->tightened / sizeof r->tightened[0]))
        return;
    snprintf(r->tightened[r->n++], sizeof r->tightened[0], "%s (%04o -> %04o)", path,
             (unsigned)(from & 07777), (unsigned)(to & 07777));
}

static int make_parent(const char *dir)
{
    /* ~/.claude when the home is the default: mkdir is not -p.  The parent
     * is Claude Code's, not ours to check. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == NULL || slash == parent)
        return 0;
    *slash = '\0';
    if (mkdir(parent, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int home_open_dir(const char *dir, int create, struct home_report *report, char *err,
                  size_t errlen)
{
    if (create && mkdir(dir, 0700) != 0 && errno == ENOENT && make_parent(dir) == 0)
        (void)mkdir(dir, 0700);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        struct stat st;
        int e = errno;
        if ((e == ENOTDIR || e == ELOOP) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
            snprintf(err, errlen, "%s is a symbolic link; Chronicle does not follow links in "
                     "its home: point CHRONICLE_HOME at the real directory", dir);
        else
            snprintf(err, errlen, "cannot open %s: %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s belongs to uid %ld, not to you (uid %ld): another user could "
                 "read or plant events there; use a directory of your own (CHRONICLE_HOME) or "
                 "fix its owner (chown)", dir, (long)st.st_uid, (long)geteuid());
        close(fd);
        errno = EACCES;
        return -1;
    }
    if ((st.st_mode & 077) == 0)
        return fd;
    if (report != NULL) {
        if (fchmod(fd, 0700) != 0) {
            snprintf(err, errlen, "cannot make %s private (chmod 0700): %s", dir,
                     strerror(errno));
            close(fd);
            return -1;
        }
        note(report, dir, st.st_mode, 0700);
        return fd;
    }
    if (st.st_mode & 022) {
        snprintf(err, errlen, "%s is writable by other users (mode %04o); run chmod 700 %s",
                 dir, (unsigned)(st.st_mode & 07777), dir);
        close(fd);
        errno = EACCES;
        return -1;
    }
    return fd;
}

/* A file Chronicle keeps in the home: never a symlink, 0600 when ours. */
static int secure_file(int dirfd, const char *home, const char *name, struct home_report *r,
                       char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "cannot stat %s/%s: %s", home,
                                               name, strerror(errno)), -1);
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s/%s is a symbolic link; Chronicle does not follow links in its "
                 "home: remove it", home, name);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode))
        return 0;
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s/%s belongs to uid %ld, not to you: remove it or fix its owner",
                 home, name, (long)st.st_uid);
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        if (fchmodat(dirfd, name, st.st_mode & 0700, 0) != 0) {
            snprintf(err, errlen, "cannot make %s/%s private: %s", home, name, strerror(errno));
            return -1;
        }
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", home, name);
        note(r, path, st.st_mode, st.st_mode & 0700);
    }
    return 0;
}

int home_secure(const struct chronicle_config *cfg, struct home_report *report, char *err,
                size_t errlen)
{
    static const char *const files[] = {
        "chronicle.db", "chronicle.db-wal", "chronicle.db-shm", "chronicle.db-journal",
        "dropped", "collector.lock", "collector.state", "server.token", "machine-id",
        "ship.cursor", "ship.state", "collector.sock",
    };
    const char *const dirs[] = {cfg->home, cfg->spool_dir, cfg->spool_tmp, cfg->spool_bad};
    int home_fd = -1;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        int fd = home_open_dir(dirs[i], 1, report, err, errlen);
        if (fd < 0) {
            if (home_fd >= 0)
                close(home_fd);
            return -1;
        }
        if (i == 0)
            home_fd = fd;
        else
            close(fd);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof files / sizeof files[0]; i++)
        rc = secure_file(home_fd, cfg->home, files[i], report, err, errlen);
    close(home_fd);
    return rc;
}

int home_file_is_ours(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}
