/* Unit tests: defaults, environment overrides, and errors naming the variable. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/config.h"

static void defaults(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    unsetenv("CHRONICLE_HOME");
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    setenv("HOME", "/home/u", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
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
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK_STR(c, cfg.db_path, "/tmp/x/chronicle.db");
    CHECK(c, cfg.max_payload == 2 << 20);
    CHECK_INT(c, cfg.redact, 0);
    CHECK_INT(c, cfg.home_source, CONFIG_ENV);
    unsetenv("CHRONICLE_MAX_PAYLOAD_BYTES");
    unsetenv("CHRONICLE_REDACT");
}

static void errors_name_the_variable(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    setenv("CHRONICLE_HOME", "/tmp/x", 1);
    setenv("CHRONICLE_SEND_TIMEOUT_MS", "soon", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "CHRONICLE_SEND_TIMEOUT_MS") != NULL);
    CHECK_INT(c, cfg.send_timeout_ms, 250); /* the default survives */
    setenv("CHRONICLE_SEND_TIMEOUT_MS", "0", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    setenv("CHRONICLE_HOME", "relative/path", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "absolute") != NULL);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    setenv("CHRONICLE_HOME", longp, 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "107") != NULL);
    unsetenv("CHRONICLE_HOME");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void config_file_layers(struct check *c)
{
    struct chronicle_config cfg;
    char err[512];
    char path[] = "/tmp/chronicle-config-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unsetenv("CHRONICLE_HOME");
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    setenv("CHRONICLE_CONFIG", path, 1);
    write_file(path, "# Chronicle settings\n\nhome = /srv/chron  # comment\n"
                     "send_timeout_ms = 400\nredact = off\nretention_days=\"7\"\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK_STR(c, cfg.home, "/srv/chron");
    CHECK_STR(c, cfg.db_path, "/srv/chron/chronicle.db");
    CHECK(c, cfg.send_timeout_ms == 400 && cfg.redact == 0 && cfg.retention_days == 7);
    CHECK_INT(c, cfg.home_source, CONFIG_FILE);
    /* The environment beats the file; a flag beats both. */
    setenv("CHRONICLE_SEND_TIMEOUT_MS", "300", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK_INT(c, cfg.send_timeout_ms, 300);
    CHECK_INT(c, config_set(&cfg, "send_timeout_ms", "200", err, sizeof err), 0);
    CHECK_INT(c, cfg.send_timeout_ms, 200);
    CHECK_INT(c, config_set(&cfg, "CHRONICLE_SEND_TIMEOUT_MS", "zero", err, sizeof err), -1);
    CHECK_INT(c, config_set(&cfg, "no_such_setting", "1", err, sizeof err), -1);
    unsetenv("CHRONICLE_SEND_TIMEOUT_MS");
    /* --print-config says where each value came from. */
    char out[8192] = "";
    FILE *m = fmemopen(out, sizeof out - 1, "w");
    config_print(&cfg, m);
    fclose(m);
    CHECK(c, strstr(out, "CHRONICLE_REDACT=0  # file ") != NULL);
    CHECK(c, strstr(out, ":5;") != NULL); /* redact is on line 5 */
    CHECK(c, strstr(out, "CHRONICLE_SEND_TIMEOUT_MS=200  # flag") != NULL);
    CHECK(c, strstr(out, "CHRONICLE_BATCH_MAX=1024  # default") != NULL);
    /* Unknown keys and bad values name the file, the line and the key. */
    write_file(path, "send_timeout_ms = 400\nsend_timeout = 5\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, ":2: unknown key 'send_timeout'") != NULL);
    write_file(path, "\n\nbatch_max = lots\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, ":3: batch_max='lots'") != NULL);
    CHECK_INT(c, cfg.batch_max, 1024);
    write_file(path, "this line has no equals sign\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, ":1: expected 'key = value'") != NULL);
    unlink(path);
    /* A file named explicitly must exist; the default one need not. */
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    unsetenv("CHRONICLE_CONFIG");
    setenv("XDG_CONFIG_HOME", "/nonexistent-dir", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK_STR(c, cfg.config_file, "");
    unsetenv("XDG_CONFIG_HOME");
}

/* CHRONICLE_SHIP_TO may hold a libpq URI or conninfo: its password (which
 * belongs in ~/.pgpass) never reaches --print-config or a log. */
static void ship_to_password_masked(struct check *c)
{
    char out[256];
    CHECK_INT(c, config_mask_conninfo("postgresql://alice:s3cret@db.example:5432/team?sslmode=verify-full",
                                      out, sizeof out), 1);
    CHECK_STR(c, out, "postgresql://alice:***@db.example:5432/team?sslmode=verify-full");
    CHECK_INT(c, config_mask_conninfo("postgres://db/team?sslmode=require&password=x%20y&user=bob",
                                      out, sizeof out), 1);
    CHECK_STR(c, out, "postgres://db/team?sslmode=require&password=***&user=bob");
    CHECK_INT(c, config_mask_conninfo("host=db user=bob password='it\\'s secret' dbname=team",
                                      out, sizeof out), 1);
    CHECK(c, strstr(out, "secret") == NULL && strstr(out, "password=***") != NULL);
    CHECK(c, strstr(out, "dbname=team") != NULL);
    CHECK_INT(c, config_mask_conninfo("postgresql://bob@db/team", out, sizeof out), 0);
    CHECK_STR(c, out, "postgresql://bob@db/team");
    CHECK_INT(c, config_mask_conninfo("host=/tmp/s dbname=team", out, sizeof out), 0);
    CHECK_STR(c, out, "host=/tmp/s dbname=team");
    CHECK_INT(c, config_mask_conninfo("postgresql://u:p@h", out, 8), 1); /* cut, never overrun */
    CHECK_INT(c, (int)strlen(out), 7);
}

/* --print-config shows where shipping goes, never the password. */
static void ship_to_printed_masked(struct check *c)
{
    struct chronicle_config cfg;
    char err[512];
    setenv("CHRONICLE_SHIP_TO", "postgresql://alice:s3cret@db/team", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK_STR(c, cfg.ship_to, "postgresql://alice:s3cret@db/team");
    char text[16384] = "";
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    config_print(&cfg, f);
    fclose(f);
    CHECK(c, strstr(text, "s3cret") == NULL);
    CHECK(c, strstr(text, "CHRONICLE_SHIP_TO=postgresql://alice:***@db/team") != NULL);
    unsetenv("CHRONICLE_SHIP_TO");
}

/* Alert settings: budgets in dollars, per-project budgets from the file,
 * webhook URLs printed as their origin only. */
static void alert_settings(struct check *c)
{
    struct chronicle_config cfg;
    char err[512], path[] = "/tmp/chr-cfg-alerts";
    setenv("CHRONICLE_HOME", "/tmp/x", 1);
    setenv("CHRONICLE_CONFIG", path, 1);
    write_file(path, "budget_daily_usd = 2.50\nbudget.shop.daily_usd = 1\n"
                     "budget.my-api.daily_usd = 0.25\nbudget.shop.daily_usd = 3\n"
                     "webhook_url = https://hooks.slack.com/services/T0/B0/SECRETX,"
                     " https://u:pw@ntfy.example/topic-SECRETY\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK(c, cfg.budget_daily_usd == 2.5 && cfg.budget_monthly_usd < 0);
    CHECK_INT(c, cfg.n_project_budgets, 2);
    CHECK_STR(c, cfg.project_budget[0].project, "shop");
    CHECK(c, cfg.project_budget[0].daily_usd == 3); /* the last line wins */
    CHECK(c, cfg.project_budget[1].daily_usd == 0.25);
    CHECK_INT(c, cfg.alert_awaiting_after_s, 20);
    CHECK_INT(c, cfg.alert_awaiting && cfg.alert_failed && cfg.alert_budget &&
                 cfg.alert_ended_unexpectedly, 1);
    char text[16384] = "";
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    config_print(&cfg, f);
    fclose(f);
    CHECK(c, strstr(text, "SECRET") == NULL && strstr(text, "pw") == NULL);
    CHECK(c, strstr(text, "CHRONICLE_WEBHOOK_URL=https://hooks.slack.com/... https://ntfy.example/...") != NULL);
    CHECK(c, strstr(text, "budget.shop.daily_usd=3.00") != NULL);
    char o[64];
    config_url_origin("http://h:81/p?q", o, sizeof o);
    CHECK_STR(c, o, "http://h:81");
    config_url_origin("nonsense", o, sizeof o);
    CHECK_STR(c, o, "(invalid URL)");
    write_file(path, "budget.shop.weekly_usd = 1\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "budget.<project>.daily_usd") != NULL);
    write_file(path, "budget.shop.daily_usd = lots\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "dollars") != NULL);
    write_file(path, "");
    setenv("CHRONICLE_BUDGET_MONTHLY_USD", "-3", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "CHRONICLE_BUDGET_MONTHLY_USD") != NULL);
    unsetenv("CHRONICLE_BUDGET_MONTHLY_USD");
    setenv("CHRONICLE_WEBHOOK_FORMAT", "teams", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "CHRONICLE_WEBHOOK_FORMAT") != NULL);
    unsetenv("CHRONICLE_WEBHOOK_FORMAT");
    unsetenv("CHRONICLE_CONFIG");
    unsetenv("CHRONICLE_HOME");
    remove(path);
}

/* Budgets are dollar amounts: none by default, decimals accepted, negative
 * or non-numeric refused with the variable named; also from the file. */
static void budgets(struct check *c)
{
    struct chronicle_config cfg;
    char err[256];
    setenv("CHRONICLE_HOME", "/tmp/x", 1);
    unsetenv("CHRONICLE_CONFIG");
    setenv("XDG_CONFIG_HOME", "/nonexistent-dir", 1);
    unsetenv("CHRONICLE_BUDGET_DAILY_USD");
    unsetenv("CHRONICLE_BUDGET_MONTHLY_USD");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK(c, cfg.budget_daily_usd == -1 && cfg.budget_monthly_usd == -1);
    setenv("CHRONICLE_BUDGET_DAILY_USD", "12.50", 1);
    setenv("CHRONICLE_BUDGET_MONTHLY_USD", "300", 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK(c, cfg.budget_daily_usd == 12.5 && cfg.budget_monthly_usd == 300);
    const char *bad[] = {"-1", "ten", "5$", "nan", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CHRONICLE_BUDGET_DAILY_USD", bad[i], 1);
        CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
        CHECK(c, strstr(err, "CHRONICLE_BUDGET_DAILY_USD") != NULL);
        CHECK(c, strstr(err, "US dollars") != NULL);
    }
    unsetenv("CHRONICLE_BUDGET_DAILY_USD");
    unsetenv("CHRONICLE_BUDGET_MONTHLY_USD");
    char path[] = "/tmp/chronicle-budget-XXXXXX";
    int fd = mkstemp(path);
    CHECK(c, fd >= 0);
    if (fd >= 0)
        close(fd);
    write_file(path, "budget_monthly_usd = 99.5\n");
    setenv("CHRONICLE_CONFIG", path, 1);
    CHECK_INT(c, config_load(&cfg, err, sizeof err), 0);
    CHECK(c, cfg.budget_monthly_usd == 99.5);
    write_file(path, "budget_monthly_usd = -3\n");
    CHECK_INT(c, config_load(&cfg, err, sizeof err), -1);
    CHECK(c, strstr(err, "budget_monthly_usd") != NULL);
    unlink(path);
    unsetenv("CHRONICLE_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("CHRONICLE_HOME");
}

CHECK_MAIN(CASE(defaults), CASE(budgets), CASE(overrides), CASE(errors_name_the_variable),
           CASE(alert_settings),
           CASE(config_file_layers), CASE(ship_to_password_masked),
           CASE(ship_to_printed_masked))
