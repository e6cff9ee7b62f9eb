/* test_ship_rows - chronicle-ship's pure parts: what jsonb accepts, UTF-8
 * for text columns, binary array parameters, the batch cut rule for tool
 * calls, payload placement, the lag histogram, and the duration buckets the
 * team schema hard-codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chronicle/tool_hist.h"
#include "jsonb_check.h"
#include "lag_hist.h"
#include "pg_array.h"
#include "pg_schema.h"
#include "ship_row.h"

static enum jsonb_verdict v(const char *s) { return jsonb_check(s, strlen(s)); }

static void jsonb_verdicts(struct check *c)
{
    CHECK_INT(c, v("{\"a\":1,\"b\":[true,null,\"x\"]}"), JSONB_OK);
    CHECK_INT(c, v("{\"n\":1180591620717411303424}"), JSONB_OK); /* beyond 64 bits: numeric */
    CHECK_INT(c, v("{\"s\":\"\\ud83d\\ude00 \\u00e9\"}"), JSONB_OK); /* a surrogate pair */
    CHECK_INT(c, v("{\"s\":\"\\u0000\"}"), JSONB_REFUSED);
    CHECK_INT(c, v("{\"\\u0000\":1}"), JSONB_REFUSED); /* in a key too */
    CHECK_INT(c, v("[\"\\ud800\"]"), JSONB_REFUSED);   /* high surrogate alone */
    CHECK_INT(c, v("[\"\\ud800\\u0041\"]"), JSONB_REFUSED);
    CHECK_INT(c, v("[\"\\udc00\"]"), JSONB_REFUSED);   /* low surrogate alone */
    CHECK_INT(c, v("[1e999999]"), JSONB_REFUSED);
    CHECK_INT(c, v("[1e-999999]"), JSONB_REFUSED);
    CHECK_INT(c, v("[1.5e300]"), JSONB_OK);
    CHECK_INT(c, v("not json"), JSONB_NOT_JSON);
    char deep[2 * (JSONB_MAX_DEPTH + 10) + 1];
    size_t n = JSONB_MAX_DEPTH + 10;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    CHECK_INT(c, v(deep), JSONB_REFUSED);
}

static void utf8_for_text(struct check *c)
{
    CHECK(c, utf8_text_valid("plain \xc3\xa9 \xf0\x9f\x98\x80", 13));
    CHECK(c, !utf8_text_valid("a\0b", 3));
    CHECK(c, !utf8_text_valid("\xc0\xaf", 2));          /* overlong */
    CHECK(c, !utf8_text_valid("\xed\xa0\x80", 3));      /* encoded surrogate */
    CHECK(c, !utf8_text_valid("\xf4\x90\x80\x80", 4));  /* above U+10FFFF */
    CHECK(c, !utf8_text_valid("\xe2\x82", 2));          /* cut short */
}

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* array_recv()'s layout: ndim, has-null, element oid, dim, lower bound,
 * then length-prefixed elements. */
static void array_layout(struct check *c)
{
    struct pg_array a = {.b = BUF_INIT};
    pg_array_reset(&a, PG_OID_TEXT);
    pg_array_add_text(&a, "ab");
    pg_array_add_text(&a, NULL);
    CHECK_INT(c, pg_array_finish(&a), 0);
    CHECK_INT(c, a.b.len, 20 + 4 + 2 + 4);
    CHECK_INT(c, be32(a.b.data), 1);
    CHECK_INT(c, be32(a.b.data + 4), 1);
    CHECK_INT(c, be32(a.b.data + 8), PG_OID_TEXT);
    CHECK_INT(c, be32(a.b.data + 12), 2);
    CHECK_INT(c, be32(a.b.data + 16), 1);
    CHECK_INT(c, be32(a.b.data + 20), 2);
    CHECK(c, memcmp(a.b.data + 24, "ab", 2) == 0);
    CHECK_INT(c, be32(a.b.data + 26), 0xffffffffu);
    pg_array_reset(&a, PG_OID_INT8);
    pg_array_add_i64(&a, -2);
    pg_array_add_opt_i64(&a, -1);
    CHECK_INT(c, pg_array_finish(&a), 0);
    CHECK_INT(c, be32(a.b.data + 4), 1); /* has a NULL */
    CHECK_INT(c, be32(a.b.data + 20), 8);
    CHECK_INT(c, be32(a.b.data + 24), 0xffffffffu);
    CHECK_INT(c, be32(a.b.data + 28), 0xfffffffeu);
    pg_array_free(&a);
}

static int add(struct ship_batch *b, int64_t id, const char *type, const char *tool_use_id,
               const char *payload)
{
    struct local_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = id;
    ev.event_uid = "0123456789abcdef";
    ev.event_uid_len = 16;
    ev.col[SC_EVENT_TYPE] = type;
    ev.col[SC_TOOL_USE_ID] = tool_use_id;
    ev.col[SC_HOST] = "h\xff" "st"; /* not UTF-8 */
    ev.payload = payload;
    ev.payload_len = payload ? strlen(payload) : 0;
    ev.duration_ms = ev.uid = ev.pid = ev.ppid = ev.claude_pid = -1;
    return ship_batch_add(b, &ev);
}

/* One Pre and one Post of a call per batch, Pre first; anything else
 * starts the next batch. */
static void tool_cut_rule(struct check *c)
{
    struct ship_batch b = {0};
    CHECK_INT(c, add(&b, 1, "PreToolUse", "t1", "{}"), 0);
    CHECK_INT(c, add(&b, 2, "PostToolUse", "t1", "{}"), 0);
    CHECK_INT(c, add(&b, 3, "PreToolUse", "t2", "{}"), 0);
    CHECK_INT(c, add(&b, 4, "Stop", NULL, "{}"), 0);
    CHECK_INT(c, add(&b, 5, "PreToolUse", "t1", "{}"), 1);  /* a second Pre of t1 */
    CHECK_INT(c, add(&b, 5, "PostToolUse", "t1", "{}"), 1); /* a second Post of t1 */
    CHECK_INT(c, add(&b, 5, "PostToolUse", "t3", "{}"), 0);
    CHECK_INT(c, add(&b, 6, "PreToolUse", "t3", "{}"), 1);  /* Pre after its Post */
    CHECK_INT(c, b.n, 5);
    CHECK_INT(c, b.rows[0].tool_phase, TOOL_PRE);
    CHECK_INT(c, b.rows[1].tool_phase, TOOL_POST);
    CHECK_STR(c, b.rows[1].tool_status, "ok");
    CHECK_STR(c, b.rows[3].state, "awaiting_input");
    ship_batch_reset(&b);
    CHECK_INT(c, add(&b, 5, "PreToolUse", "t1", "{}"), 0);  /* fine in a new batch */
    for (int i = 0; i < 3000; i++) { /* the table grows */
        char id[16];
        snprintf(id, sizeof id, "g%d", i);
        CHECK_INT(c, add(&b, 10 + i, "PreToolUse", id, "{}"), 0);
    }
    CHECK_INT(c, add(&b, 9999, "PreToolUse", "g1234", "{}"), 1);
    ship_batch_free(&b);
}

static void payload_placement(struct check *c)
{
    struct ship_batch b = {0};
    size_t len;
    CHECK_INT(c, add(&b, 1, "SessionEnd", NULL, "{\"reason\":\"logout\",\"model\":\"m\"}"), 0);
    CHECK_INT(c, add(&b, 2, "Stop", NULL, "{\"x\":\"\\u0000\"}"), 0);
    CHECK_INT(c, add(&b, 3, "Stop", NULL, NULL), 0); /* invalid: raw bytes, none here */
    CHECK(c, ship_row_col(&b, &b.rows[0], SC_PAYLOAD, &len) != NULL);
    CHECK_STR(c, ship_row_col(&b, &b.rows[0], SC_END_REASON, &len), "logout");
    CHECK_STR(c, ship_row_col(&b, &b.rows[0], SC_MODEL, &len), "m");
    CHECK_STR(c, b.rows[0].state, "ended");
    CHECK(c, ship_row_col(&b, &b.rows[1], SC_PAYLOAD, &len) == NULL);
    CHECK_STR(c, ship_row_col(&b, &b.rows[1], SC_PAYLOAD_TEXT, &len), "{\"x\":\"\\u0000\"}");
    CHECK_INT(c, b.payload_text, 1);
    CHECK_STR(c, ship_row_col(&b, &b.rows[0], SC_HOST, &len), "h\xef\xbf\xbdst");
    ship_batch_free(&b);
}

static void lag_quantiles(struct check *c)
{
    struct lag_hist h;
    memset(&h, 0, sizeof h);
    CHECK_INT(c, lag_hist_quantile(&h, 0.5), 0);
    for (int i = 1; i <= 1000; i++)
        lag_hist_add(&h, i * 1000); /* 1 ms .. 1 s */
    int64_t p50 = lag_hist_quantile(&h, 0.5), p99 = lag_hist_quantile(&h, 0.99);
    CHECK(c, p50 >= 500000 && p50 <= 500000 * 1.13);
    CHECK(c, p99 >= 990000 && p99 <= 990000 * 1.13);
    lag_hist_add(&h, -5); /* a clock step: counted as 0 */
    CHECK_INT(c, h.n, 1001);
}

/* The team schema's tool_stats buckets are those of chronicle/tool_hist.h. */
static void tool_hist_bounds_match(struct check *c)
{
    char want[1024] = "";
    size_t o = 0;
    for (int i = 0; i < TOOL_HIST_BUCKETS; i++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%lld", i ? "," : "",
                              (long long)tool_hist_bounds_ms[i]);
    CHECK_STR(c, pg_schema_tool_hist_sql(), want);
}

static void machine_role_names(struct check *c)
{
    char r[64];
    pg_schema_machine_role("Alice-Laptop.local", r);
    CHECK_STR(c, r, "chronicle_ship_alice_laptop_local");
    pg_schema_machine_role("a\"; DROP TABLE x; --", r);
    CHECK_STR(c, r, "chronicle_ship_a___drop_table_x____");
    char longhost[200];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    pg_schema_machine_role(longhost, r);
    CHECK_INT(c, strlen(r), 63);
}

CHECK_MAIN(CASE(jsonb_verdicts), CASE(utf8_for_text), CASE(array_layout), CASE(tool_cut_rule),
           CASE(payload_placement), CASE(lag_quantiles), CASE(tool_hist_bounds_match),
           CASE(machine_role_names))
