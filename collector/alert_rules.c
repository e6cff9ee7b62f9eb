/* alert_rules.c - the rules both alert engines share.  See alert_rules.h. */
#include "alert_rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"

/* ---- targets ------------------------------------------------------------- */

static void hash_id(const char *s, char out[24])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: an identity, not a secret */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    snprintf(out, 24, "%016llx", (unsigned long long)h);
}

static int have_notify_send(void)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return 0;
    char dir[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char full[4200];
        snprintf(dir, sizeof dir, "%.*s", (int)n, p);
        snprintf(full, sizeof full, "%s/notify-send", dir[0] ? dir : ".");
        if (access(full, X_OK) == 0)
            return 1;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

int alert_targets_init(struct alert_targets *ts, const struct chronicle_config *cfg,
                       const char *desktop_env, char *err, size_t errlen)
{
    memset(ts, 0, sizeof *ts);
    for (const char *p = cfg->webhook_url; *p;) {
        p += strspn(p, " ,\t\n");
        size_t n = strcspn(p, " ,\t\n");
        if (n == 0)
            break;
        if (ts->n == ALERT_MAX_TARGETS) {
            snprintf(err, errlen, "CHRONICLE_WEBHOOK_URL: more than %d URLs", ALERT_MAX_TARGETS);
            alert_targets_free(ts);
            return -1;
        }
        struct alert_target *t = &ts->t[ts->n];
        t->url = strndup(p, n);
        if (t->url == NULL) {
            snprintf(err, errlen, "out of memory");
            alert_targets_free(ts);
            return -1;
        }
        config_url_origin(t->url, t->origin, sizeof t->origin);
        if (strncmp(t->url, "http://", 7) != 0 && strncmp(t->url, "https://", 8) != 0) {
            snprintf(err, errlen, "CHRONICLE_WEBHOOK_URL: '%s...' is not an http:// or https:// URL",
                     t->origin);
            free(t->url);
            t->url = NULL;
            alert_targets_free(ts);
            return -1;
        }
        hash_id(t->url, t->id);
        t->format = alert_format_for(t->url, cfg->webhook_format);
        ts->n++;
        p += n;
    }
    if (cfg->desktop_notify && desktop_env && have_notify_send() && ts->n < ALERT_MAX_TARGETS) {
        struct alert_target *t = &ts->t[ts->n++];
        t->url = NULL;
        snprintf(t->origin, sizeof t->origin, "desktop");
        snprintf(t->id, sizeof t->id, "desktop");
    }
    return 0;
}

const struct alert_target *alert_targets_find(const struct alert_targets *ts, const char *id)
{
    for (int i = 0; id && i < ts->n; i++)
        if (strcmp(ts->t[i].id, id) == 0)
            return &ts->t[i];
    return NULL;
}

void alert_targets_log(const struct alert_targets *ts, const char *tag)
{
    for (int i = 0; i < ts->n; i++)
        log_msg(tag, LOG_LEVEL_INFO, "alerts go to %s%s", ts->t[i].origin,
                ts->t[i].url && strlen(ts->t[i].url) > strlen(ts->t[i].origin) ? "/..." : "");
}

void alert_targets_free(struct alert_targets *ts)
{
    for (int i = 0; i < ts->n; i++)
        free(ts->t[i].url);
    ts->n = 0;
}

void alert_dashboard_base(const struct chronicle_config *cfg, const char *host, char *out,
                          size_t cap)
{
    if (cfg->dashboard_url[0]) {
        size_t n = strlen(cfg->dashboard_url);
        snprintf(out, cap, "%s%s", cfg->dashboard_url, cfg->dashboard_url[n - 1] == '/' ? "" : "/");
        return;
    }
    int any = strcmp(cfg->bind, "0.0.0.0") == 0 || strcmp(cfg->bind, "::") == 0;
    int v6 = strchr(cfg->bind, ':') != NULL && !any;
    snprintf(out, cap, "http://%s%s%s:%ld/", v6 ? "[" : "", any ? host : cfg->bind, v6 ? "]" : "",
             cfg->port);
}

/* ---- budgets ------------------------------------------------------------- */

struct periods {
    int64_t day, next_day, month;
    char dname[16], mname[16];
};

/* Local midnight of the day holding now, and of the next; the first of the month. */
static void periods_at(int64_t now_ns, struct periods *p)
{
    time_t t = (time_t)(now_ns / NS_PER_S);
    struct tm tm;
    /* localtime_r fails only for a time no clock gives; UTC's day then. */
    if (localtime_r(&t, &tm) == NULL && gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof tm);
    snprintf(p->dname, sizeof p->dname, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
    snprintf(p->mname, sizeof p->mname, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    p->day = (int64_t)mktime(&tm) * NS_PER_S;
    struct tm n = tm;
    n.tm_mday++;
    n.tm_isdst = -1;
    p->next_day = (int64_t)mktime(&n) * NS_PER_S;
    struct tm m = tm;
    m.tm_mday = 1;
    m.tm_isdst = -1;
    p->month = (int64_t)mktime(&m) * NS_PER_S;
}

void alert_budget_periods(int64_t now_ns, int64_t *day_ns, int64_t *month_ns)
{
    struct periods p;
    periods_at(now_ns, &p);
    *day_ns = p.day;
    *month_ns = p.month;
}

struct budget_run {
    alert_spend_fn spend;
    void *spend_arg;
    void (*fire)(void *arg, const struct alert_budget_hit *h);
    void *fire_arg;
    int64_t now;
    struct periods p;
    int oom;
};

static void hit(struct budget_run *r, const char *rule, const char *key, const char *reason,
                const char *project, int64_t since, json_t *detail)
{
    char *dt = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (dt == NULL) {
        r->oom = 1;
        return;
    }
    struct alert_budget_hit h = {rule, key, reason, project, since, dt};
    r->fire(r->fire_arg, &h);
    free(dt);
}

/* One daily budget (all projects, or one): crossed, or on course to be. */
static void daily(struct budget_run *r, double budget, const char *project)
{
    double today = r->spend(r->spend_arg, r->p.day, project);
    char key[256];
    const char *scope = project ? project : "all";
    if (today >= budget) {
        snprintf(key, sizeof key, "budget:daily:%s:%s", scope, r->p.dname);
        hit(r, "budget", key, "daily", project, r->p.day,
            json_pack("{s:f,s:f,s:s,s:s?}", "spent_usd", today, "budget_usd", budget, "period",
                      r->p.dname, "project", project));
        return;
    }
    /* Forecast: the burn rate of the last hour (or of the day so far, when
     * younger), carried to midnight.  Not before ten minutes of the day. */
    int64_t since = r->now - 3600 * NS_PER_S > r->p.day ? r->now - 3600 * NS_PER_S : r->p.day;
    if (r->now - r->p.day < 600 * NS_PER_S || r->now <= since)
        return;
    double recent = r->spend(r->spend_arg, since, project);
    double rate = recent / (double)(r->now - since);
    double forecast = today + rate * (double)(r->p.next_day - r->now);
    if (forecast >= budget && recent > 0) {
        snprintf(key, sizeof key, "budget_forecast:daily:%s:%s", scope, r->p.dname);
        hit(r, "budget_forecast", key, "daily", project, r->p.day,
            json_pack("{s:f,s:f,s:f,s:s,s:s?}", "spent_usd", today, "forecast_usd", forecast,
                      "budget_usd", budget, "period", r->p.dname, "project", project));
    }
}

int alert_budgets_eval(const struct chronicle_config *cfg, int64_t now_ns, alert_spend_fn spend,
                       void *spend_arg,
                       void (*fire)(void *arg, const struct alert_budget_hit *h), void *fire_arg)
{
    struct budget_run r = {spend, spend_arg, fire, fire_arg, now_ns, {0}, 0};
    periods_at(now_ns, &r.p);
    if (cfg->budget_daily_usd >= 0)
        daily(&r, cfg->budget_daily_usd, NULL);
    for (int i = 0; i < cfg->n_project_budgets; i++)
        daily(&r, cfg->project_budget[i].daily_usd, cfg->project_budget[i].project);
    if (cfg->budget_monthly_usd >= 0) {
        double m = spend(spend_arg, r.p.month, NULL);
        if (m >= cfg->budget_monthly_usd) {
            char key[64];
            snprintf(key, sizeof key, "budget:monthly:all:%s", r.p.mname);
            hit(&r, "budget", key, "monthly", NULL, r.p.month,
                json_pack("{s:f,s:f,s:s}", "spent_usd", m, "budget_usd", cfg->budget_monthly_usd,
                          "period", r.p.mname));
        }
    }
    return r.oom ? -1 : 0;
}

/* ---- tool errors --------------------------------------------------------- */

int alert_is_burst(const struct chronicle_config *cfg, long got, int64_t newest_ns,
                   int64_t oldest_ns, int64_t now_ns)
{
    int64_t window = (int64_t)cfg->alert_tool_errors_window_s * NS_PER_S;
    return cfg->alert_tool_errors > 0 && got >= cfg->alert_tool_errors &&
           newest_ns - oldest_ns <= window && newest_ns >= now_ns - window;
}

void alert_burst_detail(const struct chronicle_config *cfg, const char *tool_name, char *out,
                        size_t cap)
{
    json_t *d = json_pack("{s:I,s:I,s:s?}", "errors", (json_int_t)cfg->alert_tool_errors,
                          "window_s", (json_int_t)cfg->alert_tool_errors_window_s, "tool_name",
                          tool_name && tool_name[0] ? tool_name : NULL);
    char *dt = d ? json_dumps(d, JSON_COMPACT) : NULL;
    snprintf(out, cap, "%s", dt && strlen(dt) < cap ? dt : "{}");
    free(dt);
    json_decref(d);
}

/* ---- deliveries ------------------------------------------------------------ */

void alert_outcome_of(const struct chronicle_config *cfg, const struct alert_job *j,
                      int64_t attempts_before, int64_t now_ns, const char *tag,
                      struct alert_outcome *o)
{
    int stopped = strcmp(j->error, ALERT_SENDER_STOPPED) == 0;
    int64_t delay = (int64_t)cfg->webhook_retry_base_ms * NS_PER_MS;
    for (int64_t i = 0; i < attempts_before && delay < ALERT_RETRY_MAX_NS; i++)
        delay *= 2;
    if (delay > ALERT_RETRY_MAX_NS)
        delay = ALERT_RETRY_MAX_NS;
    o->counts = !stopped; /* cut short by our own exit: not an attempt */
    o->give_up = !j->ok && !stopped && attempts_before + 1 >= cfg->webhook_max_attempts;
    o->next_ns = stopped ? now_ns : now_ns + delay;
    if (j->ok || stopped)
        return;
    if (o->give_up)
        log_msg(tag, LOG_LEVEL_ERROR, "alerts: %s: %s; giving up after %lld attempts", j->target,
                j->error, (long long)(attempts_before + 1));
    else
        log_msg(tag, LOG_LEVEL_WARN, "alerts: %s: %s (attempt %lld of %ld; next in %lld ms)",
                j->target, j->error, (long long)(attempts_before + 1), cfg->webhook_max_attempts,
                (long long)(delay / NS_PER_MS));
}

struct alert_job *alert_job_for(const struct alert_view *a, const struct alert_target *t,
                                int64_t delivery_id)
{
    struct alert_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->delivery_id = delivery_id;
    snprintf(j->target, sizeof j->target, "%s", t->origin);
    if (t->url) {
        struct alert_body b;
        if (alert_payload_build(a, t->format, &b) != 0) {
            alert_job_free(j);
            return NULL;
        }
        j->body = b.body;
        snprintf(j->content_type, sizeof j->content_type, "%s", b.content_type);
        memcpy(j->header, b.header, sizeof j->header);
        if ((j->url = strdup(t->url)) == NULL) {
            alert_job_free(j);
            return NULL;
        }
        return j;
    }
    char text[512];
    alert_summary(a, text, sizeof text);
    snprintf(j->summary, sizeof j->summary, "Chronicle: %s%s", a->rule,
             strcmp(a->kind, "resolved") == 0 ? " (resolved)" : "");
    if ((j->body = strdup(text)) == NULL) {
        alert_job_free(j);
        return NULL;
    }
    return j;
}
