/* Unit tests: defaults, environment overrides, and errors naming the variable. */
#include <stdlib.h>

#include "check.h"
#include "chronicle/config.h"

static void defaults(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    unsetenv("CHRONICLE_HOME");
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    setenv("HOME", "/home/u", 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == 0);
    CHECK_STR(c, cfg.home, "/home/u/.claude/chronicle");
    CHECK_STR(c, cfg.socket_path, "/home/u/.claude/chronicle/collector.sock");
    CHECK_STR(c, cfg.db_path, "/home/u/.claude/chronicle/chronicle.db");
    CHECK_STR(c, cfg.spool_dir, "/home/u/.claude/chronicle/spool");
    CHECK(c, cfg.send_timeout_ms == 250 && cfg.stdin_timeout_ms == 1000);
    CHECK(c, cfg.max_payload == 1 << 20 && cfg.redact == 1);
}

static void overrides(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    setenv("CHRONICLE_HOME", "/tmp/x", 1);
    setenv("CHRONICLE_MAX_PAYLOAD_BYTES", "2m", 1);
    setenv("CHRONICLE_REDACT", "off", 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == 0);
    CHECK_STR(c, cfg.db_path, "/tmp/x/chronicle.db");
    CHECK(c, cfg.max_payload == 2 << 20);
    CHECK(c, cfg.redact == 0);
    CHECK(c, cfg.home_source == CONFIG_ENV);
    unsetenv("CHRONICLE_MAX_PAYLOAD_BYTES");
    unsetenv("CHRONICLE_REDACT");
}

static void errors_name_the_variable(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    setenv("CHRONICLE_HOME", "/tmp/x", 1);
    setenv("CHRONICLE_SEND_TIMEOUT_MS", "soon", 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == -1);
    CHECK(c, strstr(err, "CHRONICLE_SEND_TIMEOUT_MS") != NULL);
    CHECK(c, cfg.send_timeout_ms == 250); /* the default survives */
    setenv("CHRONICLE_SEND_TIMEOUT_MS", "0", 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == -1);
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    setenv("CHRONICLE_HOME", "relative/path", 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == -1);
    CHECK(c, strstr(err, "absolute") != NULL);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    setenv("CHRONICLE_HOME", longp, 1);
    CHECK(c, config_load(&cfg, err, sizeof err) == -1);
    CHECK(c, strstr(err, "107") != NULL);
    unsetenv("CHRONICLE_HOME");
}

CHECK_MAIN(CASE(defaults), CASE(overrides), CASE(errors_name_the_variable))
