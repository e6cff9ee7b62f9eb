/*
 * stdin_reader.h - reads the hook payload without ever hanging the agent.
 *
 * Claude Code writes the payload and closes the pipe, but a known bug leaves
 * some pipes open forever, and a hook blocked on read is not killed by its
 * timeout.  So the read ends at the first of: EOF, one complete top-level
 * JSON value, the size cap, or the deadline.
 */
#ifndef CHRONICLE_STDIN_READER_H
#define CHRONICLE_STDIN_READER_H

#include "chronicle/buf.h"

enum read_end {
    READ_EOF,       /* the writer closed the pipe */
    READ_COMPLETE,  /* a whole JSON value arrived; the pipe may still be open */
    READ_CAPPED,    /* max bytes read; the rest was left unread */
    READ_TIMEOUT,   /* the deadline passed */
    READ_ERROR,     /* read(2) failed or stdin is not open */
};

/* Appends what fd yields to out.  Returns how the read ended; a buffer
 * allocation failure ends it as READ_CAPPED with what was read so far. */
enum read_end stdin_read(int fd, struct buf *out, long timeout_ms, long max);

const char *read_end_name(enum read_end how);

#endif
