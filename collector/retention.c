/* retention.c - chunked deletion of expired events.  See retention.h. */
#include "retention.h"
#include "chronicle/clock.h"

#include <string.h>

#include "chronicle/log.h"
#include "chronicle/ship_file.h"

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
         " WHERE id > ?1 AND id <= ?2 AND ts_ns < ?3 AND id < ?4 AND tool_use_id IS NOT NULL)"
         " AND coalesce(ended_ns, started_ns) < ?3 AND coalesce(started_ns, ended_ns) < ?3"
         " AND coalesce(pre_event_id, 0) < ?4 AND coalesce(post_event_id, 0) < ?4"},
        {&r->cut_events, "DELETE FROM events WHERE id > ?1 AND id <= ?2 AND ts_ns < ?3 AND id < ?4"},
        /* Events of the window not yet in PostgreSQL (id above the cursor). */
        {&r->unshipped, "SELECT count(*) FROM events WHERE id > ?1 AND id <= ?2 AND id > ?3 AND id < ?4"},
        {&r->max_id, "SELECT max(id) FROM events"},
        {&r->cut_sessions, "DELETE FROM sessions WHERE last_seen_ns < ?1"},
        {&r->cut_counts, "DELETE FROM event_counts WHERE bucket < ?1 / 10000000000"},
        {&r->cut_tool_stats, "DELETE FROM tool_stats WHERE bucket < ?1 / 600000000000"},
        {&r->cut_counts_10m, "DELETE FROM event_counts_10m WHERE bucket < ?1 / 600000000000"},
        {&r->cut_usage, "DELETE FROM usage WHERE (message_id, request_id) IN (SELECT message_id,"
                        " request_id FROM usage WHERE ts_ns < ?1 LIMIT 500)"},
        /* The conversation index of lines older than the cut-off (schema 6);
         * seq order is file order, so the oldest rows are found first. */
        {&r->cut_lines, "DELETE FROM transcript_lines WHERE seq IN (SELECT seq FROM"
                        " transcript_lines WHERE ts_ns < ?1 LIMIT 500)"},
        /* Assistant replies (search): by age, a chunk a step; their index
         * rows go with them (trigger search_replies_delete, schema.c). */
        {&r->cut_replies, "DELETE FROM replies WHERE id IN (SELECT id FROM replies"
                          " WHERE ts_ns < ?1 LIMIT 500)"},
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

/*
 * With shipping configured (ship_to set), what chronicle-ship has not
 * committed to PostgreSQL stays: the age limit deletes only ids below the
 * cursor in ship.cursor (strictly below, so the row the cursor names stays
 * too and the newest id is never freed for reuse), and nothing at all while
 * the cursor is unknown.  Usage rows expire only while chronicle-ship syncs
 * them (a complete sync within the last hour).  Without shipping: no limit.
 */
struct ship_guard {
    int on;
    int64_t below;        /* events with id < below may expire by age */
    int usage_ok;         /* usage rows may expire */
    int64_t shipped;      /* the cursor: ids above it are unshipped */
};

#define USAGE_SYNC_FRESH_NS (3600 * NS_PER_S)

static void ship_guard_load(struct ship_guard *g, const struct chronicle_config *cfg,
                            int64_t now_wall)
{
    memset(g, 0, sizeof *g);
    if (cfg->ship_to[0] == '\0') {
        g->below = INT64_MAX;
        g->usage_ok = 1;
        g->shipped = INT64_MAX;
        return;
    }
    g->on = 1;
    struct ship_cursor cur;
    char err[256];
    if (ship_cursor_read(cfg->home, &cur, err, sizeof err) != 0)
        return; /* unknown: nothing expires by age */
    g->below = cur.last_id;
    g->shipped = cur.last_id;
    g->usage_ok = cur.usage_synced_ns > now_wall - USAGE_SYNC_FRESH_NS;
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

/* The size cap is about to delete events chronicle-ship has not shipped:
 * count them (events_deleted_unshipped_total, which status and /metrics
 * show) and log it, at most every 10 s. */
static void count_unshipped(struct retention *r, struct stats *stats, int64_t hi, int64_t shipped,
                            int64_t below, int64_t now_mono)
{
    sqlite3_bind_int64(r->unshipped, 1, r->cursor);
    sqlite3_bind_int64(r->unshipped, 2, hi);
    sqlite3_bind_int64(r->unshipped, 3, shipped);
    sqlite3_bind_int64(r->unshipped, 4, below);
    int64_t n = scalar(r->unshipped, 0);
    if (n <= 0)
        return;
    stats_add(stats, "events_deleted_unshipped_total", "", n);
    r->unshipped_unlogged += n;
    if (now_mono - r->unshipped_logged_ns >= 10 * NS_PER_S) {
        log_msg(TAG, LOG_LEVEL_WARN, "retention: the database is over CHRONICLE_RETENTION_MAX_MB: deleted "
                "%lld event(s) that chronicle-ship had not shipped to PostgreSQL yet (lost for the "
                "team database)", (long long)r->unshipped_unlogged);
        r->unshipped_unlogged = 0;
        r->unshipped_logged_ns = now_mono;
    }
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
    struct ship_guard guard;
    ship_guard_load(&guard, cfg, now_wall);
    int64_t cut = cfg->retention_days ? now_wall - cfg->retention_days * NS_PER_DAY : INT64_MIN;
    int64_t below = guard.below;
    /* Over the size cap: this window goes whatever its age (oldest first),
     * shipped or not (count_unshipped says so loudly); even then the newest
     * event stays while shipping, so that its id is never reused. */
    if (cfg->retention_max_mb && scalar(r->size, 0) > cfg->retention_max_mb * 1048576LL) {
        cut = INT64_MAX;
        below = guard.on ? scalar(r->max_id, 0) : INT64_MAX;
    }
    sqlite3_bind_int64(r->window_end, 1, r->cursor);
    sqlite3_bind_int(r->window_end, 2, RETENTION_CHUNK);
    int64_t hi = scalar(r->window_end, -1);
    if (hi < 0) { /* end of the table: pass complete */
        /* The offset index expires by its lines' times, once a pass: a
         * few chunks of 500, each its own short transaction. */
        for (int k = 0; k < 20 && cfg->retention_days; k++) {
            if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                break;
            sqlite3_bind_int64(r->cut_lines, 1, cut);
            int lrc = run(r->cut_lines);
            int n = lrc == SQLITE_OK ? sqlite3_changes(db) : 0;
            if (lrc != SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                break;
            }
            if (n < 500)
                break;
        }
        r->in_pass = 0;
        r->next_pass_ns = now_mono + cfg->retention_check_s * NS_PER_S;
        return 0;
    }
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc == SQLITE_BUSY ? 0 : -1; /* another writer: try next time */
    if (cut == INT64_MAX && guard.on)
        count_unshipped(r, stats, hi, guard.shipped, below, now_mono);
    sqlite3_stmt *per_window[] = {r->cut_tools, r->cut_events};
    for (size_t i = 0; i < 2 && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(per_window[i], 1, r->cursor);
        sqlite3_bind_int64(per_window[i], 2, hi);
        sqlite3_bind_int64(per_window[i], 3, cut);
        sqlite3_bind_int64(per_window[i], 4, below);
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
    if (rc == SQLITE_OK && guard.usage_ok) { /* token usage of expired messages, a chunk a step */
        sqlite3_bind_int64(r->cut_usage, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_usage);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(r->cut_replies, 1, cut == INT64_MAX ? INT64_MIN : cut);
        rc = run(r->cut_replies);
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
                           r->size, r->cut_counts, r->cut_usage, r->cut_lines,
                           r->cut_tool_stats, r->cut_counts_10m, r->unshipped, r->max_id,
                           r->cut_replies};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    memset(r, 0, sizeof *r);
}
