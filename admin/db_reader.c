/* db_reader.c - read-only access to the database for status/backup/export. */
#include "db_reader.h"

#include <stdio.h>
#include <sys/stat.h>

#include "chronicle/schema.h"

int db_reader_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no database (has the collector ever run?)", path);
        return -1;
    }
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        goto fail;
    }
    if (schema_configure(*db, 0, err, errlen) != SQLITE_OK ||
        sqlite3_exec(*db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    int version = 0;
    if (schema_version(*db, &version) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*db));
        goto fail;
    }
    if (version == 0) {
        snprintf(err, errlen, "%s: not a Chronicle database (schema version 0)", path);
        goto fail;
    }
    if (version > schema_latest_version()) {
        snprintf(err, errlen, "%s: schema version %d is newer than this chronicle (%d); upgrade it",
                 path, version, schema_latest_version());
        goto fail;
    }
    return 0;
fail:
    sqlite3_close(*db);
    *db = NULL;
    return -1;
}

int db_reader_int(sqlite3 *db, const char *sql, long long bind1, long long *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, bind1);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}
