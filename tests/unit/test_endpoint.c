/* Unit tests: the server's endpoint (home, address, port, token, dashboard URL) resolved from
 * the config file, the environment and flags, and the token file's checks. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/endpoint.h"

static char home[64];

/* A fresh home and an environment with nothing of ours in it. */
static void reset(const char *config_text)
{
    static const char *vars[] = {"CHRONICLE_PORT", "CHRONICLE_BIND", "CHRONICLE_TOKEN"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -m 700 %s", home, home);
    if (system(cmd) != 0)
        abort();
    setenv("CHRONICLE_HOME", home, 1);
    char conf[96];
    snprintf(conf, sizeof conf, "%s.conf", home);
    FILE *f = fopen(conf, "w");
    if (f == NULL || fputs(config_text, f) < 0 || fclose(f) != 0)
        abort();
    setenv("CHRONICLE_CONFIG", conf, 1);
}

/* Loads the config and resolves; returns endpoint_resolve's result. */
static int resolve(struct endpoint *ep, char *err, size_t errlen)
{
    struct chronicle_config cfg;
    if (config_load(&cfg, err, errlen) != 0)
        return -2;
    return endpoint_resolve(ep, &cfg, err, errlen);
}

static void write_token(const char *text, mode_t mode)
{
    char path[128];
    snprintf(path, sizeof path, "%s/server.token", home);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
        abort();
}

static void defaults(struct check *c)
{
    struct endpoint ep;
    char err[256], url[512];
    reset("");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK_STR(c, ep.home, home);
    CHECK_STR(c, ep.host, "127.0.0.1");
    CHECK(c, ep.port == 8510 && ep.port_source == CONFIG_DEFAULT);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_NONE);
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://127.0.0.1:8510/");
    CHECK_STR(c, endpoint_token_origin(&ep), "none");
}

/* The config file, then the environment, then a flag: the daemons' order. */
static void port_precedence(struct check *c)
{
    struct endpoint ep;
    char err[256], url[512];
    reset("port = 9100\n");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, ep.port == 9100 && ep.port_source == CONFIG_FILE);
    setenv("CHRONICLE_PORT", "9200", 1);
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, ep.port == 9200 && ep.port_source == CONFIG_ENV);
    CHECK(c, endpoint_set_server(&ep, "127.0.0.2:9300", err, sizeof err) == 0);
    CHECK(c, ep.port == 9300 && ep.port_source == CONFIG_FLAG);
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://127.0.0.2:9300/");
}

static void home_from_config_file(struct check *c)
{
    struct endpoint ep;
    char err[256], text[128];
    snprintf(text, sizeof text, "home = %s\n", home);
    reset(text);
    unsetenv("CHRONICLE_HOME");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK_STR(c, ep.home, home);
}

static void wildcard_bind_connects_to_loopback(struct check *c)
{
    struct endpoint ep;
    char err[256], url[512];
    reset("bind = 0.0.0.0\n");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK_STR(c, ep.host, "127.0.0.1");
    setenv("CHRONICLE_BIND", "::", 1);
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK_STR(c, ep.host, "::1");
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://[::1]:8510/");
    setenv("CHRONICLE_BIND", "127.0.0.9", 1);
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK_STR(c, ep.host, "127.0.0.9");
}

static void configured_token_wins_and_is_encoded(struct check *c)
{
    struct endpoint ep;
    char err[256], url[512];
    reset("");
    write_token("fromfile\n", 0600);
    setenv("CHRONICLE_TOKEN", "a/b+c=d", 1);
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_FROM_CONFIG);
    CHECK_STR(c, ep.token, "a/b+c=d");
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://127.0.0.1:8510/?token=a%2Fb%2Bc%3Dd");
    reset("token = s3cret-_.~\n");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_FROM_CONFIG);
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://127.0.0.1:8510/?token=s3cret-_.~");
    setenv("CHRONICLE_TOKEN", "line\r\nX-Evil: 1", 1);
    CHECK(c, resolve(&ep, err, sizeof err) == -1);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_NONE && strstr(err, "visible ASCII") != NULL);
    unsetenv("CHRONICLE_TOKEN");
    reset("token = s3cret-_.~\n");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    /* Too small a buffer is an error, never a cut URL. */
    CHECK(c, endpoint_dashboard_url(&ep, url, 30) == -1);
}

static void token_file(struct check *c)
{
    struct endpoint ep;
    char err[256], url[512];
    reset("");
    write_token("0123abcd\n", 0600);
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_FROM_FILE);
    CHECK_STR(c, ep.token, "0123abcd");
    CHECK(c, strstr(endpoint_token_origin(&ep), "/server.token") != NULL);
    CHECK(c, endpoint_dashboard_url(&ep, url, sizeof url) == 0);
    CHECK_STR(c, url, "http://127.0.0.1:8510/?token=0123abcd");
}

/* Each refusal: -1 with the reason, and the endpoint usable without a token. */
static void expect_refused(struct check *c, const char *why)
{
    struct endpoint ep;
    char err[256];
    CHECK(c, resolve(&ep, err, sizeof err) == -1);
    CHECK(c, strstr(err, why) != NULL);
    if (strstr(err, why) == NULL)
        fprintf(stderr, "  err: %s\n", err);
    CHECK(c, ep.token_source == ENDPOINT_TOKEN_NONE && ep.token[0] == '\0');
    CHECK(c, ep.port == 8510);
}

static void token_file_refused(struct check *c)
{
    char path[128], target[128];
    snprintf(path, sizeof path, "%s/server.token", home);
    snprintf(target, sizeof target, "%s/elsewhere", home);
    reset("");
    FILE *f = fopen(target, "w");
    CHECK(c, f != NULL && fputs("abc\n", f) >= 0 && fclose(f) == 0);
    CHECK(c, symlink(target, path) == 0);
    expect_refused(c, "symbolic link");
    reset("");
    CHECK(c, mkdir(path, 0700) == 0);
    expect_refused(c, "not a regular file");
    reset("");
    CHECK(c, mkfifo(path, 0600) == 0);
    expect_refused(c, "not a regular file");
    reset("");
    write_token("", 0600);
    expect_refused(c, "does not hold a token");
    reset("");
    write_token("two words\n", 0600);
    expect_refused(c, "does not hold a token");
    reset("");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_token(big, 0600);
    expect_refused(c, "does not hold a token");
    if (geteuid() == 0) {
        reset("");
        write_token("abc\n", 0600);
        CHECK(c, chown(path, 65534, 65534) == 0);
        expect_refused(c, "not to us");
    }
}

static void server_flag(struct check *c)
{
    struct endpoint ep;
    char err[256], auth[96];
    reset("");
    CHECK(c, resolve(&ep, err, sizeof err) == 0);
    CHECK(c, endpoint_set_server(&ep, "[::1]:9001", err, sizeof err) == 0);
    CHECK_STR(c, ep.host, "::1");
    CHECK(c, ep.port == 9001);
    CHECK(c, endpoint_authority(&ep, auth, sizeof auth) == 0);
    CHECK_STR(c, auth, "[::1]:9001");
    static const char *bad[] = {"localhost:80", "1.2.3.4:0", "1.2.3.4", "1.2.3.4:70000",
                                ":80", "[::1]80", "::1:80", "1.2.3.4:8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(c, endpoint_set_server(&ep, bad[i], err, sizeof err) == -1);
        CHECK(c, ep.port == 9001); /* unchanged */
    }
}

static void cleanup(struct check *c)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s.conf", home, home);
    CHECK(c, system(cmd) == 0);
}

int main(void)
{
    snprintf(home, sizeof home, "/tmp/chr-ep.%ld", (long)getpid());
    static const struct check_case cases[] = {
        CASE(defaults), CASE(port_precedence), CASE(home_from_config_file),
        CASE(wildcard_bind_connects_to_loopback), CASE(configured_token_wins_and_is_encoded),
        CASE(token_file), CASE(token_file_refused), CASE(server_flag), CASE(cleanup),
    };
    return check_main(cases, sizeof cases / sizeof cases[0]);
}
