/*
 * test_admin_export.c - `chronicle export` renderings against the real
 * schema (schema_migrate on a fresh database): NDJSON lines are valid JSON
 * with the payload embedded on one line, CSV follows RFC 4180, invalid
 * UTF-8 is repaired, raw payloads are base64; and the --since/--until
 * time forms.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chronicle/buf.h"
#include "chronicle/json_scan.h"
#include "chronicle/schema.h"
#include "../../admin/export_format.h"
#include "../../admin/time_arg.h"

static sqlite3 *make_db(struct check *c)
{
    sqlite3 *db = NULL;
    char err[256];
    CHECK_INT(c, sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_INT(c, schema_migrate(db, err, sizeof err), SQLITE_OK);
    /* A pretty-printed payload with a 30-digit number, a quote, a comma
     * and a newline escape; an invalid payload kept raw; a cwd that is not
     * UTF-8. */
    const char *sql =
        "INSERT INTO events (id, event_uid, session_id, event_type, ts_ns, stored_ns, tool_name,"
        " cwd, flags, payload, raw, payload_size, uid, pid) VALUES"
        " (1, x'00112233445566778899aabbccddeeff', 's1', 'PreToolUse', 1764219600123456789,"
        "  1764219600200000000, 'Bash', '/home/a \"b\", c', 0,"
        "  '{\n  \"n\": 123456789012345678901234567890,\n  \"s\": \"a \\\"q\\\", b\\nc\"\n}',"
        "  NULL, 64, 1000, 42),"
        " (2, x'ffeeddccbbaa99887766554433221100', 's1', 'Stop', 1764219601000000000,"
        "  1764219601000000001, NULL, CAST(x'2f746d702fff' AS TEXT), 2, NULL, x'00ff7b', 3,"
        "  NULL, NULL)";
    CHECK_INT(c, sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static sqlite3_stmt *select_all(sqlite3 *db)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM events ORDER BY id", export_select_list());
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    return st;
}

static void ndjson_rows(struct check *c)
{
    sqlite3 *db = make_db(c);
    sqlite3_stmt *st = select_all(db);
    CHECK(c, st != NULL);
    struct buf out = BUF_INIT;
    while (st && sqlite3_step(st) == SQLITE_ROW)
        CHECK_INT(c, export_ndjson_row(st, &out), 0);
    CHECK_INT(c, buf_append(&out, "", 1), 0);
    char *line2 = strchr(out.data, '\n');
    CHECK(c, line2 != NULL && strchr(line2 + 1, '\n') == line2 + 1 + strlen(line2 + 1) - 1);
    json_error_t je;
    /* Strictly valid JSON, 30-digit number included (json_scan), then read
     * with jansson, which holds such a number only as a real. */
    CHECK_INT(c, json_walk(out.data, (size_t)(line2 - out.data), NULL, NULL, NULL), JSON_OK);
    json_t *a = json_loadb(out.data, (size_t)(line2 - out.data), JSON_DECODE_INT_AS_REAL, &je);
    json_t *b = json_loads(line2 + 1, 0, &je);
    CHECK(c, a != NULL && b != NULL);
    CHECK_STR(c, json_string_value(json_object_get(a, "event_uid")), "00112233445566778899aabbccddeeff");
    CHECK_STR(c, json_string_value(json_object_get(a, "time")), "2025-11-27T05:00:00.123456789Z");
    CHECK(c, strstr(out.data, ",\"ts_ns\":1764219600123456789,") != NULL);
    CHECK_STR(c, json_string_value(json_object_get(a, "cwd")), "/home/a \"b\", c");
    CHECK_STR(c, json_string_value(json_object_get(json_object_get(a, "payload"), "s")), "a \"q\", b\nc");
    /* The big number keeps its digits: the payload is spliced, not re-encoded. */
    CHECK(c, strstr(out.data, "\"n\":123456789012345678901234567890") != NULL);
    CHECK(c, json_is_null(json_object_get(a, "raw_base64")));
    CHECK(c, json_is_null(json_object_get(b, "payload")));
    CHECK_STR(c, json_string_value(json_object_get(b, "raw_base64")), "AP97");
    CHECK_STR(c, json_string_value(json_object_get(b, "cwd")), "/tmp/\xEF\xBF\xBD");
    CHECK(c, json_is_null(json_object_get(b, "tool_name")));
    json_decref(a);
    json_decref(b);
    buf_free(&out);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void csv_rows(struct check *c)
{
    sqlite3 *db = make_db(c);
    sqlite3_stmt *st = select_all(db);
    struct buf out = BUF_INIT;
    CHECK_INT(c, export_csv_header(&out), 0);
    while (st && sqlite3_step(st) == SQLITE_ROW)
        CHECK_INT(c, export_csv_row(st, &out), 0);
    CHECK_INT(c, buf_append(&out, "", 1), 0);
    CHECK_INT(c, strncmp(out.data, "id,event_uid,session_id,event_type,time,", 40), 0);
    CHECK(c, strstr(out.data, "\r\n1,00112233445566778899aabbccddeeff,\"s1\",\"PreToolUse\","
                              "2025-11-27T05:00:00.123456789Z,1764219600123456789,") != NULL);
    CHECK(c, strstr(out.data, ",\"/home/a \"\"b\"\", c\",") != NULL);
    /* The payload's own newlines stay inside its quoted field. */
    CHECK(c, strstr(out.data, "\"{\n  \"\"n\"\": 123456789012345678901234567890,") != NULL);
    CHECK(c, strstr(out.data, ",,,AP97\r\n") != NULL);   /* NULL payload, raw as base64 */
    size_t n = strlen(out.data);
    CHECK(c, n > 2 && strcmp(out.data + n - 2, "\r\n") == 0);
    buf_free(&out);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void utf8_repair(struct check *c)
{
    static const struct { const char *in, *want; } cases[] = {
        {"plain", "plain"},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
        {"a\xFF" "b", "a\xEF\xBF\xBD" "b"},
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},            /* overlong */
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
        {"\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"},             /* truncated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = BUF_INIT;
        CHECK_INT(c, export_utf8_repair(&b, (const unsigned char *)cases[i].in, strlen(cases[i].in)), 0);
        CHECK_INT(c, buf_append(&b, "", 1), 0);
        CHECK_STR(c, b.data, cases[i].want);
        buf_free(&b);
    }
}

static void time_forms(struct check *c)
{
    const int64_t now = 1764219600LL * 1000000000LL; /* 2025-11-27T05:00:00Z */
    int64_t t;
    CHECK(c, time_arg_parse("2025-11-27T05:00:00Z", now, &t) == 0 && t == now);
    CHECK(c, time_arg_parse("2025-11-27T07:00:00+02:00", now, &t) == 0 && t == now);
    CHECK(c, time_arg_parse("2025-11-27T04:30:00-00:30", now, &t) == 0 && t == now);
    CHECK(c, time_arg_parse("2025-11-27T05:00:00.5Z", now, &t) == 0 && t == now + 500000000);
    CHECK(c, time_arg_parse("1970-01-01T00:00:00Z", now, &t) == 0 && t == 0);
    CHECK(c, time_arg_parse("2000-02-29T00:00:00Z", now, &t) == 0 && t == 951782400LL * 1000000000LL);
    CHECK(c, time_arg_parse("24h", now, &t) == 0 && t == now - 86400LL * 1000000000LL);
    CHECK(c, time_arg_parse("90m", now, &t) == 0 && t == now - 5400LL * 1000000000LL);
    CHECK(c, time_arg_parse("7d", now, &t) == 0 && t == now - 7 * 86400LL * 1000000000LL);
    CHECK(c, time_arg_parse("@1764219600", now, &t) == 0 && t == now);
    setenv("TZ", "UTC", 1);
    CHECK(c, time_arg_parse("2025-11-27", now, &t) == 0 && t == now - 5 * 3600LL * 1000000000LL);
    CHECK(c, time_arg_parse("2025-11-27 05:00", now, &t) == 0 && t == now);
    static const char *const bad[] = {
        "", "yesterday", "2025-13-01", "2025-11-27T25:00Z", "2025-11-27T05:00:00+2", "24", "h",
        "-5h", "2025-11-27X", "2025-11-27T05:00:00Zjunk", "@", "@-1", "@99999999999999999",
        "2999-01-01", "1969-12-31", "25-11-27",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = time_arg_parse(bad[i], now, &t);
        CHECK_INT(c, rc, -1);
        if (rc != -1)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

CHECK_MAIN(CASE(ndjson_rows), CASE(csv_rows), CASE(utf8_repair), CASE(time_forms))
