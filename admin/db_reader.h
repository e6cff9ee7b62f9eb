/*
 * db_reader.h - the admin command's read-only connection to chronicle.db.
 *
 * The collector is the only writer.  The connection is opened read-write
 * without CREATE (a WAL reader must be able to create the -shm file when the
 * collector is not running) and then set to query_only, so no statement on
 * it can write.  A database newer than this build is refused.
 */
#ifndef CHRONICLE_ADMIN_DB_READER_H
#define CHRONICLE_ADMIN_DB_READER_H

#include <sqlite3.h>
#include <stddef.h>

/* 0 with *db open (caller closes it with sqlite3_close), or -1 with a
 * message in err (missing file, not a Chronicle database, too new). */
int db_reader_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/* Runs a query returning one integer; 0 with *out, or -1. */
int db_reader_int(sqlite3 *db, const char *sql, long long bind1, long long *out);

#endif
