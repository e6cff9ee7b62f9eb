/*
 * team_alerter.c - the alert rules over the team's PostgreSQL.  See
 * team_alerter.h; the rules are docs/ALERTS.md's, their shared arithmetic
 * collector/alert_rules.c, and the SQL below is collector/alert_engine.c's
 * in PostgreSQL's dialect with the machine in every key.
 */
#include "team_alerter.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
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
#include "chronicle/log.h"
#include "chronicle/pricing.h"
#include "pg_link.h"

#define TAG "chronicle-server"
#define SCHEMA_ALERTS 4          /* the team schema that has chronicle.alerts */
#define STATEMENT_MS 10000       /* one statement at most (the rules are indexed reads) */
#define IDLE_MS 1000             /* a tick a second, sooner when kicked */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
#define ACK_WAIT_MS 3000
#define MAX_CHANGED 256
/* A leader whose evaluations fail (a role without the grant, a constraint,
 * a disk full on the database host: not the connection, which drop()
 * handles) hands the lock to a standby after this many in a row, and
 * leaves it free this long: a healthy team server takes over, and with
 * none this one retries. */
#define STEP_DOWN_AFTER 5
#define STEP_DOWN_MS 10000
/* pg_try_advisory_lock (session): the team server that evaluates.
 * pg_advisory_xact_lock: every transaction that writes chronicle.alerts,
 * so versions commit in order (a reader tailing version > last misses
 * nothing).  Distinct from pg_schema.c's keys. */
#define LOCK_LEADER "7203551834412345101"
#define LOCK_WRITE "7203551834412345102"

struct ack_req {
    int64_t id;
    int done, abandoned;        /* under mu */
    int rc;                     /* 0 acked, 1 no such alert, -1 err */
    int64_t acked_ns;
    char err[200];
    struct ack_req *next;
};

struct team_alerter {
    const struct chronicle_config *cfg;
    struct alert_targets targets;
    struct pricing pricing;
    int priced;
    char host[256];
    char dashboard[512];
    struct alert_sender *sender;
    int stop_fd;                /* eventfd: written once to stop; aborts waits on PostgreSQL */

    pthread_mutex_t mu;         /* guards what follows */
    pthread_cond_t kick_cv, answer_cv;
    int stopping, kicked;
    struct ack_req *acks;       /* waiting for the engine */
    struct team_alerter_stats st;

    pthread_t thread;
    int started;

    /* Engine thread only. */
    PGconn *c;
    int failed;                 /* a statement of the current transaction failed */
    int stmt_ms;                /* one statement's deadline */
    int64_t fail_scan_id;       /* events scanned for tool failures up to this id */
    int64_t last_budget_mono;
    int failed_ticks;           /* evaluations in a row that did not commit */
    int64_t standby_until;      /* monotonic ns: no lead() before (after stepping down) */
};

/* ---- the engine's state, as others see it ---------------------------------- */

static void set_error(struct team_alerter *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct team_alerter *a, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&a->mu);
    int fresh = strcmp(a->st.error, msg) != 0;
    snprintf(a->st.error, sizeof a->st.error, "%s", msg);
    pthread_mutex_unlock(&a->mu);
    if (fresh) /* once per distinct failure, not once a second */
        log_msg(TAG, LOG_LEVEL_WARN, "team alerts: %s", msg);
}

static void clear_error(struct team_alerter *a)
{
    pthread_mutex_lock(&a->mu);
    a->st.error[0] = '\0';
    pthread_mutex_unlock(&a->mu);
}

static void count(struct team_alerter *a, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&a->mu);
    *field += n;
    pthread_mutex_unlock(&a->mu);
}

static void set_flag(struct team_alerter *a, int *field, int v)
{
    pthread_mutex_lock(&a->mu);
    *field = v;
    pthread_mutex_unlock(&a->mu);
}

static int stopping(struct team_alerter *a)
{
    pthread_mutex_lock(&a->mu);
    int s = a->stopping;
    pthread_mutex_unlock(&a->mu);
    return s;
}

/* Sleeps up to ms, less when kicked or stopping. */
static void nap(struct team_alerter *a, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&a->mu);
    while (!a->kicked && !a->stopping)
        if (pthread_cond_timedwait(&a->kick_cv, &a->mu, &until) == ETIMEDOUT)
            break;
    a->kicked = 0;
    pthread_mutex_unlock(&a->mu);
}

static void kick(void *arg)
{
    struct team_alerter *a = arg;
    pthread_mutex_lock(&a->mu);
    a->kicked = 1;
    pthread_cond_signal(&a->kick_cv);
    pthread_mutex_unlock(&a->mu);
}

/* ---- statements ---------------------------------------------------------------- */

struct params {
    const char *v[12];
    char num[12][24];
    int n;
};

static void p_i64(struct params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[0], "%lld", (long long)x);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

static void p_str(struct params *p, const char *s)
{
    p->v[p->n++] = s;
}

static void drop(struct team_alerter *a, const char *why)
{
    if (a->c != NULL)
        PQfinish(a->c); /* the leader's lock goes with the session */
    a->c = NULL;
    pthread_mutex_lock(&a->mu);
    a->st.connected = a->st.leader = 0;
    pthread_mutex_unlock(&a->mu);
    set_error(a, "PostgreSQL: %s; reconnecting", why);
}

/*
 * Runs sql, or nothing when a statement of this transaction failed
 * already (PostgreSQL would refuse it).  The result (caller PQclear()s
 * it), or NULL: the connection is dropped when the failure is its own,
 * else the failure is kept in the stats and a->failed is set.
 */
static PGresult *q(struct team_alerter *a, const char *sql, const struct params *p)
{
    if (a->c == NULL || a->failed)
        return NULL;
    int timed_out;
    char err[300];
    PGresult *r = pg_link_exec_sql(a->c, sql, p ? p->n : 0, p ? p->v : NULL,
                                   clock_mono_ns() + (int64_t)a->stmt_ms * NS_PER_MS, a->stop_fd,
                                   &timed_out, err, sizeof err);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return r;
    a->failed = 1;
    if (r != NULL)
        pg_link_error(a->c, r, err, sizeof err);
    enum pg_failure f = timed_out ? PGF_CONNECTION : pg_link_classify(a->c, r);
    PQclear(r);
    if (f == PGF_CONNECTION) {
        drop(a, err);
    } else if (strstr(err, "42501") != NULL) {
        set_error(a, "%s: the team server's role may not write the alerts (run the roles SQL "
                  "of `chronicle team sql` again)", err);
    } else {
        set_error(a, "%s", err);
    }
    return NULL;
}

/* Runs sql for its effect; 0 or -1. */
static int run(struct team_alerter *a, const char *sql, const struct params *p)
{
    PGresult *r = q(a, sql, p);
    PQclear(r);
    return r ? 0 : -1;
}

static int64_t scalar(struct team_alerter *a, const char *sql, const struct params *p)
{
    PGresult *r = q(a, sql, p);
    int64_t v = r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
                                                              : 0;
    PQclear(r);
    return v;
}

/* A transaction that may write chronicle.alerts: its version (> 0), or 0. */
static int64_t begin_write(struct team_alerter *a)
{
    a->failed = 0;
    if (run(a, "BEGIN", NULL) != 0)
        return 0;
    if (run(a, "SELECT pg_advisory_xact_lock(" LOCK_WRITE ")", NULL) != 0)
        return 0;
    return scalar(a, "SELECT nextval('chronicle.alert_version')", NULL);
}

/* COMMIT, or ROLLBACK when a statement failed.  0 when committed. */
static int end_write(struct team_alerter *a)
{
    if (a->c == NULL)
        return -1;
    if (a->failed) {
        a->failed = 0;
        run(a, "ROLLBACK", NULL);
        return -1;
    }
    return run(a, "COMMIT", NULL);
}

/* ---- connecting ---------------------------------------------------------------- */

static int connect_pg(struct team_alerter *a)
{
    char err[400];
    a->c = pg_link_connect(a->cfg->database, 5, err, sizeof err);
    if (a->c == NULL) {
        set_error(a, "PostgreSQL: %s", err);
        return -1;
    }
    a->failed = 0;
    if (run(a, "SET application_name = 'chronicle-server alerts'", NULL) != 0 ||
        run(a, "SET statement_timeout = '10s'", NULL) != 0) {
        if (a->c)
            drop(a, "cannot set up the session");
        return -1;
    }
    int version = (int)scalar(a, "SELECT coalesce(max(version), 0) FROM chronicle.schema_version",
                              NULL);
    if (a->c == NULL || a->failed) {
        a->failed = 0;
        if (a->c)
            drop(a, "no Chronicle schema readable");
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    a->st.connected = 1;
    a->st.schema_ok = version >= SCHEMA_ALERTS;
    pthread_mutex_unlock(&a->mu);
    if (version < SCHEMA_ALERTS) {
        set_error(a, "the team schema is version %d, alerts need %d: run `chronicle team init` "
                  "with the owner's role, then the roles SQL of `chronicle team sql`",
                  version, SCHEMA_ALERTS);
        return -1;
    }
    clear_error(a);
    a->fail_scan_id = 0;
    a->failed_ticks = 0; /* a new session holds no lock: its count starts afresh */
    log_msg(TAG, LOG_LEVEL_INFO, "team alerts: connected to PostgreSQL");
    return 0;
}

/* Becomes the server that evaluates, if none is. */
static int lead(struct team_alerter *a)
{
    pthread_mutex_lock(&a->mu);
    int leader = a->st.leader;
    pthread_mutex_unlock(&a->mu);
    if (leader)
        return 1;
    if (clock_mono_ns() < a->standby_until)
        return 0;
    a->failed = 0;
    PGresult *r = q(a, "SELECT pg_try_advisory_lock(" LOCK_LEADER ")", NULL);
    leader = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    a->failed = 0;
    if (leader) {
        set_flag(a, &a->st.leader, 1);
        log_msg(TAG, LOG_LEVEL_INFO, "team alerts: this server evaluates the rules%s",
                a->targets.n ? "" : " (no webhook_url: alerts are recorded, not sent)");
    }
    return leader;
}

/* ---- acknowledgements ------------------------------------------------------------- */

static void answer(struct team_alerter *a, struct ack_req *r, int rc, int64_t acked, const char *err)
{
    pthread_mutex_lock(&a->mu);
    if (r->abandoned) {
        pthread_mutex_unlock(&a->mu);
        free(r);
        return;
    }
    r->rc = rc;
    r->acked_ns = acked;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    r->done = 1;
    pthread_cond_broadcast(&a->answer_cv);
    pthread_mutex_unlock(&a->mu);
}

static struct ack_req *take_acks(struct team_alerter *a)
{
    pthread_mutex_lock(&a->mu);
    struct ack_req *r = a->acks;
    a->acks = NULL;
    pthread_mutex_unlock(&a->mu);
    return r;
}

static void fail_acks(struct team_alerter *a, const char *why)
{
    for (struct ack_req *r = take_acks(a), *n; r; r = n) {
        n = r->next;
        answer(a, r, -1, 0, why);
    }
}

static void apply_acks(struct team_alerter *a)
{
    for (struct ack_req *r = take_acks(a), *n; r; r = n) {
        n = r->next;
        int rc = -1;
        int64_t acked = 0;
        if (begin_write(a) > 0) {
            struct params p = {0};
            p_i64(&p, r->id);
            p_i64(&p, clock_wall_ns());
            PGresult *res = q(a, "UPDATE chronicle.alerts SET"
                                 " acknowledged_ns = coalesce(acknowledged_ns, $2::bigint),"
                                 " version = CASE WHEN acknowledged_ns IS NULL"
                                 "  THEN currval('chronicle.alert_version') ELSE version END"
                                 " WHERE id = $1::bigint RETURNING acknowledged_ns", &p);
            if (res != NULL) {
                rc = PQntuples(res) > 0 ? 0 : 1;
                acked = rc == 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
            }
            PQclear(res);
        }
        if (end_write(a) != 0)
            rc = -1;
        pthread_mutex_lock(&a->mu);
        char err[200];
        snprintf(err, sizeof err, "%s", a->st.error[0] ? a->st.error : "PostgreSQL is unavailable");
        pthread_mutex_unlock(&a->mu);
        answer(a, r, rc, acked, rc < 0 ? err : NULL);
    }
}

int team_alerter_ack(struct team_alerter *a, int64_t id, int64_t *acked_ns, char *err,
                     size_t errlen)
{
    struct ack_req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->id = id;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ACK_WAIT_MS / 1000;
    pthread_mutex_lock(&a->mu);
    if (!a->st.connected || !a->st.schema_ok) {
        snprintf(err, errlen, "%s", a->st.error[0] ? a->st.error : "not connected to PostgreSQL yet");
        pthread_mutex_unlock(&a->mu);
        free(r);
        return -1;
    }
    r->next = a->acks;
    a->acks = r;
    a->kicked = 1;
    pthread_cond_signal(&a->kick_cv);
    while (!r->done)
        if (pthread_cond_timedwait(&a->answer_cv, &a->mu, &until) == ETIMEDOUT)
            break;
    if (!r->done) {
        r->abandoned = 1; /* the engine frees it when it gets to it */
        pthread_mutex_unlock(&a->mu);
        snprintf(err, errlen, "no answer from the alert engine in time");
        return -1;
    }
    pthread_mutex_unlock(&a->mu);
    int rc = r->rc;
    *acked_ns = r->acked_ns;
    if (rc < 0)
        snprintf(err, errlen, "%s", r->err);
    free(r);
    return rc;
}

/* ---- one tick: the rules ----------------------------------------------------------- */

struct changes {
    int64_t fired[MAX_CHANGED], resolved[MAX_CHANGED];
    int nfired, nresolved;
    int64_t ver, now;
};

/* Notes the ids an INSERT/UPDATE ... RETURNING id answered. */
static void collect_ids(struct team_alerter *a, const char *sql, const struct params *p,
                        struct changes *ch, int fired)
{
    PGresult *r = q(a, sql, p);
    for (int i = 0; r && i < PQntuples(r); i++) {
        int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        if (fired && ch->nfired < MAX_CHANGED)
            ch->fired[ch->nfired++] = id;
        else if (!fired && ch->nresolved < MAX_CHANGED)
            ch->resolved[ch->nresolved++] = id;
    }
    PQclear(r);
}

/* The rules that are a session state (alert_engine.c's state_rule), over
 * every machine's sessions: the key names the machine. */
static void state_rule(struct team_alerter *a, struct changes *ch, const char *rule,
                       const char *state, const char *reason_sql, const char *extra,
                       int64_t delay_ns)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO chronicle.alerts (alert_key, rule, machine_id, session_id, title,"
             " project, machine, host, username, reason, detail, since_ns, fired_ns, version)"
             " SELECT $1::text || ':' || machine_id || ':' || session_id || ':' || state_since_ns,"
             "  $1, machine_id, session_id, title, project, host, host, username, %s,"
             "  state_detail, state_since_ns, $2::bigint, $3::bigint"
             " FROM chronicle.sessions WHERE state = $4 AND state_since_ns IS NOT NULL"
             "  AND state_since_ns <= $5::bigint AND state_since_ns >= $6::bigint %s"
             " ON CONFLICT (alert_key) DO NOTHING RETURNING id",
             reason_sql, extra);
    struct params p = {0};
    p_str(&p, rule);
    p_i64(&p, ch->now);
    p_i64(&p, ch->ver);
    p_str(&p, state);
    p_i64(&p, ch->now - delay_ns);
    p_i64(&p, ch->now - ALERT_FIRE_HORIZON_NS);
    collect_ids(a, sql, &p, ch, 1);
    snprintf(sql, sizeof sql,
             "UPDATE chronicle.alerts AS a SET resolved_ns = $1::bigint, version = $2::bigint"
             " WHERE rule = $3 AND resolved_ns IS NULL AND coalesce(reason, '') <> 'tool_errors'"
             "  AND NOT EXISTS (SELECT 1 FROM chronicle.sessions s WHERE s.machine_id = a.machine_id"
             "   AND s.session_id = a.session_id AND s.state = $4 AND s.state_since_ns = a.since_ns %s)"
             " RETURNING id", extra);
    struct params u = {0};
    p_i64(&u, ch->now);
    p_i64(&u, ch->ver);
    p_str(&u, rule);
    p_str(&u, state);
    collect_ids(a, sql, &u, ch, 0);
}

/* A burst of tool errors in one session of one machine (alert_engine.c's
 * tool_error_rule). */
static void tool_error_rule(struct team_alerter *a, struct changes *ch)
{
    const struct chronicle_config *cfg = a->cfg;
    if (a->fail_scan_id == 0) {
        /* Start a little back: a burst under way across a restart still counts. */
        a->fail_scan_id = scalar(a, "SELECT coalesce(max(id), 0) FROM chronicle.events", NULL) - 10000;
        if (a->fail_scan_id <= 0)
            a->fail_scan_id = -1;
    }
    struct params p = {0};
    p_i64(&p, a->fail_scan_id);
    PGresult *sessions = q(a, "SELECT machine_id, session_id, max(id) FROM chronicle.events"
                              " WHERE event_type = '" ALERT_FAIL_TYPE "' AND id > $1::bigint"
                              "  AND session_id IS NOT NULL GROUP BY machine_id, session_id LIMIT 200",
                           &p);
    int64_t top = a->fail_scan_id;
    for (int i = 0; sessions && i < PQntuples(sessions); i++) {
        const char *mid = PQgetvalue(sessions, i, 0), *sid = PQgetvalue(sessions, i, 1);
        int64_t max_id = strtoll(PQgetvalue(sessions, i, 2), NULL, 10);
        if (max_id > top)
            top = max_id;
        struct params l = {0};
        p_str(&l, mid);
        p_str(&l, sid);
        p_i64(&l, cfg->alert_tool_errors);
        PGresult *last = q(a, "SELECT id, ts_ns, tool_name FROM chronicle.events"
                              " WHERE machine_id = $1::uuid AND session_id = $2"
                              "  AND event_type = '" ALERT_FAIL_TYPE "' ORDER BY id DESC LIMIT $3::bigint",
                           &l);
        int n = last ? PQntuples(last) : 0;
        if (n == 0) {
            PQclear(last);
            continue;
        }
        int64_t newest = strtoll(PQgetvalue(last, 0, 1), NULL, 10);
        int64_t oldest = strtoll(PQgetvalue(last, n - 1, 1), NULL, 10);
        char first_id[24], tool[128], detail[320];
        snprintf(first_id, sizeof first_id, "%s", PQgetvalue(last, n - 1, 0));
        snprintf(tool, sizeof tool, "%s", PQgetvalue(last, 0, 2));
        PQclear(last);
        if (!alert_is_burst(cfg, n, newest, oldest, ch->now))
            continue;
        alert_burst_detail(cfg, tool, detail, sizeof detail);
        struct params ins = {0};
        p_str(&ins, mid);
        p_str(&ins, sid);
        p_str(&ins, first_id);
        p_str(&ins, detail);
        p_i64(&ins, newest);
        p_i64(&ins, ch->now);
        p_i64(&ins, ch->ver);
        collect_ids(a,
            "INSERT INTO chronicle.alerts (alert_key, rule, machine_id, session_id, title, project,"
            " machine, host, username, reason, detail, since_ns, fired_ns, version)"
            " SELECT 'tool_errors:' || $1::text || ':' || $2::text || ':' || $3::text, 'failed',"
            "  $1::uuid, $2, s.title, s.project, coalesce(s.host, m.hostname),"
            "  coalesce(s.host, m.hostname), coalesce(s.username, m.username), 'tool_errors', $4,"
            "  $5::bigint, $6::bigint, $7::bigint"
            " FROM (SELECT 1) AS one"
            " LEFT JOIN chronicle.sessions s ON s.machine_id = $1::uuid AND s.session_id = $2"
            " LEFT JOIN chronicle.machines m ON m.machine_id = $1::uuid"
            " WHERE NOT EXISTS (SELECT 1 FROM chronicle.alerts WHERE rule = 'failed'"
            "  AND machine_id = $1::uuid AND session_id = $2 AND reason = 'tool_errors'"
            "  AND resolved_ns IS NULL)"
            " ON CONFLICT (alert_key) DO NOTHING RETURNING id", &ins, ch, 1);
    }
    PQclear(sessions);
    if (sessions != NULL)
        a->fail_scan_id = top;
    /* Resolve bursts that have been quiet for a window. */
    struct params r = {0};
    p_i64(&r, ch->now);
    p_i64(&r, ch->ver);
    p_i64(&r, ch->now - (int64_t)cfg->alert_tool_errors_window_s * NS_PER_S);
    collect_ids(a,
        "UPDATE chronicle.alerts AS a SET resolved_ns = $1::bigint, version = $2::bigint"
        " WHERE rule = 'failed' AND reason = 'tool_errors' AND resolved_ns IS NULL"
        "  AND coalesce((SELECT ts_ns FROM chronicle.events e WHERE e.machine_id = a.machine_id"
        "   AND e.session_id = a.session_id AND e.event_type = '" ALERT_FAIL_TYPE "'"
        "   ORDER BY id DESC LIMIT 1), 0) < $3::bigint"
        " RETURNING id", &r, ch, 0);
}

struct budget_ctx {
    struct team_alerter *a;
    struct changes *ch;
};

/* The team's priced spend since since_ns: every machine's usage rows. */
static double team_spend(void *arg, int64_t since_ns, const char *project)
{
    struct budget_ctx *b = arg;
    struct params p = {0};
    p_i64(&p, since_ns);
    if (project)
        p_str(&p, project);
    PGresult *r = q(b->a, project
        ? "SELECT u.model, sum(u.input_tokens), sum(u.output_tokens),"
          " sum(u.cache_creation_input_tokens), sum(u.cache_read_input_tokens)"
          " FROM chronicle.usage u JOIN chronicle.sessions s"
          "  ON s.machine_id = u.machine_id AND s.session_id = u.session_id"
          " WHERE u.ts_ns >= $1::bigint AND s.project = $2 GROUP BY u.model"
        : "SELECT model, sum(input_tokens), sum(output_tokens),"
          " sum(cache_creation_input_tokens), sum(cache_read_input_tokens)"
          " FROM chronicle.usage WHERE ts_ns >= $1::bigint GROUP BY model", &p);
    double cost = 0;
    for (int i = 0; r && i < PQntuples(r); i++) {
        const struct price *pr = pricing_find(&b->a->pricing, PQgetvalue(r, i, 0));
        if (pr)
            cost += pricing_cost(pr, strtoll(PQgetvalue(r, i, 1), NULL, 10),
                                 strtoll(PQgetvalue(r, i, 2), NULL, 10),
                                 strtoll(PQgetvalue(r, i, 3), NULL, 10),
                                 strtoll(PQgetvalue(r, i, 4), NULL, 10));
    }
    PQclear(r);
    return cost;
}

static void fire_budget(void *arg, const struct alert_budget_hit *h)
{
    struct budget_ctx *b = arg;
    struct params p = {0};
    p_str(&p, h->key);
    p_str(&p, h->rule);
    p_str(&p, h->project);
    p_str(&p, h->reason);
    p_str(&p, h->detail);
    p_i64(&p, h->since_ns);
    p_i64(&p, b->ch->now);
    p_i64(&p, b->ch->ver);
    /* machine NULL: a team budget is about every machine. */
    collect_ids(b->a, "INSERT INTO chronicle.alerts (alert_key, rule, project, reason, detail,"
                      " since_ns, fired_ns, version)"
                      " VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8::bigint)"
                      " ON CONFLICT (alert_key) DO NOTHING RETURNING id", &p, b->ch, 1);
}

static void budget_rule(struct team_alerter *a, struct changes *ch)
{
    int64_t day, month;
    alert_budget_periods(ch->now, &day, &month);
    struct params p = {0};
    p_i64(&p, ch->now);
    p_i64(&p, ch->ver);
    p_i64(&p, month);
    p_i64(&p, day);
    collect_ids(a, "UPDATE chronicle.alerts SET resolved_ns = $1::bigint, version = $2::bigint"
                   " WHERE rule IN ('budget', 'budget_forecast') AND resolved_ns IS NULL"
                   "  AND since_ns < CASE reason WHEN 'monthly' THEN $3::bigint ELSE $4::bigint END"
                   " RETURNING id", &p, ch, 0);
    if (!a->priced)
        return;
    struct budget_ctx b = {a, ch};
    if (alert_budgets_eval(a->cfg, ch->now, team_spend, &b, fire_budget, &b) != 0)
        log_msg(TAG, LOG_LEVEL_ERROR, "team alerts: budgets: out of memory");
}

/* ---- deliveries -------------------------------------------------------------------- */

static void enqueue(struct team_alerter *a, const int64_t *ids, int n, const char *kind, int64_t now)
{
    for (int i = 0; i < n; i++)
        for (int t = 0; t < a->targets.n; t++) {
            struct params p = {0};
            p_i64(&p, ids[i]);
            p_str(&p, kind);
            p_str(&p, a->targets.t[t].origin);
            p_str(&p, a->targets.t[t].id);
            p_i64(&p, now);
            run(a, "INSERT INTO chronicle.alert_deliveries (alert_id, kind, target, target_id,"
                   " created_ns, next_ns) VALUES ($1::bigint, $2, $3, $4, $5::bigint, $5::bigint)"
                   " ON CONFLICT DO NOTHING", &p);
        }
}

/* Beyond alert_queue_max undelivered notifications the oldest give up. */
static void bound_queue(struct team_alerter *a, int64_t now)
{
    int64_t n = scalar(a, "SELECT count(*) FROM chronicle.alert_deliveries"
                          " WHERE delivered_ns IS NULL AND gave_up_ns IS NULL", NULL);
    if (n <= a->cfg->alert_queue_max)
        return;
    struct params p = {0};
    p_i64(&p, now);
    p_i64(&p, n - a->cfg->alert_queue_max);
    if (run(a, "UPDATE chronicle.alert_deliveries SET gave_up_ns = $1::bigint,"
               " last_error = 'dropped: queue full' WHERE id IN (SELECT id FROM"
               " chronicle.alert_deliveries WHERE delivered_ns IS NULL AND gave_up_ns IS NULL"
               " ORDER BY id LIMIT $2::bigint)", &p) == 0) {
        count(a, &a->st.dropped, (uint64_t)(n - a->cfg->alert_queue_max));
        log_msg(TAG, LOG_LEVEL_WARN, "team alerts: %lld undelivered notification(s) dropped "
                "(queue over %ld)", (long long)(n - a->cfg->alert_queue_max),
                a->cfg->alert_queue_max);
    }
}

struct record_ctx {
    struct team_alerter *a;
    int64_t now;
};

/* The sender's completion callback (engine thread, inside the tick's
 * transaction): the outcome goes into the delivery's row. */
static void record(const struct alert_job *j, void *arg)
{
    struct record_ctx *rc = arg;
    struct team_alerter *a = rc->a;
    struct params g = {0};
    p_i64(&g, j->delivery_id);
    int64_t before = scalar(a, "SELECT attempts FROM chronicle.alert_deliveries"
                               " WHERE id = $1::bigint", &g);
    struct alert_outcome o;
    alert_outcome_of(a->cfg, j, before, rc->now, TAG, &o);
    char delivered[24] = "", gave_up[24] = "";
    if (j->ok)
        snprintf(delivered, sizeof delivered, "%lld", (long long)rc->now);
    if (o.give_up)
        snprintf(gave_up, sizeof gave_up, "%lld", (long long)rc->now);
    struct params p = {0};
    p_i64(&p, j->delivery_id);
    p_str(&p, j->ok ? delivered : NULL);
    p_str(&p, j->ok ? NULL : j->error);
    p_i64(&p, o.next_ns);
    p_str(&p, o.give_up ? gave_up : NULL);
    p_i64(&p, o.counts);
    run(a, "UPDATE chronicle.alert_deliveries SET attempts = attempts + $6::int,"
           " delivered_ns = $2::bigint, last_error = $3, next_ns = $4::bigint,"
           " gave_up_ns = $5::bigint WHERE id = $1::bigint", &p);
    if (j->ok)
        count(a, &a->st.delivered, 1);
    else if (o.counts)
        count(a, &a->st.delivery_failures, 1);
}

/* Hands due deliveries to the sender (after the tick's commit). */
static void dispatch(struct team_alerter *a, int64_t now)
{
    if (a->targets.n == 0)
        return;
    struct params p = {0};
    p_i64(&p, now);
    p_i64(&p, ALERT_SENDER_QUEUE_MAX);
    a->failed = 0;
    PGresult *r = q(a,
        "SELECT d.id, d.kind, d.target_id, a.id, a.rule, a.session_id, a.title, a.project,"
        " a.machine, a.reason, a.detail, a.fired_ns, coalesce(a.resolved_ns, 0)"
        " FROM chronicle.alert_deliveries d JOIN chronicle.alerts a ON a.id = d.alert_id"
        " WHERE d.delivered_ns IS NULL AND d.gave_up_ns IS NULL AND d.next_ns <= $1::bigint"
        "  AND NOT EXISTS (SELECT 1 FROM chronicle.alert_deliveries p WHERE p.alert_id = d.alert_id"
        "   AND p.target_id = d.target_id AND p.id < d.id AND p.delivered_ns IS NULL"
        "   AND p.gave_up_ns IS NULL)"
        " ORDER BY d.next_ns, d.id LIMIT $2::bigint", &p);
    a->failed = 0;
    int64_t orphans[64];
    int norphans = 0;
#define COL(i) (PQgetisnull(r, row, (i)) ? NULL : PQgetvalue(r, row, (i)))
    for (int row = 0; r && row < PQntuples(r); row++) {
        int64_t did = strtoll(PQgetvalue(r, row, 0), NULL, 10);
        if (alert_sender_busy(a->sender, did))
            continue;
        const struct alert_target *t = alert_targets_find(&a->targets, COL(2));
        if (t == NULL) {
            if (norphans < 64)
                orphans[norphans++] = did;
            continue;
        }
        struct alert_view v = {
            .id = strtoll(PQgetvalue(r, row, 3), NULL, 10), .rule = COL(4), .session_id = COL(5),
            .title = COL(6), .project = COL(7), .machine = COL(8), .reason = COL(9),
            .detail = COL(10), .kind = COL(1), .fired_ns = strtoll(PQgetvalue(r, row, 11), NULL, 10),
            .resolved_ns = strtoll(PQgetvalue(r, row, 12), NULL, 10), .dashboard = a->dashboard};
        struct alert_job *j = alert_job_for(&v, t, did);
        if (j == NULL)
            break;
        if (alert_sender_push(a->sender, j) != 0) {
            alert_job_free(j);
            break; /* full: the rows stay due */
        }
    }
#undef COL
    PQclear(r);
    /* Targets removed from the configuration since: nobody to send to. */
    for (int i = 0; i < norphans; i++) {
        struct params o = {0};
        p_i64(&o, orphans[i]);
        p_i64(&o, now);
        run(a, "UPDATE chronicle.alert_deliveries SET gave_up_ns = $2::bigint,"
               " last_error = 'target no longer configured' WHERE id = $1::bigint", &o);
        a->failed = 0;
    }
}

static void log_fired(struct team_alerter *a, const struct changes *ch)
{
    for (int i = 0; i < ch->nfired; i++) {
        struct params p = {0};
        p_i64(&p, ch->fired[i]);
        PGresult *r = q(a, "SELECT rule, session_id, host FROM chronicle.alerts WHERE id = $1::bigint",
                        &p);
        a->failed = 0;
        if (r && PQntuples(r) == 1)
            log_msg(TAG, LOG_LEVEL_INFO, "team alert %lld: %s%s%s%s%s", (long long)ch->fired[i],
                    PQgetvalue(r, 0, 0), PQgetisnull(r, 0, 1) ? "" : " for session ",
                    PQgetvalue(r, 0, 1), PQgetisnull(r, 0, 2) ? "" : " on ", PQgetvalue(r, 0, 2));
        PQclear(r);
    }
}

/* Hands the leader's lock back, keeping the connection (and the error
 * that explains why in /health). */
static void step_down(struct team_alerter *a)
{
    log_msg(TAG, LOG_LEVEL_WARN, "team alerts: %d evaluations in a row failed; another team "
            "server may evaluate (this one retries in %d s)", a->failed_ticks, STEP_DOWN_MS / 1000);
    a->failed = 0;
    PGresult *r = q(a, "SELECT pg_advisory_unlock(" LOCK_LEADER ")", NULL);
    int unlocked = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    a->failed = 0;
    if (!unlocked && a->c != NULL) /* the lock is not provably gone: the session goes */
        drop(a, "cannot release the leader's lock");
    set_flag(a, &a->st.leader, 0);
    a->failed_ticks = 0;
    a->standby_until = clock_mono_ns() + (int64_t)STEP_DOWN_MS * NS_PER_MS;
}

/* One evaluation: 0 when it committed. */
static int tick(struct team_alerter *a)
{
    int64_t started = clock_mono_ns();
    int64_t now = clock_wall_ns();
    struct changes ch = {.now = now};
    ch.ver = begin_write(a);
    if (ch.ver <= 0) {
        end_write(a);
        return -1;
    }
    struct record_ctx rc = {a, now};
    alert_sender_collect(a->sender, record, &rc);
    const struct chronicle_config *cfg = a->cfg;
    if (cfg->alert_awaiting)
        state_rule(a, &ch, "awaiting", "awaiting_input", "coalesce(awaiting_reason, 'input')", "",
                   (int64_t)cfg->alert_awaiting_after_s * NS_PER_S);
    if (cfg->alert_failed) {
        state_rule(a, &ch, "failed", "failed", "'stop_failure'", "", 0);
        if (cfg->alert_tool_errors > 0)
            tool_error_rule(a, &ch);
    }
    if (cfg->alert_ended_unexpectedly)
        state_rule(a, &ch, "ended_unexpectedly", "ended", "coalesce(end_reason, 'process_gone')",
                   "AND end_reason = 'process_gone'", 0);
    int64_t mono = clock_mono_ns();
    if (cfg->alert_budget && (a->last_budget_mono == 0 ||
                              mono - a->last_budget_mono >= cfg->alert_budget_check_s * NS_PER_S)) {
        a->last_budget_mono = mono;
        budget_rule(a, &ch);
    }
    enqueue(a, ch.fired, ch.nfired, "fired", now);
    enqueue(a, ch.resolved, ch.nresolved, "resolved", now);
    if (ch.nfired || ch.nresolved)
        bound_queue(a, now);
    if (end_write(a) != 0)
        return -1;
    log_fired(a, &ch);
    dispatch(a, now);
    uint64_t took = (uint64_t)(clock_mono_ns() - started);
    pthread_mutex_lock(&a->mu);
    a->st.ticks++;
    a->st.fired += (uint64_t)ch.nfired;
    a->st.resolved += (uint64_t)ch.nresolved;
    a->st.tick_ns_sum += took;
    a->st.tick_ns_last = took;
    if (took > a->st.tick_ns_max)
        a->st.tick_ns_max = took;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* ---- the thread and its lifecycle ---------------------------------------------------- */

static void *engine(void *arg)
{
    struct team_alerter *a = arg;
    int backoff = BACKOFF_MIN_MS;
    while (!stopping(a)) {
        if (a->c == NULL && connect_pg(a) != 0) {
            fail_acks(a, a->st.error);
            if (a->c != NULL) { /* connected, but the schema is too old */
                PQfinish(a->c);
                a->c = NULL;
                set_flag(a, &a->st.connected, 0);
                backoff = BACKOFF_MAX_MS;
            }
            nap(a, backoff);
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = BACKOFF_MIN_MS;
        apply_acks(a);
        if (a->c != NULL && lead(a)) {
            if (tick(a) == 0) {
                if (a->failed_ticks > 0)
                    clear_error(a); /* what failed has passed */
                a->failed_ticks = 0;
            }
            else if (a->c != NULL && ++a->failed_ticks >= STEP_DOWN_AFTER)
                step_down(a);
        }
        nap(a, IDLE_MS);
    }
    fail_acks(a, "the team server is stopping");
    alert_sender_stop(a->sender);
    if (a->c != NULL) {
        /* Record what finished, as the collector does on its way out;
         * transfers cut short stay due (not an attempt) for whoever
         * evaluates next.  The stop signal is spent first, or every wait
         * would end at once; the deadline is short instead. */
        uint64_t n;
        if (read(a->stop_fd, &n, sizeof n) < 0 && errno != EAGAIN)
            log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
        a->stmt_ms = 2000;
        if (begin_write(a) > 0) {
            struct record_ctx rc = {a, clock_wall_ns()};
            alert_sender_collect(a->sender, record, &rc);
        }
        end_write(a);
        if (a->c != NULL)
            PQfinish(a->c);
        a->c = NULL;
    }
    return NULL;
}

struct team_alerter *team_alerter_new(const struct chronicle_config *cfg, char *err, size_t errlen)
{
    struct team_alerter *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->stop_fd = -1;
    a->stmt_ms = STATEMENT_MS;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        snprintf(err, errlen, "cannot create the alert engine's lock");
        return NULL;
    }
    /* The waits' deadlines are CLOCK_MONOTONIC: a condition variable on
     * another clock would wait wrongly, so one that cannot have it is an error. */
    pthread_condattr_t ca;
    int cv = pthread_condattr_init(&ca);
    if (cv == 0) {
        cv = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (cv == 0 && (cv = pthread_cond_init(&a->kick_cv, &ca)) == 0 &&
            (cv = pthread_cond_init(&a->answer_cv, &ca)) != 0)
            pthread_cond_destroy(&a->kick_cv);
        pthread_condattr_destroy(&ca);
    }
    if (cv != 0) {
        pthread_mutex_destroy(&a->mu);
        free(a);
        snprintf(err, errlen, "cannot create the alert engine's condition variables");
        return NULL;
    }
    if (gethostname(a->host, sizeof a->host) != 0)
        snprintf(a->host, sizeof a->host, "localhost");
    a->host[sizeof a->host - 1] = '\0';
    alert_dashboard_base(cfg, a->host, a->dashboard, sizeof a->dashboard);
    char perr[512], ppath[4096];
    a->priced = pricing_load_default(&a->pricing, ppath, sizeof ppath, perr, sizeof perr) == 0;
    if (!a->priced && cfg->alert_budget &&
        (cfg->budget_daily_usd >= 0 || cfg->budget_monthly_usd >= 0 || cfg->n_project_budgets))
        log_msg(TAG, LOG_LEVEL_WARN, "budgets are set but prices are not known (%s): no budget "
                "alerts", perr);
    /* A team server has no desktop of its own: webhooks only. */
    if (alert_targets_init(&a->targets, cfg, NULL, err, errlen) != 0) {
        team_alerter_free(a);
        return NULL;
    }
    a->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct alert_sender_opts so = {cfg->webhook_timeout_s * 1000, 2, kick, a};
    if (a->stop_fd < 0 || (a->sender = alert_sender_new(&so, err, errlen)) == NULL) {
        if (a->stop_fd < 0)
            snprintf(err, errlen, "eventfd: %s", strerror(errno));
        team_alerter_free(a);
        return NULL;
    }
    if (pthread_create(&a->thread, NULL, engine, a) != 0) {
        snprintf(err, errlen, "cannot start the alert engine's thread");
        team_alerter_free(a);
        return NULL;
    }
    a->started = 1;
    alert_targets_log(&a->targets, TAG);
    return a;
}

void team_alerter_stats(struct team_alerter *a, struct team_alerter_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    pthread_mutex_unlock(&a->mu);
}

void team_alerter_free(struct team_alerter *a)
{
    if (a == NULL)
        return;
    if (a->started) {
        pthread_mutex_lock(&a->mu);
        a->stopping = 1;
        pthread_cond_signal(&a->kick_cv);
        pthread_mutex_unlock(&a->mu);
        uint64_t one = 1;
        if (write(a->stop_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_msg(TAG, LOG_LEVEL_ERROR, "eventfd: %s", strerror(errno));
        pthread_join(a->thread, NULL);
    }
    alert_sender_free(a->sender);
    if (a->stop_fd >= 0)
        close(a->stop_fd);
    for (struct ack_req *r = a->acks, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    alert_targets_free(&a->targets);
    pricing_free(&a->pricing);
    pthread_cond_destroy(&a->kick_cv);
    pthread_cond_destroy(&a->answer_cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
