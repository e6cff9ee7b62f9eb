/* test_server_guard.c - Host allowlist, Origin check and bearer tokens. */
#include "check.h"
#include "http_guard.h"

static void loopback_hosts(struct check *c)
{
    CHECK(c, guard_host_allowed("127.0.0.1:8510", "127.0.0.1", ""));
    CHECK(c, guard_host_allowed("localhost", "127.0.0.1", ""));
    CHECK(c, guard_host_allowed("LOCALHOST:1", "127.0.0.1", ""));
    CHECK(c, guard_host_allowed("localhost.:1", "127.0.0.1", ""));
    CHECK(c, guard_host_allowed("[::1]:8510", "127.0.0.1", ""));
    CHECK(c, guard_host_allowed("127.1.2.3", "127.0.0.1", ""));
}

static void rebinding_refused(struct check *c)
{
    CHECK(c, !guard_host_allowed("evil.example", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("evil.example:8510", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("localhost.evil.example", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("127.0.0.1.evil.example", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed(NULL, "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("::1", "127.0.0.1", ""));          /* unbracketed */
    CHECK(c, !guard_host_allowed("[::1", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("user@localhost", "127.0.0.1", ""));
    CHECK(c, !guard_host_allowed("0.0.0.0", "0.0.0.0", ""));        /* wildcard bind */
}

static void configured_hosts(struct check *c)
{
    CHECK(c, guard_host_allowed("box.lan:8510", "0.0.0.0", "other, box.lan"));
    CHECK(c, guard_host_allowed("BOX.LAN", "0.0.0.0", "box.lan"));
    CHECK(c, !guard_host_allowed("box.lan.evil", "0.0.0.0", "box.lan"));
    CHECK(c, !guard_host_allowed("ox.lan", "0.0.0.0", "box.lan"));
    CHECK(c, guard_host_allowed("192.168.1.5:8510", "192.168.1.5", ""));
}

static void origins(struct check *c)
{
    CHECK(c, guard_origin_allowed("http://localhost:3000", "127.0.0.1", "", ""));
    CHECK(c, guard_origin_allowed("http://127.0.0.1:8510", "127.0.0.1", "", ""));
    CHECK(c, !guard_origin_allowed("http://evil.example", "127.0.0.1", "", ""));
    CHECK(c, !guard_origin_allowed("null", "127.0.0.1", "", ""));
    CHECK(c, !guard_origin_allowed("file://", "127.0.0.1", "", ""));
    CHECK(c, !guard_origin_allowed("http://localhost/x", "127.0.0.1", "", ""));
    CHECK(c, guard_origin_allowed("https://dash.example", "127.0.0.1", "", "https://dash.example"));
    CHECK(c, !guard_origin_allowed("https://dash.example.evil", "127.0.0.1", "", "https://dash.example"));
}

static void bearer(struct check *c)
{
    CHECK(c, guard_bearer_ok("Bearer s3cret", "s3cret"));
    CHECK(c, guard_bearer_ok("bearer s3cret", "s3cret"));
    CHECK(c, !guard_bearer_ok("Bearer s3cre", "s3cret"));
    CHECK(c, !guard_bearer_ok("Bearer s3cret2", "s3cret"));
    CHECK(c, !guard_bearer_ok("Basic s3cret", "s3cret"));
    CHECK(c, !guard_bearer_ok(NULL, "s3cret"));
    CHECK(c, !guard_bearer_ok("Bearer ", ""));
    CHECK(c, guard_secret_equal("abc", "abc"));
    CHECK(c, !guard_secret_equal("", "abc"));
    CHECK(c, !guard_secret_equal("abcd", "abc"));
}

static void cookies(struct check *c)
{
    const char *n = "chronicle_token_8510";
    CHECK(c, guard_cookie_ok("chronicle_token_8510=abc", n, "abc"));
    CHECK(c, guard_cookie_ok("a=1; chronicle_token_8510=abc; b=2", n, "abc"));
    CHECK(c, guard_cookie_ok("a=1;chronicle_token_8510=abc ", n, "abc"));
    /* Two servers' cookies on one host (cookies ignore ports), or two paths. */
    CHECK(c, guard_cookie_ok("chronicle_token_8511=zzz; chronicle_token_8510=abc", n, "abc"));
    CHECK(c, guard_cookie_ok("chronicle_token_8510=old; chronicle_token_8510=abc", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8511=abc", n, "abc"));
    CHECK(c, !guard_cookie_ok("xchronicle_token_8510=abc", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_85100=abc", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8510=abcd", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8510=ab", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8510=", n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8510", n, "abc"));
    CHECK(c, !guard_cookie_ok("a=chronicle_token_8510=abc", n, "abc"));
    CHECK(c, !guard_cookie_ok(NULL, n, "abc"));
    CHECK(c, !guard_cookie_ok("chronicle_token_8510=", n, "")); /* no token: no cookie */
    char v[64];
    CHECK_INT(c, guard_cookie_encode("aZ09-._~", v, sizeof v), 0);
    CHECK_STR(c, v, "aZ09-._~");
    CHECK_INT(c, guard_cookie_encode("a;b c\"%,", v, sizeof v), 0);
    CHECK_STR(c, v, "a%3Bb%20c%22%25%2C");
    CHECK_INT(c, guard_cookie_encode("abc", v, 4), 0);
    CHECK_INT(c, guard_cookie_encode("abc", v, 3), -1);
    CHECK_INT(c, guard_cookie_encode(";", v, 3), -1);
}

CHECK_MAIN(CASE(loopback_hosts), CASE(rebinding_refused), CASE(configured_hosts), CASE(origins),
           CASE(bearer), CASE(cookies))
