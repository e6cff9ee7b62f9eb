/*
 * Unit tests: the alert rules (collector/alert_engine.c) against a real
 * database, with session, event and usage rows written directly (the state
 * machine that fills sessions.state is the state branch's; contract 1 of
 * the helper brief is what these rows follow).  Time is passed in, so the
 * tests wait for no clock.  Checked: each rule fires once per key, a new
 * engine on the same file (a restart) fires nothing twice, resolutions,
 * acknowledgement, and a failing delivery recorded with its back-off.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "alert_engine.h"
#include "batch_writer.h"
#include "check.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"

#define S NS_PER_S

struct fx {
    char dir[64], db_path[96];
    struct chronicle_config cfg;
    struct batch_writer *w;
    sqlite3 *db;
    struct event_base *base;
    struct stats stats;
};

static int setup(struct fx *f, const char *webhook)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/chr-alert-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    setenv("CHRONICLE_CONFIG", "/dev/null", 1);
    setenv("CHRONICLE_HOME", f->dir, 1);
    setenv("CHRONICLE_PRICING", "share/pricing.tsv", 1);
    setenv("CHRONICLE_WEBHOOK_URL", webhook ? webhook : "", 1);
    setenv("CHRONICLE_DESKTOP_NOTIFY", "0", 1);
    char err[512];
    if (config_load(&f->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    f->cfg.alert_awaiting_after_s = 20;
    f->cfg.alert_tool_errors = 3;
    f->cfg.alert_tool_errors_window_s = 60;
    snprintf(f->db_path, sizeof f->db_path, "%s/chronicle.db", f->dir);
    f->w = batch_writer_open(f->db_path, err, sizeof err);
    f->db = f->w ? batch_writer_db(f->w) : NULL;
    f->base = event_base_new();
    stats_init(&f->stats);
    return f->db && f->base ? 0 : -1;
}

static void teardown(struct fx *f)
{
    batch_writer_close(f->w);
    event_base_free(f->base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
}

static struct alert_engine *engine(struct fx *f)
{
    struct alert_engine_opts o = {&f->cfg, f->base, &f->stats, NULL, NULL, NULL};
    char err[256];
    struct alert_engine *e = alert_engine_new(&o, err, sizeof err);
    if (e == NULL)
        fprintf(stderr, "engine: %s\n", err);
    return e;
}

static void exec(struct fx *f, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fprintf(stderr, "SQL %s: %s\n", sql, msg);
    sqlite3_free(msg);
}

static long long q(struct fx *f, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void session(struct fx *f, const char *id, const char *state, const char *reason,
                    int64_t since, const char *end_reason)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO sessions(session_id, first_seen_ns, last_seen_ns, project, state,"
             " awaiting_reason, state_since_ns, state_detail, title, end_reason)"
             " VALUES('%s', %lld, %lld, 'shop', '%s', %s%s%s, %lld,"
             " '{\"tool_name\":\"Bash\",\"tool_input\":\"make\"}', 'Fix it', %s%s%s)"
             " ON CONFLICT(session_id) DO UPDATE SET state = excluded.state,"
             " awaiting_reason = excluded.awaiting_reason, state_since_ns = excluded.state_since_ns,"
             " end_reason = excluded.end_reason",
             id, (long long)since, (long long)since, state, reason ? "'" : "",
             reason ? reason : "NULL", reason ? "'" : "", (long long)since,
             end_reason ? "'" : "", end_reason ? end_reason : "NULL", end_reason ? "'" : "");
    exec(f, sql);
}

static void test_awaiting_once_and_resolved(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, NULL), 0);
    int64_t t = clock_wall_ns();
    session(&f, "s1", "awaiting_input", "permission", t, NULL);
    struct alert_engine *e = engine(&f);
    alert_engine_tick(e, f.db, 0, t + 19 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 0); /* not before alert_awaiting_after_s */
    alert_engine_tick(e, f.db, 0, t + 21 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='awaiting' AND session_id='s1'"
                       " AND reason='permission' AND title='Fix it' AND project='shop'"
                       " AND detail LIKE '%Bash%' AND resolved_ns IS NULL"), 1);
    alert_engine_tick(e, f.db, 0, t + 60 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 1); /* once per wait */
    alert_engine_free(e);
    /* A restarted collector finds the row: nothing fires twice. */
    e = engine(&f);
    alert_engine_tick(e, f.db, 0, t + 61 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 1);
    /* The session moves on: resolved. */
    session(&f, "s1", "working", NULL, t + 62 * S, NULL);
    alert_engine_tick(e, f.db, 0, t + 63 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE resolved_ns IS NOT NULL"), 1);
    /* A new wait is a new alert. */
    session(&f, "s1", "awaiting_input", "idle_prompt", t + 70 * S, NULL);
    alert_engine_tick(e, f.db, 0, t + 91 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE reason='idle_prompt'"), 1);
    /* Every change bumped the version the server tails. */
    CHECK_INT(c, q(&f, "SELECT count(DISTINCT version) FROM alerts"), 2);
    CHECK(c, q(&f, "SELECT max(version) FROM alerts") >= 3);
    alert_engine_free(e);
    teardown(&f);
}

static void test_failed_and_ended(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, NULL), 0);
    int64_t t = clock_wall_ns();
    session(&f, "f1", "failed", NULL, t, NULL);
    session(&f, "e1", "ended", NULL, t, "process_gone");
    session(&f, "e2", "ended", NULL, t, "prompt_input_exit");
    session(&f, "old", "failed", NULL, t - 2 * 86400 * S, NULL); /* before the horizon */
    struct alert_engine *e = engine(&f);
    alert_engine_tick(e, f.db, 0, t + S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='failed' AND session_id='f1'"
                       " AND reason='stop_failure'"), 1);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='ended_unexpectedly'"
                       " AND session_id='e1' AND reason='process_gone'"), 1);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 2);
    f.cfg.alert_failed = 0; /* a rule turned off fires nothing */
    session(&f, "f2", "failed", NULL, t, NULL);
    alert_engine_tick(e, f.db, 0, t + 2 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE session_id='f2'"), 0);
    alert_engine_free(e);
    teardown(&f);
}

static void failure_event(struct fx *f, const char *sid, int64_t ts)
{
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO events(event_uid, session_id, event_type, ts_ns, stored_ns,"
             " payload_size, tool_name) VALUES(randomblob(16), '%s', 'PostToolUseFailure', %lld,"
             " %lld, 2, 'Bash')", sid, (long long)ts, (long long)ts);
    exec(f, sql);
}

static void test_tool_error_burst(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, NULL), 0);
    int64_t t = clock_wall_ns();
    session(&f, "b1", "working", NULL, t, NULL);
    struct alert_engine *e = engine(&f);
    failure_event(&f, "b1", t);
    failure_event(&f, "b1", t + 100 * S); /* too far apart */
    alert_engine_tick(e, f.db, 0, t + 100 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 0);
    failure_event(&f, "b1", t + 110 * S);
    failure_event(&f, "b1", t + 120 * S);
    alert_engine_tick(e, f.db, 0, t + 121 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='failed' AND reason='tool_errors'"
                       " AND detail LIKE '%\"errors\":3%'"), 1);
    failure_event(&f, "b1", t + 125 * S); /* the same burst goes on: no second alert */
    alert_engine_tick(e, f.db, 0, t + 126 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), 1);
    alert_engine_tick(e, f.db, 0, t + 200 * S); /* a quiet window: resolved */
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE resolved_ns IS NOT NULL"), 1);
    alert_engine_free(e);
    teardown(&f);
}

static void usage_row(struct fx *f, const char *mid, const char *sid, int64_t ts, long long input)
{
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO usage(message_id, session_id, model, ts_ns, input_tokens)"
             " VALUES('%s', '%s', 'claude-opus-4-5', %lld, %lld)", mid, sid, (long long)ts, input);
    exec(f, sql);
}

static int64_t local_noon(void)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = 12;
    tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * S;
}

static void test_budgets(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, NULL), 0);
    int64_t noon = local_noon();
    session(&f, "u1", "working", NULL, noon, NULL);
    /* $5 per million input tokens (share/pricing.tsv): $2 in the morning,
     * $1 in the last hour. */
    usage_row(&f, "m1", "u1", noon - 3 * 3600 * S, 400000);
    usage_row(&f, "m2", "u1", noon - 1800 * S, 200000);
    f.cfg.budget_daily_usd = 10;  /* not crossed: $3, but $1/h to midnight is $15 */
    f.cfg.budget_monthly_usd = 2.5; /* crossed */
    snprintf(f.cfg.project_budget[0].project, sizeof f.cfg.project_budget[0].project, "shop");
    f.cfg.project_budget[0].daily_usd = 2;
    f.cfg.n_project_budgets = 1;
    struct alert_engine *e = engine(&f);
    alert_engine_tick(e, f.db, 0, noon);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='budget' AND reason='monthly'"
                       " AND detail LIKE '%\"budget_usd\":2.5%'"), 1);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='budget_forecast' AND project IS NULL"), 1);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='budget' AND reason='daily'"
                       " AND project='shop'"), 1);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='budget' AND reason='daily'"
                       " AND project IS NULL"), 0);
    long long n = q(&f, "SELECT count(*) FROM alerts");
    alert_engine_free(e);
    /* More spend later the same day, a restarted collector: once per day. */
    usage_row(&f, "m3", "u1", noon + 60 * S, 2000000);
    e = engine(&f);
    alert_engine_tick(e, f.db, 0, noon + 120 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE rule='budget' AND reason='daily'"
                       " AND project IS NULL"), 1); /* $13 > $10 now */
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts"), n + 1);
    alert_engine_free(e);
    /* The next day: yesterday's daily alerts are resolved, the month's stays. */
    e = engine(&f);
    alert_engine_tick(e, f.db, 0, noon + 86400 * S);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alerts WHERE reason='daily' AND resolved_ns IS NULL"), 0);
    alert_engine_free(e);
    teardown(&f);
}

static void on_ack(void *arg, int found, int64_t acked)
{
    int64_t *out = arg;
    *out = found ? acked : -1;
}

static void test_ack(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, NULL), 0);
    int64_t t = clock_wall_ns();
    session(&f, "a1", "failed", NULL, t, NULL);
    struct alert_engine *e = engine(&f);
    alert_engine_tick(e, f.db, 0, t + S);
    long long id = q(&f, "SELECT id FROM alerts");
    int64_t got = 0, missing = 0;
    CHECK_INT(c, alert_engine_ack(e, id, on_ack, &got), 0);
    CHECK_INT(c, alert_engine_ack(e, 999, on_ack, &missing), 0);
    alert_engine_tick(e, f.db, 0, t + 2 * S);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    CHECK_INT(c, got, t + 2 * S);
    CHECK_INT(c, missing, -1);
    CHECK_INT(c, q(&f, "SELECT acknowledged_ns FROM alerts"), t + 2 * S);
    /* Again: the first acknowledgement's time stays. */
    CHECK_INT(c, alert_engine_ack(e, id, on_ack, &got), 0);
    alert_engine_tick(e, f.db, 0, t + 3 * S);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    CHECK_INT(c, got, t + 2 * S);
    alert_engine_free(e);
    teardown(&f);
}

/* A webhook nobody listens on: the attempt is recorded with its error and
 * the next one waits for the back-off. */
static void test_delivery_failure_recorded(struct check *c)
{
    struct fx f;
    CHECK_INT(c, setup(&f, "http://127.0.0.1:1/hook/secret-path"), 0);
    int64_t t = clock_wall_ns();
    session(&f, "d1", "failed", NULL, t, NULL);
    struct alert_engine *e = engine(&f);
    alert_engine_tick(e, f.db, 0, t);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alert_deliveries WHERE kind='fired'"
                       " AND target='http://127.0.0.1:1'"), 1);
    for (int i = 0; i < 500 && q(&f, "SELECT attempts FROM alert_deliveries") == 0; i++) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
        alert_engine_tick(e, f.db, 0, t);
    }
    CHECK_INT(c, q(&f, "SELECT attempts FROM alert_deliveries"), 1);
    CHECK_INT(c, q(&f, "SELECT last_error IS NOT NULL AND delivered_ns IS NULL"
                       " AND gave_up_ns IS NULL FROM alert_deliveries"), 1);
    CHECK_INT(c, q(&f, "SELECT next_ns FROM alert_deliveries"), t + f.cfg.webhook_retry_base_ms * NS_PER_MS);
    CHECK_INT(c, q(&f, "SELECT count(*) FROM alert_deliveries WHERE last_error LIKE '%secret%'"), 0);
    alert_engine_tick(e, f.db, 0, t + NS_PER_MS); /* before the back-off: not sent again */
    CHECK_INT(c, q(&f, "SELECT attempts FROM alert_deliveries"), 1);
    alert_engine_finish(e, f.db);
    alert_engine_free(e);
    teardown(&f);
}

int main(void)
{
    static const struct check_case cases[] = {
        CASE(test_awaiting_once_and_resolved), CASE(test_failed_and_ended),
        CASE(test_tool_error_burst), CASE(test_budgets), CASE(test_ack),
        CASE(test_delivery_failure_recorded),
    };
    return check_main(cases, sizeof cases / sizeof cases[0]);
}
