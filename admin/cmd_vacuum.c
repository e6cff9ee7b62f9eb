/*
 * cmd_vacuum.c - chronicle vacuum: rebuild the database file to give back
 * the space that deleted (expired) events left.
 *
 * Only on request: VACUUM rewrites the whole file and holds the write lock
 * while it does, so the collector's commits back off and retry meanwhile
 * (its senders spool if it takes longer than their deadline; nothing is
 * lost).  Retention alone reuses freed pages without this.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "admin.h"
#include "chronicle/config.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle vacuum\n"
        "\n"
        "Rebuilds $CHRONICLE_HOME/chronicle.db to return the space of deleted events to\n"
        "the file system, and truncates its WAL.  Safe while the collector runs: its\n"
        "commits wait (and its senders spool) until the rebuild ends.\n");
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int cmd_vacuum(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[512];
    struct chronicle_config cfg;
    if (config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    long long before = file_size(cfg.db_path);
    if (before < 0) {
        fprintf(stderr, "chronicle: no database at %s\n", cfg.db_path);
        return 1;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(cfg.db_path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 30000);
        rc = sqlite3_exec(db, "VACUUM", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "chronicle: vacuum %s: %s\n", cfg.db_path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return 1;
    }
    sqlite3_close(db);
    printf("vacuumed %s: %lld -> %lld bytes\n", cfg.db_path, before, file_size(cfg.db_path));
    return 0;
}
