/* cmd_backup.c - `chronicle backup`: a consistent copy while the collector runs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"
#include "chronicle/config.h"
#include "db_reader.h"
#include "out_file.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: chronicle backup [--force] DEST\n"
        "\n"
        "Copies $CHRONICLE_HOME/chronicle.db to DEST with SQLite's online backup API,\n"
        "in one step under one read transaction: the copy is the database as of one\n"
        "commit, taken while the collector keeps writing (WAL readers do not block\n"
        "it).  The copy is a self-contained file (rollback journal, not WAL), checked\n"
        "with PRAGMA quick_check, mode 0600, and appears under DEST only when complete.\n"
        "When DEST is a directory the file is DEST/chronicle-YYYYMMDDTHHMMSSZ.db.\n"
        "\n"
        "  --force   replace DEST if it exists\n"
        "\n"
        "Exit status: 0 copied, 1 error, 2 usage.\n");
}

static int copy_db(sqlite3 *src, const char *path, char *err, size_t errlen)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return -1;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return -1;
    }
    /* -1: every page in one step, so the source read transaction covers the
     * whole copy and it is one consistent snapshot. */
    rc = sqlite3_backup_step(b, -1);
    int frc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || frc != SQLITE_OK) {
        snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc != SQLITE_DONE ? rc : frc));
        sqlite3_close(dst);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    if (!ok)
        snprintf(err, errlen, "the copy failed its check: %s",
                 st && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0)
                                                  : sqlite3_errmsg(dst));
    sqlite3_finalize(st);
    if (sqlite3_close(dst) != SQLITE_OK && ok) {
        snprintf(err, errlen, "closing the copy failed");
        ok = 0;
    }
    return ok ? 0 : -1;
}

int cmd_backup(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt, force = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': force = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 2;
    }
    char err[PATH_MAX + 256], dest[PATH_MAX];
    struct chronicle_config cfg;
    if (config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    struct stat st;
    snprintf(dest, sizeof dest, "%s", argv[optind]);
    if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        if (snprintf(dest, sizeof dest, "%s/chronicle-%s.db", argv[optind], stamp) >= (int)sizeof dest) {
            fprintf(stderr, "chronicle: %s: path too long\n", argv[optind]);
            return 1;
        }
    }
    sqlite3 *src;
    if (db_reader_open(cfg.db_path, &src, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
        return 1;
    }
    struct out_file o;
    int rc = 1;
    if (out_file_reserve(&o, dest, force, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
    } else if (copy_db(src, o.tmp, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s; no backup written\n", err);
        out_file_abort(&o);
    } else if (out_file_commit(&o, err, sizeof err) != 0) {
        fprintf(stderr, "chronicle: %s\n", err);
    } else {
        long long size = stat(dest, &st) == 0 ? (long long)st.st_size : 0;
        printf("backup of %s written to %s (%lld bytes)\n", cfg.db_path, dest, size);
        rc = 0;
    }
    sqlite3_close(src);
    return rc;
}
