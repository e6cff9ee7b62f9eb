/*
 * api_usage.c - tokens and dollars: GET /api/usage, GET /api/cost, the
 * "usage" part of GET /api/sessions/{id}, and the chronicle_tokens_total /
 * chronicle_cost_usd_total metric families.
 *
 * Token counts come from the usage table (the collector reads them out of
 * the transcripts, one row per assistant message).  Cost is computed here,
 * at read time, from the price table (share/pricing.tsv), so an edited price
 * applies to history; a model the table does not know is counted as
 * unpriced tokens and never given a guessed price.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "cost_overview.h"
#include "http_query.h"
#include "row_json.h"

/* Running sums for one group (a day, a model, a turn...). */
struct usage_sum {
    char key[160];
    int64_t in, out, cw, cr;
    int64_t unpriced; /* tokens of models without a price */
    double cost;
    int priced;       /* some tokens were priced */
};

struct usage_groups {
    struct usage_sum *v;
    size_t n, cap;
};

static struct usage_sum *group(struct usage_groups *g, const char *key)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->v[i].key, key) == 0)
            return &g->v[i];
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        struct usage_sum *v = realloc(g->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        g->v = v;
        g->cap = cap;
    }
    struct usage_sum *s = &g->v[g->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->key, sizeof s->key, "%s", key);
    return s;
}

/* Adds one (model, counts) row to s. */
static void add(struct usage_sum *s, const struct pricing *p, const char *model, int64_t in,
                int64_t out, int64_t cw, int64_t cr)
{
    if (s == NULL)
        return;
    s->in += in;
    s->out += out;
    s->cw += cw;
    s->cr += cr;
    const struct price *pr = pricing_find(p, model);
    if (pr != NULL) {
        s->cost += pricing_cost(pr, in, out, cw, cr);
        s->priced = 1;
    } else {
        s->unpriced += in + out + cw + cr;
    }
}

static json_t *sum_json(const struct usage_sum *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:I}", "input_tokens", (json_int_t)s->in,
                     "output_tokens", (json_int_t)s->out, "cache_creation_input_tokens",
                     (json_int_t)s->cw, "cache_read_input_tokens", (json_int_t)s->cr, "cost_usd",
                     s->priced ? json_real(s->cost) : json_null(), "unpriced_tokens",
                     (json_int_t)s->unpriced);
}

/* [{"<name>": key, ...sums}] for every group. */
static json_t *groups_json(const struct usage_groups *g, const char *name)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < g->n; i++) {
        json_t *o = sum_json(&g->v[i]);
        if (o == NULL || json_object_set_new(o, name, g->v[i].key[0] ? json_string(g->v[i].key)
                                                                       : json_null()) ||
            json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

int usage_add_to_session(struct server *srv, const char *sid, json_t *session)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        srv->db.h,
        "SELECT coalesce(agent_id, ''), coalesce(prompt_id, ''), model, sum(input_tokens),"
        " sum(output_tokens), sum(cache_creation_input_tokens), sum(cache_read_input_tokens),"
        " min(ts_ns) FROM usage WHERE session_id = ?1 GROUP BY 1, 2, 3 ORDER BY 8",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    struct usage_sum total = {.key = ""}, main_agent = {.key = ""};
    struct usage_groups agents = {0}, turns = {0}, models = {0};
    rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *agent = col(st, 0), *prompt = col(st, 1), *model = col(st, 2);
        int64_t in = sqlite3_column_int64(st, 3), out = sqlite3_column_int64(st, 4),
                cw = sqlite3_column_int64(st, 5), cr = sqlite3_column_int64(st, 6);
        add(&total, &srv->pricing, model, in, out, cw, cr);
        add(group(&models, model), &srv->pricing, model, in, out, cw, cr);
        if (*agent) {
            add(group(&agents, agent), &srv->pricing, model, in, out, cw, cr);
        } else {
            add(&main_agent, &srv->pricing, model, in, out, cw, cr);
            add(group(&turns, prompt), &srv->pricing, model, in, out, cw, cr);
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    json_t *u = NULL;
    if (rc == SQLITE_OK) {
        /* "total" includes the subagents; "main" is the session's own agent. */
        u = json_pack("{s:o,s:o,s:o,s:o,s:o}", "total", sum_json(&total), "main",
                      sum_json(&main_agent), "subagents", groups_json(&agents, "agent_id"),
                      "turns", groups_json(&turns, "prompt_id"), "models",
                      groups_json(&models, "model"));
        if (u == NULL || json_object_set_new(session, "usage", u) != 0)
            rc = SQLITE_NOMEM;
    }
    free(agents.v);
    free(turns.v);
    free(models.v);
    return rc;
}

int usage_add_summaries(struct server *srv, json_t *sessions)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(srv->db.h,
                                "SELECT model, sum(input_tokens), sum(output_tokens),"
                                " sum(cache_creation_input_tokens), sum(cache_read_input_tokens)"
                                " FROM usage WHERE session_id = ?1 GROUP BY 1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    size_t i;
    json_t *s;
    json_array_foreach(sessions, i, s) {
        const char *sid = json_string_value(json_object_get(s, "session_id"));
        if (sid == NULL)
            continue;
        struct usage_sum sum = {.key = ""};
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            add(&sum, &srv->pricing, col(st, 0), sqlite3_column_int64(st, 1),
                sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                sqlite3_column_int64(st, 4));
        if (rc != SQLITE_DONE)
            break;
        rc = SQLITE_OK;
        json_t *u = json_pack("{s:I,s:o}", "tokens", (json_int_t)(sum.in + sum.out + sum.cw + sum.cr),
                              "cost_usd", sum.priced ? json_real(sum.cost) : json_null());
        if (u == NULL || json_object_set_new(s, "usage", u) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void api_usage(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc))
        return;
    static const char *const keys[] = {"since", "until", NULL};
    char err[256];
    struct query q;
    int64_t now = clock_wall_ns(), since = now - 30 * 86400 * NS_PER_S, until = INT64_MAX;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0 ||
        query_time(&q, "since", &since, err, sizeof err) == QUERY_BAD ||
        query_time(&q, "until", &until, err, sizeof err) == QUERY_BAD) {
        query_free(&q);
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        return;
    }
    query_free(&q);
    struct server *srv = hc->srv;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        srv->db.h,
        "SELECT date(u.ts_ns / 1000000000, 'unixepoch'), coalesce(u.model, ''),"
        " coalesce(s.project, ''), sum(u.input_tokens), sum(u.output_tokens),"
        " sum(u.cache_creation_input_tokens), sum(u.cache_read_input_tokens)"
        " FROM usage u LEFT JOIN sessions s ON s.session_id = u.session_id"
        " WHERE u.ts_ns >= ?1 AND u.ts_ns < ?2 GROUP BY 1, 2, 3 ORDER BY 1",
        -1, &st, NULL);
    struct usage_sum total = {.key = ""};
    struct usage_groups days = {0}, models = {0}, projects = {0}, day_models = {0};
    if (rc == SQLITE_OK && (rc = sqlite3_bind_int64(st, 1, since)) == SQLITE_OK &&
        (rc = sqlite3_bind_int64(st, 2, until)) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *day = col(st, 0), *model = col(st, 1), *project = col(st, 2);
            int64_t in = sqlite3_column_int64(st, 3), out = sqlite3_column_int64(st, 4),
                    cw = sqlite3_column_int64(st, 5), cr = sqlite3_column_int64(st, 6);
            char dm[160];
            snprintf(dm, sizeof dm, "%s %s", day, model);
            add(&total, &srv->pricing, model, in, out, cw, cr);
            add(group(&days, day), &srv->pricing, model, in, out, cw, cr);
            add(group(&models, model), &srv->pricing, model, in, out, cw, cr);
            add(group(&projects, project), &srv->pricing, model, in, out, cw, cr);
            add(group(&day_models, dm), &srv->pricing, model, in, out, cw, cr);
        }
    }
    if (st != NULL)
        sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        http_reply_db_error(hc, rc);
    } else {
        char since_iso[32];
        iso8601_ms(since, since_iso);
        /* by_day_model: "2026-11-27 claude-opus-4-5", for the daily cost
         * chart stacked by model. */
        json_t *body = json_pack(
            "{s:s,s:{s:s,s:s,s:I},s:o,s:o,s:o,s:o,s:o}", "since", since_iso, "pricing", "file",
            srv->pricing_file, "written", srv->pricing.written, "models", (json_int_t)srv->pricing.n,
            "totals", sum_json(&total), "by_day", groups_json(&days, "day"), "by_model",
            groups_json(&models, "model"), "by_project", groups_json(&projects, "project"),
            "by_day_model", groups_json(&day_models, "day_model"));
        if (body == NULL)
            http_reply_error(hc, 500, "out_of_memory", "out of memory");
        else
            http_reply_json(hc, 200, body);
    }
    free(days.v);
    free(models.v);
    free(projects.v);
    free(day_models.v);
}

/* ---- GET /api/cost -------------------------------------------------------- */

/* One project's or model's spend in each window. */
struct cost_row {
    struct usage_groups w[COST_WINDOWS];
};

static json_t *cost_groups_json(struct usage_groups *all, const struct cost_row *by,
                                const char *name)
{
    /* Every key seen in the 30 days (the month may reach further back:
     * its keys are listed too), most expensive first. */
    json_t *arr = json_array();
    const struct usage_groups *keys[2] = {&by->w[COST_30D], &by->w[COST_MONTH]};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < keys[k]->n; i++)
            (void)group(all, keys[k]->v[i].key);
    for (size_t i = 0; arr != NULL && i < all->n; i++) {
        const char *key = all->v[i].key;
        double usd[3] = {0, 0, 0};
        for (int w = COST_TODAY; w <= COST_30D; w++)
            for (size_t j = 0; j < by->w[w].n; j++)
                if (strcmp(by->w[w].v[j].key, key) == 0)
                    usd[w] = by->w[w].v[j].cost;
        if (cost_group_append(arr, name, key, usd) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    cost_groups_sort(arr);
    return arr;
}

void api_cost(struct http_ctx *hc)
{
    if (http_reply_if_no_db(hc) || http_reply_if_params(hc))
        return;
    struct server *srv = hc->srv;
    int64_t start[COST_WINDOWS];
    int64_t from = cost_window_starts(start);
    sqlite3_stmt *st;
    /* One pass over the usage rows of the period, grouped by the windows
     * each row falls in; the sums and prices are /api/usage's. */
    int rc = sqlite3_prepare_v2(
        srv->db.h,
        "SELECT coalesce(u.model, ''), coalesce(s.project, ''), u.ts_ns >= ?2, u.ts_ns >= ?3,"
        " u.ts_ns >= ?4, u.ts_ns >= ?5, sum(u.input_tokens), sum(u.output_tokens),"
        " sum(u.cache_creation_input_tokens), sum(u.cache_read_input_tokens)"
        " FROM usage u LEFT JOIN sessions s ON s.session_id = u.session_id"
        " WHERE u.ts_ns >= ?1 GROUP BY 1, 2, 3, 4, 5, 6",
        -1, &st, NULL);
    struct usage_sum total[COST_WINDOWS];
    memset(total, 0, sizeof total);
    struct cost_row projects, models;
    memset(&projects, 0, sizeof projects);
    memset(&models, 0, sizeof models);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, from);
        for (int w = 0; w < COST_WINDOWS; w++)
            sqlite3_bind_int64(st, 2 + w, start[w]);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *model = col(st, 0), *project = col(st, 1);
            int64_t in = sqlite3_column_int64(st, 6), out = sqlite3_column_int64(st, 7),
                    cw = sqlite3_column_int64(st, 8), cr = sqlite3_column_int64(st, 9);
            for (int w = 0; w < COST_WINDOWS; w++) {
                if (!sqlite3_column_int(st, 2 + w))
                    continue;
                add(&total[w], &srv->pricing, model, in, out, cw, cr);
                add(group(&projects.w[w], project), &srv->pricing, model, in, out, cw, cr);
                add(group(&models.w[w], model), &srv->pricing, model, in, out, cw, cr);
            }
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_DONE) {
        http_reply_db_error(hc, rc);
    } else {
        struct usage_groups pkeys = {0}, mkeys = {0};
        json_t *body = json_pack(
            "{s:o,s:o,s:o,s:o,s:o,s:o}", "today",
            cost_window_json(start[COST_TODAY], total[COST_TODAY].cost,
                             total[COST_TODAY].unpriced),
            "last_7d",
            cost_window_json(start[COST_7D], total[COST_7D].cost, total[COST_7D].unpriced),
            "last_30d",
            cost_window_json(start[COST_30D], total[COST_30D].cost, total[COST_30D].unpriced),
            "by_project", cost_groups_json(&pkeys, &projects, "project"), "by_model",
            cost_groups_json(&mkeys, &models, "model"), "budget",
            cost_budget_json(&srv->cfg, total[COST_MONTH].cost));
        free(pkeys.v);
        free(mkeys.v);
        if (body == NULL)
            http_reply_error(hc, 500, "out_of_memory", "out of memory");
        else
            http_reply_json(hc, 200, body);
    }
    for (int w = 0; w < COST_WINDOWS; w++) {
        free(projects.w[w].v);
        free(models.w[w].v);
    }
}

int usage_metrics(struct server *srv, struct buf *b)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        srv->db.h,
        "SELECT coalesce(model, ''), sum(input_tokens), sum(output_tokens),"
        " sum(cache_creation_input_tokens), sum(cache_read_input_tokens) FROM usage GROUP BY 1",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    struct buf tokens = BUF_INIT, cost = BUF_INIT;
    int bad = buf_append_str(&tokens, "# HELP chronicle_tokens_total Tokens used, read from the "
                                      "transcripts, by model and kind.\n"
                                      "# TYPE chronicle_tokens_total counter\n") |
              buf_append_str(&cost, "# HELP chronicle_cost_usd_total Cost in US dollars of the "
                                    "tokens used, by model (priced models only).\n"
                                    "# TYPE chronicle_cost_usd_total counter\n");
    static const char *const kinds[] = {"input", "output", "cache_write", "cache_read"};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char model[128];
        size_t o = 0;
        /* Label values: escape backslash, quote and newline. */
        for (const char *m = col(st, 0); *m && o < sizeof model - 3; m++) {
            if (*m == '\\' || *m == '"')
                model[o++] = '\\';
            model[o++] = *m == '\n' ? ' ' : *m;
        }
        model[o] = '\0';
        int64_t v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = sqlite3_column_int64(st, k + 1);
            bad |= buf_printf(&tokens, "chronicle_tokens_total{model=\"%s\",kind=\"%s\"} %lld\n",
                              model, kinds[k], (long long)v[k]);
        }
        const struct price *pr = pricing_find(&srv->pricing, col(st, 0));
        if (pr != NULL)
            bad |= buf_printf(&cost, "chronicle_cost_usd_total{model=\"%s\"} %.6f\n", model,
                              pricing_cost(pr, v[0], v[1], v[2], v[3]));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && !bad)
        bad = buf_append(b, tokens.data, tokens.len) | buf_append(b, cost.data, cost.len);
    buf_free(&tokens);
    buf_free(&cost);
    return rc != SQLITE_DONE ? rc : bad ? SQLITE_NOMEM : SQLITE_OK;
}
