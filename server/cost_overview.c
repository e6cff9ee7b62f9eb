/*
 * cost_overview.c - GET /api/cost's windows and JSON pieces, whichever
 * database the rows come from (cost_overview.h).
 */
#include "cost_overview.h"

#include <time.h>

#include "chronicle/clock.h"
#include "row_json.h"

/* Local midnight days_back days before now's day; day 1 of this month when
 * month_start.  mktime normalises a negative mday and finds the DST offset. */
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

int64_t cost_window_starts(int64_t start[COST_WINDOWS])
{
    time_t now = (time_t)(clock_wall_ns() / NS_PER_S);
    start[COST_TODAY] = local_midnight_ns(now, 0, 0);
    start[COST_7D] = local_midnight_ns(now, 6, 0);
    start[COST_30D] = local_midnight_ns(now, 29, 0);
    start[COST_MONTH] = local_midnight_ns(now, 0, 1);
    return start[COST_30D] < start[COST_MONTH] ? start[COST_30D] : start[COST_MONTH];
}

json_t *cost_window_json(int64_t since, double cost_usd, int64_t unpriced_tokens)
{
    char iso[32];
    iso8601_ms(since, iso);
    return json_pack("{s:s,s:I,s:f,s:I}", "since", iso, "since_ms", (json_int_t)(since / 1000000),
                     "cost_usd", cost_usd, "unpriced_tokens", (json_int_t)unpriced_tokens);
}

int cost_group_append(json_t *arr, const char *name, const char *key, const double *usd)
{
    json_t *o = json_pack("{s:o,s:f,s:f,s:f}", name, key[0] ? json_string(key) : json_null(),
                          "today_usd", usd[COST_TODAY], "last_7d_usd", usd[COST_7D],
                          "last_30d_usd", usd[COST_30D]);
    return o == NULL || json_array_append_new(arr, o) != 0 ? -1 : 0;
}

void cost_groups_sort(json_t *arr)
{
    /* Insertion sort: a few dozen groups, and a stable order. */
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
}

/* The config holds -1 for a budget not set. */
static json_t *budget_value(double v) { return v >= 0 ? json_real(v) : json_null(); }

json_t *cost_budget_json(const struct chronicle_config *cfg, double month_to_date_usd)
{
    return json_pack("{s:o,s:o,s:f}", "daily_usd", budget_value(cfg->budget_daily_usd),
                     "monthly_usd", budget_value(cfg->budget_monthly_usd), "month_to_date_usd",
                     month_to_date_usd);
}
