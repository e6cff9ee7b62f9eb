/*
 * transcript_file.h - the server's only access to transcript files: open
 * one the collector indexed, read one line's byte range.
 *
 * A transcript path is data from a hook payload, so it is treated as
 * hostile: only paths the collector recorded in transcript_files are ever
 * opened (the caller takes them from there, never from the request), the
 * last component is opened with O_NOFOLLOW (a symlink put in its place is
 * refused), the file must be a regular file owned by the server's user, and
 * its inode must be the one indexed (a replaced file's offsets mean
 * nothing).  A line is read with one pread of at most the cap: a line
 * longer than that is cut, never read whole (docs/SECURITY.md).
 */
#ifndef CHRONICLE_TRANSCRIPT_FILE_H
#define CHRONICLE_TRANSCRIPT_FILE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Ordered: a page reports the worst status among the files it read. */
enum tf_status { TF_OK = 0, TF_REPLACED = 1, TF_MISSING = 2, TF_REFUSED = 3 };

/* "ok", "replaced", "missing", "refused". */
const char *tf_status_name(enum tf_status st);

/* Opens path read-only under the rules above; *fd (the caller closes it)
 * only on TF_OK. */
enum tf_status transcript_file_open(const char *path, int64_t inode, int *fd);

/* Reads bytes [offset, offset + min(length, cap)) of fd into out (reset
 * first).  0: the whole line; 1: cut at cap; -1: the file no longer holds
 * those bytes (truncated since indexed); -2: read error or ENOMEM. */
int transcript_file_read_line(int fd, int64_t offset, int64_t length, size_t cap,
                              struct buf *out);

#endif
