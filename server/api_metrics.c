/*
 * api_metrics.c - GET /metrics: Prometheus text exposition format 0.0.4.
 *
 * Two sources: the server's own figures (struct metrics) and the collector's
 * counters, which the collector keeps in its collector_stats table and which
 * are read here in one short statement.  Every family has HELP and TYPE;
 * counters end in _total, times are in seconds and sizes in bytes, as
 * `promtool check metrics` expects.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "chronicle/buf.h"
#include "chronicle/clock.h"
#include "chronicle/collector_state.h"
#include "chronicle/ship_file.h"
#include "team.h"

/* How a collector_stats name becomes a Prometheus family. */
struct stat_map {
    const char *stat;    /* collector_stats.name */
    const char *family;  /* Prometheus name */
    const char *type;
    const char *label;   /* name of the label that collector_stats.label fills, or NULL */
    double scale;        /* value multiplier to reach base units */
    const char *help;
};

static const struct stat_map stat_maps[] = {
    {"alert_deliveries_total", "chronicle_alert_deliveries_total", "counter", NULL, 1,
     "Alert notifications delivered (webhooks, desktop)."},
    {"alert_delivery_failures_total", "chronicle_alert_delivery_failures_total", "counter", NULL, 1,
     "Failed attempts to deliver an alert notification (each is retried with back-off)."},
    {"alert_deliveries_dropped_total", "chronicle_alert_deliveries_dropped_total", "counter", NULL, 1,
     "Undelivered alert notifications dropped because the queue was full."},
    {"events_received_total", "chronicle_events_received_total", "counter", "type", 1,
     "Events received by the collector, by event type."},
    {"events_committed_total", "chronicle_events_processed_total", "counter", "type", 1,
     "Events committed to the database by the collector, by event type."},
    {"events_rejected_total", "chronicle_events_rejected_total", "counter", "reason", 1,
     "Frames the collector refused, by reason."},
    {"events_from_spool_total", "chronicle_events_spooled_total", "counter", NULL, 1,
     "Events the collector ingested from the spool directory."},
    {"events_dropped_total", "chronicle_events_dropped_total", "counter", NULL, 1,
     "Events senders reported as lost."},
    {"events_duplicate_total", "chronicle_events_duplicate_total", "counter", NULL, 1,
     "Events ignored because their id was already stored."},
    {"batches_total", "chronicle_collector_batches_total", "counter", NULL, 1,
     "Transactions committed by the collector."},
    {"batch_last_size", "chronicle_collector_last_batch_events", "gauge", NULL, 1,
     "Events in the collector's last committed batch."},
    {"batch_last_us", "chronicle_collector_last_batch_duration_seconds", "gauge", NULL, 1e-6,
     "Duration of the collector's last batch commit."},
    {"queue_depth", "chronicle_collector_queue_depth", "gauge", NULL, 1,
     "Events waiting in the collector's queue."},
    {"started_ns", "chronicle_collector_start_time_seconds", "gauge", NULL, 1e-9,
     "Start time of the collector since the Unix epoch."},
    {"heartbeat_ns", "chronicle_collector_heartbeat_timestamp_seconds", "gauge", NULL, 1e-9,
     "Last heartbeat of the collector since the Unix epoch."},
    {"events_deleted_unshipped_total", "chronicle_events_deleted_unshipped_total", "counter", NULL,
     1, "Events the size cap deleted before chronicle-ship had shipped them (team mode)."},
};

struct stat_row {
    char *name, *label;
    int64_t value;
};

struct stat_rows {
    struct stat_row *v;
    size_t n, cap;
};

static void stat_rows_free(struct stat_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].label);
    }
    free(r->v);
}

static int load_stats(sqlite3 *db, struct stat_rows *r)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT name, label, value FROM collector_stats "
                                    "ORDER BY name, label", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 64;
            struct stat_row *v = realloc(r->v, cap * sizeof *v);
            if (v == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            r->v = v;
            r->cap = cap;
        }
        const char *n = (const char *)sqlite3_column_text(st, 0);
        const char *l = (const char *)sqlite3_column_text(st, 1);
        struct stat_row *row = &r->v[r->n];
        row->name = strdup(n ? n : "");
        row->label = strdup(l ? l : "");
        row->value = sqlite3_column_int64(st, 2);
        if (row->name == NULL || row->label == NULL) {
            free(row->name);
            free(row->label);
            rc = SQLITE_NOMEM;
            break;
        }
        r->n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Label values escape backslash, double quote and newline (format 0.0.4). */
static int put_label(struct buf *b, const char *s)
{
    for (; *s; s++) {
        int rc;
        if (*s == '\\') rc = buf_append_str(b, "\\\\");
        else if (*s == '"') rc = buf_append_str(b, "\\\"");
        else if (*s == '\n') rc = buf_append_str(b, "\\n");
        else rc = buf_append(b, s, 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int family(struct buf *b, const char *name, const char *type, const char *help)
{
    return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int put_collector_simple(struct buf *b, const struct stat_rows *rows)
{
    int rc = 0;
    for (size_t m = 0; m < sizeof stat_maps / sizeof stat_maps[0]; m++) {
        const struct stat_map *sm = &stat_maps[m];
        int header = 0;
        for (size_t i = 0; i < rows->n; i++) {
            const struct stat_row *row = &rows->v[i];
            if (strcmp(row->name, sm->stat) != 0)
                continue;
            if (!header) {
                rc |= family(b, sm->family, sm->type, sm->help);
                header = 1;
            }
            rc |= buf_append_str(b, sm->family);
            if (sm->label != NULL && row->label[0] != '\0') {
                rc |= buf_printf(b, "{%s=\"", sm->label);
                rc |= put_label(b, row->label);
                rc |= buf_append_str(b, "\"}");
            }
            if (sm->scale == 1)
                rc |= buf_printf(b, " %lld\n", (long long)row->value);
            else
                rc |= buf_printf(b, " %.9g\n", (double)row->value * sm->scale);
        }
    }
    return rc;
}

static int cmp_le(const void *a, const void *b)
{
    const struct stat_row *x = *(const struct stat_row *const *)a;
    const struct stat_row *y = *(const struct stat_row *const *)b;
    int xi = strcmp(x->label, "+Inf") == 0, yi = strcmp(y->label, "+Inf") == 0;
    if (xi || yi)
        return xi - yi;
    double dx = strtod(x->label, NULL), dy = strtod(y->label, NULL);
    return (dx > dy) - (dx < dy);
}

/* The collector's batch latency histogram: le labels are microseconds in
 * the table, seconds here. */
static int put_collector_histogram(struct buf *b, const struct stat_rows *rows)
{
    const char *fam = "chronicle_collector_batch_duration_seconds";
    const struct stat_row *buckets[64];
    size_t nb = 0;
    int64_t sum = 0, count = 0;
    int have_sum = 0, have_count = 0, have_inf = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const struct stat_row *r = &rows->v[i];
        if (strcmp(r->name, "batch_latency_us_bucket") == 0 && nb < 64) {
            char *end;
            if (strcmp(r->label, "+Inf") == 0)
                have_inf = 1;
            else if (strtod(r->label, &end) < 0 || end == r->label || *end != '\0')
                continue; /* a bucket bound we cannot read is left out, not guessed */
            buckets[nb++] = r;
        } else if (strcmp(r->name, "batch_latency_us_sum") == 0) {
            sum = r->value;
            have_sum = 1;
        } else if (strcmp(r->name, "batch_latency_us_count") == 0) {
            count = r->value;
            have_count = 1;
        }
    }
    if (nb == 0 && !have_count)
        return 0;
    qsort(buckets, nb, sizeof buckets[0], cmp_le);
    int rc = family(b, fam, "histogram", "Duration of the collector's batch commits.");
    for (size_t i = 0; i < nb; i++) {
        if (strcmp(buckets[i]->label, "+Inf") == 0)
            rc |= buf_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n", fam, (long long)buckets[i]->value);
        else
            rc |= buf_printf(b, "%s_bucket{le=\"%.9g\"} %lld\n", fam,
                             strtod(buckets[i]->label, NULL) * 1e-6, (long long)buckets[i]->value);
    }
    if (!have_inf) /* +Inf is mandatory in a histogram; it equals the count */
        rc |= buf_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n", fam, (long long)count);
    rc |= buf_printf(b, "%s_sum %.9g\n", fam, have_sum ? (double)sum * 1e-6 : 0.0);
    rc |= buf_printf(b, "%s_count %lld\n", fam, (long long)count);
    return rc;
}

static int put_requests(struct buf *b, const struct metrics *m)
{
    int rc = family(b, "chronicle_http_requests_total", "counter",
                    "HTTP requests answered, by route and status code.");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int s = 0; s < METRICS_STATUS_SLOTS; s++)
            if (m->requests[r][s] > 0)
                rc |= buf_printf(b, "chronicle_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                                 route_name((enum route_id)r), m->status_codes[s],
                                 (unsigned long long)m->requests[r][s]);
    return rc;
}

static int put_latency(struct buf *b, const struct metrics *m)
{
    const char *fam = "chronicle_response_time_seconds";
    int rc = family(b, fam, "histogram", "Time to answer an HTTP request, by route.");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        if (m->latency_count[r] == 0)
            continue;
        const char *rn = route_name((enum route_id)r);
        uint64_t cum = 0;
        for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
            cum += m->latency_le[r][i];
            rc |= buf_printf(b, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", fam, rn,
                             metrics_latency_bounds[i], (unsigned long long)cum);
        }
        rc |= buf_printf(b, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", fam, rn,
                         (unsigned long long)m->latency_count[r]);
        rc |= buf_printf(b, "%s_sum{route=\"%s\"} %.9g\n", fam, rn, m->latency_sum[r]);
        rc |= buf_printf(b, "%s_count{route=\"%s\"} %llu\n", fam, rn,
                         (unsigned long long)m->latency_count[r]);
    }
    return rc;
}

static int put_simple(struct buf *b, const char *name, const char *type, const char *help,
                      double value)
{
    return family(b, name, type, help) | buf_printf(b, "%s %.17g\n", name, value);
}

/* From collector.state, not the database: while the disk is full the
 * backlog is only in the collector's memory, and these still tell. */
static int put_collector_state(struct buf *b, const struct server *srv)
{
    struct collector_state st;
    if (collector_state_read(srv->cfg.home, &st) != 0)
        return 0;
    int64_t now = clock_wall_ns();
    return put_simple(b, "chronicle_collector_pending_events", "gauge",
                      "Events the collector received and has not committed yet.",
                      (double)st.pending) |
           put_simple(b, "chronicle_collector_oldest_pending_seconds", "gauge",
                      "Age of the oldest event not committed yet (0: none).",
                      st.oldest_pending_ns ? (double)(now - st.oldest_pending_ns) / 1e9 : 0) |
           put_simple(b, "chronicle_collector_commit_failing_seconds", "gauge",
                      "How long the collector's commits have been failing (0: they work).",
                      st.commit_failing_since_ns
                          ? (double)(now - st.commit_failing_since_ns) / 1e9 : 0) |
           put_simple(b, "chronicle_collector_state_age_seconds", "gauge",
                      "Seconds since the collector last rewrote collector.state.",
                      (double)(now - st.updated_ns) / 1e9);
}

static int put_server(struct buf *b, const struct server *srv)
{
    const struct metrics *m = &srv->metrics;
    int rc = put_requests(b, m) | put_latency(b, m) | put_collector_state(b, srv);
    rc |= put_simple(b, "chronicle_connections_active", "gauge", "WebSocket clients connected.",
                     (double)(srv->feed ? live_feed_clients(srv->feed) : 0));
    rc |= put_simple(b, "chronicle_websocket_queued_bytes", "gauge",
                     "Output queued to WebSocket clients and not yet taken by their sockets.",
                     (double)(srv->feed ? live_feed_queued_bytes(srv->feed) : 0));
    rc |= put_simple(b, "chronicle_http_connections_open", "gauge",
                     "TCP connections open (HTTP and WebSocket).", (double)srv->conns.n);
    rc |= put_simple(b, "chronicle_http_connections_rejected_total", "counter",
                     "TCP connections closed at once because the connection cap was reached.",
                     (double)m->connections_rejected);
    rc |= put_simple(b, "chronicle_http_request_timeouts_total", "counter",
                     "Connections closed because a request did not arrive in full within "
                     "CHRONICLE_HTTP_TIMEOUT_S.", (double)m->request_timeouts);
    rc |= put_simple(b, "chronicle_http_accept_errors_total", "counter",
                     "accept() failures (out of file descriptors): accepting paused each time.",
                     (double)m->accept_errors);
    rc |= put_simple(b, "chronicle_websocket_messages_sent_total", "counter",
                     "WebSocket messages queued to clients.", (double)m->ws_messages_sent);
    rc |= put_simple(b, "chronicle_websocket_gaps_total", "counter",
                     "Times a slow WebSocket client skipped events and was sent a gap message.",
                     (double)m->ws_gaps);
    rc |= put_simple(b, "chronicle_websocket_slow_disconnects_total", "counter",
                     "WebSocket clients disconnected for not reading their output.",
                     (double)m->ws_slow_disconnects);
    rc |= put_simple(b, "chronicle_websocket_rejected_total", "counter",
                     "WebSocket upgrades refused because the client cap was reached.",
                     (double)m->ws_rejected);
    rc |= put_simple(b, "chronicle_live_feed_polls_total", "counter",
                     "Database change checks (PRAGMA data_version) by the live feed.",
                     (double)m->db_poll_total);
    rc |= put_simple(b, "chronicle_live_feed_commits_seen_total", "counter",
                     "Database change checks that found a new commit.", (double)m->db_poll_changed);
    rc |= put_simple(b, "chronicle_memory_usage_bytes", "gauge",
                     "Resident memory of chronicle-server.", (double)metrics_rss_bytes());
    rc |= put_simple(b, "chronicle_server_start_time_seconds", "gauge",
                     "Start time of chronicle-server since the Unix epoch.",
                     (double)srv->started_wall_ns / 1e9);
    rc |= put_simple(b, "chronicle_database_up", "gauge",
                     "1 when the server has the database open.", srv->db.h != NULL ? 1 : 0);
    rc |= put_simple(b, "chronicle_database_wal_bytes", "gauge",
                     "Size of the database's write-ahead log file.",
                     (double)db_read_wal_bytes(&srv->db));
    return rc;
}

/* Team mode: what chronicle-ship reports in ship.state (docs/TEAM.md), when
 * it has ever run for this CHRONICLE_HOME. */
static int put_ship(struct buf *b, const char *home)
{
    struct ship_state st;
    char err[256];
    if (ship_state_read(home, &st, err, sizeof err) != 0)
        return 0;
    int up = strcmp(st.phase, "stopped") != 0 && clock_wall_ns() - st.updated_ns < 30 * NS_PER_S;
    int rc = family(b, "chronicle_ship_info", "gauge",
                    "chronicle-ship's target (no password), machine id and phase; value 1.");
    rc |= buf_append_str(b, "chronicle_ship_info{target=\"");
    rc |= put_label(b, st.target);
    rc |= buf_append_str(b, "\",machine_id=\"");
    rc |= put_label(b, st.machine_id);
    rc |= buf_append_str(b, "\",phase=\"");
    rc |= put_label(b, st.phase);
    rc |= buf_append_str(b, "\"} 1\n");
    rc |= put_simple(b, "chronicle_ship_up", "gauge",
                     "1 when chronicle-ship runs and reported in the last 30 s.", up);
    rc |= put_simple(b, "chronicle_ship_lag_events", "gauge",
                     "Local events not yet committed to PostgreSQL.", (double)st.lag_events);
    rc |= put_simple(b, "chronicle_ship_lag_seconds", "gauge",
                     "Age of the oldest local event not yet committed to PostgreSQL.",
                     (double)st.lag_ns / 1e9);
    rc |= put_simple(b, "chronicle_ship_cursor", "gauge",
                     "The last local event id committed to PostgreSQL.", (double)st.shipped_id);
    rc |= put_simple(b, "chronicle_ship_last_commit_timestamp_seconds", "gauge",
                     "Time of chronicle-ship's last PostgreSQL commit since the Unix epoch.",
                     (double)st.last_commit_ns / 1e9);
    rc |= put_simple(b, "chronicle_ship_commit_lag_p50_seconds", "gauge",
                     "Median time from local commit to PostgreSQL commit (this chronicle-ship).",
                     (double)st.lag_p50_us / 1e6);
    rc |= put_simple(b, "chronicle_ship_commit_lag_p99_seconds", "gauge",
                     "99th percentile of the time from local commit to PostgreSQL commit.",
                     (double)st.lag_p99_us / 1e6);
    rc |= put_simple(b, "chronicle_ship_events_total", "counter",
                     "Events chronicle-ship inserted into PostgreSQL since it started.",
                     (double)st.events_total);
    rc |= put_simple(b, "chronicle_ship_batches_total", "counter",
                     "Batches (transactions) chronicle-ship committed since it started.",
                     (double)st.batches_total);
    rc |= put_simple(b, "chronicle_ship_errors_total", "counter",
                     "Failures chronicle-ship met (connection, permissions, refused rows).",
                     (double)st.errors_total);
    rc |= put_simple(b, "chronicle_ship_payload_text_total", "counter",
                     "Payloads stored as text because jsonb refused them.",
                     (double)st.payload_text_total);
    rc |= put_simple(b, "chronicle_ship_last_error_timestamp_seconds", "gauge",
                     "Time of chronicle-ship's last error since the Unix epoch (0: none).",
                     (double)st.last_error_ns / 1e9);
    return rc;
}

void api_metrics(struct http_ctx *hc)
{
    struct server *srv = hc->srv;
    struct buf b = BUF_INIT;
    struct stat_rows rows = {0};
    int rc = put_server(&b, srv) | put_ship(&b, srv->cfg.home);
    if (srv->db.h != NULL) {
        int src = load_stats(srv->db.h, &rows);
        /* A database error leaves the collector's families out; the server's
         * own figures are still worth scraping, and chronicle_database_up
         * already says the rest is missing. */
        if (src == SQLITE_OK)
            rc |= put_collector_simple(&b, &rows) | put_collector_histogram(&b, &rows);
        if (src == SQLITE_OK && usage_metrics(srv, &b) == SQLITE_NOMEM)
            rc = 1;
        if (src == SQLITE_OK && alerts_metrics(srv, &b) == SQLITE_NOMEM)
            rc = 1;
    }
    if (srv->team != NULL) /* team mode (team_route.c) */
        rc |= team_metrics(srv, &b) != 0;
    stat_rows_free(&rows);
    if (rc != 0) {
        buf_free(&b);
        http_reply_error(hc, 500, "out_of_memory", "out of memory building /metrics");
        return;
    }
    http_reply_text(hc, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    buf_free(&b);
}
