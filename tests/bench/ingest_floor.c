/*
 * ingest_floor - the ceiling the collector is compared against: the same
 * rows (bench_payload.h) inserted into the same schema (schema_migrate, the
 * collector's pragmas) with one prepared statement in transactions of B
 * rows, by one process with nothing else to do.  No sockets, no decoding, no
 * redaction, no sessions or tool-call rows.
 *
 *   ingest_floor DBPATH N BATCH
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_payload.h"

static long long bench_t0; /* first event time */
#include "chronicle/schema.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    bench_t0 = bench_now_ns();
    if (argc < 4) {
        fprintf(stderr, "usage: ingest_floor DBPATH N BATCH\n");
        return 2;
    }
    long n = atol(argv[2]), batch = atol(argv[3]);
    sqlite3 *db;
    char err[256];
    if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        schema_migrate(db, err, sizeof err) != SQLITE_OK ||
        schema_configure(db, 1, err, sizeof err) != SQLITE_OK) {
        fprintf(stderr, "setup: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    if (argc > 4 && sqlite3_exec(db, argv[4], NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "extra pragmas: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
        "INSERT INTO events(event_uid, session_id, event_type, ts_ns, stored_ns, tool_name,"
        " tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload, raw,"
        " payload_size, host, uid, pid, ppid, claude_pid, project_dir)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,NULL,NULL,NULL,?8,NULL,0,?9,NULL,?10,'bench',1000,4242,4241,4000,NULL)",
        -1, &st, NULL);
    struct bench_row r;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (i % batch == 0)
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        bench_row_make(&r, i);
        unsigned char id[16] = {0};
        for (int b = 0; b < 8; b++) /* big-endian: time-ordered like UUIDv7 */
            id[b] = (unsigned char)(i >> (56 - 8 * b));
        memcpy(id + 8, "ingestld", 8);
        sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r.session, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r.type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, bench_t0 + i);
        sqlite3_bind_int64(st, 5, bench_t0 + i);
        if (r.tool[0])
            sqlite3_bind_text(st, 6, r.tool, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, r.tool_use_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, r.cwd, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, r.payload, r.payload_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 10, r.payload_len);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(st);
        if (i % batch == batch - 1 || i == n - 1) {
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
            /* The collector checkpoints between batches too (see
             * maintenance.c): do the same so the WAL stays comparable. */
            if (i % (batch * 8) == batch * 8 - 1)
                sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        }
    }
    double dt = now() - t0;
    printf("raw SQLite floor: %ld rows in %.2f s = %.0f rows/s (batches of %ld)\n", n, dt, n / dt,
           batch);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}
