/*
 * team_usage.c - tokens and dollars from the team database: GET /api/usage
 * (the local answer plus by_user, by_machine and by_user_project: the
 * per-person and per-project cost view), and the "usage" of a session.
 *
 * Cost is computed here from the server's price table, as api_usage.c does
 * locally (so an edited price applies to history).  The sums are api_usage.c's
 * (same keys), kept in this file's own small accumulator (rows of a
 * keyed_rows.h array: a group has up to three named fields).  Dialects, side
 * by side:
 *   day:  SQLite date(ts_ns / 1000000000, 'unixepoch')
 *         PostgreSQL to_char(to_timestamp(ts_ns / 1e9) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
 *   key:  usage rows belong to (machine_id, session_id) here, session_id locally.
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "http_query.h"
#include "keyed_rows.h"
#include "row_json.h"

struct sum {
    char key[400];
    char f1[160], f2[160], f3[160]; /* the group's named fields */
    int64_t in, out, cw, cr, unpriced;
    double cost;
    int priced;
};

/* The group of (f1, f2, f3) in g (rows struct sum), added when new; NULL
 * when out of memory (g->oom says so). */
static struct sum *group(struct keyed_rows *g, const char *f1, const char *f2, const char *f3)
{
    char key[400];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s", f1, f2 ? f2 : "", f3 ? f3 : "");
    struct sum *s = keyed_rows_find(g, key);
    if (s != NULL)
        return s;
    if ((s = keyed_rows_add(g, key)) == NULL)
        return NULL;
    snprintf(s->f1, sizeof s->f1, "%s", f1);
    snprintf(s->f2, sizeof s->f2, "%s", f2 ? f2 : "");
    snprintf(s->f3, sizeof s->f3, "%s", f3 ? f3 : "");
    return s;
}

static void add(struct sum *s, const struct pricing *p, const char *model, const PGresult *r,
                int row, int col)
{
    if (s == NULL)
        return;
    int64_t v[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++)
        v[k] = strtoll(PQgetvalue(r, row, col + k), NULL, 10);
    s->in += v[0];
    s->out += v[1];
    s->cw += v[2];
    s->cr += v[3];
    const struct price *pr = pricing_find(p, model);
    if (pr != NULL) {
        s->cost += pricing_cost(pr, v[0], v[1], v[2], v[3]);
        s->priced = 1;
    } else {
        s->unpriced += v[0] + v[1] + v[2] + v[3];
    }
}

static json_t *sum_json(const struct sum *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:I}", "input_tokens", (json_int_t)s->in,
                     "output_tokens", (json_int_t)s->out, "cache_creation_input_tokens",
                     (json_int_t)s->cw, "cache_read_input_tokens", (json_int_t)s->cr, "cost_usd",
                     s->priced ? json_real(s->cost) : json_null(), "unpriced_tokens",
                     (json_int_t)s->unpriced);
}

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* [{"<n1>": f1, "<n2>": f2, "<n3>": f3, ...sums}] */
static json_t *groups_json(const struct keyed_rows *g, const char *n1, const char *n2,
                           const char *n3)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < g->n; i++) {
        const struct sum *s = keyed_rows_at(g, i);
        json_t *o = sum_json(s);
        if (o == NULL || json_object_set_new(o, n1, str_or_null(s->f1)) ||
            (n2 && json_object_set_new(o, n2, str_or_null(s->f2))) ||
            (n3 && json_object_set_new(o, n3, str_or_null(s->f3))) ||
            json_array_append_new(arr, o)) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static const char *val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

int team_usage_add_to_session(struct team *t, const char *machine, const char *sid, json_t *s,
                              int *unavailable, char *err, size_t errlen)
{
    const char *const params[2] = {machine, sid};
    PGresult *r = pg_db_query(&t->db,
        "SELECT coalesce(agent_id, ''), coalesce(prompt_id, ''), coalesce(model, ''),"
        " sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),"
        " sum(cache_read_input_tokens), min(ts_ns) FROM chronicle.usage"
        " WHERE machine_id = $1 AND session_id = $2 GROUP BY 1, 2, 3 ORDER BY 8",
        2, params, unavailable, err, errlen);
    if (r == NULL)
        return -1;
    struct sum total = {.key = ""}, main_agent = {.key = ""};
    struct keyed_rows agents = KEYED_ROWS_INIT(struct sum), turns = KEYED_ROWS_INIT(struct sum),
                      models = KEYED_ROWS_INIT(struct sum);
    const struct pricing *p = &t->srv->pricing;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *agent = val(r, i, 0), *prompt = val(r, i, 1), *model = val(r, i, 2);
        add(&total, p, model, r, i, 3);
        add(group(&models, model, NULL, NULL), p, model, r, i, 3);
        if (*agent) {
            add(group(&agents, agent, NULL, NULL), p, model, r, i, 3);
        } else {
            add(&main_agent, p, model, r, i, 3);
            add(group(&turns, prompt, NULL, NULL), p, model, r, i, 3);
        }
    }
    PQclear(r);
    json_t *u = json_pack("{s:o,s:o,s:o,s:o,s:o}", "total", sum_json(&total), "main",
                          sum_json(&main_agent), "subagents",
                          groups_json(&agents, "agent_id", NULL, NULL), "turns",
                          groups_json(&turns, "prompt_id", NULL, NULL), "models",
                          groups_json(&models, "model", NULL, NULL));
    int oom = agents.oom | turns.oom | models.oom || u == NULL ||
              json_object_set_new(s, "usage", u) != 0;
    keyed_rows_free(&agents);
    keyed_rows_free(&turns);
    keyed_rows_free(&models);
    if (oom) {
        *unavailable = 0;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int team_usage_add_summaries(struct team *t, json_t *sessions, int *unavailable, char *err,
                             size_t errlen)
{
    size_t i;
    json_t *s;
    json_array_foreach(sessions, i, s) {
        const char *params[2] = {json_string_value(json_object_get(s, "machine_id")),
                                 json_string_value(json_object_get(s, "session_id"))};
        if (params[0] == NULL || params[1] == NULL)
            continue;
        PGresult *r = pg_db_query(&t->db,
            "SELECT coalesce(model, ''), sum(input_tokens), sum(output_tokens),"
            " sum(cache_creation_input_tokens), sum(cache_read_input_tokens)"
            " FROM chronicle.usage WHERE machine_id = $1 AND session_id = $2 GROUP BY 1",
            2, params, unavailable, err, errlen);
        if (r == NULL)
            return -1;
        struct sum sum = {.key = ""};
        for (int k = 0; k < PQntuples(r); k++)
            add(&sum, &t->srv->pricing, val(r, k, 0), r, k, 1);
        PQclear(r);
        json_t *u = json_pack("{s:I,s:o}", "tokens", (json_int_t)(sum.in + sum.out + sum.cw + sum.cr),
                              "cost_usd", sum.priced ? json_real(sum.cost) : json_null());
        if (u == NULL || json_object_set_new(s, "usage", u) != 0) {
            *unavailable = 0;
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

void team_usage(struct http_ctx *hc)
{
    if (team_reply_if_down(hc))
        return;
    struct team *t = hc->srv->team;
    static const char *const keys[] = {"since", "until", "machine", "host", "user", NULL};
    char err[400];
    struct query q;
    struct sqlb sb;
    sqlb_init(&sb);
    int64_t now = clock_wall_ns(), since = now - 30 * 86400 * NS_PER_S, until = INT64_MAX;
    if (query_parse(&q, hc->query, err, sizeof err) != 0 ||
        query_check_keys(&q, keys, err, sizeof err) != 0 ||
        query_time(&q, "since", &since, err, sizeof err) == QUERY_BAD ||
        query_time(&q, "until", &until, err, sizeof err) == QUERY_BAD) {
        http_reply_error(hc, 400, "bad_parameter", "%s", err);
        goto out;
    }
    /* Each usage row with its session's project and person; the machine's
     * registration names them when the session row is missing. */
    sqlb_sql(&sb,
        "SELECT to_char(to_timestamp(ts_ns / 1e9) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), model,"
        " project, username, machine_id::text, host, sum(input_tokens), sum(output_tokens),"
        " sum(cache_creation_input_tokens), sum(cache_read_input_tokens) FROM ("
        TEAM_USAGE_NAMED_SQL);
    sqlb_int(&sb, since);
    sqlb_sql(&sb, " AND u.ts_ns < ");
    sqlb_int(&sb, until);
    sqlb_sql(&sb, ") x WHERE true");
    PGresult *r = team_query_filtered(hc, &sb, &q, " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1");
    if (r == NULL)
        goto out;
    const struct pricing *p = &t->srv->pricing;
    struct sum total = {.key = ""};
    struct keyed_rows days = KEYED_ROWS_INIT(struct sum), models = KEYED_ROWS_INIT(struct sum),
                      projects = KEYED_ROWS_INIT(struct sum),
                      day_models = KEYED_ROWS_INIT(struct sum),
                      users = KEYED_ROWS_INIT(struct sum), machines = KEYED_ROWS_INIT(struct sum),
                      user_projects = KEYED_ROWS_INIT(struct sum);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *day = val(r, i, 0), *model = val(r, i, 1), *project = val(r, i, 2),
                   *user = val(r, i, 3), *machine = val(r, i, 4), *host = val(r, i, 5);
        char dm[160];
        snprintf(dm, sizeof dm, "%s %s", day, model);
        add(&total, p, model, r, i, 6);
        add(group(&days, day, NULL, NULL), p, model, r, i, 6);
        add(group(&models, model, NULL, NULL), p, model, r, i, 6);
        add(group(&projects, project, NULL, NULL), p, model, r, i, 6);
        add(group(&day_models, dm, NULL, NULL), p, model, r, i, 6);
        add(group(&users, user, NULL, NULL), p, model, r, i, 6);
        add(group(&machines, machine, host, user), p, model, r, i, 6);
        add(group(&user_projects, user, project, NULL), p, model, r, i, 6);
    }
    PQclear(r);
    char since_iso[32];
    iso8601_ms(since, since_iso);
    json_t *body = json_pack(
        "{s:s,s:{s:s,s:s,s:I},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "since", since_iso, "pricing",
        "file", hc->srv->pricing_file, "written", hc->srv->pricing.written, "models",
        (json_int_t)hc->srv->pricing.n, "totals", sum_json(&total), "by_day",
        groups_json(&days, "day", NULL, NULL), "by_model", groups_json(&models, "model", NULL, NULL),
        "by_project", groups_json(&projects, "project", NULL, NULL), "by_day_model",
        groups_json(&day_models, "day_model", NULL, NULL), "by_user",
        groups_json(&users, "user", NULL, NULL), "by_machine",
        groups_json(&machines, "machine_id", "host", "user"), "by_user_project",
        groups_json(&user_projects, "user", "project", NULL));
    if (body == NULL || days.oom | models.oom | projects.oom | day_models.oom | users.oom |
                            machines.oom | user_projects.oom) {
        json_decref(body);
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
    } else {
        http_reply_json(hc, 200, body);
    }
    keyed_rows_free(&days);
    keyed_rows_free(&models);
    keyed_rows_free(&projects);
    keyed_rows_free(&day_models);
    keyed_rows_free(&users);
    keyed_rows_free(&machines);
    keyed_rows_free(&user_projects);
out:
    sqlb_free(&sb);
    query_free(&q);
}
