/*
 * Unit tests: what a notification says (collector/alert_payload.c): the
 * format picked by URL shape, the JSON schema, Slack's escaping, Discord's
 * suppressed mentions, ntfy's headers, the summary line and the link.
 */
#include <jansson.h>
#include <stdlib.h>

#include "alert_payload.h"
#include "check.h"

static struct alert_view sample(void)
{
    struct alert_view a = {
        .id = 7, .rule = "awaiting", .session_id = "ab cd/1", .title = "Fix the <b>build</b>",
        .project = "shop", .machine = "vm", .reason = "permission",
        .detail = "{\"tool_name\":\"Bash\",\"tool_input\":\"rm -rf build\\n@everyone\"}",
        .kind = "fired", .fired_ns = 1796187400067000000LL, .resolved_ns = 0,
        .dashboard = "http://127.0.0.1:8510/"};
    return a;
}

static void test_format_by_url(struct check *c)
{
    CHECK_INT(c, alert_format_for("https://hooks.slack.com/services/T/B/X", "auto"), ALERT_FORMAT_SLACK);
    CHECK_INT(c, alert_format_for("https://discord.com/api/webhooks/1/x", NULL), ALERT_FORMAT_DISCORD);
    CHECK_INT(c, alert_format_for("https://discordapp.com/api/webhooks/1/x", "auto"), ALERT_FORMAT_DISCORD);
    CHECK_INT(c, alert_format_for("https://discord.com/other", "auto"), ALERT_FORMAT_JSON);
    CHECK_INT(c, alert_format_for("https://ntfy.sh/my-topic", "auto"), ALERT_FORMAT_NTFY);
    CHECK_INT(c, alert_format_for("http://127.0.0.1:9/x", "auto"), ALERT_FORMAT_JSON);
    CHECK_INT(c, alert_format_for("http://127.0.0.1:9/x", "ntfy"), ALERT_FORMAT_NTFY);
    CHECK_INT(c, alert_format_for("https://hooks.slack.com/x", "json"), ALERT_FORMAT_JSON);
}

static void test_json_schema(struct check *c)
{
    struct alert_view a = sample();
    struct alert_body b;
    CHECK_INT(c, alert_payload_build(&a, ALERT_FORMAT_JSON, &b), 0);
    CHECK_STR(c, b.content_type, "application/json");
    json_t *o = json_loads(b.body, 0, NULL);
    CHECK(c, o != NULL);
    CHECK_STR(c, json_string_value(json_object_get(o, "schema")), "chronicle.alert/1");
    CHECK_STR(c, json_string_value(json_object_get(o, "event")), "fired");
    CHECK_INT(c, json_integer_value(json_object_get(o, "id")), 7);
    CHECK_STR(c, json_string_value(json_object_get(o, "rule")), "awaiting");
    CHECK_STR(c, json_string_value(json_object_get(o, "session_id")), "ab cd/1");
    CHECK_STR(c, json_string_value(json_object_get(o, "project")), "shop");
    CHECK_STR(c, json_string_value(json_object_get(o, "machine")), "vm");
    CHECK_STR(c, json_string_value(json_object_get(o, "reason")), "permission");
    CHECK_STR(c, json_string_value(json_object_get(json_object_get(o, "detail"), "tool_name")), "Bash");
    CHECK_STR(c, json_string_value(json_object_get(o, "link")), "http://127.0.0.1:8510/?open=ab%20cd%2F1");
    CHECK_STR(c, json_string_value(json_object_get(o, "time")), "2026-12-02T04:56:40.067Z");
    CHECK_INT(c, json_integer_value(json_object_get(o, "time_ms")), 1796187400067LL);
    CHECK(c, json_is_null(json_object_get(o, "resolved")));
    /* The summary is one line: a newline in the tool input is not a new line. */
    const char *s = json_string_value(json_object_get(o, "summary"));
    CHECK(c, s && strchr(s, '\n') == NULL);
    CHECK(c, s && strstr(s, "needs you: permission for Bash: rm -rf build @everyone") != NULL);
    json_decref(o);
    free(b.body);

    a.kind = "resolved";
    a.resolved_ns = 1796187500000000000LL;
    CHECK_INT(c, alert_payload_build(&a, ALERT_FORMAT_JSON, &b), 0);
    o = json_loads(b.body, 0, NULL);
    CHECK_STR(c, json_string_value(json_object_get(o, "event")), "resolved");
    CHECK_INT(c, json_integer_value(json_object_get(o, "time_ms")), 1796187500000LL);
    CHECK_INT(c, json_integer_value(json_object_get(o, "fired_ms")), 1796187400067LL);
    json_decref(o);
    free(b.body);
}

static void test_slack_escapes(struct check *c)
{
    struct alert_view a = sample();
    struct alert_body b;
    CHECK_INT(c, alert_payload_build(&a, ALERT_FORMAT_SLACK, &b), 0);
    json_t *o = json_loads(b.body, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "text"));
    CHECK(c, t && strstr(t, "Fix the &lt;b&gt;build&lt;/b&gt;") != NULL);
    CHECK(c, t && strstr(t, "<http://127.0.0.1:8510/?open=ab%20cd%2F1|Open in Chronicle>") != NULL);
    json_decref(o);
    free(b.body);
}

static void test_discord_no_mentions(struct check *c)
{
    struct alert_view a = sample();
    struct alert_body b;
    CHECK_INT(c, alert_payload_build(&a, ALERT_FORMAT_DISCORD, &b), 0);
    json_t *o = json_loads(b.body, 0, NULL);
    CHECK(c, json_is_array(json_object_get(json_object_get(o, "allowed_mentions"), "parse")));
    CHECK_INT(c, json_array_size(json_object_get(json_object_get(o, "allowed_mentions"), "parse")), 0);
    CHECK(c, strstr(json_string_value(json_object_get(o, "content")), "@everyone") != NULL);
    json_decref(o);
    free(b.body);
}

static void test_ntfy_headers(struct check *c)
{
    struct alert_view a = sample();
    struct alert_body b;
    CHECK_INT(c, alert_payload_build(&a, ALERT_FORMAT_NTFY, &b), 0);
    CHECK(c, strncmp(b.content_type, "text/plain", 10) == 0);
    CHECK_STR(c, b.header[0], "Title: Chronicle: awaiting fired");
    CHECK_STR(c, b.header[2], "Click: http://127.0.0.1:8510/?open=ab%20cd%2F1");
    /* Data never reaches a header: the title is built from fixed words. */
    CHECK(c, strstr(b.header[0], "build") == NULL);
    CHECK(c, strstr(b.body, "rm -rf build") != NULL);
    free(b.body);
}

static void test_summaries(struct check *c)
{
    char s[512];
    struct alert_view a = {.id = 1, .rule = "budget", .reason = "daily", .kind = "fired",
                           .detail = "{\"spent_usd\":12.5,\"budget_usd\":10,\"period\":\"2026-12-02\"}",
                           .dashboard = "http://x/"};
    alert_summary(&a, s, sizeof s);
    CHECK_STR(c, s, "spend today $12.50 crossed the daily budget of $10.00");
    a.rule = "budget_forecast";
    a.detail = "{\"spent_usd\":5,\"forecast_usd\":20,\"budget_usd\":10,\"project\":\"shop\"}";
    alert_summary(&a, s, sizeof s);
    CHECK_STR(c, s, "spend today in shop $5.00 is on course to reach $20.00 by the end of the day, "
                    "over the daily budget of $10.00");
    struct alert_view f = {.id = 2, .rule = "failed", .reason = "stop_failure", .kind = "fired",
                           .session_id = "0123456789", .detail = "{\"error\":\"rate_limit\"}"};
    alert_summary(&f, s, sizeof s);
    CHECK_STR(c, s, "session 01234567 failed: rate_limit");
    f.reason = "tool_errors";
    f.detail = "{\"errors\":5,\"window_s\":60}";
    alert_summary(&f, s, sizeof s);
    CHECK_STR(c, s, "session 01234567: 5 tool errors in 60 s");
    f.rule = "ended_unexpectedly";
    f.kind = "resolved";
    alert_summary(&f, s, sizeof s);
    CHECK_STR(c, s, "resolved: session 01234567 ended unexpectedly: its Claude Code process is gone");
    /* A budget alert is about no session: the link is the dashboard itself. */
    char link[128];
    alert_link(&a, link, sizeof link);
    CHECK_STR(c, link, "http://x/");
    /* Cut at a UTF-8 boundary. */
    struct alert_view u = {.rule = "failed", .reason = "stop_failure", .kind = "fired",
                           .session_id = "s", .detail = "{\"error\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}"};
    char small[24];
    alert_summary(&u, small, sizeof small);
    CHECK(c, strlen(small) < sizeof small);
    CHECK(c, ((unsigned char)small[strlen(small) - 1] & 0xC0) != 0xC0);
}

int main(void)
{
    static const struct check_case cases[] = {
        CASE(test_format_by_url), CASE(test_json_schema), CASE(test_slack_escapes),
        CASE(test_discord_no_mentions), CASE(test_ntfy_headers), CASE(test_summaries),
    };
    return check_main(cases, sizeof cases / sizeof cases[0]);
}
