/* Unit tests: server/transcript_file.c, the server's only way into a
 * transcript: symlinks, FIFOs, directories, other inodes and missing files
 * refused or named; a line read in one pread, cut at the cap; a file that
 * shrank since it was indexed. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/buf.h"
#include "transcript_file.h"

static char dir[64];

static void path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static int64_t inode_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (int64_t)st.st_ino : -1;
}

static void opens_and_refuses(struct check *c)
{
    char f[128], l[128], fifo[128], missing[128];
    path(f, sizeof f, "t.jsonl");
    path(l, sizeof l, "link.jsonl");
    path(fifo, sizeof fifo, "fifo.jsonl");
    path(missing, sizeof missing, "none.jsonl");
    FILE *w = fopen(f, "w");
    CHECK(c, w != NULL);
    if (w == NULL)
        return;
    fputs("{\"a\":1}\n{\"b\":2}\n", w);
    fclose(w);
    CHECK(c, symlink(f, l) == 0);
    CHECK(c, mkfifo(fifo, 0600) == 0);
    int fd = -1;
    CHECK_INT(c, transcript_file_open(f, inode_of(f), &fd), TF_OK);
    CHECK(c, fd >= 0);
    struct buf b = BUF_INIT;
    CHECK_INT(c, transcript_file_read_line(fd, 8, 7, 1024, &b), 0);
    CHECK(c, b.len == 7 && memcmp(b.data, "{\"b\":2}", 7) == 0);
    CHECK_INT(c, transcript_file_read_line(fd, 0, 7, 3, &b), 1); /* cut at the cap */
    CHECK(c, b.len == 3 && memcmp(b.data, "{\"a", 3) == 0);
    CHECK_INT(c, transcript_file_read_line(fd, 10, 100, 1024, &b), -1); /* shorter than indexed */
    CHECK_INT(c, transcript_file_read_line(fd, -1, 1, 1024, &b), -1);
    close(fd);
    buf_free(&b);
    CHECK_INT(c, transcript_file_open(f, inode_of(f) + 1, &fd), TF_REPLACED);
    CHECK_INT(c, fd, -1);
    CHECK_INT(c, transcript_file_open(l, inode_of(f), &fd), TF_REFUSED); /* O_NOFOLLOW */
    CHECK_INT(c, transcript_file_open(fifo, inode_of(fifo), &fd), TF_REFUSED);
    CHECK_INT(c, transcript_file_open(dir, inode_of(dir), &fd), TF_REFUSED);
    CHECK_INT(c, transcript_file_open(missing, 1, &fd), TF_MISSING);
    CHECK_INT(c, transcript_file_open("relative.jsonl", 1, &fd), TF_REFUSED);
    CHECK_INT(c, transcript_file_open(NULL, 1, &fd), TF_REFUSED);
    CHECK_STR(c, tf_status_name(TF_REFUSED), "refused");
    CHECK_STR(c, tf_status_name(TF_MISSING), "missing");
    unlink(f);
    unlink(l);
    unlink(fifo);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/chr-tf.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    struct check c = {0};
    opens_and_refuses(&c);
    printf("%s opens_and_refuses\n", c.failures ? "FAIL" : "PASS");
    rmdir(dir);
    return c.failures ? 1 : 0;
}
