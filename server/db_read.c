/*
 * db_read.c - the server's read-only connection to the collector's database.
 *
 * Every statement runs in autocommit mode and is reset before control goes
 * back to the event loop, so no read transaction ever spans loop turns and
 * the collector's checkpoints always make progress (-wal stays small).
 */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "chronicle/schema.h"

#define SERVER_MIN_SCHEMA 4 /* sessions.state_since_ns and the rest (issue 11) */

int db_read_open(struct db_read *d, char *err, size_t errlen)
{
    struct stat st;
    if (stat(d->path, &st) != 0 || st.st_size == 0)
        return -1; /* not created yet: wait for the collector */
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(d->path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
                             SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", d->path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return -2;
    }
    if (schema_configure(h, 0, err, errlen) != SQLITE_OK) {
        sqlite3_close(h);
        return -2;
    }
    int version = 0;
    rc = schema_version(h, &version);
    if (rc != SQLITE_OK || version == 0) {
        /* Busy or mid-migration: the collector is still setting it up. */
        sqlite3_close(h);
        return -1;
    }
    if (version > schema_latest_version()) {
        snprintf(err, errlen, "database schema version %d is newer than this server (%d); "
                 "upgrade chronicle-server", version, schema_latest_version());
        sqlite3_close(h);
        return -2;
    }
    /* The server reads the session state columns of migration 4; an older
     * database is one the collector has not migrated yet (it migrates on
     * start): wait for it, as for a missing one. */
    if (version < SERVER_MIN_SCHEMA) {
        sqlite3_close(h);
        return -1;
    }
    d->h = h;
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    return 0;
}

int db_read_replaced(const struct db_read *d)
{
    struct stat st;
    if (d->h == NULL)
        return 0;
    return stat(d->path, &st) != 0 || st.st_dev != d->dev || st.st_ino != d->ino ||
           st.st_nlink == 0;
}

void db_read_close(struct db_read *d)
{
    if (d->h != NULL) {
        sqlite3_close(d->h); /* every statement is finalized by its user */
        d->h = NULL;
    }
}

int db_read_data_version(struct db_read *d, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(d->h, "PRAGMA data_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int64_t db_read_wal_bytes(const struct db_read *d)
{
    struct stat st;
    return stat(d->wal_path, &st) == 0 ? (int64_t)st.st_size : 0;
}

int64_t db_read_stat(struct db_read *d, const char *name, const char *label, int *found)
{
    *found = 0;
    if (d->h == NULL)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "SELECT value FROM collector_stats WHERE name = ?1 AND label = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    int64_t v = 0;
    if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *found = 1;
    }
    sqlite3_finalize(st);
    return v;
}
