/*
 * cost_overview.h - the parts of GET /api/cost (the cost overview) that do
 * not depend on where the usage rows come from: its windows in local days,
 * and the pieces of its JSON.  api_usage.c (SQLite) and team_cost.c
 * (PostgreSQL) both build their answer from these, so the two answer in the
 * same shape.
 *
 * Ownership: each json_t * returned is a new reference the caller owns (or
 * hands on, as json_pack "o" does); NULL on ENOMEM.
 */
#ifndef CHRONICLE_COST_OVERVIEW_H
#define CHRONICLE_COST_OVERVIEW_H

#include <jansson.h>
#include <stdint.h>

#include "chronicle/config.h"

/* The windows, in the server's local days (its TZ): today, the last 7 and
 * 30 days including today, and the month to date (the monthly budget's). */
enum { COST_TODAY, COST_7D, COST_30D, COST_MONTH, COST_WINDOWS };

/* Fills start[] with each window's start now (ns since the epoch) and
 * returns the earliest: the 30 days, or the month when it is longer. */
int64_t cost_window_starts(int64_t start[COST_WINDOWS]);

/* {since, since_ms, cost_usd, unpriced_tokens} of one window. */
json_t *cost_window_json(int64_t since, double cost_usd, int64_t unpriced_tokens);

/* Appends {<name>: key (null for ""), today_usd, last_7d_usd, last_30d_usd}
 * to arr, usd[] indexed by COST_TODAY .. COST_30D.  0, or -1 on ENOMEM. */
int cost_group_append(json_t *arr, const char *name, const char *key, const double *usd);
/* Orders arr's groups most expensive over 30 days first; ties keep their
 * order. */
void cost_groups_sort(json_t *arr);

/* {daily_usd, monthly_usd, month_to_date_usd}: the configured budgets (null
 * where none is set) and what the month has spent. */
json_t *cost_budget_json(const struct chronicle_config *cfg, double month_to_date_usd);

#endif
