/*
 * team_cost.c - GET /api/cost from the team database: api_usage.c's cost
 * overview (today, last 7 and 30 local days, by project and model, the
 * budgets), over every machine, plus by_user (who spends) and by_machine;
 * takes the machine / host / user filters.
 *
 * The windows and the grouping are api_usage.c's (one pass grouped by the
 * windows each row falls in); the SQL differs in the usage key
 * (machine_id, session_id), the identity columns, and PostgreSQL's
 * booleans, which come back as 't' / 'f' where SQLite's are 1 / 0.
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chronicle/clock.h"
#include "http_query.h"
#include "keyed_rows.h"
#include "row_json.h"

enum { W_TODAY, W_7D, W_30D, W_MONTH, N_WINDOWS };

/* api_usage.c local_midnight_ns: local midnight days_back days ago, or the
 * 1st of this month. */
static int64_t local_midnight_ns(time_t now, int days_back, int month_start)
{
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL)
        return 0;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday = month_start ? 1 : tm.tm_mday - days_back;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? 0 : (int64_t)t * NS_PER_S;
}

/* One project's, model's, user's or machine's spend in each window: a
 * keyed_rows row. */
struct spend {
    char key[200];
    double usd[N_WINDOWS];
};

/* [{name: key, today_usd, last_7d_usd, last_30d_usd}], most expensive over
 * 30 days first (as api_usage.c cost_groups_json). */
static json_t *spends_json(const struct keyed_rows *s, const char *name)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < s->n; i++) {
        const struct spend *e = keyed_rows_at(s, i);
        json_t *o = json_pack("{s:o,s:f,s:f,s:f}", name, e->key[0] ? json_string(e->key) : json_null(),
                              "today_usd", e->usd[W_TODAY], "last_7d_usd", e->usd[W_7D],
                              "last_30d_usd", e->usd[W_30D]);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    size_t n = json_array_size(arr);
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get(arr, j - 1), *b = json_array_get(arr, j);
            if (json_real_value(json_object_get(a, "last_30d_usd")) >=
                json_real_value(json_object_get(b, "last_30d_usd")))
                break;
            json_incref(a);
            json_array_set(arr, j - 1, b);
            json_array_set_new(arr, j, a);
        }
    }
    return arr;
}

static json_t *window_json(int64_t since, double cost, int64_t unpriced)
{
    char iso[32];
    iso8601_ms(since, iso);
    return json_pack("{s:s,s:I,s:f,s:I}", "since", iso, "since_ms", (json_int_t)(since / 1000000),
                     "cost_usd", cost, "unpriced_tokens", (json_int_t)unpriced);
}

static json_t *budget_value(double v) { return v >= 0 ? json_real(v) : json_null(); }

void team_cost(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    struct server *srv = hc->srv;
    static const char *const keys[] = {"machine", "host", "user", NULL};
    char err[400];
    struct query q;
    struct sqlb sb;
    sqlb_init(&sb);
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    time_t now = (time_t)(clock_wall_ns() / NS_PER_S);
    int64_t start[N_WINDOWS] = {
        [W_TODAY] = local_midnight_ns(now, 0, 0), [W_7D] = local_midnight_ns(now, 6, 0),
        [W_30D] = local_midnight_ns(now, 29, 0), [W_MONTH] = local_midnight_ns(now, 0, 1),
    };
    int64_t from = start[W_30D] < start[W_MONTH] ? start[W_30D] : start[W_MONTH];
    sqlb_sql(&sb, "SELECT model, project, username, machine_id::text, ts_ns >= ");
    sqlb_int(&sb, start[W_TODAY]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[W_7D]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[W_30D]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[W_MONTH]);
    sqlb_sql(&sb, ", sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),"
                  " sum(cache_read_input_tokens) FROM ("
                  TEAM_USAGE_NAMED_SQL);
    sqlb_int(&sb, from);
    sqlb_sql(&sb, ") x WHERE true");
    PGresult *r = team_query_filtered(hc, &sb, &q, " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8");
    if (r == NULL)
        goto out;
    double total[N_WINDOWS] = {0};
    int64_t unpriced[N_WINDOWS] = {0};
    struct keyed_rows projects = KEYED_ROWS_INIT(struct spend),
                      models = KEYED_ROWS_INIT(struct spend),
                      users = KEYED_ROWS_INIT(struct spend),
                      machines = KEYED_ROWS_INIT(struct spend);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *model = PQgetisnull(r, i, 0) ? "" : PQgetvalue(r, i, 0);
        int64_t v[4] = {0, 0, 0, 0};
        for (int k = 0; k < 4; k++)
            v[k] = strtoll(PQgetvalue(r, i, 8 + k), NULL, 10);
        const struct price *pr = pricing_find(&srv->pricing, model);
        double usd = pr ? pricing_cost(pr, v[0], v[1], v[2], v[3]) : 0;
        for (int w = 0; w < N_WINDOWS; w++) {
            if (PQgetvalue(r, i, 4 + w)[0] != 't')
                continue;
            total[w] += usd;
            if (pr == NULL)
                unpriced[w] += v[0] + v[1] + v[2] + v[3];
            struct spend *e[4] = {keyed_rows_get(&projects, PQgetvalue(r, i, 1)),
                                  keyed_rows_get(&models, model),
                                  keyed_rows_get(&users, PQgetvalue(r, i, 2)),
                                  keyed_rows_get(&machines, PQgetvalue(r, i, 3))};
            for (int k = 0; k < 4; k++)
                if (e[k] != NULL)
                    e[k]->usd[w] += usd;
        }
    }
    PQclear(r);
    json_t *body = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:f}}", "today",
        window_json(start[W_TODAY], total[W_TODAY], unpriced[W_TODAY]), "last_7d",
        window_json(start[W_7D], total[W_7D], unpriced[W_7D]), "last_30d",
        window_json(start[W_30D], total[W_30D], unpriced[W_30D]), "by_project",
        spends_json(&projects, "project"), "by_model", spends_json(&models, "model"), "by_user",
        spends_json(&users, "user"), "by_machine", spends_json(&machines, "machine_id"), "budget",
        "daily_usd", budget_value(srv->cfg.budget_daily_usd), "monthly_usd",
        budget_value(srv->cfg.budget_monthly_usd), "month_to_date_usd", total[W_MONTH]);
    if (body == NULL || projects.oom | models.oom | users.oom | machines.oom) {
        json_decref(body);
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
    } else {
        http_reply_json(hc, 200, body);
    }
    keyed_rows_free(&projects);
    keyed_rows_free(&models);
    keyed_rows_free(&users);
    keyed_rows_free(&machines);
out:
    sqlb_free(&sb);
    query_free(&q);
}
