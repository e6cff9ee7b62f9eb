/*
 * sql_build.h - builds a query text and its bound parameters together, so
 * that no value ever reaches the SQL text: a caller appends fixed SQL
 * fragments (from its own allowlists) and values, which become ?N.
 *
 * Owner: the caller's struct sqlb; sqlb_free() releases the text and the
 * copied values.  Appending never fails silently: an allocation failure
 * sets sb->oom and sqlb_prepare() then returns SQLITE_NOMEM.
 */
#ifndef CHRONICLE_SQL_BUILD_H
#define CHRONICLE_SQL_BUILD_H

#include <sqlite3.h>
#include <stdint.h>

#include "chronicle/buf.h"

#define SQLB_MAX_BINDS 200

struct sqlb_val {
    int is_text;
    int64_t i;
    char *s; /* owned copy */
};

struct sqlb {
    struct buf sql;
    struct sqlb_val v[SQLB_MAX_BINDS];
    int n;
    int oom;
};

void sqlb_init(struct sqlb *sb);
void sqlb_free(struct sqlb *sb);
/* Appends a fixed SQL fragment (never user input). */
void sqlb_sql(struct sqlb *sb, const char *fragment);
/* Appends ?N bound to a copy of text / to an integer. */
void sqlb_text(struct sqlb *sb, const char *text);
void sqlb_int(struct sqlb *sb, int64_t v);
/* Appends "col IN (?a,?b,...)" for n texts. */
void sqlb_in(struct sqlb *sb, const char *col, const char *const *vals, size_t n);
/* Prepares the text and binds every value. */
int sqlb_prepare(struct sqlb *sb, sqlite3 *db, sqlite3_stmt **out);

#endif
