/* Unit tests: one per kind of secret in docs/REDACTION.md.  Each kind is
 * checked on every path a secret can reach storage by:
 *   text  redact_text() on the bare text;
 *   json  pending_event_new() on a valid payload that carries the text in a
 *         string (escaped as JSON), or on the kind's own JSON document;
 *   raw   pending_event_new() on a frame flagged invalid holding the text;
 *   cut   the same JSON payload cut short (as chronicle-send's raw head of an
 *         oversized payload is), flagged invalid.
 * A secret must be gone from the stored bytes, also once JSON escapes are
 * resolved (once and twice: escaped JSON inside a string), and a JSON
 * payload must stay valid JSON.  Prints one PASS/FAIL line per kind. */
#include "check.h"
#include "chronicle/json_scan.h"
#include "pending_event.h"
#include "chronicle/redact.h"

#include <stdlib.h>

struct kind {
    const char *name;
    const char *text;       /* free text holding the secrets, or NULL */
    const char *json;       /* a JSON document holding them, or NULL */
    const char *secrets[6]; /* none of these may survive */
    const char *keep[4];    /* all of these must survive */
};

static const struct kind kinds[] = {
    {"anthropic_api_key", "using sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf here", NULL,
     {"AbCdEfGhIjKl"}, {"using ", " here"}},
    {"openai_api_key", "keys sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90 and sk-Zz12Yy34Xx56Ww78Vv90Uu12", NULL,
     {"Ab12Cd34Ef56", "Zz12Yy34Xx56"}, {"keys "}},
    {"aws_access_key_id", "creds AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A ok", NULL,
     {"IOSFODNN7EXAMPLE", "Y34FZKBOKMUTVV7A"}, {" ok"}},
    {"aws_secret_access_key", "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n",
     NULL, {"wJalrXUtnFEMI", "bPxRfiCY"}, {"region = eu-west-1"}},
    {"github_token", "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 gho_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 "
     "ghu_ccccccccccccccccccccccccccccccccccc3 ghs_ddddddddddddddddddddddddddddddddddd4 "
     "ghr_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee5", NULL,
     {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc", "dddddddddddddddd", "eeeeeeeeeeeeeeee"}, {0}},
    {"github_fine_grained_pat", "GH_PAT github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabc",
     NULL, {"11ABCDEFG0abcdef", "mnopqrstuvwxyz"}, {"GH_PAT "}},
    {"gitlab_pat", "git clone https://oauth2@gitlab.com/x.git with glpat-AbCdEfGhIj0123456789 token", NULL,
     {"AbCdEfGhIj0123456789"}, {"gitlab.com/x.git"}},
    {"slack_token", "bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx user xoxp-98765432109-abcdefghij", NULL,
     {"AbCdEfGhIjKlMn", "abcdefghij"}, {"bot ", " user "}},
    {"slack_webhook", "curl -X POST https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx -d x",
     NULL, {"abcdefghijklmnopqrstuvwx"}, {"https://hooks.slack.com/", " -d x"}},
    {"google_api_key", "maps key=AIzaSyD-abcdefghijklmnopqrstuvwxyz01234&q=1 or AIzaSyB_ZYXWVUTSRQPONMLKJIHGFEDCBA98765", NULL,
     {"SyD-abcdefghijklmnop", "ZYXWVUTSRQPONMLK"}, {"maps "}},
    {"stripe_key", "sk_live_51HabcdefghijklmnopqrstuvWXYZ sk_test_4eC39HqLyjWDarjtT1zdp7dc "
     "rk_live_51Hzyxwvutsrqponmlkjihg rk_test_51Hqwertyuiopasdfghjkl", NULL,
     {"51Habcdefghijklmnop", "4eC39HqLyjWDarjt", "51Hzyxwvutsrqpon", "51Hqwertyuiopasd"}, {0}},
    {"npm_token", "token npm_abcdefghijklmnopqrstuvwxyz0123456789 set", NULL,
     {"abcdefghijklmnopqrstuvwxyz0123456789"}, {"token ", " set"}},
    {"huggingface_token", "HF hf_abcdefghijklmnopqrstuvwxyzABCDEFGH done", NULL,
     {"abcdefghijklmnopqrstuvwxyzABCDEFGH"}, {"HF ", " done"}},
    {"twilio_api_key", "twilio SK0123456789abcdef0123456789abcdef sid", NULL,
     {"0123456789abcdef0123456789abcdef"}, {"twilio ", " sid"}},
    {"azure_storage_key", "DefaultEndpointsProtocol=https;AccountName=devacct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"
     "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net", NULL,
     {"Eby8vdM02xNO", "KBHBeksoGMGw"}, {"AccountName=devacct;", ";EndpointSuffix=core.windows.net"}},
    {"azure_sas", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature "
     "sr=ns&sig=abcDEF123%2Bxyz%3D&se=1700000000&skn=Root\n"
     "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&se=2030-01-01&sig=AbCdEf0123456789%2FAbCdEf0123456789%3D",
     NULL, {"abcDEF123", "AbCdEf0123456789"}, {"https://acct.blob.core.windows.net/c/f?sv=2022-11-02"}},
    {"bearer_token", "curl -H 'Authorization: Bearer abc.def-ghi_jkl123' && echo bearer Zm9vYmFyYmF6cXV4", NULL,
     {"def-ghi_jkl123", "Zm9vYmFyYmF6cXV4"}, {"Bearer "}},
    {"basic_auth", "Authorization: Basic dXNlcjpodW50ZXIycHc=\nsent header Basic YWRtaW46czNjcjN0cGFzcw== to proxy",
     NULL, {"dXNlcjpodW50ZXIycHc", "YWRtaW46czNjcjN0cGFzcw"}, {"to proxy"}},
    {"jwt", "tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", NULL,
     {"eyJzdWIiOiIxMjM0NTY3ODkwIn0", "dozjgNryP4J3"}, {"tok "}},
    {"private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowRSAAAA\n-----END RSA PRIVATE KEY-----\n"
     "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEECAAA\n-----END EC PRIVATE KEY-----\n"
     "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaAAA\n-----END OPENSSH PRIVATE KEY-----\n"
     "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBFPGPAAA\n-----END PGP PRIVATE KEY BLOCK-----\nafter",
     NULL, {"MIIEowRSAAAA", "MHcCAQEECAAA", "b3BlbnNzaAAA", "lQOYBFPGPAAA"}, {"after"}},
    {"url_password", "postgres://admin:hunter2pw@db.local/x https://bob:s3cretpw@github.com/a redis://:r3dispw@cache:6379",
     NULL, {"hunter2pw", "s3cretpw", "r3dispw"}, {"postgres://admin:", "@db.local/x", "@cache:6379"}},
    {"curl_user", "curl -u admin:hunter2pw https://api.example.com; curl --user bob:s3cretpw https://x.test/ -s; "
     "curl -s --user=carol:topsecret1 https://y.test/", NULL, {"hunter2pw", "s3cretpw", "topsecret1"},
     {"https://api.example.com", "https://y.test/"}},
    {"mysql_password", "mysql -h db -u root -phunter2pw shop && mysqldump --password=s3cretpw shop > d.sql", NULL,
     {"hunter2pw", "s3cretpw"}, {"mysql -h db -u root -p", " shop > d.sql"}},
    {"pgpassword", "PGPASSWORD=hunter2pw psql -h db -U app", NULL, {"hunter2pw"}, {"psql -h db -U app"}},
    {"sshpass", "sshpass -p 'hunter2pw' ssh deploy@host; sshpass -ps3cretpw scp f host:/tmp", NULL,
     {"hunter2pw", "s3cretpw"}, {"ssh deploy@host", "scp f host:/tmp"}},
    {"env_secret_suffix", "DB_PASS=pwpass0001\nMYSQL_PWD=pwpwd0002\nFTP_PASSWD=pwpasswd03\nSTRIPE_KEY=pwkey0004\n"
     "APP_SECRET=pwsecret05\nSLACK_TOKEN=pwtoken006\nGOOGLE_CREDENTIALS=pwcred0007\nPWD=/home/dev\n", NULL,
     {"pwpass0001", "pwpwd0002", "pwpasswd03", "pwkey0004", "pwsecret05", "pwtoken006"}, {"PWD=/home/dev"}},
    {"env_export", "export GITHUB_TOKEN=tok8secret; export DB_PASS=\"pw9 secret\"\nAPI_KEY='k3y secret'\n", NULL,
     {"tok8secret", "pw9 secret", "k3y secret"}, {"export GITHUB_TOKEN="}},
    {"json_secret_member", NULL,
     "{\"tool_input\":{\"pin\":987123,\"api_key\":55512345678901,\"password\":\"pwjson01\",\"enabled\":true,"
     "\"auth\":{\"user\":\"u\",\"pass\":\"pwjson02\"},\"otp_secret\":-42.5e3,\"credentials\":[\"pwjson03\",7770001]},"
     "\"input_tokens\":5}",
     {"987123", "55512345678901", "pwjson01", "pwjson02", "42.5e3", "pwjson03"}, {"\"enabled\":true", "\"input_tokens\":5"}},
    {"yaml_pair", "db:\n  host: db.local\n  password: hunter2pw\n  api_key: \"k3y secret\"\nsecret_key: s3cretkey\n",
     NULL, {"hunter2pw", "k3y secret", "s3cretkey"}, {"host: db.local"}},
    {"escaped_prefix", NULL,
     "{\"prompt\":\"use \\u0067hp_abcdefghijklmnopqrstuvwxyz0123456789 and \\u0073k-ant-api03-ZyXwVuTsRqPoNmLkJiHg"
     " and \\u0041KIAIOSFODNN7EXAMPLE\"}",
     {"hp_abcdefghijklmnop", "ZyXwVuTsRqPoNm", "IOSFODNN7EXAMPLE"}, {"\"prompt\":\"use "}},
    {"escaped_json", NULL,
     "{\"tool_response\":\"{\\\"password\\\":\\\"hunter2pw\\\",\\\"pin\\\":4321987,"
     "\\\"nested\\\":\\\"{\\\\\\\"token\\\\\\\":\\\\\\\"deeptok3n\\\\\\\"}\\\"}\"}",
     {"hunter2pw", "4321987", "deeptok3n"}, {"tool_response"}},
    {"user_pattern", "ticket ACME-123456 filed", NULL, {"ACME-123456"}, {"ticket ", " filed"}},
    /* Beyond the list: other common shapes (gitleaks has rules for them). */
    {"long_option_secret", "deploy --token tok3nvalue --api-key k3yvalue; docker login -u me -p d0ckerpw reg.io", NULL,
     {"tok3nvalue", "k3yvalue", "d0ckerpw"}, {"reg.io"}},
    {"aws_presigned_url", "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=FwoGZXIvYXdzEAAA"
     "&X-Amz-Signature=0123456789abcdef0123456789abcdef", NULL, {"FwoGZXIvYXdzEAAA", "0123456789abcdef0123"},
     {"X-Amz-Algorithm=AWS4-HMAC-SHA256"}},
    {"vendor_tokens", "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq "
     "shpat_0123456789abcdef0123456789abcdef dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef "
     "pypi-AgEIcHlwaS5vcmcCJGFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLWVlZWVlZWVlZWVlZQ "
     "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", NULL,
     {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789abcdef0123", "CJGFhYWFhYWFh", "QQQQQQQQQQQQQQQQ"}, {0}},
    {"docker_config_auth", NULL, "{\"auths\":{\"reg.io\":{\"auth\":\"dXNlcjpkMGNrZXJwdw==\"}}}",
     {"dXNlcjpkMGNrZXJwdw"}, {"reg.io"}},
};

struct result {
    struct check c;
    const struct kind *k;
    const char *path;
};

/* Fails when a secret survives in the bytes, or once or twice unescaped. */
static void check_gone(struct result *r, const char *out, size_t len)
{
    char *once = malloc(len + 1), *twice = malloc(len + 1);
    CHECK(&r->c, once != NULL && twice != NULL);
    if (once == NULL || twice == NULL) {
        free(once);
        free(twice);
        return;
    }
    once[json_unescape(out, len, once)] = '\0';
    twice[json_unescape(once, strlen(once), twice)] = '\0';
    for (int i = 0; i < 6 && r->k->secrets[i]; i++) {
        const char *s = r->k->secrets[i];
        if (memmem(out, len, s, strlen(s)) || strstr(once, s) || strstr(twice, s)) {
            fprintf(stderr, "  %s/%s: \"%s\" survives in: %.*s\n", r->k->name, r->path, s, (int)len, out);
            r->c.failures++;
        }
    }
    free(once);
    free(twice);
}

static void check_kept(struct result *r, const char *out, size_t len)
{
    for (int i = 0; i < 4 && r->k->keep[i]; i++) {
        const char *s = r->k->keep[i];
        if (!memmem(out, len, s, strlen(s))) {
            fprintf(stderr, "  %s/%s: \"%s\" was lost: %.*s\n", r->k->name, r->path, s, (int)len, out);
            r->c.failures++;
        }
    }
}

static struct pending_event *ingest(const char *payload, size_t len, uint32_t flags,
                                    const struct redact_rules *rules)
{
    struct wire_event ev = {.kind = WIRE_EVENT, .ts_ns = 1, .uid = -1, .pid = -1, .ppid = -1,
                            .claude_pid = -1, .flags = flags, .orig_size = len};
    ev.payload = (struct wire_str){payload, len};
    return pending_event_new(&ev, rules);
}

/* Stores payload through the collector's path and checks what would be stored. */
static void check_stored(struct result *r, const char *path, const char *payload, size_t len,
                         uint32_t flags, const struct redact_rules *rules, int keep)
{
    r->path = path;
    struct pending_event *p = ingest(payload, len, flags, rules);
    CHECK(&r->c, p != NULL);
    if (p == NULL)
        return;
    const char *out = p->payload.data ? p->payload.data : "";
    if (!(p->flags & WIRE_FLAG_REDACTED)) {
        fprintf(stderr, "  %s/%s: not flagged redacted\n", r->k->name, path);
        r->c.failures++;
    }
    if (!(flags & WIRE_FLAG_INVALID) && json_walk(out, p->payload.len, NULL, NULL, NULL) != JSON_OK) {
        fprintf(stderr, "  %s/%s: no longer valid JSON: %.*s\n", r->k->name, path, (int)p->payload.len, out);
        r->c.failures++;
    }
    check_gone(r, out, p->payload.len);
    if (keep)
        check_kept(r, out, p->payload.len);
    pending_event_free(p);
}

/* The text as a JSON payload: a Bash command, escaped as chronicle-send would receive it. */
static int text_payload(const char *text, struct buf *json)
{
    buf_reset(json);
    if (buf_append_str(json, "{\"session_id\":\"s1\",\"hook_event_name\":\"PreToolUse\","
                             "\"tool_input\":{\"command\":\"") != 0 ||
        json_escape_append(json, text, strlen(text)) != 0 || buf_append_str(json, "\"}}") != 0)
        return -1;
    return 0;
}

static void check_kind(struct result *r, const struct redact_rules *rules)
{
    const struct kind *k = r->k;
    struct buf json = BUF_INIT, out = BUF_INIT;
    if (k->text) {
        r->path = "text";
        int n = redact_text(k->text, strlen(k->text), rules, &out);
        CHECK(&r->c, n >= 1);
        check_gone(r, out.data ? out.data : "", out.len);
        check_kept(r, out.data ? out.data : "", out.len);
        check_stored(r, "raw", k->text, strlen(k->text), WIRE_FLAG_INVALID, rules, 1);
        CHECK(&r->c, text_payload(k->text, &json) == 0);
    } else {
        CHECK(&r->c, buf_append_str(&json, k->json) == 0);
    }
    check_stored(r, "json", json.data, json.len, 0, rules, k->json != NULL);
    /* Cut before its last two bytes: no longer JSON, as a capped raw head. */
    check_stored(r, "cut", json.data, json.len - 2, WIRE_FLAG_INVALID | WIRE_FLAG_TRUNCATED, rules, 0);
    buf_free(&json);
    buf_free(&out);
}

int main(void)
{
    struct redact_rules rules;
    char err[256];
    if (redact_rules_init(&rules, 1, "ACME-[0-9]{6}", err, sizeof err) != 0) {
        printf("FAIL rules_init: %s\n", err);
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct result r = {.k = &kinds[i]};
        check_kind(&r, &rules);
        printf("%s kind_%s\n", r.c.failures ? "FAIL" : "PASS", kinds[i].name);
        fflush(stdout);
        failed += r.c.failures != 0;
    }
    redact_rules_free(&rules);
    return failed ? 1 : 0;
}
