/*
 * server_seed.c - fills a Chronicle database with synthetic events for the
 * server's benchmarks and tests (the collector's schema, written directly).
 *
 *   server_seed DB EVENTS SESSIONS [SPREAD_S [PAYLOAD_BYTES]]
 *
 * EVENTS events round-robin over SESSIONS sessions, timestamps spread over
 * the last SPREAD_S seconds (default 86400), with the session, tool_calls
 * and collector_stats rows the collector would maintain.  One transaction.
 * PAYLOAD_BYTES > 0 gives each payload a tool_input and a tool_response of
 * about that size, shaped like a Bash call's (escaped newlines and quotes,
 * some non-ASCII text), as the hooks send them.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/schema.h"
#include "chronicle/tool_hist.h"

static const char *const types[] = {"PreToolUse", "PostToolUse", "UserPromptSubmit",
                                    "Notification", "Stop", "PostToolUseFailure"};
static const char *const tools[] = {"Bash", "Read", "Edit", "Grep", "Write"};

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "server_seed: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void sql_tool_hist_bucket(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int(ctx, tool_hist_bucket(sqlite3_value_int64(argv[0])));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: server_seed DB EVENTS SESSIONS [SPREAD_S]\n");
        return 2;
    }
    long n = atol(argv[2]), ns = atol(argv[3]);
    long spread = argc > 4 ? atol(argv[4]) : 86400;
    long pbytes = argc > 5 ? atol(argv[5]) : 0;
    if (n < 0 || ns <= 0 || spread <= 0 || pbytes < 0 || pbytes > 1 << 20) {
        fprintf(stderr, "server_seed: bad numbers\n");
        return 2;
    }
    sqlite3 *db;
    char err[256];
    if (sqlite3_open(argv[1], &db) != SQLITE_OK || schema_configure(db, 1, err, sizeof err) ||
        schema_migrate(db, err, sizeof err) != SQLITE_OK) {
        fprintf(stderr, "server_seed: %s: %s\n", argv[1], err);
        return 1;
    }
    if (sqlite3_create_function(db, "tool_hist_bucket", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_tool_hist_bucket, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "server_seed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *ev, *tc;
    if (exec(db, "BEGIN") ||
        sqlite3_prepare_v2(db, "INSERT INTO events (event_uid, session_id, event_type, ts_ns, "
                               "stored_ns, tool_name, tool_use_id, cwd, duration_ms, flags, "
                               "payload, payload_size) VALUES (randomblob(16), ?1, ?2, ?3, ?3, "
                               "?4, ?5, ?6, ?7, 0, ?8, length(?8))", -1, &ev, NULL) ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tool_calls (tool_use_id, session_id, "
                               "tool_name, started_ns, ended_ns, duration_ms, status) VALUES "
                               "(?1, ?2, ?3, ?4, ?4, ?5, ?6)", -1, &tc, NULL)) {
        fprintf(stderr, "server_seed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    int64_t now = clock_wall_ns(), start = now - (int64_t)spread * 1000000000LL;
    for (long i = 0; i < n; i++) {
        char sid[64], tuid[64], cwd[64];
        static char payload[(1 << 20) + 1024];
        long s = i % ns;
        snprintf(sid, sizeof sid, "sess-%06ld", s);
        snprintf(cwd, sizeof cwd, "/home/dev/project-%ld", s % 20);
        const char *type = types[i % 6];
        const char *tool = (i % 6 == 0 || i % 6 == 1 || i % 6 == 5) ? tools[(i / 6) % 5] : NULL;
        snprintf(tuid, sizeof tuid, "toolu_%ld", i / 6);
        int64_t ts = start + (int64_t)((double)i / (double)(n ? n : 1) * (double)(now - start));
        int len = snprintf(payload, sizeof payload, "{\"session_id\":\"%s\",\"hook_event_name\":"
                           "\"%s\",\"cwd\":\"%s\",\"n\":%ld", sid, type, cwd, i);
        if (pbytes > 0) {
            len += snprintf(payload + len, sizeof payload - (size_t)len,
                            ",\"tool_input\":{\"command\":\"pytest -q tests/test_%ld.py\","
                            "\"description\":\"Run the tests\"},\"tool_response\":{\"stdout\":\"", i);
            static const char line[] = "tests/test_api.py::test_case PASSED   [ 42%] \\\"ok\\\" "
                                       "\xc3\xa9t\xc3\xa9 \\n";
            while (len < pbytes && (size_t)len + sizeof line < sizeof payload - 64)
                len += snprintf(payload + len, sizeof payload - (size_t)len, "%s", line);
            len += snprintf(payload + len, sizeof payload - (size_t)len,
                            "\",\"stderr\":\"\",\"interrupted\":false}");
        }
        snprintf(payload + len, sizeof payload - (size_t)len, "}");
        sqlite3_reset(ev);
        sqlite3_bind_text(ev, 1, sid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ev, 2, type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 3, ts);
        if (tool) {
            sqlite3_bind_text(ev, 4, tool, -1, SQLITE_STATIC);
            sqlite3_bind_text(ev, 5, tuid, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_null(ev, 4);
            sqlite3_bind_null(ev, 5);
        }
        sqlite3_bind_text(ev, 6, cwd, -1, SQLITE_TRANSIENT);
        if (i % 6 == 1) sqlite3_bind_int64(ev, 7, 5 + (i * 7919) % 2000);
        else sqlite3_bind_null(ev, 7);
        sqlite3_bind_text(ev, 8, payload, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ev) != SQLITE_DONE) {
            fprintf(stderr, "server_seed: insert: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        if (i % 6 == 1 || i % 6 == 5) {
            sqlite3_reset(tc);
            sqlite3_bind_text(tc, 1, tuid, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(tc, 2, sid, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(tc, 3, tool, -1, SQLITE_STATIC);
            sqlite3_bind_int64(tc, 4, ts);
            sqlite3_bind_int64(tc, 5, 5 + (i * 7919) % 2000);
            sqlite3_bind_text(tc, 6, i % 6 == 5 ? "error" : "ok", -1, SQLITE_STATIC);
            if (sqlite3_step(tc) != SQLITE_DONE) {
                fprintf(stderr, "server_seed: tool_calls: %s\n", sqlite3_errmsg(db));
                return 1;
            }
        }
    }
    sqlite3_finalize(ev);
    sqlite3_finalize(tc);
    /* Sessions as the collector would maintain them, from the events. */
    if (exec(db, "INSERT OR REPLACE INTO sessions (session_id, first_seen_ns, last_seen_ns, cwd, "
                 "project, model, last_event_type, last_event_id, state, event_count, "
                 "tool_call_count, error_count, prompt_count) SELECT session_id, MIN(ts_ns), "
                 "MAX(ts_ns), MAX(cwd), MAX(cwd), 'claude-sonnet-4', 'Stop', MAX(id), "
                 "'working', COUNT(*), SUM(event_type = 'PreToolUse'), "
                 "SUM(event_type = 'PostToolUseFailure'), SUM(event_type = 'UserPromptSubmit') "
                 "FROM events GROUP BY session_id") ||
        exec(db, "INSERT OR REPLACE INTO collector_stats (name, label, value) SELECT "
                 "'events_committed_total', event_type, COUNT(*) FROM events GROUP BY event_type") ||
        /* Finished calls per 10 minutes, tool and duration bucket, as the
         * collector keeps them (schema 3). */
        exec(db, "INSERT OR REPLACE INTO tool_stats (bucket, tool_name, le, count, errors) SELECT "
                 "ended_ns / 600000000000, tool_name, coalesce(tool_hist_bucket(duration_ms), -1), "
                 "COUNT(*), SUM(status = 'error') FROM tool_calls WHERE ended_ns IS NOT NULL "
                 "AND tool_name IS NOT NULL GROUP BY 1, 2, 3") ||
        exec(db, "INSERT OR REPLACE INTO event_counts_10m (bucket, event_type, count) SELECT "
                 "ts_ns / 600000000000, event_type, COUNT(*) FROM events GROUP BY 1, 2") ||
        /* Per-10-second counts, as the collector keeps them (schema 3). */
        exec(db, "INSERT OR REPLACE INTO event_counts (bucket, event_type, count) SELECT "
                 "ts_ns / 10000000000, event_type, COUNT(*) FROM events GROUP BY 1, 2") ||
        exec(db, "COMMIT"))
        return 1;
    char hb[160];
    snprintf(hb, sizeof hb, "INSERT OR REPLACE INTO collector_stats VALUES "
             "('heartbeat_ns', '', %lld)", (long long)clock_wall_ns());
    if (exec(db, hb) || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
        return 1;
    sqlite3_close(db);
    return 0;
}
