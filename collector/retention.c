/* retention.c - chunked deletion of expired events.  See retention.h. */
#include "retention.h"
#include "chronicle/clock.h"

#include <string.h>

#include "chronicle/log.h"

#define TAG "chronicle-collector"
#define NS_PER_DAY (86400 * NS_PER_S)

static int prepare(sqlite3 *db, struct retention *r)
{
    if (r->window_end != NULL)
        return SQLITE_OK;
    struct { sqlite3_stmt **st; const char *sql; } all[] = {
        /* The last id of the next window after the cursor. */
        {&r->window_end, "SELECT max(id) FROM (SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2)"},
        {&r->cut_tools,
         "DELETE FROM tool_calls WHERE tool_use_id IN (SELECT tool_use_id FROM events"
         " WHERE id > ?1 AND id <= ?2 AND ts_ns < ?3 AND tool_use_id IS NOT NULL)"
         " AND coalesce(ended_ns, started_ns) < ?3 AND coalesce(started_ns, ended_ns) < ?3"},
        {&r->cut_events, "DELETE FROM events WHERE id > ?1 AND id <= ?2 AND ts_ns < ?3"},
        {&r->cut_sessions, "DELETE FROM sessions WHERE last_seen_ns < ?1"},
        {&r->cut_counts, "DELETE FROM event_counts WHERE bucket < ?1 / 10000000000"},
        {&r->cut_tool_stats, "DELETE FROM tool_stats WHERE bucket < ?1 / 600000000000"},
        {&r->cut_counts_10m, "DELETE FROM event_counts_10m WHERE bucket < ?1 / 600000000000"},
        {&r->cut_usage, "DELETE FROM usage WHERE (message_id, request_id) IN (SELECT message_id,"
                        " request_id FROM usage WHERE ts_ns < ?1 LIMIT 500)"},
        {&r->size, "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count,"
                   " pragma_freelist_count, pragma_page_size"},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        int rc = sqlite3_prepare_v3(db, all[i].sql, -1, SQLITE_PREPARE_PERSISTENT, all[i].st, NULL);
        if (rc != SQLITE_OK) {
            log_msg(TAG, LOG_LEVEL_ERROR, "retention: %s", sqlite3_errmsg(db));
            return rc;
        }
    }
    return SQLITE_OK;
}

static int64_t scalar(sqlite3_stmt *st, int64_t fallback)
{
    int64_t v = fallback;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int retention_step(struct retention *r, sqlite3 *db, const struct chronicle_config *cfg,
                   struct stats *stats, int64_t now_wall, int64_t now_mono)
{
    if (cfg->retention_days == 0 && cfg->retention_max_mb == 0)
        return 0;
    if (!r->in_pass && now_mono < r->next_pass_ns)
        return 0;
    if (prepare(db, r) != SQLITE_OK)
        return -1;
    if (!r->in_pass) {
        r->in_pass = 1;
        r->cursor = 0;
    }
    int64_t cut = cfg->retention_days ? now_wall - cfg->retention_days * NS_PER_DAY : INT64_MIN;
    /* Over the size cap: this window goes whatever its age (oldest first). */
    if (cfg->retention_max_mb && scalar(r->size, 0) > cfg->retention_max_mb * 1048576LL)
        cut = INT64_MAX;
    sqlite3_bind_int64(r->window_end, 1, r->cursor);
    sqlite3_bind_int(r->window_end, 2, RETENTION_CHUNK);
    int64_t hi = scalar(r->window_end, -1);
    if (hi < 0) { /* end of the table: pass complete */
        r->in_pass = 0;
        r->next_pass_ns = now_mono + cfg->retention_check_s * NS_PER_S;
        return 0;
    }
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc == SQLITE_BUSY ? 0 : -1; /* another writer: try next time */
    sqlite3_stmt *per_window[] = {r->cut_tools, r->cut_events};
    for (size_t i = 0; i < 2 && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(per_window[i], 1, r->cursor);
        sqlite3_bind_int64(per_window[i], 2, hi);
        sqlite3_bind_int64(per_window[i], 3, cut);
        rc = run(per_window[i]);
        if (per_window[i] == r->cut_events && rc == SQLITE_OK)
            stats_add(stats, "events_expired_total", "", sqlite3_changes(db));
    }
    int deleted = rc == SQLITE_OK ? sqlite3_changes(db) : 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(r->cut_sessions, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_sessions);
    }
    if (rc == SQLITE_OK) { /* whole 10 s buckets older than the cut-off */
        sqlite3_bind_int64(r->cut_counts, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_counts);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(r->cut_tool_stats, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_tool_stats);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(r->cut_counts_10m, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_counts_10m);
    }
    if (rc == SQLITE_OK) { /* token usage of expired messages, a chunk a step */
        sqlite3_bind_int64(r->cut_usage, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_usage);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        log_msg(TAG, LOG_LEVEL_ERROR, "retention: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    r->cursor = hi;
    return deleted;
}

void retention_close(struct retention *r)
{
    sqlite3_stmt *all[] = {r->window_end, r->cut_events, r->cut_tools, r->cut_sessions, r->oldest,
                           r->size, r->cut_counts, r->cut_usage,
                           r->cut_tool_stats, r->cut_counts_10m};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    memset(r, 0, sizeof *r);
}
