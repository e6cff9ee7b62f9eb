/*
 * alert_rules.h - what the two alert engines share: the collector's, over
 * one machine's SQLite (alert_engine.c), and the team server's, over every
 * machine's PostgreSQL (server/team_alerter.c).  "The same rules" means
 * this file: the targets a configuration names, the budget arithmetic
 * (crossed, forecast, their keys and details), the burst test of tool
 * errors, the retry policy of a failed delivery and the job a delivery
 * becomes.  The engines keep only their SQL and their threads.
 *
 * Everything here is a pure function of its arguments (budgets read spend
 * through a callback), so unit tests pin it (tests/unit/test_alert_rules.c).
 */
#ifndef CHRONICLE_ALERT_RULES_H
#define CHRONICLE_ALERT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "alert_payload.h"
#include "alert_sender.h"
#include "chronicle/config.h"

#define ALERT_MAX_TARGETS 16
#define ALERT_FIRE_HORIZON_NS (86400LL * 1000000000LL) /* states older never fire (an upgrade) */
#define ALERT_RETRY_MAX_NS (300LL * 1000000000LL)
#define ALERT_FAIL_TYPE "PostToolUseFailure"

/* One place notifications go: a webhook URL, or the desktop. */
struct alert_target {
    char *url;              /* owned; NULL: desktop (notify-send) */
    char origin[256];       /* scheme://host, or "desktop": what rows, logs and the API show */
    char id[24];            /* hash of the whole URL: what rows store instead of it */
    enum alert_format format;
};

struct alert_targets {
    struct alert_target t[ALERT_MAX_TARGETS];
    int n;
};

/* The targets of cfg->webhook_url (spaces or commas between URLs), plus the
 * desktop when cfg->desktop_notify, desktop_env is non-NULL and
 * notify-send is on PATH.  -1 with err (a URL that is not http(s), too
 * many, ENOMEM); ts is then empty.  alert_targets_free() releases. */
int alert_targets_init(struct alert_targets *ts, const struct chronicle_config *cfg,
                       const char *desktop_env, char *err, size_t errlen);
const struct alert_target *alert_targets_find(const struct alert_targets *ts, const char *id);
/* Logs "alerts go to <origin>/..." per target (never the URL's secrets). */
void alert_targets_log(const struct alert_targets *ts, const char *tag);
void alert_targets_free(struct alert_targets *ts);

/* The link base of notifications: cfg->dashboard_url, else
 * http://<bind>:<port>/ (host for a wildcard bind).  Ends in '/'. */
void alert_dashboard_base(const struct chronicle_config *cfg, const char *host, char *out,
                          size_t cap);

/* ---- budgets ------------------------------------------------------------ */

/* Spend in dollars of priced usage since since_ns; project NULL: all. */
typedef double (*alert_spend_fn)(void *arg, int64_t since_ns, const char *project);

/* A budget alert to record (fire() inserts it under key, idempotently). */
struct alert_budget_hit {
    const char *rule;       /* "budget" | "budget_forecast" */
    const char *key;        /* budget:daily:<all|project>:<date>, ... */
    const char *reason;     /* "daily" | "monthly" */
    const char *project;    /* NULL: all projects */
    int64_t since_ns;       /* the period's start */
    const char *detail;     /* JSON object text */
};

/* The start of the current day and month (local time) at now_ns: budget
 * alerts whose since_ns is older are over (resolved).  reason "monthly"
 * compares with month_ns, any other with day_ns. */
void alert_budget_periods(int64_t now_ns, int64_t *day_ns, int64_t *month_ns);

/* Evaluates every budget cfg sets (daily, each project's daily, monthly)
 * at now_ns: fire(fire_arg, hit) for each crossed one and each daily one
 * the burn rate of the last hour would cross before midnight (from ten
 * minutes into the day).  Returns -1 on ENOMEM, else 0. */
int alert_budgets_eval(const struct chronicle_config *cfg, int64_t now_ns, alert_spend_fn spend,
                       void *spend_arg,
                       void (*fire)(void *arg, const struct alert_budget_hit *h), void *fire_arg);

/* ---- tool errors -------------------------------------------------------- */

/* A session's newest cfg->alert_tool_errors failures, newest first, span
 * oldest..newest (got of them): is it a burst at now_ns?  1 or 0. */
int alert_is_burst(const struct chronicle_config *cfg, long got, int64_t newest_ns,
                   int64_t oldest_ns, int64_t now_ns);
/* The burst alert's detail: {"errors":N,"window_s":M,"tool_name":...} into
 * out (cap bytes; "{}" when it does not fit). */
void alert_burst_detail(const struct chronicle_config *cfg, const char *tool_name, char *out,
                        size_t cap);

/* ---- deliveries ---------------------------------------------------------- */

/* What a finished job means for its delivery row, which had
 * attempts_before attempts before it. */
struct alert_outcome {
    int counts;             /* 1: an attempt (0: cut short by our own stop) */
    int give_up;            /* the last attempt failed: gave_up_ns = now */
    int64_t next_ns;        /* next attempt not before */
};

/* The retry policy: webhook_retry_base_ms doubling to five minutes, at most
 * webhook_max_attempts; logs a failure under tag (target origin only). */
void alert_outcome_of(const struct chronicle_config *cfg, const struct alert_job *j,
                      int64_t attempts_before, int64_t now_ns, const char *tag,
                      struct alert_outcome *o);

/* The job delivering a (one notification) to t: the body in t's format, or
 * the desktop text.  NULL on ENOMEM. */
struct alert_job *alert_job_for(const struct alert_view *a, const struct alert_target *t,
                                int64_t delivery_id);

#endif
