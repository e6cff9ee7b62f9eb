/*
 * Unit tests: the rules both alert engines share (collector/alert_rules.c):
 * the targets of CHRONICLE_WEBHOOK_URL, the notification link base, the
 * budget arithmetic (crossed, forecast, keys, details, periods), the burst
 * test of tool errors, the retry policy of a delivery and the job a
 * delivery becomes.
 *
 * Dates are computed in TZ=UTC (set first thing in main), except the one
 * case that switches to a POSIX TZ with a daylight-saving rule on purpose.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_rules.h"
#include "check.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"

/* ---- fixtures ------------------------------------------------------------ */

/* The default configuration: config_load() with no file and no CHRONICLE_*
 * variable of the caller's environment (they are all unset first). */
static int default_config(struct chronicle_config *cfg)
{
    char *names[256];
    size_t n = 0;
    for (char **e = environ; *e && n < sizeof names / sizeof names[0]; e++)
        if (strncmp(*e, "CHRONICLE_", 10) == 0)
            names[n++] = strndup(*e, strcspn(*e, "="));
    for (size_t i = 0; i < n; i++) {
        if (names[i])
            unsetenv(names[i]);
        free(names[i]);
    }
    setenv("CHRONICLE_CONFIG", "/dev/null", 1);
    setenv("CHRONICLE_HOME", "/tmp/chronicle-test-alert-rules", 1); /* paths only: nothing made */
    char err[512];
    if (config_load(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config_load: %s\n", err);
        return -1;
    }
    return 0;
}

/* Local midnight of y-m-d (mktime, like the code under test). */
static int64_t local_ns(int y, int mon, int d, int h, int min, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = min;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * NS_PER_S;
}

static int is_hex16(const char *s)
{
    if (strlen(s) != 16)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* ---- targets ------------------------------------------------------------- */

static void test_targets_two_urls(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    CHECK_STR(c, cfg.webhook_format, "auto");
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url,
             "https://hooks.slack.com/services/T0/B0/XYZSECRET, https://ntfy.sh/my-topic");
    struct alert_targets ts;
    char err[256] = "";
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 2);
    CHECK_STR(c, ts.t[0].url, "https://hooks.slack.com/services/T0/B0/XYZSECRET");
    CHECK_STR(c, ts.t[0].origin, "https://hooks.slack.com");
    CHECK_INT(c, ts.t[0].format, ALERT_FORMAT_SLACK);
    CHECK_STR(c, ts.t[1].url, "https://ntfy.sh/my-topic");
    CHECK_STR(c, ts.t[1].origin, "https://ntfy.sh");
    CHECK_INT(c, ts.t[1].format, ALERT_FORMAT_NTFY);
    CHECK(c, is_hex16(ts.t[0].id));
    CHECK(c, is_hex16(ts.t[1].id));
    CHECK(c, strcmp(ts.t[0].id, ts.t[1].id) != 0);
    /* The id is a hash of the URL alone: the same URL, the same id. */
    char id0[24], id1[24];
    snprintf(id0, sizeof id0, "%s", ts.t[0].id);
    snprintf(id1, sizeof id1, "%s", ts.t[1].id);

    CHECK(c, alert_targets_find(&ts, id0) == &ts.t[0]);
    CHECK(c, alert_targets_find(&ts, id1) == &ts.t[1]);
    CHECK(c, alert_targets_find(&ts, "0000000000000000") == NULL);
    CHECK(c, alert_targets_find(&ts, "desktop") == NULL);
    CHECK(c, alert_targets_find(&ts, NULL) == NULL);
    alert_targets_free(&ts);
    CHECK_INT(c, ts.n, 0);

    /* Reversed, separated by a lone space: same ids, swapped. */
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url,
             "https://ntfy.sh/my-topic https://hooks.slack.com/services/T0/B0/XYZSECRET");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 2);
    CHECK_STR(c, ts.t[0].id, id1);
    CHECK_STR(c, ts.t[1].id, id0);
    alert_targets_free(&ts);

    /* A port stays in the origin; user info and path never do; other hosts get JSON. */
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url,
             " ,http://user:pw@127.0.0.1:9/hook?k=secret,, \n");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 1);
    CHECK_STR(c, ts.t[0].origin, "http://127.0.0.1:9");
    CHECK_INT(c, ts.t[0].format, ALERT_FORMAT_JSON);
    alert_targets_free(&ts);

    /* A forced format wins over the URL's shape. */
    snprintf(cfg.webhook_format, sizeof cfg.webhook_format, "json");
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url, "https://hooks.slack.com/services/T/B/X");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 1);
    CHECK_INT(c, ts.t[0].format, ALERT_FORMAT_JSON);
    alert_targets_free(&ts);

    /* No URL, no desktop: no target. */
    cfg.webhook_url[0] = '\0';
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 0);
    alert_targets_free(&ts);
}

static void test_targets_errors(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    struct alert_targets ts;
    char err[256] = "";

    snprintf(cfg.webhook_url, sizeof cfg.webhook_url, "ftp://x/y-secret-path");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), -1);
    CHECK_INT(c, ts.n, 0);
    CHECK(c, strstr(err, "ftp://x") != NULL);
    CHECK(c, strstr(err, "y-secret-path") == NULL);
    CHECK(c, strstr(err, "not an http:// or https:// URL") != NULL);
    alert_targets_free(&ts);

    /* A bad URL after a good one: -1, and the good one is freed (valgrind). */
    err[0] = '\0';
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url, "https://a.example/ok mailto:me@example.com");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), -1);
    CHECK_INT(c, ts.n, 0);
    CHECK(c, err[0] != '\0');
    alert_targets_free(&ts);

    /* No scheme at all. */
    err[0] = '\0';
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url, "example.com/hook-secret");
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), -1);
    CHECK(c, strstr(err, "hook-secret") == NULL);
    alert_targets_free(&ts);

    /* 16 URLs are fine, 17 are too many. */
    size_t o = 0;
    for (int i = 1; i <= 16; i++)
        o += (size_t)snprintf(cfg.webhook_url + o, sizeof cfg.webhook_url - o, "%shttp://h%d/a",
                              i > 1 ? " " : "", i);
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 16);
    CHECK_STR(c, ts.t[15].origin, "http://h16");
    alert_targets_free(&ts);
    snprintf(cfg.webhook_url + o, sizeof cfg.webhook_url - o, ",http://h17/a");
    err[0] = '\0';
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), -1);
    CHECK_INT(c, ts.n, 0);
    CHECK(c, strstr(err, "more than 16") != NULL);
    alert_targets_free(&ts);
}

static void test_targets_desktop(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    CHECK_INT(c, cfg.desktop_notify, 1);
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url, "https://a.example/x");

    /* A directory holding an executable notify-send, as the only PATH entry. */
    char dir[] = "/tmp/chr-rules-XXXXXX";
    CHECK(c, mkdtemp(dir) != NULL);
    char tool[64];
    snprintf(tool, sizeof tool, "%s/notify-send", dir);
    FILE *f = fopen(tool, "w");
    CHECK(c, f != NULL);
    if (f) {
        fputs("#!/bin/sh\nexit 0\n", f);
        fclose(f);
    }
    CHECK_INT(c, chmod(tool, 0755), 0);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", dir, 1);

    struct alert_targets ts;
    char err[256];
    /* No desktop session: no desktop target. */
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 1);
    CHECK(c, alert_targets_find(&ts, "desktop") == NULL);
    alert_targets_free(&ts);

    /* A desktop session and notify-send: one more target, last. */
    CHECK_INT(c, alert_targets_init(&ts, &cfg, ":0", err, sizeof err), 0);
    CHECK_INT(c, ts.n, 2);
    CHECK(c, ts.t[1].url == NULL);
    CHECK_STR(c, ts.t[1].origin, "desktop");
    CHECK_STR(c, ts.t[1].id, "desktop");
    CHECK(c, alert_targets_find(&ts, "desktop") == &ts.t[1]);
    alert_targets_free(&ts);

    /* desktop_notify off: none. */
    cfg.desktop_notify = 0;
    CHECK_INT(c, alert_targets_init(&ts, &cfg, ":0", err, sizeof err), 0);
    CHECK_INT(c, ts.n, 1);
    alert_targets_free(&ts);

    /* notify-send not on PATH: none. */
    cfg.desktop_notify = 1;
    setenv("PATH", "/nonexistent-chronicle-dir", 1);
    CHECK_INT(c, alert_targets_init(&ts, &cfg, ":0", err, sizeof err), 0);
    CHECK_INT(c, ts.n, 1);
    alert_targets_free(&ts);

    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    free(saved);
    unlink(tool);
    rmdir(dir);
}

/* ---- the link base ---------------------------------------------------------- */

static void test_dashboard_base(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    char out[600];
    CHECK_STR(c, cfg.bind, "127.0.0.1");
    CHECK_INT(c, cfg.port, 8510);
    CHECK_STR(c, cfg.dashboard_url, "");
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "http://127.0.0.1:8510/");

    snprintf(cfg.bind, sizeof cfg.bind, "0.0.0.0");
    cfg.port = 9000;
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "http://myhost:9000/");

    snprintf(cfg.bind, sizeof cfg.bind, "::");
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "http://myhost:9000/");

    snprintf(cfg.bind, sizeof cfg.bind, "::1");
    cfg.port = 8510;
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "http://[::1]:8510/");

    snprintf(cfg.bind, sizeof cfg.bind, "10.1.2.3");
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "http://10.1.2.3:8510/");

    snprintf(cfg.dashboard_url, sizeof cfg.dashboard_url, "https://chronicle.example.com/team");
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "https://chronicle.example.com/team/");
    snprintf(cfg.dashboard_url, sizeof cfg.dashboard_url, "https://chronicle.example.com/");
    alert_dashboard_base(&cfg, "myhost", out, sizeof out);
    CHECK_STR(c, out, "https://chronicle.example.com/");
}

/* ---- budgets ------------------------------------------------------------- */

/* Spend by (since, project): *_today when since is the start of the day,
 * month when it is the start of the month, *_recent otherwise. */
struct fake_spend {
    int64_t day_ns, month_ns;
    double today, recent, month;            /* all projects */
    const char *project;                    /* the one project with its own numbers */
    double p_today, p_recent;
    int calls;
    int64_t last_recent_since;              /* since of the last "recent" call */
};

static double spend_cb(void *arg, int64_t since_ns, const char *project)
{
    struct fake_spend *s = arg;
    s->calls++;
    int mine = project && s->project && strcmp(project, s->project) == 0;
    if (project && !mine)
        return 0;
    if (since_ns == s->day_ns)
        return mine ? s->p_today : s->today;
    if (since_ns == s->month_ns && !project)
        return s->month;
    s->last_recent_since = since_ns;
    return mine ? s->p_recent : s->recent;
}

#define MAX_HITS 8

struct rec_hit {
    char *rule, *key, *reason, *project, *detail;
    int64_t since_ns;
};

struct recorder {
    struct rec_hit h[MAX_HITS];
    int n, overflow;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void fire_cb(void *arg, const struct alert_budget_hit *h)
{
    struct recorder *r = arg;
    if (r->n == MAX_HITS) {
        r->overflow++;
        return;
    }
    struct rec_hit *o = &r->h[r->n++];
    o->rule = dup_or_null(h->rule);
    o->key = dup_or_null(h->key);
    o->reason = dup_or_null(h->reason);
    o->project = dup_or_null(h->project);
    o->detail = dup_or_null(h->detail);
    o->since_ns = h->since_ns;
}

static void recorder_clear(struct recorder *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->h[i].rule);
        free(r->h[i].key);
        free(r->h[i].reason);
        free(r->h[i].project);
        free(r->h[i].detail);
    }
    memset(r, 0, sizeof *r);
}

static double detail_num(const char *detail, const char *field)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *v = json_object_get(o, field);
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(o);
    return d;
}

/* The string field of detail, into out ("(absent)" when missing). */
static const char *detail_str(const char *detail, const char *field, char *out, size_t cap)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(o, field));
    snprintf(out, cap, "%s", v ? v : "(absent)");
    json_decref(o);
    return out;
}

/* field is missing from the detail object, or null (see test_burst_detail). */
static int no_field(const char *detail, const char *field)
{
    json_t *o = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *v = json_object_get(o, field);
    int none = json_is_object(o) && (v == NULL || json_is_null(v));
    json_decref(o);
    return none;
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-6;
}

static void budget_setup(struct chronicle_config *cfg, struct fake_spend *s, int64_t now)
{
    default_config(cfg);
    memset(s, 0, sizeof *s);
    alert_budget_periods(now, &s->day_ns, &s->month_ns);
}

static void test_budget_periods(struct check *c)
{
    int64_t d, m;
    int64_t mid = local_ns(2026, 3, 15, 0, 0, 0);
    CHECK_INT(c, mid, 1773532800LL * NS_PER_S); /* 2026-03-15T00:00:00Z */
    alert_budget_periods(mid + 12 * 3600 * NS_PER_S + 123456789, &d, &m);
    CHECK_INT(c, d, mid);
    CHECK_INT(c, m, local_ns(2026, 3, 1, 0, 0, 0));
    CHECK_INT(c, m, 1772323200LL * NS_PER_S); /* 2026-03-01T00:00:00Z */
    /* Midnight itself belongs to its day; the 1st is its month's start. */
    alert_budget_periods(m, &d, &m);
    CHECK_INT(c, d, 1772323200LL * NS_PER_S);
    CHECK_INT(c, m, 1772323200LL * NS_PER_S);
    /* The last second of a year. */
    alert_budget_periods(local_ns(2026, 12, 31, 23, 59, 59), &d, &m);
    CHECK_INT(c, d, local_ns(2026, 12, 31, 0, 0, 0));
    CHECK_INT(c, m, local_ns(2026, 12, 1, 0, 0, 0));
}

/* Local time, not UTC: a zone five hours behind, with its spring-forward day. */
static void test_budget_periods_local_dst(struct check *c)
{
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    int64_t d, m;
    /* 2026-03-08 is the second Sunday of March; 12:00 EDT is 16:00Z. */
    alert_budget_periods(1772985600LL * NS_PER_S, &d, &m);
    CHECK_INT(c, d, 1772946000LL * NS_PER_S); /* 2026-03-08T00:00-05:00 */
    CHECK_INT(c, m, 1772341200LL * NS_PER_S); /* 2026-03-01T00:00-05:00 */

    /* The forecast carries the rate to the next local midnight: 12 h left
     * at noon, though the day had only 23 hours. */
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t now = 1772985600LL * NS_PER_S;
    budget_setup(&cfg, &s, now);
    cfg.budget_daily_usd = 10;
    s.today = 4;
    s.recent = 0.75; /* $0.75 an hour: $4 + 12 x $0.75 = $13 */
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].key, "budget_forecast:daily:all:2026-03-08");
        CHECK_INT(c, r.h[0].since_ns, 1772946000LL * NS_PER_S);
        CHECK(c, near(detail_num(r.h[0].detail, "forecast_usd"), 13.0));
    }
    recorder_clear(&r);

    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_budget_daily_crossed(struct check *c)
{
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t mid = local_ns(2026, 3, 15, 0, 0, 0);
    int64_t now = mid + 12 * 3600 * NS_PER_S;
    budget_setup(&cfg, &s, now);
    cfg.budget_daily_usd = 10;
    s.today = 12.5;
    s.recent = 100; /* crossed wins: no forecast as well */
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget");
        CHECK_STR(c, r.h[0].key, "budget:daily:all:2026-03-15");
        CHECK_STR(c, r.h[0].reason, "daily");
        CHECK(c, r.h[0].project == NULL);
        CHECK_INT(c, r.h[0].since_ns, mid);
        CHECK(c, near(detail_num(r.h[0].detail, "spent_usd"), 12.5));
        CHECK(c, near(detail_num(r.h[0].detail, "budget_usd"), 10.0));
        char v[64];
        CHECK_STR(c, detail_str(r.h[0].detail, "period", v, sizeof v), "2026-03-15");
        CHECK_STR(c, detail_str(r.h[0].detail, "project", v, sizeof v), "(absent)");
        /* No project: no project in the detail.  The key is written as null
         * today (json_pack "s?"; "s*" would omit it): either passes here. */
        CHECK(c, no_field(r.h[0].detail, "project"));
    }
    recorder_clear(&r);

    /* Exactly the budget is crossed. */
    s.today = 10;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1)
        CHECK_STR(c, r.h[0].rule, "budget");
    recorder_clear(&r);

    /* Under, with no recent spend: nothing. */
    s.today = 9.99;
    s.recent = 0;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 0);
    recorder_clear(&r);
}

static void test_budget_forecast(struct check *c)
{
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t mid = local_ns(2026, 3, 15, 0, 0, 0);
    int64_t now = mid + 12 * 3600 * NS_PER_S;
    budget_setup(&cfg, &s, now);
    cfg.budget_daily_usd = 10;
    s.today = 4;
    s.recent = 1; /* $1 in the last hour: $16 by midnight */
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, s.last_recent_since, now - 3600 * NS_PER_S);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget_forecast");
        CHECK_STR(c, r.h[0].key, "budget_forecast:daily:all:2026-03-15");
        CHECK_STR(c, r.h[0].reason, "daily");
        CHECK(c, r.h[0].project == NULL);
        CHECK_INT(c, r.h[0].since_ns, mid);
        CHECK(c, near(detail_num(r.h[0].detail, "spent_usd"), 4.0));
        CHECK(c, near(detail_num(r.h[0].detail, "forecast_usd"), 16.0));
        CHECK(c, near(detail_num(r.h[0].detail, "budget_usd"), 10.0));
        char v[64];
        CHECK_STR(c, detail_str(r.h[0].detail, "period", v, sizeof v), "2026-03-15");
    }
    recorder_clear(&r);

    /* A slower burn stays under: $4 + 12 x $0.40 = $8.80. */
    s.recent = 0.4;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 0);
    recorder_clear(&r);

    /* $4 + 12 x $0.55 = $10.60: just over. */
    s.recent = 0.55;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    recorder_clear(&r);

    /* Five minutes into the day: too early to forecast, whatever the rate. */
    now = mid + 5 * 60 * NS_PER_S;
    s.today = 9;
    s.recent = 9;
    s.calls = 0;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 0);
    CHECK_INT(c, s.calls, 1); /* today only */
    recorder_clear(&r);

    /* Ten minutes in: the rate is the day's so far ($9 in 10 min). */
    now = mid + 10 * 60 * NS_PER_S;
    s.last_recent_since = -1;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, s.last_recent_since, -1); /* since == the day's start: "today" answered */
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget_forecast");
        CHECK(c, near(detail_num(r.h[0].detail, "forecast_usd"), 9.0 + 9.0 * 143.0));
    }
    recorder_clear(&r);
}

static void test_budget_project(struct check *c)
{
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t mid = local_ns(2026, 3, 15, 0, 0, 0);
    int64_t now = mid + 12 * 3600 * NS_PER_S;
    budget_setup(&cfg, &s, now);
    CHECK_INT(c, cfg.n_project_budgets, 0);
    snprintf(cfg.project_budget[0].project, sizeof cfg.project_budget[0].project, "shop");
    cfg.project_budget[0].daily_usd = 5;
    cfg.n_project_budgets = 1;
    s.project = "shop";
    s.p_today = 6;
    s.today = 1000; /* all projects: no budget set, never asked */
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget");
        CHECK_STR(c, r.h[0].key, "budget:daily:shop:2026-03-15");
        CHECK_STR(c, r.h[0].reason, "daily");
        CHECK_STR(c, r.h[0].project, "shop");
        CHECK_INT(c, r.h[0].since_ns, mid);
        char v[64];
        CHECK_STR(c, detail_str(r.h[0].detail, "project", v, sizeof v), "shop");
        CHECK(c, near(detail_num(r.h[0].detail, "spent_usd"), 6.0));
        CHECK(c, near(detail_num(r.h[0].detail, "budget_usd"), 5.0));
    }
    recorder_clear(&r);

    /* The project's forecast. */
    s.p_today = 2;
    s.p_recent = 1;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget_forecast");
        CHECK_STR(c, r.h[0].key, "budget_forecast:daily:shop:2026-03-15");
        CHECK_STR(c, r.h[0].project, "shop");
        CHECK(c, near(detail_num(r.h[0].detail, "forecast_usd"), 14.0));
    }
    recorder_clear(&r);

    /* The daily budget of all and a project's, both crossed: two hits, all first. */
    cfg.budget_daily_usd = 100;
    s.p_today = 6;
    s.today = 150;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 2);
    if (r.n == 2) {
        CHECK_STR(c, r.h[0].key, "budget:daily:all:2026-03-15");
        CHECK_STR(c, r.h[1].key, "budget:daily:shop:2026-03-15");
    }
    recorder_clear(&r);
}

static void test_budget_monthly(struct check *c)
{
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t now = local_ns(2026, 3, 15, 12, 0, 0);
    budget_setup(&cfg, &s, now);
    cfg.budget_monthly_usd = 100;
    s.month = 150;
    s.today = 1000; /* no daily budget: not looked at */
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 1);
    if (r.n == 1) {
        CHECK_STR(c, r.h[0].rule, "budget");
        CHECK_STR(c, r.h[0].key, "budget:monthly:all:2026-03");
        CHECK_STR(c, r.h[0].reason, "monthly");
        CHECK(c, r.h[0].project == NULL);
        CHECK_INT(c, r.h[0].since_ns, local_ns(2026, 3, 1, 0, 0, 0));
        CHECK(c, near(detail_num(r.h[0].detail, "spent_usd"), 150.0));
        CHECK(c, near(detail_num(r.h[0].detail, "budget_usd"), 100.0));
        char v[64];
        CHECK_STR(c, detail_str(r.h[0].detail, "period", v, sizeof v), "2026-03");
    }
    recorder_clear(&r);

    /* Under the monthly budget: nothing (and no forecast for months). */
    s.month = 99.5;
    s.recent = 50;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 0);
    recorder_clear(&r);

    /* Daily and monthly both crossed: daily first. */
    cfg.budget_daily_usd = 10;
    s.today = 20;
    s.month = 200;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 2);
    if (r.n == 2) {
        CHECK_STR(c, r.h[0].key, "budget:daily:all:2026-03-15");
        CHECK_STR(c, r.h[1].key, "budget:monthly:all:2026-03");
    }
    recorder_clear(&r);
}

static void test_budget_unset(struct check *c)
{
    struct chronicle_config cfg;
    struct fake_spend s;
    struct recorder r = {0};
    int64_t now = local_ns(2026, 3, 15, 12, 0, 0);
    budget_setup(&cfg, &s, now);
    CHECK(c, cfg.budget_daily_usd < 0);
    CHECK(c, cfg.budget_monthly_usd < 0);
    CHECK_STR(c, cfg.budget_daily_text, "");
    s.today = s.recent = s.month = 1e9;
    CHECK_INT(c, alert_budgets_eval(&cfg, now, spend_cb, &s, fire_cb, &r), 0);
    CHECK_INT(c, r.n, 0);
    CHECK_INT(c, s.calls, 0);
    recorder_clear(&r);
}

/* ---- tool errors --------------------------------------------------------- */

static void test_burst(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    cfg.alert_tool_errors = 5;
    cfg.alert_tool_errors_window_s = 60;
    int64_t now = local_ns(2026, 3, 15, 12, 0, 0);
    int64_t s = NS_PER_S;
    CHECK_INT(c, alert_is_burst(&cfg, 5, now, now - 60 * s, now), 1);
    CHECK_INT(c, alert_is_burst(&cfg, 5, now - 1 * s, now - 30 * s, now), 1);
    CHECK_INT(c, alert_is_burst(&cfg, 4, now, now - 10 * s, now), 0);
    CHECK_INT(c, alert_is_burst(&cfg, 0, 0, 0, now), 0);
    CHECK_INT(c, alert_is_burst(&cfg, 5, now, now - 61 * s, now), 0);
    CHECK_INT(c, alert_is_burst(&cfg, 5, now, now - 60 * s - 1, now), 0);
    /* The newest error is older than the window: an old burst, not now. */
    CHECK_INT(c, alert_is_burst(&cfg, 5, now - 61 * s, now - 70 * s, now), 0);
    CHECK_INT(c, alert_is_burst(&cfg, 5, now - 60 * s, now - 70 * s, now), 1);
    cfg.alert_tool_errors = 0;
    CHECK_INT(c, alert_is_burst(&cfg, 5, now, now, now), 0);
    CHECK_INT(c, alert_is_burst(&cfg, 0, now, now, now), 0);
}

static void test_burst_detail(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    CHECK_INT(c, cfg.alert_tool_errors, 5);
    CHECK_INT(c, cfg.alert_tool_errors_window_s, 60);
    char out[128];
    alert_burst_detail(&cfg, "Bash", out, sizeof out);
    CHECK_STR(c, out, "{\"errors\":5,\"window_s\":60,\"tool_name\":\"Bash\"}");
    /* No tool name: none in the detail.  alert_rules.h promises
     * {"errors":N,"window_s":M,...}; the code writes "tool_name":null
     * (json_pack "s?", where "s*" would omit the key), so this checks the
     * fields rather than the text: absent or null both pass. */
    alert_burst_detail(&cfg, "", out, sizeof out);
    CHECK(c, near(detail_num(out, "errors"), 5));
    CHECK(c, near(detail_num(out, "window_s"), 60));
    CHECK(c, no_field(out, "tool_name"));
    const char *prefix = "{\"errors\":5,\"window_s\":60";
    CHECK(c, strncmp(out, prefix, strlen(prefix)) == 0);
    alert_burst_detail(&cfg, NULL, out, sizeof out);
    CHECK(c, no_field(out, "tool_name"));
    CHECK(c, near(detail_num(out, "errors"), 5));
    /* A quote in the tool name stays JSON. */
    alert_burst_detail(&cfg, "we\"ird", out, sizeof out);
    CHECK_STR(c, out, "{\"errors\":5,\"window_s\":60,\"tool_name\":\"we\\\"ird\"}");
    /* Too small for the text: "{}", never a cut object. */
    const char *full = "{\"errors\":5,\"window_s\":60,\"tool_name\":\"Bash\"}";
    size_t len = strlen(full);
    alert_burst_detail(&cfg, "Bash", out, len + 1);
    CHECK_STR(c, out, full);
    alert_burst_detail(&cfg, "Bash", out, len);
    CHECK_STR(c, out, "{}");
    alert_burst_detail(&cfg, "Bash", out, 10);
    CHECK_STR(c, out, "{}");
}

/* ---- deliveries ---------------------------------------------------------- */

static void test_outcome(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    cfg.webhook_retry_base_ms = 1000;
    cfg.webhook_max_attempts = 3;
    int64_t now = local_ns(2026, 3, 15, 12, 0, 0);
    struct alert_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.target, sizeof j.target, "https://hooks.example");
    snprintf(j.error, sizeof j.error, "HTTP 500");
    struct alert_outcome o;

    alert_outcome_of(&cfg, &j, 0, now, "test", &o);
    CHECK_INT(c, o.counts, 1);
    CHECK_INT(c, o.give_up, 0);
    CHECK_INT(c, o.next_ns, now + 1 * NS_PER_S);

    alert_outcome_of(&cfg, &j, 1, now, "test", &o);
    CHECK_INT(c, o.counts, 1);
    CHECK_INT(c, o.give_up, 0);
    CHECK_INT(c, o.next_ns, now + 2 * NS_PER_S);

    alert_outcome_of(&cfg, &j, 2, now, "test", &o);
    CHECK_INT(c, o.counts, 1);
    CHECK_INT(c, o.give_up, 1);

    alert_outcome_of(&cfg, &j, 5, now, "test", &o); /* past the limit: still gives up */
    CHECK_INT(c, o.give_up, 1);

    /* The delay doubles to five minutes and stays there. */
    cfg.webhook_max_attempts = 100;
    alert_outcome_of(&cfg, &j, 8, now, "test", &o);
    CHECK_INT(c, o.give_up, 0);
    CHECK_INT(c, o.next_ns, now + 256 * NS_PER_S);
    alert_outcome_of(&cfg, &j, 9, now, "test", &o);
    CHECK_INT(c, o.next_ns, now + 300 * NS_PER_S);
    alert_outcome_of(&cfg, &j, 50, now, "test", &o);
    CHECK_INT(c, o.next_ns, now + 300 * NS_PER_S);
    alert_outcome_of(&cfg, &j, INT64_MAX / 2, now, "test", &o);
    CHECK_INT(c, o.next_ns, now + 300 * NS_PER_S);
    /* A base above the cap is capped too. */
    cfg.webhook_retry_base_ms = 600000;
    alert_outcome_of(&cfg, &j, 0, now, "test", &o);
    CHECK_INT(c, o.next_ns, now + 300 * NS_PER_S);
    cfg.webhook_retry_base_ms = 1000;
    cfg.webhook_max_attempts = 3;

    /* Cut short by our own stop: not an attempt, retried at once. */
    snprintf(j.error, sizeof j.error, "%s", ALERT_SENDER_STOPPED);
    alert_outcome_of(&cfg, &j, 0, now, "test", &o);
    CHECK_INT(c, o.counts, 0);
    CHECK_INT(c, o.give_up, 0);
    CHECK_INT(c, o.next_ns, now);
    alert_outcome_of(&cfg, &j, 2, now, "test", &o); /* even on the last attempt */
    CHECK_INT(c, o.counts, 0);
    CHECK_INT(c, o.give_up, 0);
    CHECK_INT(c, o.next_ns, now);

    /* Delivered. */
    j.ok = 1;
    j.http_status = 200;
    j.error[0] = '\0';
    alert_outcome_of(&cfg, &j, 0, now, "test", &o);
    CHECK_INT(c, o.counts, 1);
    CHECK_INT(c, o.give_up, 0);
    alert_outcome_of(&cfg, &j, 2, now, "test", &o); /* on the last attempt */
    CHECK_INT(c, o.counts, 1);
    CHECK_INT(c, o.give_up, 0);
}

static struct alert_view sample_view(void)
{
    struct alert_view a = {
        .id = 7, .rule = "awaiting", .session_id = "ab cd/1", .title = "Fix the build",
        .project = "shop", .machine = "vm", .reason = "permission",
        .detail = "{\"tool_name\":\"Bash\",\"tool_input\":\"rm -rf build\"}",
        .kind = "fired", .fired_ns = 1796187400067000000LL, .resolved_ns = 0,
        .dashboard = "http://127.0.0.1:8510/"};
    return a;
}

static void test_job_for(struct check *c)
{
    struct chronicle_config cfg;
    CHECK_INT(c, default_config(&cfg), 0);
    snprintf(cfg.webhook_url, sizeof cfg.webhook_url,
             "http://127.0.0.1:9/hook?k=secret https://ntfy.sh/topic");
    struct alert_targets ts;
    char err[256];
    CHECK_INT(c, alert_targets_init(&ts, &cfg, NULL, err, sizeof err), 0);
    CHECK_INT(c, ts.n, 2);
    struct alert_view a = sample_view();

    struct alert_job *j = alert_job_for(&a, &ts.t[0], 42);
    CHECK(c, j != NULL);
    if (j) {
        CHECK_INT(c, j->delivery_id, 42);
        CHECK_STR(c, j->url, "http://127.0.0.1:9/hook?k=secret");
        CHECK(c, j->url != ts.t[0].url); /* a copy */
        CHECK_STR(c, j->content_type, "application/json");
        CHECK_STR(c, j->target, "http://127.0.0.1:9");
        CHECK_STR(c, j->summary, "");
        CHECK_STR(c, j->header[0], "");
        CHECK_INT(c, j->ok, 0);
        CHECK(c, j->next == NULL);
        json_t *o = j->body ? json_loads(j->body, 0, NULL) : NULL;
        CHECK(c, json_is_object(o));
        CHECK_INT(c, json_integer_value(json_object_get(o, "id")), 7);
        CHECK_STR(c, json_string_value(json_object_get(o, "rule")), "awaiting");
        CHECK_STR(c, json_string_value(json_object_get(o, "event")), "fired");
        json_decref(o);
        alert_job_free(j);
    }

    /* ntfy: its headers travel with the job. */
    j = alert_job_for(&a, &ts.t[1], 43);
    CHECK(c, j != NULL);
    if (j) {
        CHECK_STR(c, j->url, "https://ntfy.sh/topic");
        CHECK(c, strncmp(j->content_type, "text/plain", 10) == 0);
        CHECK_STR(c, j->header[0], "Title: Chronicle: awaiting fired");
        CHECK_STR(c, j->target, "https://ntfy.sh");
        alert_job_free(j);
    }
    alert_targets_free(&ts);

    /* The desktop: a title and the summary line. */
    struct alert_target d = {.url = NULL, .format = ALERT_FORMAT_JSON};
    snprintf(d.origin, sizeof d.origin, "desktop");
    snprintf(d.id, sizeof d.id, "desktop");
    char want[512];
    alert_summary(&a, want, sizeof want);
    CHECK(c, want[0] != '\0');
    j = alert_job_for(&a, &d, 44);
    CHECK(c, j != NULL);
    if (j) {
        CHECK(c, j->url == NULL);
        CHECK_INT(c, j->delivery_id, 44);
        CHECK_STR(c, j->summary, "Chronicle: awaiting");
        CHECK_STR(c, j->target, "desktop");
        CHECK_STR(c, j->body, want);
        CHECK(c, j->body && strstr(j->body, "permission for Bash") != NULL);
        alert_job_free(j);
    }
    a.kind = "resolved";
    a.resolved_ns = a.fired_ns + 5 * NS_PER_S;
    alert_summary(&a, want, sizeof want);
    j = alert_job_for(&a, &d, 45);
    CHECK(c, j != NULL);
    if (j) {
        CHECK_STR(c, j->summary, "Chronicle: awaiting (resolved)");
        CHECK_STR(c, j->body, want);
        alert_job_free(j);
    }
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    static const struct check_case cases[] = {
        CASE(test_targets_two_urls), CASE(test_targets_errors), CASE(test_targets_desktop),
        CASE(test_dashboard_base), CASE(test_budget_periods), CASE(test_budget_periods_local_dst),
        CASE(test_budget_daily_crossed), CASE(test_budget_forecast), CASE(test_budget_project),
        CASE(test_budget_monthly), CASE(test_budget_unset), CASE(test_burst),
        CASE(test_burst_detail), CASE(test_outcome), CASE(test_job_for),
    };
    return check_main(cases, sizeof cases / sizeof cases[0]);
}
