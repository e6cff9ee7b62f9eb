/* transcript_file.c - guarded transcript reads.  See transcript_file.h. */
#include "transcript_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chronicle/buf.h"

const char *tf_status_name(enum tf_status st)
{
    switch (st) {
    case TF_OK: return "ok";
    case TF_REPLACED: return "replaced";
    case TF_MISSING: return "missing";
    case TF_REFUSED: return "refused";
    }
    return "refused";
}

enum tf_status transcript_file_open(const char *path, int64_t inode, int *fd)
{
    *fd = -1;
    if (path == NULL || path[0] != '/')
        return TF_REFUSED;
    /* O_NONBLOCK: a FIFO put in the file's place must not hang the loop
     * before fstat refuses it. */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (f < 0)
        return errno == ENOENT || errno == ENOTDIR ? TF_MISSING : TF_REFUSED;
    struct stat st;
    enum tf_status rc = TF_OK;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        rc = TF_REFUSED;
    else if ((int64_t)st.st_ino != inode)
        rc = TF_REPLACED;
    if (rc != TF_OK) {
        close(f);
        return rc;
    }
    *fd = f;
    return TF_OK;
}

int transcript_file_read_line(int fd, int64_t offset, int64_t length, size_t cap,
                              struct buf *out)
{
    buf_reset(out);
    if (offset < 0 || length < 0)
        return -1;
    size_t want = (uint64_t)length > cap ? cap : (size_t)length;
    if (buf_reserve(out, want + 1) != 0)
        return -2;
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, out->data + got, want - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -2;
        if (n == 0)
            return -1; /* shorter than indexed */
        got += (size_t)n;
    }
    out->len = got;
    return (size_t)length > want ? 1 : 0;
}
