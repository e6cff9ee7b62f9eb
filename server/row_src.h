/*
 * row_src.h - one result row, whichever database it came from.
 *
 * row_json.c shapes events and sessions from a row_src, so the local
 * server (an SQLite statement) and the team server (a PostgreSQL result,
 * team_row.c) write byte for byte the same JSON for the same values.  A
 * row_src borrows its statement or result: it owns nothing and is valid
 * while they are.
 */
#ifndef CHRONICLE_ROW_SRC_H
#define CHRONICLE_ROW_SRC_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct row_src {
    const void *h;      /* the statement or result */
    int row;            /* the row within a result (PostgreSQL) */
    int (*is_null)(struct row_src *r, int col);
    int64_t (*i64)(struct row_src *r, int col);
    /* NUL-terminated text and its length; NULL for a NULL column. */
    const char *(*text)(struct row_src *r, int col, size_t *len);
    /* Bytes (the event uid); NULL for a NULL or unreadable column. */
    const unsigned char *(*blob)(struct row_src *r, int col, size_t *len);
    unsigned char scratch[64]; /* decoded bytes of blob(), when they need decoding */
};

/* A row_src over the current row of st. */
void row_src_sqlite(struct row_src *r, sqlite3_stmt *st);

#endif
