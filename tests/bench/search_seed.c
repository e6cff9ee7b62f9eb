/*
 * search_seed.c - a database of N corpus events (search_corpus.h) for the
 * search benchmark, built the way an upgrade builds its index: the events
 * first, then migration 5's backfill (the same INSERT ... SELECT), timed,
 * with the database size before and after (the index's growth).
 *
 *   search_seed DB N
 *
 * Prints one line: "seed: N events ... without index A bytes, with B bytes,
 * growth X%, backfill T s".
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chronicle/schema.h"
#include "search_corpus.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "search_seed: %.80s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static long long used_bytes(sqlite3 *db)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, "SELECT (page_count - freelist_count) * page_size FROM "
                               "pragma_page_count, pragma_freelist_count, pragma_page_size",
                           -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: search_seed DB N\n");
        return 2;
    }
    long n = atol(argv[2]);
    sqlite3 *db;
    char err[256];
    if (sqlite3_open(argv[1], &db) != SQLITE_OK || schema_configure(db, 1, err, sizeof err) ||
        schema_migrate(db, err, sizeof err) != SQLITE_OK) {
        fprintf(stderr, "search_seed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    static struct corpus c;
    corpus_init(&c);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    long long t0 = (long long)t.tv_sec * 1000000000LL - 86400LL * 1000000000LL;
    long long step = 86400LL * 1000000000LL / (n ? n : 1);
    sqlite3_stmt *ins, *sess;
    if (exec(db, "BEGIN") ||
        sqlite3_prepare_v2(db, "INSERT INTO events(id, event_uid, session_id, event_type, ts_ns,"
                               " stored_ns, tool_name, cwd, flags, payload, payload_size, host)"
                               " VALUES(?1, randomblob(16), ?2, ?3, ?4, ?4, ?5, ?6, 0, ?7, ?8, 'bench')",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO sessions(session_id, first_seen_ns, last_seen_ns, cwd,"
                               " project, event_count) VALUES(?1, ?2, ?2, ?3, ?3, 1)"
                               " ON CONFLICT(session_id) DO UPDATE SET last_seen_ns = excluded.last_seen_ns,"
                               " event_count = event_count + 1",
                           -1, &sess, NULL) != SQLITE_OK) {
        fprintf(stderr, "search_seed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    static struct corpus_event e;
    double s0 = now();
    for (long i = 0; i < n; i++) {
        corpus_event(&c, i, &e);
        long long ts = t0 + i * step;
        sqlite3_bind_int64(ins, 1, i + 1);
        sqlite3_bind_text(ins, 2, e.session, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, e.type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, ts);
        if (e.tool[0])
            sqlite3_bind_text(ins, 5, e.tool, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins, 5);
        sqlite3_bind_text(ins, 6, e.cwd, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, e.payload, e.len, SQLITE_STATIC);
        sqlite3_bind_int(ins, 8, e.len);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "search_seed: insert: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(ins);
        sqlite3_bind_text(sess, 1, e.session, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sess, 2, ts);
        sqlite3_bind_text(sess, 3, e.cwd, -1, SQLITE_STATIC);
        if (sqlite3_step(sess) != SQLITE_DONE) {
            fprintf(stderr, "search_seed: session: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(sess);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sess);
    if (exec(db, "COMMIT"))
        return 1;
    double s1 = now();
    long long before = used_bytes(db);
    /* Migration 5's backfill, as schema.c runs it on an upgrade. */
    if (exec(db, "BEGIN") ||
        exec(db, "INSERT INTO search_events(rowid, prompt, command, file_path, tool_output, error, other)"
                 "  SELECT id, prompt, command, file_path, tool_output, error, other FROM search_events_src"
                 "  WHERE coalesce(prompt, command, file_path, tool_output, error, other) IS NOT NULL;") ||
        exec(db, "COMMIT"))
        return 1;
    double s2 = now();
    long long after = used_bytes(db);
    sqlite3_stmt *q;
    long long text = 0;
    if (sqlite3_prepare_v2(db, "SELECT sum(length(coalesce(prompt,''))+length(coalesce(command,''))"
                               "+length(coalesce(file_path,''))+length(coalesce(tool_output,''))"
                               "+length(coalesce(error,''))+length(coalesce(other,'')))"
                               " FROM search_events_src", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        text = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    printf("seed: %ld events written in %.1f s; database without the index %.1f MB, with it %.1f MB:"
           " index +%.1f MB (+%.0f%%); text indexed %.1f MB (what a content copy would add);"
           " backfill (migration 5) %.1f s = %.0f events/s\n",
           n, s1 - s0, before / 1048576.0, after / 1048576.0, (after - before) / 1048576.0,
           100.0 * (after - before) / before, text / 1048576.0, s2 - s1, n / (s2 - s1));
    sqlite3_close(db);
    return 0;
}
