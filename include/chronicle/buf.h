/*
 * buf.h - a growable byte buffer.
 *
 * Owner: whoever declared the struct; buf_free() releases data.  A failed
 * append leaves the buffer unchanged and returns -1 (ENOMEM), so callers can
 * report the error once and keep what they had.
 */
#ifndef CHRONICLE_BUF_H
#define CHRONICLE_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* A failure must be seen (curl's dynbuf does the same): ignoring one would
 * send a truncated answer or store a cut payload. */
#define BUF_MUST_CHECK __attribute__((warn_unused_result))

int buf_reserve(struct buf *b, size_t extra) BUF_MUST_CHECK;  /* room for extra more bytes */
int buf_append(struct buf *b, const void *p, size_t n) BUF_MUST_CHECK;
int buf_append_str(struct buf *b, const char *s) BUF_MUST_CHECK;
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
    BUF_MUST_CHECK;
void buf_reset(struct buf *b);                          /* len = 0, keeps memory */
void buf_free(struct buf *b);

#endif
