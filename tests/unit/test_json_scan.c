/* Unit tests: the strict JSON scanner, including what jansson would reject
 * (64-bit overflow, depth) and what must be refused (bad UTF-8, control bytes). */
#include <stdlib.h>

#include "check.h"
#include "chronicle/buf.h"
#include "chronicle/json_scan.h"

static enum json_status walk(const char *s) { return json_walk(s, strlen(s), NULL, NULL, NULL); }

static void valid_documents(struct check *c)
{
    const char *ok[] = {
        "{}", "[]", " {\"a\":1} \n", "123", "-0.5e+10", "\"x\"", "true", "null",
        "{\"big\":123456789012345678901234567890}",
        "{\"nul\":\"a\\u0000b\"}", "{\"u\":\"\\ud83d\\ude00 é 日本\"}",
        "[1,[2,[3,{\"k\":[true,false,null]}]]]", "{\"a\":{}, \"b\":[]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_INT(c, walk(ok[i]), JSON_OK);
}

static void invalid_documents(struct check *c)
{
    const char *bad[] = {
        "{a:1}", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.x", "-a", "\"\\x\"", "tru e",
        "{} {}", "\"raw\ttab\"", "\"\xc3\x28\"", "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"",
        "\"\xc0\xaf\"", "[1 2]", "nux", "{\"a\":1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum json_status st = walk(bad[i]);
        if (st != JSON_INVALID)
            fprintf(stderr, "  case %zu: %s\n", i, json_status_name(st));
        CHECK_INT(c, st, JSON_INVALID);
    }
}

static void incomplete_prefixes(struct check *c)
{
    const char *part[] = {"", "{", "1.", "-", "nul", "{\"a\"", "{\"a\":", "[1,", "\"abc", "{\"a\":tr", "[1", "\"\xe6\x97"};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
        CHECK_INT(c, walk(part[i]), JSON_INCOMPLETE);
}

static void deep_nesting(struct check *c)
{
    size_t depth = 100000;
    char *s = malloc(2 * depth + 1);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    CHECK_INT(c, walk(s), JSON_OK);
    s[2 * depth - 1] = '\0';
    CHECK_INT(c, walk(s), JSON_INCOMPLETE);
    free(s);
}

struct seen {
    char keys[256];
    int strings, depth1_keys;
};

static int record(void *ctx, enum json_token tok, size_t depth, size_t start, size_t len)
{
    (void)start;
    struct seen *s = ctx;
    if (tok == JSON_TOK_KEY && depth == 1)
        s->depth1_keys++;
    if (tok == JSON_TOK_STRING)
        s->strings++;
    (void)len;
    return 0;
}

static void visitor_depths(struct check *c)
{
    const char *doc = "{\"a\":\"x\",\"b\":{\"c\":\"y\"},\"d\":[\"z\"]}";
    struct seen s = {0};
    CHECK_INT(c, json_walk(doc, strlen(doc), record, &s, NULL), JSON_OK);
    CHECK_INT(c, s.depth1_keys, 3);
    CHECK_INT(c, s.strings, 3);
}

static void unescape_and_escape(struct check *c)
{
    const char raw[] = "a\\n\\\"b\\u00e9\\ud83d\\ude00\\u0000\\ud800z";
    char out[sizeof raw];
    size_t n = json_unescape(raw, strlen(raw), out);
    const char want[] = "a\n\"b\xc3\xa9\xf0\x9f\x98\x80\0\xef\xbf\xbdz";
    CHECK(c, n == sizeof want - 1);
    CHECK_INT(c, memcmp(out, want, n), 0);
    struct buf b = BUF_INIT;
    CHECK_INT(c, json_escape_append(&b, "q\"\\\n\x01é", 7), 0);
    CHECK_STR(c, b.data, "q\\\"\\\\\\n\\u0001é");
    buf_free(&b);
}

static void value_end_offset(struct check *c)
{
    size_t end = 0;
    CHECK_INT(c, json_walk("  {\"a\":1}  ", 11, NULL, NULL, &end), JSON_OK);
    CHECK_INT(c, end, 9);
    CHECK_INT(c, json_walk("{\"a\":x}", 7, NULL, NULL, &end), JSON_INVALID);
    CHECK_INT(c, end, 5);
}

CHECK_MAIN(CASE(valid_documents), CASE(invalid_documents), CASE(incomplete_prefixes),
           CASE(deep_nesting), CASE(visitor_depths), CASE(unescape_and_escape),
           CASE(value_end_offset))
