/* Unit tests: oversized payloads keep their shape and record what was cut. */
#include <stdlib.h>

#include "check.h"
#include "chronicle/json_scan.h"
#include "payload_trim.h"

/* Test input: out of memory here is not what is tested. */
static void put(struct buf *b, const char *s)
{
    if (buf_append_str(b, s) != 0)
        abort();
}

static char *big_doc(size_t content_len, size_t *len)
{
    /* Write-like payload: short fields plus one huge file body with
     * escapes and multi-byte characters. */
    struct buf b = BUF_INIT;
    put(&b, "{\"session_id\":\"s\",\"tool_input\":{\"file_path\":\"/a.txt\",\"content\":\"");
    for (size_t i = 0; b.len < content_len; i++)
        put(&b, (i % 3 == 0) ? "\\n" : (i % 3 == 1) ? "é" : "xyz");
    put(&b, "\",\"n\":123456789012345678901234567890},\"small\":\"keep me\"}");
    *len = b.len;
    return b.data;
}

static void cuts_to_limit_keeping_shape(struct check *c)
{
    size_t len;
    char *doc = big_doc(5 * 1024 * 1024, &len);
    struct buf out = BUF_INIT;
    CHECK(c, payload_trim(doc, len, 1 << 20, &out) == 0);
    CHECK(c, out.len <= (1 << 20));
    CHECK(c, out.len > (1 << 20) - 1024); /* uses the room it has */
    CHECK_INT(c, json_walk(out.data, out.len, NULL, NULL, NULL), JSON_OK);
    CHECK(c, strstr(out.data, "\"small\":\"keep me\"") != NULL);
    CHECK(c, strstr(out.data, "\"file_path\":\"/a.txt\"") != NULL);
    CHECK(c, strstr(out.data, "123456789012345678901234567890") != NULL);
    char marker[96];
    snprintf(marker, sizeof marker, "[chronicle: truncated from %zu bytes]",
             len - strlen("{\"session_id\":\"s\",\"tool_input\":{\"file_path\":\"/a.txt\",\"content\":\"") -
                 strlen("\",\"n\":123456789012345678901234567890},\"small\":\"keep me\"}"));
    CHECK(c, strstr(out.data, marker) != NULL);
    buf_free(&out);
    free(doc);
}

static void several_big_strings_share_the_cut(struct check *c)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    put(&in, "[");
    for (int k = 0; k < 4; k++) {
        put(&in, k ? ",\"" : "\"");
        for (int i = 0; i < 100000; i++)
            put(&in, "a");
        put(&in, "\"");
    }
    put(&in, ",\"tiny\"]");
    CHECK_INT(c, payload_trim(in.data, in.len, 100000, &out), 0);
    CHECK(c, out.len <= 100000);
    CHECK_INT(c, json_walk(out.data, out.len, NULL, NULL, NULL), JSON_OK);
    CHECK(c, strstr(out.data, "\"tiny\"") != NULL);
    buf_free(&in);
    buf_free(&out);
}

static void structure_alone_too_big(struct check *c)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    put(&in, "[");
    for (int i = 0; i < 20000; i++)
        put(&in, i ? ",1" : "1");
    put(&in, "]");
    CHECK_INT(c, payload_trim(in.data, in.len, 4096, &out), 1);
    buf_free(&in);
    buf_free(&out);
}

CHECK_MAIN(CASE(cuts_to_limit_keeping_shape), CASE(several_big_strings_share_the_cut),
           CASE(structure_alone_too_big))
