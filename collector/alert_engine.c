/*
 * alert_engine.c - alert rules, their records and deliveries.  See
 * alert_engine.h and docs/ALERTS.md.
 *
 * Statements are prepared per tick, not kept: a tick runs at most five
 * times a second, and nothing then outlives a reopened database.
 */
#include "alert_engine.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "alert_payload.h"
#include "alert_rules.h"
#include "alert_sender.h"
#include "chronicle/clock.h"
#include "chronicle/config.h"
#include "chronicle/log.h"
#include "chronicle/pricing.h"

#define TAG "chronicle-collector"
#define TICK_MIN_NS (200 * NS_PER_MS)     /* after commits, at most this often */
#define MAX_CHANGED 256
#define FAIL_TYPE ALERT_FAIL_TYPE

struct ack_req {
    int64_t id;
    void (*done)(void *arg, int found, int64_t acknowledged_ns);
    void *arg;
    int found;
    int64_t acked_ns;
    struct ack_req *next;
};

struct alert_engine {
    struct alert_engine_opts o;
    const struct chronicle_config *cfg;
    struct alert_sender *sender;
    struct alert_targets targets;
    struct pricing pricing;
    int priced;
    char machine[256];
    char dashboard[512];

    /* Writer thread only. */
    sqlite3 *db_seen;       /* the connection version and fail_scan_id belong to */
    int64_t version;        /* highest alerts.version */
    int64_t fail_scan_id;   /* events scanned for tool failures up to this id */
    int64_t last_tick_mono, last_budget_mono;

    /* Acknowledgements: inbox loop -> writer, outbox writer -> loop. */
    pthread_mutex_t mu;
    struct ack_req *inbox, *outbox;
    int done_fd;
    struct event *done_ev;
};

/* ---- small SQLite helpers ------------------------------------------------ */

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_msg(TAG, LOG_LEVEL_ERROR, "alerts: %s", sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prep(db, sql);
    int64_t v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* ---- acknowledgements (loop side) ------------------------------------------ */

static void on_acks_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct alert_engine *e = arg;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
    pthread_mutex_lock(&e->mu);
    struct ack_req *r = e->outbox;
    e->outbox = NULL;
    pthread_mutex_unlock(&e->mu);
    while (r) {
        struct ack_req *next = r->next;
        r->done(r->arg, r->found, r->acked_ns);
        free(r);
        r = next;
    }
}

int alert_engine_ack(struct alert_engine *e, int64_t id,
                     void (*done)(void *arg, int found, int64_t acknowledged_ns), void *arg)
{
    struct ack_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->id = id;
    r->done = done;
    r->arg = arg;
    pthread_mutex_lock(&e->mu);
    r->next = e->inbox;
    e->inbox = r;
    pthread_mutex_unlock(&e->mu);
    if (e->o.kick)
        e->o.kick(e->o.kick_arg);
    return 0;
}

static void sender_woke(void *arg)
{
    struct alert_engine *e = arg;
    if (e->o.kick)
        e->o.kick(e->o.kick_arg);
}

/* ---- lifecycle ------------------------------------------------------------- */

struct alert_engine *alert_engine_new(const struct alert_engine_opts *o, char *err, size_t errlen)
{
    struct alert_engine *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->o = *o;
    e->cfg = o->cfg;
    e->done_fd = -1;
    if (pthread_mutex_init(&e->mu, NULL) != 0) {
        snprintf(err, errlen, "cannot create the alert engine's lock");
        free(e);
        return NULL;
    }
    if (gethostname(e->machine, sizeof e->machine) != 0)
        snprintf(e->machine, sizeof e->machine, "localhost");
    e->machine[sizeof e->machine - 1] = '\0';
    const struct chronicle_config *cfg = e->cfg;
    alert_dashboard_base(cfg, e->machine, e->dashboard, sizeof e->dashboard);
    char perr[512], ppath[4096];
    e->priced = pricing_load_default(&e->pricing, ppath, sizeof ppath, perr, sizeof perr) == 0;
    if (!e->priced && cfg->alert_budget &&
        (cfg->budget_daily_usd >= 0 || cfg->budget_monthly_usd >= 0 || cfg->n_project_budgets))
        log_msg(TAG, LOG_LEVEL_WARN, "budgets are set but prices are not known (%s): no budget "
                "alerts", perr);
    if (alert_targets_init(&e->targets, cfg, o->desktop_env, err, errlen) != 0) {
        alert_engine_free(e);
        return NULL;
    }
    e->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->done_fd >= 0)
        e->done_ev = event_new(o->base, e->done_fd, EV_READ | EV_PERSIST, on_acks_done, e);
    if (e->done_ev == NULL || event_add(e->done_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the alert engine");
        alert_engine_free(e);
        return NULL;
    }
    struct alert_sender_opts so = {cfg->webhook_timeout_s * 1000, 2, sender_woke, e};
    e->sender = alert_sender_new(&so, err, errlen);
    if (e->sender == NULL) {
        alert_engine_free(e);
        return NULL;
    }
    alert_targets_log(&e->targets, TAG);
    return e;
}

void alert_engine_free(struct alert_engine *e)
{
    if (e == NULL)
        return;
    alert_sender_free(e->sender);
    if (e->done_ev)
        event_free(e->done_ev);
    if (e->done_fd >= 0)
        close(e->done_fd);
    alert_targets_free(&e->targets);
    for (struct ack_req *r = e->inbox, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    for (struct ack_req *r = e->outbox, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    pricing_free(&e->pricing);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* ---- one tick's changes ------------------------------------------------------ */

struct changes {
    int64_t fired[MAX_CHANGED], resolved[MAX_CHANGED];
    int nfired, nresolved;
    int64_t ver;           /* the version this tick writes */
    int64_t now;
    int dirty;             /* alerts rows changed: ver is used */
};

static void note(int64_t *v, int *n, int64_t id)
{
    if (*n < MAX_CHANGED)
        v[(*n)++] = id;
}

/* Steps an INSERT/UPDATE ... RETURNING id, noting each id. */
static void collect_ids(sqlite3_stmt *st, struct changes *ch, int fired)
{
    while (sqlite3_step(st) == SQLITE_ROW) {
        ch->dirty = 1;
        if (fired)
            note(ch->fired, &ch->nfired, sqlite3_column_int64(st, 0));
        else
            note(ch->resolved, &ch->nresolved, sqlite3_column_int64(st, 0));
    }
}

/*
 * The rules that are a session state: fire for sessions in `state` since
 * at least delay_ns (and within the horizon), once per state_since; resolve
 * when the session has left that state (or it began again).
 */
static void state_rule(struct alert_engine *e, sqlite3 *db, struct changes *ch, const char *rule,
                       const char *state, const char *reason_sql, const char *extra,
                       int64_t delay_ns)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO alerts(alert_key, rule, session_id, title, project, machine, reason,"
             " detail, since_ns, fired_ns, version)"
             " SELECT ?1 || ':' || session_id || ':' || state_since_ns, ?1, session_id, title,"
             "  project, ?2, %s, state_detail, state_since_ns, ?3, ?4"
             " FROM sessions WHERE state = ?5 AND state_since_ns IS NOT NULL"
             "  AND state_since_ns <= ?6 AND state_since_ns >= ?7 %s"
             " ON CONFLICT(alert_key) DO NOTHING RETURNING id",
             reason_sql, extra);
    sqlite3_stmt *st = prep(db, sql);
    if (st) {
        bind_text(st, 1, rule);
        bind_text(st, 2, e->machine);
        sqlite3_bind_int64(st, 3, ch->now);
        sqlite3_bind_int64(st, 4, ch->ver);
        bind_text(st, 5, state);
        sqlite3_bind_int64(st, 6, ch->now - delay_ns);
        sqlite3_bind_int64(st, 7, ch->now - ALERT_FIRE_HORIZON_NS);
        collect_ids(st, ch, 1);
        sqlite3_finalize(st);
    }
    snprintf(sql, sizeof sql,
             "UPDATE alerts SET resolved_ns = ?1, version = ?2"
             " WHERE rule = ?3 AND resolved_ns IS NULL AND coalesce(reason, '') != 'tool_errors'"
             "  AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = alerts.session_id"
             "   AND s.state = ?4 AND s.state_since_ns = alerts.since_ns %s)"
             " RETURNING id", extra);
    st = prep(db, sql);
    if (st) {
        sqlite3_bind_int64(st, 1, ch->now);
        sqlite3_bind_int64(st, 2, ch->ver);
        bind_text(st, 3, rule);
        bind_text(st, 4, state);
        collect_ids(st, ch, 0);
        sqlite3_finalize(st);
    }
}

/* N tool errors within M seconds in one session: a 'failed' alert with
 * reason tool_errors, one per burst (none while one is open); resolved
 * after M seconds without a new error. */
static void tool_error_rule(struct alert_engine *e, sqlite3 *db, struct changes *ch)
{
    long n = e->cfg->alert_tool_errors;
    int64_t window = (int64_t)e->cfg->alert_tool_errors_window_s * NS_PER_S;
    if (e->fail_scan_id == 0) {
        /* Start a little back: a burst under way across a restart still counts. */
        e->fail_scan_id = scalar(db, "SELECT coalesce(max(id), 0) FROM events") - 10000;
        if (e->fail_scan_id <= 0)
            e->fail_scan_id = -1;
    }
    sqlite3_stmt *st = prep(db, "SELECT session_id, max(id) FROM events WHERE event_type = '"
                                FAIL_TYPE "' AND id > ?1 AND session_id IS NOT NULL"
                                " GROUP BY session_id LIMIT 200");
    sqlite3_stmt *last = prep(db, "SELECT id, ts_ns, tool_name FROM events WHERE session_id = ?1"
                                  " AND event_type = '" FAIL_TYPE "' ORDER BY id DESC LIMIT ?2");
    sqlite3_stmt *ins = prep(db,
        "INSERT INTO alerts(alert_key, rule, session_id, title, project, machine, reason, detail,"
        " since_ns, fired_ns, version)"
        " SELECT 'tool_errors:' || ?1 || ':' || ?2, 'failed', ?1, s.title, s.project, ?3,"
        "  'tool_errors', ?4, ?5, ?6, ?7 FROM (SELECT 1) LEFT JOIN sessions s ON s.session_id = ?1"
        " WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE rule = 'failed' AND session_id = ?1"
        "  AND reason = 'tool_errors' AND resolved_ns IS NULL)"
        " ON CONFLICT(alert_key) DO NOTHING RETURNING id");
    if (st && last && ins && n > 0) {
        sqlite3_bind_int64(st, 1, e->fail_scan_id);
        int64_t top = e->fail_scan_id;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *sid = col(st, 0);
            if (sqlite3_column_int64(st, 1) > top)
                top = sqlite3_column_int64(st, 1);
            sqlite3_reset(last);
            bind_text(last, 1, sid);
            sqlite3_bind_int64(last, 2, n);
            int got = 0;
            int64_t newest = 0, oldest = 0, first_id = 0;
            char tool[128] = "";
            while (sqlite3_step(last) == SQLITE_ROW) {
                int64_t ts = sqlite3_column_int64(last, 1);
                if (got++ == 0) {
                    newest = ts;
                    snprintf(tool, sizeof tool, "%s", col(last, 2) ? col(last, 2) : "");
                }
                oldest = ts;
                first_id = sqlite3_column_int64(last, 0);
            }
            if (!alert_is_burst(e->cfg, got, newest, oldest, ch->now))
                continue;
            char detail[320];
            alert_burst_detail(e->cfg, tool, detail, sizeof detail);
            sqlite3_reset(ins);
            bind_text(ins, 1, sid);
            sqlite3_bind_int64(ins, 2, first_id);
            bind_text(ins, 3, e->machine);
            bind_text(ins, 4, detail);
            sqlite3_bind_int64(ins, 5, newest);
            sqlite3_bind_int64(ins, 6, ch->now);
            sqlite3_bind_int64(ins, 7, ch->ver);
            collect_ids(ins, ch, 1);
        }
        e->fail_scan_id = top;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(last);
    sqlite3_finalize(ins);
    /* Resolve bursts that have been quiet for a window. */
    st = prep(db, "UPDATE alerts SET resolved_ns = ?1, version = ?2"
                  " WHERE rule = 'failed' AND reason = 'tool_errors' AND resolved_ns IS NULL"
                  "  AND coalesce((SELECT ts_ns FROM events WHERE session_id = alerts.session_id"
                  "   AND event_type = '" FAIL_TYPE "' ORDER BY id DESC LIMIT 1), 0) < ?3"
                  " RETURNING id");
    if (st) {
        sqlite3_bind_int64(st, 1, ch->now);
        sqlite3_bind_int64(st, 2, ch->ver);
        sqlite3_bind_int64(st, 3, ch->now - window);
        collect_ids(st, ch, 0);
        sqlite3_finalize(st);
    }
}

/* ---- budgets ----------------------------------------------------------------- */

/* Priced spend of usage rows since since_ns; with project non-NULL only
 * that project's sessions.  Unpriced models count nothing. */
struct spend_ctx {
    struct alert_engine *e;
    sqlite3 *db;
    struct changes *ch;
};

static double spend(void *arg, int64_t since_ns, const char *project)
{
    struct spend_ctx *c = arg;
    const char *all = "SELECT model, sum(input_tokens), sum(output_tokens),"
                      " sum(cache_creation_input_tokens), sum(cache_read_input_tokens)"
                      " FROM usage WHERE ts_ns >= ?1 GROUP BY model";
    const char *one = "SELECT u.model, sum(u.input_tokens), sum(u.output_tokens),"
                      " sum(u.cache_creation_input_tokens), sum(u.cache_read_input_tokens)"
                      " FROM usage u JOIN sessions s ON s.session_id = u.session_id"
                      " WHERE u.ts_ns >= ?1 AND s.project = ?2 GROUP BY u.model";
    sqlite3_stmt *st = prep(c->db, project ? one : all);
    double cost = 0;
    if (st == NULL)
        return 0;
    sqlite3_bind_int64(st, 1, since_ns);
    if (project)
        bind_text(st, 2, project);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const struct price *pr = pricing_find(&c->e->pricing, col(st, 0) ? col(st, 0) : "");
        if (pr)
            cost += pricing_cost(pr, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                                 sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
    }
    sqlite3_finalize(st);
    return cost;
}

static void fire_budget(void *arg, const struct alert_budget_hit *h)
{
    struct spend_ctx *c = arg;
    sqlite3_stmt *st = prep(c->db, "INSERT INTO alerts(alert_key, rule, project, machine, reason,"
                                   " detail, since_ns, fired_ns, version)"
                                   " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
                                   " ON CONFLICT(alert_key) DO NOTHING RETURNING id");
    if (st) {
        bind_text(st, 1, h->key);
        bind_text(st, 2, h->rule);
        bind_text(st, 3, h->project);
        bind_text(st, 4, c->e->machine);
        bind_text(st, 5, h->reason);
        bind_text(st, 6, h->detail);
        sqlite3_bind_int64(st, 7, h->since_ns);
        sqlite3_bind_int64(st, 8, c->ch->now);
        sqlite3_bind_int64(st, 9, c->ch->ver);
        collect_ids(st, c->ch, 1);
    }
    sqlite3_finalize(st);
}

static void budget_rule(struct alert_engine *e, sqlite3 *db, struct changes *ch)
{
    int64_t day, month;
    alert_budget_periods(ch->now, &day, &month);
    /* Alerts of a past period are over. */
    sqlite3_stmt *st = prep(db, "UPDATE alerts SET resolved_ns = ?1, version = ?2"
                                " WHERE rule IN ('budget', 'budget_forecast') AND resolved_ns IS NULL"
                                "  AND since_ns < CASE reason WHEN 'monthly' THEN ?3 ELSE ?4 END"
                                " RETURNING id");
    if (st) {
        sqlite3_bind_int64(st, 1, ch->now);
        sqlite3_bind_int64(st, 2, ch->ver);
        sqlite3_bind_int64(st, 3, month);
        sqlite3_bind_int64(st, 4, day);
        collect_ids(st, ch, 0);
        sqlite3_finalize(st);
    }
    if (!e->priced)
        return;
    struct spend_ctx c = {e, db, ch};
    if (alert_budgets_eval(e->cfg, ch->now, spend, &c, fire_budget, &c) != 0)
        log_msg(TAG, LOG_LEVEL_ERROR, "alerts: budgets: out of memory");
}

/* ---- deliveries -------------------------------------------------------------- */

static void enqueue(struct alert_engine *e, sqlite3 *db, const int64_t *ids, int n,
                    const char *kind, int64_t now)
{
    if (n == 0 || e->targets.n == 0)
        return;
    sqlite3_stmt *st = prep(db, "INSERT INTO alert_deliveries(alert_id, kind, target, target_id,"
                                " created_ns, next_ns) VALUES(?1,?2,?3,?4,?5,?5)"
                                " ON CONFLICT DO NOTHING");
    if (st == NULL)
        return;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < e->targets.n; t++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, ids[i]);
            bind_text(st, 2, kind);
            bind_text(st, 3, e->targets.t[t].origin);
            bind_text(st, 4, e->targets.t[t].id);
            sqlite3_bind_int64(st, 5, now);
            if (sqlite3_step(st) != SQLITE_DONE)
                log_msg(TAG, LOG_LEVEL_ERROR, "alerts: queueing a delivery: %s", sqlite3_errmsg(db));
        }
    sqlite3_finalize(st);
}

/* The queue is bounded: beyond alert_queue_max undelivered notifications
 * the oldest give up (a webhook dead for days must not grow the file). */
static void bound_queue(struct alert_engine *e, sqlite3 *db, int64_t now)
{
    int64_t n = scalar(db, "SELECT count(*) FROM alert_deliveries"
                           " WHERE delivered_ns IS NULL AND gave_up_ns IS NULL");
    if (n <= e->cfg->alert_queue_max)
        return;
    sqlite3_stmt *st = prep(db, "UPDATE alert_deliveries SET gave_up_ns = ?1,"
                                " last_error = 'dropped: queue full' WHERE id IN (SELECT id FROM"
                                " alert_deliveries WHERE delivered_ns IS NULL AND gave_up_ns IS NULL"
                                " ORDER BY id LIMIT ?2)");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, n - e->cfg->alert_queue_max);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    stats_add(e->o.stats, "alert_deliveries_dropped_total", "", n - e->cfg->alert_queue_max);
    log_msg(TAG, LOG_LEVEL_WARN, "alerts: %lld undelivered notification(s) dropped (queue over %ld)",
            (long long)(n - e->cfg->alert_queue_max), e->cfg->alert_queue_max);
}

struct record_ctx {
    struct alert_engine *e;
    sqlite3 *db;
    int64_t now;
};

/* The sender's completion callback (writer thread, inside the tick's
 * transaction): the outcome goes into the delivery's row. */
static void record(const struct alert_job *j, void *arg)
{
    struct record_ctx *r = arg;
    struct alert_engine *e = r->e;
    sqlite3_stmt *st = prep(r->db, "UPDATE alert_deliveries SET attempts = attempts + ?6,"
                                   " delivered_ns = ?2, last_error = ?3,"
                                   " next_ns = ?4, gave_up_ns = ?5 WHERE id = ?1");
    if (st == NULL)
        return;
    sqlite3_stmt *get = prep(r->db, "SELECT attempts FROM alert_deliveries WHERE id = ?1");
    int64_t before = 0;
    if (get) {
        sqlite3_bind_int64(get, 1, j->delivery_id);
        if (sqlite3_step(get) == SQLITE_ROW)
            before = sqlite3_column_int64(get, 0);
        sqlite3_finalize(get);
    }
    struct alert_outcome o;
    alert_outcome_of(e->cfg, j, before, r->now, TAG, &o);
    sqlite3_bind_int64(st, 1, j->delivery_id);
    if (j->ok)
        sqlite3_bind_int64(st, 2, r->now);
    else
        sqlite3_bind_null(st, 2);
    bind_text(st, 3, j->ok ? NULL : j->error);
    sqlite3_bind_int64(st, 4, o.next_ns);
    if (o.give_up)
        sqlite3_bind_int64(st, 5, r->now);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int(st, 6, o.counts);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (j->ok)
        stats_add(e->o.stats, "alert_deliveries_total", "", 1);
    else if (o.counts)
        stats_add(e->o.stats, "alert_delivery_failures_total", "", 1);
}

/* Hands due deliveries to the sender.  Reads only, then pushes. */
static void dispatch(struct alert_engine *e, sqlite3 *db, int64_t now)
{
    if (e->targets.n == 0)
        return;
    sqlite3_stmt *st = prep(db,
        "SELECT d.id, d.kind, d.target_id, a.id, a.rule, a.session_id, a.title, a.project,"
        " a.machine, a.reason, a.detail, a.fired_ns, coalesce(a.resolved_ns, 0)"
        " FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id"
        " WHERE d.delivered_ns IS NULL AND d.gave_up_ns IS NULL AND d.next_ns <= ?1"
        "  AND NOT EXISTS (SELECT 1 FROM alert_deliveries p WHERE p.alert_id = d.alert_id"
        "   AND p.target_id = d.target_id AND p.id < d.id AND p.delivered_ns IS NULL"
        "   AND p.gave_up_ns IS NULL)"
        " ORDER BY d.next_ns, d.id LIMIT ?2");
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, ALERT_SENDER_QUEUE_MAX);
    int64_t orphans[64];
    int norphans = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t did = sqlite3_column_int64(st, 0);
        if (alert_sender_busy(e->sender, did))
            continue;
        const struct alert_target *t = alert_targets_find(&e->targets, col(st, 2));
        if (t == NULL) {
            if (norphans < 64)
                orphans[norphans++] = did;
            continue;
        }
        struct alert_view a = {
            .id = sqlite3_column_int64(st, 3), .rule = col(st, 4), .session_id = col(st, 5),
            .title = col(st, 6), .project = col(st, 7), .machine = col(st, 8),
            .reason = col(st, 9), .detail = col(st, 10), .kind = col(st, 1),
            .fired_ns = sqlite3_column_int64(st, 11), .resolved_ns = sqlite3_column_int64(st, 12),
            .dashboard = e->dashboard};
        struct alert_job *j = alert_job_for(&a, t, did);
        if (j == NULL)
            break;
        if (alert_sender_push(e->sender, j) != 0) {
            alert_job_free(j);
            break; /* full: the rows stay due */
        }
    }
    sqlite3_finalize(st);
    /* Targets removed from the configuration since: nobody to send to. */
    for (int i = 0; i < norphans; i++) {
        sqlite3_stmt *u = prep(db, "UPDATE alert_deliveries SET gave_up_ns = ?2,"
                                   " last_error = 'target no longer configured' WHERE id = ?1");
        if (u) {
            sqlite3_bind_int64(u, 1, orphans[i]);
            sqlite3_bind_int64(u, 2, now);
            sqlite3_step(u);
            sqlite3_finalize(u);
        }
    }
}

/* Applies queued acknowledgements; returns the list for the loop (or
 * NULL), with each request's answer filled in. */
static struct ack_req *apply_acks(struct alert_engine *e, sqlite3 *db, struct changes *ch)
{
    pthread_mutex_lock(&e->mu);
    struct ack_req *r = e->inbox;
    e->inbox = NULL;
    pthread_mutex_unlock(&e->mu);
    if (r == NULL)
        return NULL;
    sqlite3_stmt *st = prep(db, "UPDATE alerts SET acknowledged_ns = coalesce(acknowledged_ns, ?2),"
                                " version = CASE WHEN acknowledged_ns IS NULL THEN ?3 ELSE version END"
                                " WHERE id = ?1 RETURNING acknowledged_ns");
    for (struct ack_req *q = r; q; q = q->next) {
        q->found = 0;
        if (st == NULL)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, q->id);
        sqlite3_bind_int64(st, 2, ch->now);
        sqlite3_bind_int64(st, 3, ch->ver);
        if (sqlite3_step(st) == SQLITE_ROW) {
            q->found = 1;
            q->acked_ns = sqlite3_column_int64(st, 0);
            ch->dirty = 1;
        }
        while (sqlite3_step(st) == SQLITE_ROW)
            ;
    }
    sqlite3_finalize(st);
    return r;
}

static void answer_acks(struct alert_engine *e, struct ack_req *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    struct ack_req *tail = r;
    while (tail->next)
        tail = tail->next;
    tail->next = e->outbox;
    e->outbox = r;
    pthread_mutex_unlock(&e->mu);
    uint64_t one = 1;
    if (write(e->done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
}

/* Requests taken but not committed go back to the inbox for the next tick. */
static void requeue_acks(struct alert_engine *e, struct ack_req *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    struct ack_req *tail = r;
    while (tail->next)
        tail = tail->next;
    tail->next = e->inbox;
    e->inbox = r;
    pthread_mutex_unlock(&e->mu);
}

static void count_fired(struct alert_engine *e, sqlite3 *db, const struct changes *ch)
{
    sqlite3_stmt *st = prep(db, "SELECT rule, session_id FROM alerts WHERE id = ?1");
    for (int i = 0; st && i < ch->nfired; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ch->fired[i]);
        if (sqlite3_step(st) == SQLITE_ROW) {
            stats_add(e->o.stats, "alerts_fired_total", col(st, 0), 1);
            log_msg(TAG, LOG_LEVEL_INFO, "alert %lld: %s%s%s", (long long)ch->fired[i], col(st, 0),
                    col(st, 1) ? " for session " : "", col(st, 1) ? col(st, 1) : "");
        }
    }
    sqlite3_finalize(st);
}

static void run(struct alert_engine *e, sqlite3 *db, int64_t now, int budgets)
{
    if (db != e->db_seen) {
        e->db_seen = db;
        e->version = scalar(db, "SELECT coalesce(max(version), 0) FROM alerts");
        e->fail_scan_id = 0;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return; /* another writer (a backup): next tick */
    struct changes ch = {.ver = e->version + 1, .now = now};
    struct ack_req *acks = apply_acks(e, db, &ch);
    struct record_ctx rc = {e, db, now};
    alert_sender_collect(e->sender, record, &rc);
    const struct chronicle_config *cfg = e->cfg;
    if (cfg->alert_awaiting)
        state_rule(e, db, &ch, "awaiting", "awaiting_input", "coalesce(awaiting_reason, 'input')",
                   "", (int64_t)cfg->alert_awaiting_after_s * NS_PER_S);
    if (cfg->alert_failed) {
        state_rule(e, db, &ch, "failed", "failed", "'stop_failure'", "", 0);
        if (cfg->alert_tool_errors > 0)
            tool_error_rule(e, db, &ch);
    }
    if (cfg->alert_ended_unexpectedly)
        state_rule(e, db, &ch, "ended_unexpectedly", "ended", "coalesce(end_reason, 'process_gone')",
                   "AND end_reason = 'process_gone'", 0);
    if (cfg->alert_budget && budgets)
        budget_rule(e, db, &ch);
    enqueue(e, db, ch.fired, ch.nfired, "fired", now);
    enqueue(e, db, ch.resolved, ch.nresolved, "resolved", now);
    if (ch.nfired || ch.nresolved)
        bound_queue(e, db, now);
    count_fired(e, db, &ch);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        log_msg(TAG, LOG_LEVEL_WARN, "alerts: commit failed: %s (will retry)", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        requeue_acks(e, acks);
        return;
    }
    if (ch.dirty)
        e->version = ch.ver;
    answer_acks(e, acks);
    dispatch(e, db, now);
}

void alert_engine_tick(struct alert_engine *e, sqlite3 *db, int after_commit, int64_t now_ns)
{
    if (e == NULL || db == NULL)
        return;
    int64_t mono = clock_mono_ns();
    if (after_commit && mono - e->last_tick_mono < TICK_MIN_NS)
        return;
    e->last_tick_mono = mono;
    int budgets = e->last_budget_mono == 0 ||
                  mono - e->last_budget_mono >= e->cfg->alert_budget_check_s * NS_PER_S;
    if (budgets)
        e->last_budget_mono = mono;
    run(e, db, now_ns, budgets);
}

void alert_engine_finish(struct alert_engine *e, sqlite3 *db)
{
    if (e == NULL)
        return;
    alert_sender_stop(e->sender);
    if (db != NULL) {
        run(e, db, clock_wall_ns(), 0);
    }
    /* Whatever could not be recorded: answer "not found" rather than never. */
    pthread_mutex_lock(&e->mu);
    struct ack_req *r = e->inbox;
    e->inbox = NULL;
    pthread_mutex_unlock(&e->mu);
    for (struct ack_req *q = r; q; q = q->next)
        q->found = 0;
    answer_acks(e, r);
    on_acks_done(e->done_fd, EV_READ, e);
}
