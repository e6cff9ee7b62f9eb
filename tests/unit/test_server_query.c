/* test_server_query.c - the query-string parser and parameter readers. */
#include <stdlib.h>

#include "check.h"
#include "http_query.h"

static void parses_and_decodes(struct check *c)
{
    struct query q;
    char err[128];
    CHECK(c, query_parse(&q, "a=1&b=x%20y+z&c=&d&&e=%C3%A9", err, sizeof err) == 0);
    CHECK_INT(c, q.n, 5);
    CHECK_STR(c, query_get(&q, "a"), "1");
    CHECK_STR(c, query_get(&q, "b"), "x y z");
    CHECK_STR(c, query_get(&q, "c"), "");
    CHECK_STR(c, query_get(&q, "d"), "");
    CHECK_STR(c, query_get(&q, "e"), "\xc3\xa9");
    CHECK_INT(c, query_get(&q, "zz"), NULL);
    query_free(&q);
    CHECK(c, query_parse(&q, NULL, err, sizeof err) == 0 && q.n == 0);
    query_free(&q);
}

static void refuses_bad_input(struct check *c)
{
    struct query q;
    char err[128];
    static const char *const bad[] = {"a=%", "a=%4", "a=%zz", "a=%00", "=1", "%zz=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(c, query_parse(&q, bad[i], err, sizeof err), -1);
        query_free(&q);
    }
    char many[2048] = "";
    for (int i = 0; i < QUERY_MAX_PARAMS + 1; i++)
        strcat(many, "a=1&");
    CHECK_INT(c, query_parse(&q, many, err, sizeof err), -1);
    CHECK(c, strstr(err, "more than") != NULL);
    query_free(&q);
    char *big = malloc(QUERY_MAX_LEN + 10);
    memset(big, 'a', QUERY_MAX_LEN + 9);
    big[QUERY_MAX_LEN + 9] = '\0';
    CHECK_INT(c, query_parse(&q, big, err, sizeof err), -1);
    query_free(&q);
    free(big);
}

/* Bytes that are not UTF-8, raw or %-escaped, in a name or a value: refused
 * with the parameter named (they used to reach jansson and answer 500). */
static void refuses_invalid_utf8(struct check *c)
{
    struct query q;
    char err[128];
    static const char *const bad_values[] = {"status=%ff%fe", "status=%c3", "status=\xff",
                                             "status=%ed%a0%80", "status=%c0%af", "a=1&status=%f4%90%80%80"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        CHECK_INT(c, query_parse(&q, bad_values[i], err, sizeof err), -1);
        CHECK_STR(c, err, "query parameter 'status' is not valid UTF-8");
        query_free(&q);
    }
    CHECK_INT(c, query_parse(&q, "%ff=1", err, sizeof err), -1);
    CHECK_STR(c, err, "a query parameter name is not valid UTF-8");
    query_free(&q);
    CHECK_INT(c, query_parse(&q, "s=%F0%9F%98%80&t=\xe2\x82\xac", err, sizeof err), 0);
    CHECK_STR(c, query_get(&q, "s"), "\xf0\x9f\x98\x80");
    CHECK_STR(c, query_get(&q, "t"), "\xe2\x82\xac");
    query_free(&q);
}

static void without_a_key(struct check *c)
{
    char out[64];
    CHECK_INT(c, query_without("token=abc", "token", out, sizeof out), 0);
    CHECK_STR(c, out, "");
    CHECK_INT(c, query_without("type=Stop,Notification&token=abc&session=s%201", "token", out,
                               sizeof out), 0);
    CHECK_STR(c, out, "type=Stop,Notification&session=s%201");
    CHECK_INT(c, query_without("%74oken=abc&a=1&token&&b", "token", out, sizeof out), 0);
    CHECK_STR(c, out, "a=1&b");
    CHECK_INT(c, query_without(NULL, "token", out, sizeof out), 0);
    CHECK_STR(c, out, "");
    CHECK_INT(c, query_without("tokens=1", "token", out, sizeof out), 0);
    CHECK_STR(c, out, "tokens=1");
    CHECK_INT(c, query_without("a=1234567890", "token", out, 8), -1);
    CHECK_INT(c, query_without("%zz=1", "token", out, sizeof out), -1);
}

static void allowlist_names_the_key(struct check *c)
{
    struct query q;
    char err[128];
    static const char *const keys[] = {"limit", NULL};
    CHECK_INT(c, query_parse(&q, "limit=1&sesion_id=x", err, sizeof err), 0);
    CHECK_INT(c, query_check_keys(&q, keys, err, sizeof err), -1);
    CHECK(c, strstr(err, "sesion_id") != NULL);
    query_free(&q);
}

static void integers(struct check *c)
{
    struct query q;
    char err[128];
    long v = 0;
    CHECK_INT(c, query_parse(&q, "a=42&b=-1&c=1x&d=&e=+5&f=99999999999999999999", err, sizeof err), 0);
    CHECK(c, query_long(&q, "a", 1, 100, &v, err, sizeof err) == QUERY_OK && v == 42);
    CHECK_INT(c, query_long(&q, "b", 0, 100, &v, err, sizeof err), QUERY_BAD);
    CHECK(c, strstr(err, "'b'") != NULL);
    CHECK_INT(c, query_long(&q, "c", 0, 100, &v, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, query_long(&q, "d", 0, 100, &v, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, query_long(&q, "e", 0, 100, &v, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, query_long(&q, "f", 0, 100, &v, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, query_long(&q, "missing", 0, 100, &v, err, sizeof err), QUERY_ABSENT);
    query_free(&q);
}

static void times(struct check *c)
{
    int64_t ns;
    CHECK(c, query_parse_time("0", &ns) == 0 && ns == 0);
    CHECK(c, query_parse_time("1732680000123", &ns) == 0 && ns == 1732680000123LL * 1000000);
    CHECK(c, query_parse_time("1970-01-01T00:00:00Z", &ns) == 0 && ns == 0);
    CHECK(c, query_parse_time("2024-11-27T04:00:00.123Z", &ns) == 0 &&
                 ns == 1732680000123LL * 1000000);
    CHECK(c, query_parse_time("2024-11-27T05:30:00.123+01:30", &ns) == 0 &&
                 ns == 1732680000123LL * 1000000);
    CHECK(c, query_parse_time("2024-11-27", &ns) == 0 && ns == 1732665600LL * 1000000000);
    CHECK_INT(c, query_parse_time("2024-02-29T00:00:00Z", &ns), 0);
    static const char *const bad[] = {"", "yesterday", "2023-02-29T00:00:00Z", "2024-13-01",
                                      "2024-11-27T04:00:00", "2024-11-27T25:00:00Z",
                                      "2024-11-27T04:00:00.Z", "2024-11-27T04:00:00Zjunk",
                                      "-5", "1e9", "1969-12-31T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int bad_rc = query_parse_time(bad[i], &ns) == -1;
        if (!bad_rc)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(c, bad_rc);
    }
}

static void durations_and_lists(struct check *c)
{
    struct query q;
    char err[128];
    long s;
    CHECK_INT(c, query_parse(&q, "w=15m&x=2d&y=0h&z=10&l=a,b&l=c&m=a,,b", err, sizeof err), 0);
    CHECK(c, query_duration(&q, "w", 60, 86400 * 30, &s, err, sizeof err) == QUERY_OK && s == 900);
    CHECK(c, query_duration(&q, "x", 60, 86400 * 30, &s, err, sizeof err) == QUERY_OK && s == 172800);
    CHECK_INT(c, query_duration(&q, "y", 60, 86400, &s, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, query_duration(&q, "z", 60, 86400, &s, err, sizeof err), QUERY_BAD);
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *store;
    CHECK(c, query_list(&q, "l", vals, &n, &store, err, sizeof err) == QUERY_OK && n == 3);
    if (n == 3) {
        CHECK_STR(c, vals[0], "a");
        CHECK_STR(c, vals[1], "b");
        CHECK_STR(c, vals[2], "c");
    }
    free(store);
    CHECK_INT(c, query_list(&q, "m", vals, &n, &store, err, sizeof err), QUERY_BAD);
    CHECK_INT(c, store, NULL);
    CHECK_INT(c, query_list(&q, "none", vals, &n, &store, err, sizeof err), QUERY_ABSENT);
    query_free(&q);
}

/* Inputs the fuzzer found: pairs without '=' (block sizing) and an empty
 * list item (read after free). */
static void fuzz_regressions(struct check *c)
{
    struct query q;
    char err[128];
    CHECK(c, query_parse(&q, " &,A", err, sizeof err) == 0 && q.n == 2);
    query_free(&q);
    CHECK(c, query_parse(&q, "a&b&c&d&e&f", err, sizeof err) == 0 && q.n == 6);
    query_free(&q);
    const char *vals[QUERY_MAX_LIST];
    size_t n;
    char *store;
    /* (Found with a trailing "\xff" key, now refused as not UTF-8.) */
    CHECK(c, query_parse(&q, "l&&i&\xc3\xa9", err, sizeof err) == 0);
    CHECK_INT(c, query_list(&q, "l", vals, &n, &store, err, sizeof err), QUERY_BAD);
    query_free(&q);
    CHECK_INT(c, query_parse(&q, "l=", err, sizeof err), 0);
    CHECK_INT(c, query_list(&q, "l", vals, &n, &store, err, sizeof err), QUERY_BAD);
    query_free(&q);
    CHECK_INT(c, query_parse(&q, "l=a&l=,", err, sizeof err), 0);
    CHECK_INT(c, query_list(&q, "l", vals, &n, &store, err, sizeof err), QUERY_BAD);
    CHECK(c, strstr(err, "empty item") != NULL);
    query_free(&q);
}

CHECK_MAIN(CASE(parses_and_decodes), CASE(fuzz_regressions), CASE(refuses_bad_input),
           CASE(refuses_invalid_utf8), CASE(without_a_key), CASE(allowlist_names_the_key),
           CASE(integers), CASE(times), CASE(durations_and_lists))
