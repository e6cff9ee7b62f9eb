/*
 * schema.h - the SQLite schema and its forward migrations.
 *
 * The collector is the only writer and runs schema_migrate() at start-up;
 * readers (the server, the admin command) call schema_check() to refuse a
 * database that is newer than they understand.  PRAGMA user_version holds
 * the schema version.  docs/ARCHITECTURE.md explains every column.
 */
#ifndef CHRONICLE_SCHEMA_H
#define CHRONICLE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/* The version this build writes. */
int schema_latest_version(void);

/*
 * Brings db up to schema_latest_version(), one migration per transaction.
 * Returns SQLITE_OK, or an SQLite error code with a message in err.  A
 * database newer than this build is refused with SQLITE_MISMATCH.
 */
int schema_migrate(sqlite3 *db, char *err, size_t errlen);

/* Reads user_version into *version; SQLITE_OK or an error code. */
int schema_version(sqlite3 *db, int *version);

/* Connection settings every Chronicle process applies (busy timeout,
 * foreign keys off, ...).  writer selects the collector's extra pragmas. */
int schema_configure(sqlite3 *db, int writer, char *err, size_t errlen);

#endif
