/*
 * team_cost.c - GET /api/cost from the team database: api_usage.c's cost
 * overview (today, last 7 and 30 local days, by project and model, the
 * budgets), over every machine, plus by_user (who spends) and by_machine;
 * takes the machine / host / user filters.
 *
 * The windows and the JSON pieces are cost_overview.h's, as api_usage.c's
 * are; the grouping is api_usage.c's (one pass grouped by the windows each
 * row falls in); the SQL differs in the usage key
 * (machine_id, session_id), the identity columns, and PostgreSQL's
 * booleans, which come back as 't' / 'f' where SQLite's are 1 / 0.
 */
#include "team.h"

#include <stdlib.h>

#include "cost_overview.h"
#include "http_query.h"
#include "keyed_rows.h"
#include "row_json.h"

/* One project's, model's, user's or machine's spend in each window: a
 * keyed_rows row. */
struct spend {
    char key[200];
    double usd[COST_WINDOWS];
};

/* [{name: key, today_usd, last_7d_usd, last_30d_usd}], most expensive over
 * 30 days first (as api_usage.c cost_groups_json). */
static json_t *spends_json(const struct keyed_rows *s, const char *name)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < s->n; i++) {
        const struct spend *e = keyed_rows_at(s, i);
        if (cost_group_append(arr, name, e->key, e->usd) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    cost_groups_sort(arr);
    return arr;
}

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
    int64_t start[COST_WINDOWS];
    int64_t from = cost_window_starts(start);
    sqlb_sql(&sb, "SELECT model, project, username, machine_id::text, ts_ns >= ");
    sqlb_int(&sb, start[COST_TODAY]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[COST_7D]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[COST_30D]);
    sqlb_sql(&sb, ", ts_ns >= ");
    sqlb_int(&sb, start[COST_MONTH]);
    sqlb_sql(&sb, ", sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),"
                  " sum(cache_read_input_tokens) FROM ("
                  TEAM_USAGE_NAMED_SQL);
    sqlb_int(&sb, from);
    sqlb_sql(&sb, ") x WHERE true");
    PGresult *r = team_query_filtered(hc, &sb, &q, " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8");
    if (r == NULL)
        goto out;
    double total[COST_WINDOWS] = {0};
    int64_t unpriced[COST_WINDOWS] = {0};
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
        for (int w = 0; w < COST_WINDOWS; w++) {
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
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "today",
        cost_window_json(start[COST_TODAY], total[COST_TODAY], unpriced[COST_TODAY]), "last_7d",
        cost_window_json(start[COST_7D], total[COST_7D], unpriced[COST_7D]), "last_30d",
        cost_window_json(start[COST_30D], total[COST_30D], unpriced[COST_30D]), "by_project",
        spends_json(&projects, "project"), "by_model", spends_json(&models, "model"), "by_user",
        spends_json(&users, "user"), "by_machine", spends_json(&machines, "machine_id"), "budget",
        cost_budget_json(&srv->cfg, total[COST_MONTH]));
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
