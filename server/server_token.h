/*
 * server_token.h - chronicle-server's bearer token file,
 * $CHRONICLE_HOME/server.token, in the way Jupyter does it: a random token
 * made on the first start, which every client of the API reads from the
 * file (its owner can; nobody else can).
 *
 * Creation: 32 bytes from getrandom(), written as 64 hex digits and a
 * newline into a temporary file opened O_CREAT|O_EXCL|O_NOFOLLOW with mode
 * 0600, fsync'd, then link()ed to server.token: never a half-written token,
 * and of two servers starting at once the second reads the first's.
 *
 * Reading: opened with O_NOFOLLOW (a symlink planted there is refused, not
 * followed) and used only when it is a regular file owned by the effective
 * uid that no group or other may read, holding 1 to SERVER_TOKEN_MAX visible
 * ASCII characters.  Anything else is an error naming the path and what to
 * do; the server does not start with a token others may have read.
 *
 * Plain functions over the file system; nothing to free.
 */
#ifndef CHRONICLE_SERVER_TOKEN_H
#define CHRONICLE_SERVER_TOKEN_H

#include <stddef.h>

#define SERVER_TOKEN_FILE "server.token"
#define SERVER_TOKEN_MAX 255 /* characters, as config.h's token[256] holds */

/* 1 if t is 1 to SERVER_TOKEN_MAX visible ASCII characters (0x21..0x7e):
 * it travels in a header, a cookie (percent-encoded) and a URL. */
int server_token_valid(const char *t);

/*
 * Reads home/server.token into token (tokenlen bytes, at least
 * SERVER_TOKEN_MAX + 1), first creating it when it does not exist.  *created
 * says which happened.  0, or -1 with a message naming the file in err.
 */
int server_token_load(const char *home, char *token, size_t tokenlen, int *created, char *err,
                      size_t errlen);

#endif
