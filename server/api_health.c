/* api_health.c - GET /health and GET /health/performance. */
#include "server.h"

#include "chronicle/clock.h"

/* The collector writes heartbeat_ns at least every 5 s; six missed beats
 * mean it is stopped or stuck. */
#define HEARTBEAT_STALE_MS 30000

static int64_t max_event_id(sqlite3 *db, int *ok)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    *ok = 0;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM events", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    }
    sqlite3_finalize(st);
    return v;
}

void api_health(struct http_ctx *hc)
{
    struct server *srv = hc->srv;
    int64_t now = clock_wall_ns();
    int readable = 0, have_hb = 0;
    int64_t last_id = 0, hb = 0;
    if (srv->db.h != NULL) {
        last_id = max_event_id(srv->db.h, &readable);
        hb = db_read_stat(&srv->db, "heartbeat_ns", "", &have_hb);
    }
    int64_t age_ms = have_hb ? (now - hb) / 1000000 : -1;
    int collector_ok = have_hb && age_ms < HEARTBEAT_STALE_MS;
    int ok = readable && collector_ok;
    json_t *db = json_pack("{s:s,s:b,s:I,s:I}", "path", srv->db.path, "readable", readable,
                           "last_event_id", (json_int_t)last_id, "wal_bytes",
                           (json_int_t)db_read_wal_bytes(&srv->db));
    json_t *col = json_pack("{s:b,s:o}", "alive", collector_ok, "heartbeat_age_ms",
                            have_hb ? json_integer(age_ms) : json_null());
    /* idle_after_s: so that clients (the dashboard) call a session idle
     * exactly when the API does. */
    json_t *body = json_pack("{s:s,s:s,s:I,s:o,s:o,s:I,s:I}", "status", ok ? "ok" : "degraded",
                             "version", CHRONICLE_VERSION, "uptime_s",
                             (json_int_t)((clock_mono_ns() - srv->started_mono_ns) / NS_PER_S),
                             "database", db, "collector", col, "websocket_clients",
                             (json_int_t)(srv->feed ? live_feed_clients(srv->feed) : 0),
                             "idle_after_s", (json_int_t)srv->cfg.idle_after_s);
    http_reply_json(hc, ok ? 200 : 503, body);
}

/* Events committed in the last window_s seconds.  stored_ns grows with id
 * (one writer, commit order), so a binary search over ids finds the first
 * event of the window with ~20 primary-key lookups instead of a scan. */
static int64_t events_since(sqlite3 *db, int64_t since_ns, int *ok)
{
    sqlite3_stmt *st;
    *ok = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, stored_ns FROM events WHERE id >= ?1 ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    int dummy;
    int64_t hi = max_event_id(db, &dummy), lo = 1, first = hi + 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        sqlite3_reset(st);
        if (sqlite3_bind_int64(st, 1, mid) != SQLITE_OK)
            break;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            hi = mid - 1;
            continue;
        }
        int64_t id = sqlite3_column_int64(st, 0), stored = sqlite3_column_int64(st, 1);
        if (stored >= since_ns) {
            first = id;
            hi = mid - 1;
        } else {
            lo = id + 1;
        }
    }
    sqlite3_finalize(st);
    int64_t max = max_event_id(db, ok);
    return first > max ? 0 : max - first + 1; /* ids may have holes: an upper bound */
}

static json_t *threshold(double value, double limit, int *degraded)
{
    int bad = value > limit;
    *degraded |= bad;
    return json_pack("{s:f,s:f,s:s}", "value", value, "threshold", limit, "status",
                     bad ? "degraded" : "ok");
}

void health_performance_reply(struct http_ctx *hc, double eps, int degraded,
                              const char *own_name, double own_value, double own_threshold)
{
    struct server *srv = hc->srv;
    double rss_mb = (double)metrics_rss_bytes() / (1024.0 * 1024.0);
    /* Thresholds: the seed guide's 100 MB and 100 ms, and 1000 events/s as
     * the sustained rate beyond which the live feed is expected to fall
     * behind; the caller's own last. */
    json_t *th = json_object();
    if (th != NULL) {
        json_object_set_new(th, "events_per_second", threshold(eps, 1000, &degraded));
        json_object_set_new(th, "memory_usage_mb", threshold(rss_mb, 100, &degraded));
        json_object_set_new(th, "response_time_ms",
                            threshold(srv->metrics.recent_ms, 100, &degraded));
        json_object_set_new(th, own_name, threshold(own_value, own_threshold, &degraded));
    }
    json_t *body = json_pack("{s:s,s:o,s:{s:f,s:f,s:f,s:I}}", "overall",
                             degraded ? "degraded" : "healthy", "thresholds", th, "metrics",
                             "events_per_second", eps, "memory_usage_mb", rss_mb,
                             "average_response_time_ms", srv->metrics.recent_ms,
                             "websocket_clients",
                             (json_int_t)(srv->feed ? live_feed_clients(srv->feed) : 0));
    http_reply_json(hc, 200, body);
}

void api_health_performance(struct http_ctx *hc)
{
    struct server *srv = hc->srv;
    int degraded = srv->db.h == NULL, ok = 0;
    double eps = 0;
    if (srv->db.h != NULL) {
        eps = (double)events_since(srv->db.h, clock_wall_ns() - 60 * NS_PER_S, &ok) / 60.0;
        degraded |= !ok;
    }
    /* The 16 MB WAL bound. */
    double wal_mb = (double)db_read_wal_bytes(&srv->db) / (1024.0 * 1024.0);
    health_performance_reply(hc, eps, degraded, "wal_size_mb", wal_mb, 16);
}
