/* test_server_rows.c - event/session JSON shapes, derived status and the SQL
 * builder, against a real database migrated with the collector's schema. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "check.h"
#include "chronicle/schema.h"
#include "../../server/row_json.h"
#include "../../server/sql_build.h"

static sqlite3 *open_db(struct check *c)
{
    sqlite3 *db;
    char err[256];
    CHECK_INT(c, sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_INT(c, schema_migrate(db, err, sizeof err), SQLITE_OK);
    CHECK(c, sqlite3_exec(db,
        "INSERT INTO events (id, event_uid, session_id, event_type, ts_ns, stored_ns, tool_name, "
        "flags, payload, raw, payload_size) VALUES "
        "(7, x'00112233445566778899aabbccddeeff', 's1', 'PreToolUse', 1732680000123456789, "
        " 1732680000200000000, 'Bash', 5, '{\"a\":[1,2],\"big\":123456789012345678901234567890}', NULL, 60),"
        "(8, x'ff112233445566778899aabbccddeeff', 's1', 'Stop', 1000000, 2000000, NULL, 2, NULL, "
        " x'00ff', 2);"
        "INSERT INTO sessions (session_id, first_seen_ns, last_seen_ns, state, event_count) VALUES "
        "('s1', 1, 2, 'awaiting_input', 2);", NULL, NULL, NULL) == SQLITE_OK);
    return db;
}

static void iso_times(struct check *c)
{
    char out[32];
    iso8601_ms(0, out);
    CHECK_STR(c, out, "1970-01-01T00:00:00.000Z");
    iso8601_ms(1732680000123456789LL, out);
    CHECK_STR(c, out, "2024-11-27T04:00:00.123Z");
    iso8601_ms(-1, out);
    CHECK_STR(c, out, "1969-12-31T23:59:59.999Z");
    iso8601_ms(951782400000000000LL, out); /* a leap day */
    CHECK_STR(c, out, "2000-02-29T00:00:00.000Z");
    iso8601_ms(4102444799999000000LL, out);
    CHECK_STR(c, out, "2099-12-31T23:59:59.999Z");
}

static void event_shape(struct check *c)
{
    sqlite3 *db = open_db(c);
    sqlite3_stmt *st;
    CHECK(c, sqlite3_prepare_v2(db, "SELECT " EVENT_COLUMNS_FULL " FROM events ORDER BY id", -1,
                                &st, NULL) == SQLITE_OK);
    CHECK_INT(c, sqlite3_step(st), SQLITE_ROW);
    json_t *e = event_json(st, 1);
    CHECK(c, e != NULL);
    CHECK_INT(c, json_integer_value(json_object_get(e, "id")), 7);
    CHECK_STR(c, json_string_value(json_object_get(e, "uid")), "00112233445566778899aabbccddeeff");
    CHECK_STR(c, json_string_value(json_object_get(e, "type")), "PreToolUse");
    CHECK_STR(c, json_string_value(json_object_get(e, "ts")), "2024-11-27T04:00:00.123Z");
    CHECK_INT(c, json_integer_value(json_object_get(e, "ts_ms")), 1732680000123LL);
    json_t *fl = json_object_get(e, "flags");
    CHECK(c, json_is_true(json_object_get(fl, "truncated")) &&
                 json_is_false(json_object_get(fl, "invalid")) &&
                 json_is_true(json_object_get(fl, "redacted")));
    /* A 100-bit integer is valid JSON that jansson cannot hold: served as text. */
    json_t *p = json_object_get(e, "payload");
    CHECK(c, json_is_object(p) && json_is_string(json_object_get(p, "unparsed_text")));
    json_decref(e);
    CHECK_INT(c, sqlite3_step(st), SQLITE_ROW);
    e = event_json(st, 1);
    CHECK(c, json_is_null(json_object_get(e, "payload")));
    CHECK_INT(c, json_integer_value(json_object_get(e, "raw_size")), 2);
    CHECK(c, json_is_null(json_object_get(e, "tool_name")));
    json_decref(e);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void session_shape(struct check *c)
{
    sqlite3 *db = open_db(c);
    sqlite3_stmt *st;
    CHECK(c, sqlite3_prepare_v2(db, "SELECT " SESSION_COLUMNS " FROM sessions", -1, &st, NULL) ==
                 SQLITE_OK);
    CHECK_INT(c, sqlite3_step(st), SQLITE_ROW);
    json_t *s = session_json(st, 3, 1000);
    CHECK_STR(c, json_string_value(json_object_get(s, "status")), "awaiting_input");
    CHECK_INT(c, json_integer_value(json_object_get(json_object_get(s, "counts"), "events")), 2);
    json_decref(s);
    /* A person's wait never decays to idle (issue 11). */
    s = session_json(st, 5000, 1000);
    CHECK_STR(c, json_string_value(json_object_get(s, "status")), "awaiting_input");
    CHECK_STR(c, json_string_value(json_object_get(s, "state")), "awaiting_input");
    json_decref(s);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK_STR(c, session_state_shown("ended", 0, 10, 1), "ended");
    CHECK_STR(c, session_state_shown("working", 9, 10, 5), "working");
    CHECK_STR(c, session_state_shown("working", 0, 10, 5), "idle");
    CHECK_STR(c, session_state_shown("awaiting_input", 0, 10, 5), "awaiting_input");
    CHECK_STR(c, session_state_shown("failed", 0, 10, 5), "failed");
    CHECK_STR(c, session_status("working"), "active");
    CHECK_STR(c, session_status("failed"), "awaiting_input");
    CHECK_STR(c, session_status("idle"), "idle");
}

static void sql_builder_binds(struct check *c)
{
    sqlite3 *db = open_db(c);
    struct sqlb sb;
    sqlb_init(&sb);
    const char *types[] = {"Stop", "x' OR '1'='1"};
    sqlb_sql(&sb, "SELECT COUNT(*) FROM events WHERE ");
    sqlb_in(&sb, "event_type", types, 2);
    sqlb_sql(&sb, " AND id > ");
    sqlb_int(&sb, 0);
    sqlite3_stmt *st;
    CHECK_INT(c, sqlb_prepare(&sb, db, &st), SQLITE_OK);
    CHECK_INT(c, strstr(sb.sql.data, "OR '1'"), NULL); /* values never reach the text */
    CHECK(c, sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
    sqlite3_finalize(st);
    sqlb_free(&sb);
    sqlite3_close(db);
}

/* event_text() writes what json_dumps(event_json()) writes, byte for byte,
 * for every row whose payload jansson can hold; a payload it cannot hold
 * (the 100-bit integer) is spliced exactly as stored. */
static void event_text_matches_json(struct check *c)
{
    sqlite3 *db = open_db(c);
    CHECK(c, sqlite3_exec(db,
        "INSERT INTO events (id, event_uid, session_id, event_type, ts_ns, stored_ns, cwd, "
        "duration_ms, flags, payload, payload_size) VALUES "
        "(9, x'01', 'quote\"back\\slash\x01\ttab', 'PostToolUse', -5, 4102444800000000000, "
        " 'caf\xc3\xa9 \xe2\x82\xac/', -42, 0, '  {\"k\": [true, null, -1.5e3, \"\\u0000\"]}\n', 7)",
        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    for (int full = 0; full <= 1; full++) {
        CHECK(c, sqlite3_prepare_v2(db, full ? "SELECT " EVENT_COLUMNS_FULL " FROM events ORDER BY id"
                                             : "SELECT " EVENT_COLUMNS " FROM events ORDER BY id",
                                    -1, &st, NULL) == SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            struct buf b = BUF_INIT;
            CHECK_INT(c, event_text(&b, st, full), 0);
            json_t *e = event_json(st, full);
            char *want = json_dumps(e, JSON_COMPACT);
            if (full && id == 7) {
                /* The stored text, not jansson's fallback wrapper. */
                CHECK(c, b.data && strstr(b.data, "\"payload\":{\"a\":[1,2],\"big\":"
                                                  "123456789012345678901234567890}") != NULL);
            } else if (full && id == 9) {
                CHECK(c, b.data && strstr(b.data, "\"payload\":{\"k\": [true, null, -1.5e3, "
                                                  "\"\\u0000\"]},\"raw_size\"") != NULL);
            } else if (want == NULL || b.data == NULL || b.len != strlen(want) ||
                       memcmp(b.data, want, b.len) != 0) {
                fprintf(stderr, "  row %lld full=%d\n  text: %.*s\n  json: %s\n", (long long)id,
                        full, (int)b.len, b.data ? b.data : "", want ? want : "(null)");
                c->failures++;
            }
            free(want);
            json_decref(e);
            buf_free(&b);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

CHECK_MAIN(CASE(iso_times), CASE(event_shape), CASE(session_shape), CASE(sql_builder_binds),
           CASE(event_text_matches_json))
