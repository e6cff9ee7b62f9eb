/*
 * test_server_team_rows.c - the team server's rows: the same values from
 * SQLite and from a PostgreSQL result (built with libpq's PQsetvalue, no
 * server needed) give byte for byte the same event and session JSON; and
 * --database is validated before anything connects.
 */
#include <string.h>

#include "check.h"
#include "pg_db.h"
#include "row_json.h"
#include "team.h"

/* One event's columns (EVENT_COLUMNS_FULL order), as text; NULL = NULL.
 * The uid is hex (TEAM_EVENT_COLUMNS gives it so). */
static const char *const ev[] = {
    "42", "00112233445566778899aabbccddeeff", "sess-1", "PreToolUse", "1764651115123456789",
    "1764651115123999999", "Bash", "tu-1", NULL, NULL, "p-1", "/work/x", "12", "5", "77",
    "{\"tool_input\":{\"command\":\"ls \\u00e9\"},\"n\":[1,2.5,true,null]}", NULL, "box", "1000",
    "4242", "1", NULL, "/work/x",
};
#define NEV (int)(sizeof ev / sizeof ev[0])

static PGresult *pg_result(const char *const *vals, int n)
{
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc att[64];
    memset(att, 0, sizeof att);
    for (int i = 0; i < n; i++)
        att[i].name = (char *)"c";
    if (r == NULL || !PQsetResultAttrs(r, n, att))
        return NULL;
    for (int i = 0; i < n; i++)
        if (!PQsetvalue(r, 0, i, (char *)vals[i], vals[i] ? (int)strlen(vals[i]) : -1))
            return NULL;
    return r;
}

/* The same row from SQLite: each value bound as SQLite stores it. */
static sqlite3_stmt *sqlite_row(sqlite3 *db, const char *const *vals, int n, const int *is_int,
                                int blob_col)
{
    char sql[1024] = "SELECT ";
    for (int i = 0; i < n; i++)
        strcat(sql, i ? ", ?" : "?");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (vals[i] == NULL)
            sqlite3_bind_null(st, i + 1);
        else if (i == blob_col) {
            unsigned char b[16];
            for (int k = 0; k < 16; k++) {
                unsigned v;
                sscanf(vals[i] + 2 * k, "%2x", &v);
                b[k] = (unsigned char)v;
            }
            sqlite3_bind_blob(st, i + 1, b, 16, SQLITE_TRANSIENT);
        } else if (is_int[i])
            sqlite3_bind_int64(st, i + 1, strtoll(vals[i], NULL, 10));
        else
            sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
    }
    return sqlite3_step(st) == SQLITE_ROW ? st : NULL;
}

static void event_same_bytes(struct check *c)
{
    static const int is_int[NEV] = {1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0};
    sqlite3 *db;
    CHECK_INT(c, sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_stmt *st = sqlite_row(db, ev, NEV, is_int, 1);
    PGresult *r = pg_result(ev, NEV);
    CHECK(c, st != NULL && r != NULL);
    if (st == NULL || r == NULL)
        return;
    for (int full = 0; full <= 1; full++) {
        struct buf a = BUF_INIT, b = BUF_INIT;
        struct row_src src;
        row_src_pg(&src, r, 0);
        CHECK_INT(c, event_text(&a, st, full), 0);
        CHECK_INT(c, event_text_src(&b, &src, full), 0);
        CHECK_STR(c, b.data, a.data);
        /* and the jansson form of the same row */
        json_t *ja = event_json(st, full), *jb = event_json_src(&src, full);
        char *ta = json_dumps(ja, JSON_COMPACT), *tb = json_dumps(jb, JSON_COMPACT);
        CHECK_STR(c, tb, ta);
        free(ta);
        free(tb);
        json_decref(ja);
        json_decref(jb);
        buf_free(&a);
        buf_free(&b);
    }
    sqlite3_finalize(st);
    PQclear(r);
    sqlite3_close(db);
}

static void event_extra_fields(struct check *c)
{
    const char *vals[NEV + 4];
    memcpy(vals, ev, sizeof ev);
    vals[NEV] = "0d9c8b7a-0000-4000-8000-000000000001";
    vals[NEV + 1] = "7";
    vals[NEV + 2] = "box";
    vals[NEV + 3] = "ann";
    PGresult *r = pg_result(vals, NEV + 4);
    CHECK(c, r != NULL);
    if (r == NULL)
        return;
    struct buf b = BUF_INIT;
    struct row_src src;
    row_src_pg(&src, r, 0);
    CHECK_INT(c, event_text_src(&b, &src, 1), 0);
    CHECK_INT(c, team_event_extra_text(&b, r, 0, NEV, 1), 0);
    const char *tail = ",\"machine_id\":\"0d9c8b7a-0000-4000-8000-000000000001\",\"local_id\":7,"
                       "\"user\":\"ann\"}";
    CHECK(c, b.len > strlen(tail) && strcmp(b.data + b.len - strlen(tail), tail) == 0);
    json_error_t e;
    json_t *parsed = json_loads(b.data, 0, &e);
    CHECK(c, parsed != NULL); /* still one valid object */
    json_decref(parsed);
    buf_free(&b);
    PQclear(r);
}

static void session_same_json(struct check *c)
{
    /* SESSION_COLUMNS: 25 columns; claude_pid NULL (no process check). */
    static const char *const sv[] = {
        "s-1", "1764651000000000000", "1764651115000000000", "/w", "/w", "claude-opus-4-5",
        "startup", "default", "/t.jsonl", NULL, NULL, "Stop", "42", "awaiting_input", NULL, "10",
        "3", "1", "2", "0", "permission", "1764651110000000000",
        "{\"tool_name\":\"Bash\",\"tool_input\":\"rm -rf x\"}", "A title", "claude",
    };
    static const int is_int[25] = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1,
                                   0, 1, 0, 0, 0};
    sqlite3 *db;
    CHECK_INT(c, sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_stmt *st = sqlite_row(db, sv, 25, is_int, -1);
    PGresult *r = pg_result(sv, 25);
    CHECK(c, st != NULL && r != NULL);
    if (st == NULL || r == NULL)
        return;
    struct row_src src;
    row_src_pg(&src, r, 0);
    int64_t now = 1764651116000000000LL, idle = 600LL * 1000000000LL;
    json_t *ja = session_json(st, now, idle), *jb = session_json_src(&src, now, idle, 0);
    char *ta = json_dumps(ja, JSON_COMPACT), *tb = json_dumps(jb, JSON_COMPACT);
    CHECK_STR(c, tb, ta);
    free(ta);
    free(tb);
    json_decref(ja);
    json_decref(jb);
    sqlite3_finalize(st);
    PQclear(r);
    sqlite3_close(db);
}

static void database_validated(struct check *c)
{
    struct pg_db d;
    char err[600];
    CHECK_INT(c, pg_db_init(&d, NULL, "postgresql://team@db.example/chronicle?sslmode=verify-full",
                            err, sizeof err), 0);
    CHECK(c, strstr(d.summary, "host=db.example") != NULL);
    CHECK(c, strstr(d.summary, "sslmode=verify-full") != NULL);
    CHECK_INT(c, pg_db_init(&d, NULL, "host=/tmp dbname=x user=r", err, sizeof err), 0);
    CHECK_INT(c, pg_db_init(&d, NULL, "/home/me/chronicle.db", err, sizeof err), -1);
    CHECK(c, strstr(err, "postgresql:// URI") != NULL);
    CHECK_INT(c, pg_db_init(&d, NULL, "mysql://x/y", err, sizeof err), -1);
    CHECK_INT(c, pg_db_init(&d, NULL, "postgresql://u:hunter2@h/db", err, sizeof err), -1);
    CHECK(c, strstr(err, "password") != NULL && strstr(err, "hunter2") == NULL);
    CHECK_INT(c, pg_db_init(&d, NULL, "host=h password=hunter2", err, sizeof err), -1);
    CHECK(c, strstr(err, "hunter2") == NULL);
    CHECK_INT(c, pg_db_init(&d, NULL, "host=h nosuchoption=1", err, sizeof err), -1);
    CHECK(c, strstr(err, "does not parse") != NULL);
    CHECK_INT(c, pg_db_init(&d, NULL, "postgresql://h/db?nosuch=1", err, sizeof err), -1);
}

CHECK_MAIN(CASE(event_same_bytes), CASE(event_extra_fields), CASE(session_same_json),
           CASE(database_validated))
