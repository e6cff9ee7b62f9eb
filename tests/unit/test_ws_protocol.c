/* test_ws_protocol.c - handshake values, client messages, UTF-8 checks. */
#include <stdint.h>

#include "check.h"
#include "ws_handshake.h"
#include "ws_message.h"

static void sha1_vectors(struct check *c)
{
    uint8_t d[20];
    char hex[41];
    static const struct { const char *in, *out; } v[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        sha1_digest(v[i].in, strlen(v[i].in), d);
        for (int k = 0; k < 20; k++)
            snprintf(hex + 2 * k, 3, "%02x", d[k]);
        CHECK_STR(c, hex, v[i].out);
    }
}

static void accept_key(struct check *c)
{
    char out[29];
    /* The example of RFC 6455 section 1.3. */
    CHECK(c, ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out) == 0);
    CHECK_STR(c, out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK_INT(c, ws_accept_key("short", out), -1);
    CHECK_INT(c, ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -1);
    CHECK(c, ws_accept_key("dGhlIHNhbXBsZSBub25jZR==", out) == -1); /* non-zero pad bits */
    CHECK(c, ws_accept_key("dGhlIHNhbXBsZSBub2!jZQ==", out) == -1);
    CHECK_INT(c, ws_accept_key(NULL, out), -1);
}

static void header_tokens(struct check *c)
{
    CHECK(c, ws_header_has_token("Upgrade", "upgrade"));
    CHECK(c, ws_header_has_token("keep-alive, Upgrade", "upgrade"));
    CHECK(c, !ws_header_has_token("keep-alive, Upgraded", "upgrade"));
    CHECK(c, !ws_header_has_token("", "upgrade"));
    CHECK(c, !ws_header_has_token(NULL, "upgrade"));
}

static void messages(struct check *c)
{
    struct ws_filters f;
    memset(&f, 0, sizeof f);
    enum ws_msg_type t;
    char err[256];
    const char *hb = "{\"type\":\"heartbeat\"}";
    CHECK(c, ws_message_parse(hb, strlen(hb), &t, &f, err, sizeof err) == 0 && t == WS_MSG_HEARTBEAT);
    const char *sub = "{\"type\":\"subscribe\",\"filters\":{\"session_ids\":[\"s1\",\"s2\"],"
                      "\"event_types\":[\"Stop\"]}}";
    CHECK(c, ws_message_parse(sub, strlen(sub), &t, &f, err, sizeof err) == 0 && t == WS_MSG_SUBSCRIBE);
    CHECK(c, f.n_sessions == 2 && f.n_types == 1);
    CHECK(c, ws_filters_match(&f, "s2", "Stop"));
    CHECK(c, !ws_filters_match(&f, "s3", "Stop"));
    CHECK(c, !ws_filters_match(&f, "s1", "PreToolUse"));
    CHECK(c, !ws_filters_match(&f, NULL, "Stop"));
    CHECK(c, ws_filters_match_session(&f, "s1"));
    /* A bad subscribe leaves the previous filters in place. */
    static const char *const bad[] = {
        "", "[]", "{}", "{\"type\":1}", "{\"type\":\"nope\"}", "not json",
        "{\"type\":\"subscribe\",\"filters\":[]}",
        "{\"type\":\"subscribe\",\"filters\":{\"session_ids\":\"s1\"}}",
        "{\"type\":\"subscribe\",\"filters\":{\"session_ids\":[1]}}",
        "{\"type\":\"subscribe\",\"filters\":{\"session_ids\":[\"\"]}}",
        "{\"type\":\"subscribe\",\"filters\":{\"tool\":[\"x\"]}}",
        "{\"type\":\"heartbeat\",\"type\":\"subscribe\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ws_message_parse(bad[i], strlen(bad[i]), &t, &f, err, sizeof err);
        if (rc != -1)
            fprintf(stderr, "  accepted %s\n", bad[i]);
        CHECK_INT(c, rc, -1);
    }
    CHECK(c, f.n_sessions == 2 && f.n_types == 1);
    const char *all = "{\"type\":\"subscribe\"}";
    CHECK_INT(c, ws_message_parse(all, strlen(all), &t, &f, err, sizeof err), 0);
    CHECK(c, f.n_sessions == 0 && f.n_types == 0 && ws_filters_match(&f, NULL, NULL));
    ws_filters_free(&f);
}

static void utf8(struct check *c)
{
    CHECK(c, utf8_valid((const uint8_t *)"", 0));
    CHECK(c, utf8_valid((const uint8_t *)"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 16));
    CHECK(c, !utf8_valid((const uint8_t *)"\xff", 1));
    CHECK(c, !utf8_valid((const uint8_t *)"\xc0\xaf", 2));          /* overlong */
    CHECK(c, !utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));      /* overlong */
    CHECK(c, !utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));      /* surrogate */
    CHECK(c, !utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
    CHECK(c, !utf8_valid((const uint8_t *)"\xe2\x82", 2));          /* truncated */
    CHECK(c, !utf8_valid((const uint8_t *)"a\x80", 2));
}

CHECK_MAIN(CASE(sha1_vectors), CASE(accept_key), CASE(header_tokens), CASE(messages), CASE(utf8))
