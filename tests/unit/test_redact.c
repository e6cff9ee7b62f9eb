/* Unit tests: secret redaction keeps the payload's shape and catches each
 * kind of secret the issue lists, without eating ordinary text. */
#include "check.h"
#include "chronicle/json_scan.h"
#include "chronicle/redact.h"

static char *text(const char *in, int *count)
{
    static struct buf b;
    buf_free(&b);
    *count = redact_text(in, strlen(in), NULL, &b);
    return b.data ? b.data : "";
}

static void catches_each_kind(struct check *c)
{
    struct { const char *in, *must_not_contain, *kind; } cases[] = {
        {"key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx end", "AbCdEfGh", "api_key"},
        {"export OPENAI=sk-proj-1234567890abcdefghijABCD", "1234567890abcdef", "api_key"},
        {"aws AKIAIOSFODNN7EXAMPLE here", "IOSFODNN7", "aws_access_key"},
        {"gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 x", "abcdefghijklmnop", "github_token"},
        {"github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "11ABCDEFG", "github_token"},
        {"slack xoxb-1234567890-abcdefghij", "1234567890-abc", "slack_token"},
        {"Authorization: Bearer abc.def-ghi_jkl123", "def-ghi", NULL},
        {"curl -H 'authorization: bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig'",
         "eyJzdWIiOiIx", NULL},
        {"tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "dozjg", "jwt"},
        {"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter",
         "MIIEow", "private_key"},
        {"postgres://admin:hunter2@db.local/x", "hunter2", "url_password"},
        {"DB_PASSWORD=hunter2 next", "hunter2", "secret"},
        {"api_key: abc123XYZ", "abc123XYZ", "secret"},
        {"{\"password\": \"pa55\"}", "pa55", "secret"},
        {"my api_key=sk-ant-XXXXXXXXXXXXXXXXXXXXXXXXXX please", "XXXXXXXX", NULL},
        {"hash password=$2b$12$abcdefghijklmnopqrstuv", "abcdefghijklmnop", "secret"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n;
        const char *out = text(cases[i].in, &n);
        if (n < 1 || strstr(out, cases[i].must_not_contain) != NULL)
            fprintf(stderr, "  case %zu: %s -> %s\n", i, cases[i].in, out);
        CHECK(c, n >= 1);
        CHECK(c, strstr(out, cases[i].must_not_contain) == NULL);
        if (cases[i].kind) {
            char want[64];
            snprintf(want, sizeof want, "[REDACTED:%s]", cases[i].kind);
            if (strstr(out, want) == NULL)
                fprintf(stderr, "  case %zu: want %s in %s\n", i, want, out);
            CHECK(c, strstr(out, want) != NULL);
        }
    }
}

static void leaves_ordinary_text(struct check *c)
{
    const char *keep[] = {
        "pytest -q tests/test_webhook.py", "see https://example.com/a:b", "time 12:30",
        "skip-this-one", "the token count was high", "Foo::Token::new()", "a == b",
        "/home/dev/shop", "tool_use_id", "PWD=/home/dev",
        /* Near misses of the command-line, prefix and name rules. */
        "git push -u origin main", "docker run -u 1000:1000 img", "sort -u names.txt",
        "ssh -p 2222 host", "mkdir -p /tmp/x && mysql -h db", "the basic idea is simple",
        "Basic usage", "AIza is short", "SKIP this", "hf_dataset", "npm_config_cache=/tmp",
        "if password == \"\":", "public_key=ssh-ed25519 AAAAC3Nz", "OLDPWD=/tmp",
        "risk_test_case_0123456789abcdef", "docker login --password-stdin reg.io",
        "Authorization header is missing", "see https://hooks.slack.com/ docs",
        "max_tokens: 4096", "input_tokens=12",
        /* Values that cannot be secrets, after secret names: code and variables. */
        "ps->have_key = 1;", "token: null,", "int secret = 0;", "PASSWORD=$DB_PASS ./run",
        "export TOKEN=${GH_TOKEN}",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        int n;
        const char *out = text(keep[i], &n);
        if (n != 0)
            fprintf(stderr, "  redacted ordinary text: %s -> %s\n", keep[i], out);
        CHECK(c, n == 0);
        CHECK_STR(c, out, keep[i]);
    }
}

static void json_keeps_shape(struct check *c)
{
    const char *in = "{\"session_id\":\"s1\",\"tool_input\":{\"command\":\"echo sk-ant-api03-"
                     "AAAAAAAAAAAAAAAAAAAAAAAA\",\"env\":{\"API_TOKEN\":\"abc\",\"n\":12345678901234567890123}},"
                     "\"prompt\":\"caf\\u00e9 \\n line\",\"password\":\"x\\\"y\"}";
    struct buf out = BUF_INIT;
    CHECK(c, redact_json(in, strlen(in), NULL, &out, NULL, NULL) == 1);
    CHECK(c, json_walk(out.data, out.len, NULL, NULL, NULL) == JSON_OK);
    CHECK(c, strstr(out.data, "AAAAAAAA") == NULL);
    CHECK(c, strstr(out.data, "\"API_TOKEN\":\"[REDACTED]\"") != NULL);
    CHECK(c, strstr(out.data, "\"password\":\"[REDACTED]\"") != NULL);
    /* Untouched strings keep their original escapes; numbers stay exact. */
    CHECK(c, strstr(out.data, "\"prompt\":\"caf\\u00e9 \\n line\"") != NULL);
    CHECK(c, strstr(out.data, "12345678901234567890123") != NULL);
    CHECK(c, strstr(out.data, "\"session_id\":\"s1\"") != NULL);
    buf_free(&out);
}

static void json_without_secrets_is_untouched(struct check *c)
{
    const char *in = "{\"session_id\":\"abc\",\"cwd\":\"/home/dev\",\"input_tokens\":5}";
    struct buf out = BUF_INIT;
    CHECK(c, redact_json(in, strlen(in), NULL, &out, NULL, NULL) == 0);
    buf_free(&out);
}

/* An argv array: the string after a secret-named option is the secret; a
 * key that is itself a token is rewritten like any string. */
static void json_argv_and_keys(struct check *c)
{
    const char *in = "{\"argv\":[\"mysql\",\"--password\",\"hunter2pw\",\"-h\",\"db\"],"
                     "\"env\":{\"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\":1}}";
    struct buf out = BUF_INIT;
    CHECK(c, redact_json(in, strlen(in), NULL, &out, NULL, NULL) == 1);
    CHECK_STR(c, out.data, "{\"argv\":[\"mysql\",\"--password\",\"[REDACTED]\",\"-h\",\"db\"],"
                           "\"env\":{\"[REDACTED:github_token]\":1}}");
    buf_free(&out);
}

/* A payload that is not valid UTF-8 JSON is refused, not half-redacted. */
static void json_invalid_is_refused(struct check *c)
{
    const char *bad[] = {"{\"password\":\"x\"", "{\"a\":\"\xff\"}", "", "[1,]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf out = BUF_INIT;
        CHECK(c, redact_json(bad[i], strlen(bad[i]), NULL, &out, NULL, NULL) == -2);
        CHECK(c, out.len == 0);
        buf_free(&out);
    }
}

static void secret_keys(struct check *c)
{
    CHECK(c, redact_key_is_secret("password", 8));
    CHECK(c, redact_key_is_secret("GITHUB_TOKEN", 12));
    CHECK(c, redact_key_is_secret("api-key", 7));
    CHECK(c, redact_key_is_secret("client_secret", 13));
    CHECK(c, !redact_key_is_secret("input_tokens", 12));
    CHECK(c, !redact_key_is_secret("tool_use_id", 11));
    CHECK(c, !redact_key_is_secret("session_id", 10));
    const char *secret[] = {"DB_PASS", "MYSQL_PWD", "FTP_PASSWD", "STRIPE_KEY", "pin", "auth",
                            "AccountKey", "X-Amz-Signature", "otp", "sig", "db_pw", "basic_auth"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        CHECK(c, redact_key_is_secret(secret[i], strlen(secret[i])));
    const char *plain[] = {"PWD", "OLDPWD", "public_key", "max_tokens", "author", "spin", "keys",
                           "hook_event_name", "transcript_path", "permission_mode"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        CHECK(c, !redact_key_is_secret(plain[i], strlen(plain[i])));
}

static void user_pattern(struct check *c)
{
    struct redact_rules rules;
    char err[256];
    CHECK(c, redact_rules_init(&rules, 1, "ACME-[0-9]{6}|internal\\.corp", err, sizeof err) == 0);
    const char *in = "{\"prompt\":\"ticket ACME-123456 on internal.corp\",\"id\":\"ACME-999\"}";
    struct buf out = BUF_INIT;
    CHECK(c, redact_json(in, strlen(in), &rules, &out, NULL, NULL) == 1);
    CHECK_STR(c, out.data, "{\"prompt\":\"ticket [REDACTED:pattern] on [REDACTED:pattern]\",\"id\":\"ACME-999\"}");
    buf_reset(&out);
    CHECK(c, redact_text("x\0ACME-000001", 13, &rules, &out) == 1); /* NULs do not stop it */
    CHECK(c, out.len == 20 && memcmp(out.data + 2, "[REDACTED:pattern]", 18) == 0);
    buf_free(&out);
    redact_rules_free(&rules);
    CHECK(c, redact_rules_init(&rules, 1, "([unclosed", err, sizeof err) == -1);
    CHECK(c, strstr(err, "CHRONICLE_REDACT_PATTERN") != NULL);
}

CHECK_MAIN(CASE(user_pattern), CASE(catches_each_kind), CASE(leaves_ordinary_text), CASE(json_keeps_shape),
           CASE(json_without_secrets_is_untouched), CASE(json_argv_and_keys), CASE(json_invalid_is_refused),
           CASE(secret_keys))
