/* out_file.c - complete-or-absent output files (temp + fsync + rename). */
#include "out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_tmp(struct out_file *o, const char *dest, int force, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    struct stat st;
    if (stat(dest, &st) == 0 && !force) {
        snprintf(err, errlen, "%s exists; choose another name or pass --force", dest);
        return -1;
    }
    if (snprintf(o->dest, sizeof o->dest, "%s", dest) >= (int)sizeof o->dest) {
        snprintf(err, errlen, "%s: path too long", dest);
        return -1;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp-XXXXXX", dest);
    /* mkstemp creates mode 0600: backups and exports hold session data. */
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", o->tmp, strerror(errno));
        return -1;
    }
    return fd;
}

int out_file_open(struct out_file *o, const char *dest, int force, char *err, size_t errlen)
{
    int fd = make_tmp(o, dest, force, err, errlen);
    if (fd < 0)
        return -1;
    o->fp = fdopen(fd, "w");
    if (o->fp == NULL) {
        snprintf(err, errlen, "%s: %s", o->tmp, strerror(errno));
        close(fd);
        unlink(o->tmp);
        return -1;
    }
    return 0;
}

int out_file_reserve(struct out_file *o, const char *dest, int force, char *err, size_t errlen)
{
    int fd = make_tmp(o, dest, force, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int out_file_commit(struct out_file *o, char *err, size_t errlen)
{
    const char *what = NULL;
    if (o->fp != NULL) {
        if (fflush(o->fp) != 0 || ferror(o->fp))
            what = "write";
        else if (fsync(fileno(o->fp)) != 0)
            what = "fsync";
        if (fclose(o->fp) != 0 && what == NULL)
            what = "close";
        o->fp = NULL;
    } else {
        int fd = open(o->tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            what = "fsync";
        if (fd >= 0)
            close(fd);
    }
    if (what == NULL && rename(o->tmp, o->dest) != 0)
        what = "rename";
    if (what != NULL) {
        snprintf(err, errlen, "%s (%s): %s", o->dest, what, strerror(errno));
        unlink(o->tmp);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o->dest);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

void out_file_abort(struct out_file *o)
{
    if (o->fp != NULL)
        fclose(o->fp);
    o->fp = NULL;
    if (o->tmp[0])
        unlink(o->tmp);
}
