/* test_server_search_page.c - /api/search's cursor and snippet shapes
 * (server/search_page.c). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "search_page.h"

static void cursor(struct check *c)
{
    int64_t a = -1, b = -1;
    CHECK_INT(c, search_cursor_parse("1043.17", &a, &b), 0);
    CHECK_INT(c, a, 1043);
    CHECK_INT(c, b, 17);
    CHECK_INT(c, search_cursor_parse("9223372036854775807.0", &a, &b), 0);
    CHECK_INT(c, a, INT64_MAX);
    static const char *const bad[] = {"", "12", "12.", ".3", "-1.2", "1.-2", "1.2x", " 1.2",
                                      "1.2.3", "99999999999999999999.1", "1.99999999999999999999",
                                      "+1.2", "0x1.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = b = 7;
        CHECK_INT(c, search_cursor_parse(bad[i], &a, &b), -1);
        CHECK(c, a == 7 && b == 7);
    }
}

static const char *snip(const char *s)
{
    static struct buf b;
    buf_reset(&b);
    if (search_snippet_json(&b, s, strlen(s)) != 0)
        return "ENOMEM";
    return b.data;
}

static void snippets(struct check *c)
{
    CHECK_STR(c, snip("Add a \x01retry\x02 to the \x01webhook\x02"),
              "[\"Add a \",\"retry\",\" to the \",\"webhook\"]");
    CHECK_STR(c, snip("\x01hit\x02 then"), "[\"\",\"hit\",\" then\"]");
    CHECK_STR(c, snip("\x01" "a\x02\x01" "b\x02"), "[\"\",\"a\",\"\",\"b\"]");
    CHECK_STR(c, snip("plain"), "[\"plain\"]");
    CHECK_STR(c, snip(""), "[]");
    CHECK_STR(c, snip("cut \x01hi"), "[\"cut \",\"hi\"]");
    /* Out-of-turn markers are dropped, their text kept. */
    CHECK_STR(c, snip("a\x02" "b\x01" "c\x01" "d\x02" "e"), "[\"ab\",\"cd\",\"e\"]");
    /* JSON escapes for what the payload's text holds. */
    CHECK_STR(c, snip("\"q\"\n\\ \x01<b>\x02"), "[\"\\\"q\\\"\\n\\\\ \",\"<b>\"]");
}

CHECK_MAIN(CASE(cursor), CASE(snippets))
