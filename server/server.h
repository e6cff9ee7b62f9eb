/*
 * server.h - chronicle-server's context and the interfaces between its
 * modules (private to server/).
 *
 * One struct server lives in main()'s frame and is passed everywhere: there
 * is no global mutable state.  Ownership: the server owns the event base,
 * the evhttp, the database reader, the live feed (and through it every
 * WebSocket client).  Each module's section below says what it owns.
 */
#ifndef CHRONICLE_SERVER_H
#define CHRONICLE_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/types.h>

#include "chronicle/buf.h"
#include "chronicle/config.h"
#include "chronicle/pricing.h"
#include "chronicle/redact.h"

#define SERVER_TAG "chronicle-server"

/* ---- routes and metrics (metrics.c) ---------------------------------- */

enum route_id {
    ROUTE_HEALTH, ROUTE_HEALTH_PERF, ROUTE_METRICS, ROUTE_WS, ROUTE_SESSIONS, ROUTE_SESSION,
    ROUTE_SESSION_EVENTS, ROUTE_EVENTS, ROUTE_EVENT, ROUTE_STATS, ROUTE_STATIC, ROUTE_OTHER,
    ROUTE_USAGE, ROUTE_COST, ROUTE_META, ROUTE_SESSION_CONVERSATION, ROUTE_SEARCH,
    ROUTE_ALERTS, ROUTE_ALERT_ACK,
    ROUTE_COUNT
};

#define METRICS_STATUS_SLOTS 16
#define METRICS_LATENCY_BUCKETS 12

struct metrics {
    /* requests[route][slot] counts answers with status status_codes[slot]. */
    int status_codes[METRICS_STATUS_SLOTS];
    uint64_t requests[ROUTE_COUNT][METRICS_STATUS_SLOTS];
    uint64_t latency_le[ROUTE_COUNT][METRICS_LATENCY_BUCKETS]; /* not cumulative */
    double latency_sum[ROUTE_COUNT];
    uint64_t latency_count[ROUTE_COUNT];
    double recent_ms;                 /* moving average of response times */
    uint64_t ws_messages_sent;
    uint64_t ws_gaps;                 /* times a slow client was skipped ahead */
    uint64_t ws_slow_disconnects;
    uint64_t ws_rejected;             /* upgrades refused at the client cap */
    uint64_t connections_rejected;    /* TCP connections refused at the cap */
    uint64_t request_timeouts;        /* connections closed: no full request in time */
    uint64_t accept_errors;           /* accept() failures (out of descriptors) */
    uint64_t db_poll_total;           /* data_version checks */
    uint64_t db_poll_changed;         /* ... that found a commit */
};

extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];
const char *route_name(enum route_id r);
void metrics_init(struct metrics *m);
void metrics_record(struct metrics *m, enum route_id r, int status, double seconds);
/* Memory actually resident, from /proc/self/statm; 0 when unreadable. */
uint64_t metrics_rss_bytes(void);

/* ---- database reader (db_read.c) ------------------------------------- */

struct db_read {
    sqlite3 *h;                 /* NULL until the database exists and is migrated */
    char path[PATH_MAX];
    char wal_path[PATH_MAX + 8];
    dev_t dev;                  /* the file opened: the path must keep naming it */
    ino_t ino;
};

/* Opens cfg->db_path read-only.  0 on success; -1 when the file is missing
 * or not migrated yet (a normal state: the caller retries); -2 with err on
 * a real error (newer schema, corrupt file). */
int db_read_open(struct db_read *d, char *err, size_t errlen);
void db_read_close(struct db_read *d);
/* 1 when the path no longer names the file that is open (deleted or
 * replaced: the collector has started a new database there). */
int db_read_replaced(const struct db_read *d);
/* PRAGMA data_version: changes whenever another connection commits. */
int db_read_data_version(struct db_read *d, int64_t *out);
/* Size of the -wal file in bytes (0 when absent). */
int64_t db_read_wal_bytes(const struct db_read *d);
/* One collector_stats value; 0 and *found=0 when missing. */
int64_t db_read_stat(struct db_read *d, const char *name, const char *label, int *found);

/* ---- the server ------------------------------------------------------- */

struct live_feed;
struct conn_slot;
struct team;

#define CONN_FRESH_MAX 64    /* accepts in one loop turn */
#define CONN_PAUSE_FULL 1    /* accepting is off: the cap is reached */
#define CONN_PAUSE_FDS 2     /* ... accept() failed (EMFILE, ENFILE...): retried soon */

/* The connections under evhttp (http_conn.c owns all of it). */
struct conns {
    struct conn_slot *slot;  /* owned array [cap]: the open connections */
    long n, cap;             /* cap = max_connections + a slack told 503 */
    struct bufferevent *fresh[CONN_FRESH_MAX]; /* accepted this turn; a reference held */
    int n_fresh;
    struct event *adopt_ev, *sweep_ev, *resume_ev; /* owned */
    int paused;              /* CONN_PAUSE_* bits */
    int64_t logged_ns;       /* last accept-error line */
    long errors_unlogged;    /* accept errors since */
};

struct server {
    struct chronicle_config cfg;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound; /* owned by http */
    struct db_read db;
    struct metrics metrics;
    struct live_feed *feed;
    struct event *sig_term, *sig_int, *db_retry, *db_check, *shutdown_timer;
    int64_t started_wall_ns, started_mono_ns, shutdown_started_ns;
    int loopback;          /* bound to a loopback address */
    int no_token;          /* --no-token: cfg.token is empty, nothing is asked */
    char cookie_name[32];  /* chronicle_token_<port>: cookies ignore ports, servers must not */
    char cookie_value[3 * sizeof(((struct chronicle_config *)0)->token)]; /* percent-encoded token */
    int shutting_down;
    struct conns conns;    /* every accepted connection (HTTP + WebSocket); http_conn.c */
    int port;              /* the port actually bound (--port 0 picks one) */
    struct pricing pricing;           /* owned: share/pricing.tsv, empty when not found */
    struct team *team;                /* owned: team mode (--database, team.h); NULL locally */
    char pricing_file[PATH_MAX];      /* where it came from, "" when none */
    struct redact_rules redact;       /* owned: the collector's rules, applied to transcript
                                         text served (api_conversation.c) */
};

/* ---- HTTP plumbing (http_route.c, http_reply.c) ---------------------- */

/* One request being answered.  Lives on the dispatcher's stack; handlers
 * answer exactly once through http_reply_*(), which record the status. */
struct http_ctx {
    struct server *srv;
    struct evhttp_request *req;
    enum route_id route;
    int status;            /* set by the reply; 0 = not answered yet */
    const char *path_arg;  /* decoded {id} of /api/sessions/{id}..., /api/events/{id} */
    const char *query;     /* raw query string or NULL */
};

/* Registers the generic callback and the limits on srv->http. */
void http_route_install(struct server *srv);

/* ---- connections (http_conn.c) ----------------------------------------- */

/* Registers the per-connection hooks on srv->http. */
void http_conn_install(struct server *srv);
/* Binds bind_addr:port (0 = any free port; srv->port gets the real one). */
int http_listen(struct server *srv, const char *bind_addr, int port, char *err, size_t errlen);
/* Called for each request: 0 when its connection may be answered (its
 * deadline stops until the answer is sent), -1 when it was accepted beyond
 * the connection cap (answer 503 and close). */
int http_conn_track(struct server *srv, struct evhttp_request *req);
/* Frees the table and its events; after evhttp_free(). */
void http_conn_free(struct server *srv);

/* Sends body (stolen: decref'd here) as JSON with status. */
void http_reply_json(struct http_ctx *hc, int status, json_t *body);
/* Sends body's text (taken: body is left empty) as JSON with status. */
void http_reply_json_text(struct http_ctx *hc, int status, struct buf *body);
/* Sends {"error":{"code":code,"message":...}} with status. */
void http_reply_error(struct http_ctx *hc, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends a text body (copied) with the given content type. */
void http_reply_text(struct http_ctx *hc, int status, const char *ctype, const char *text,
                     size_t len);
/* 503 when the database is not open yet; returns 1 if it answered. */
int http_reply_if_no_db(struct http_ctx *hc);
/* For routes that take no parameter: answers 400 naming the first one the
 * request has (or a malformed query) and returns 1; returns 0 otherwise. */
int http_reply_if_params(struct http_ctx *hc);
/* 500 for an SQLite failure, logged once here. */
void http_reply_db_error(struct http_ctx *hc, int rc);

/* The Host allowlist (DNS rebinding), for every request including the
 * dashboard's files: answers 400/403 and returns 1 when refused, else 0. */
int http_reply_if_bad_host(struct http_ctx *hc);
/* 1 when the request carries the token: 'Authorization: Bearer', the
 * dashboard's cookie, or on /ws ?access_token=; always 1 with --no-token. */
int http_authorized(struct http_ctx *hc);
/* Answers 401 and returns 1 unless http_authorized(). */
int http_reply_if_unauthorized(struct http_ctx *hc);

/* ---- REST handlers (api_*.c) ----------------------------------------- */

void api_health(struct http_ctx *hc);
void api_health_performance(struct http_ctx *hc);
/* api_health.c: /health/performance's answer, for either server: events/s
 * (over the last minute), this process's memory and response times, and
 * the caller's own figure (own_name: value against own_threshold). */
void health_performance_reply(struct http_ctx *hc, double eps, int degraded,
                              const char *own_name, double own_value, double own_threshold);
void api_metrics(struct http_ctx *hc);
void api_sessions(struct http_ctx *hc);
void api_session(struct http_ctx *hc);
void api_events(struct http_ctx *hc);        /* also /api/sessions/{id}/events */
void api_event(struct http_ctx *hc);
void api_stats(struct http_ctx *hc);
void api_usage(struct http_ctx *hc);
/* api_usage.c: GET /api/cost, spend today / 7 days / 30 days (local days),
 * by project and model, and the configured budgets. */
void api_cost(struct http_ctx *hc);
void api_meta(struct http_ctx *hc);          /* the table of hook events */
/* The alert and delivery SELECT lists alert_json_src() and
 * alert_delivery_json_src() read (the team server's tables add columns
 * after them). */
#define ALERT_COLUMNS                                                                  \
    "id, rule, session_id, title, project, machine, reason, detail, fired_ns, "        \
    "resolved_ns, acknowledged_ns, version"
#define ALERT_DELIVERY_COLUMNS "target, kind, delivered_ns, attempts, last_error, gave_up_ns"
struct row_src;
/* api_alerts.c: one alert (ALERT_COLUMNS from column 0) as the API's
 * object, with its deliveries (taken; NULL: []); one delivery
 * (ALERT_DELIVERY_COLUMNS from column col).  NULL on ENOMEM. */
json_t *alert_json_src(struct row_src *r, json_t *deliveries);
json_t *alert_delivery_json_src(struct row_src *r, int col);
/* POST /api/alerts/{id}/ack, either server: checks the request (the
 * X-Chronicle-Request header, a positive id); 0 with *id, or -1 when it
 * answered 403/404.  alert_ack_reply answers the outcome (found 0: 404). */
int alert_ack_request(struct http_ctx *hc, int64_t *id);
void alert_ack_reply(struct http_ctx *hc, int64_t id, int found, int64_t acked_ns);
void api_alerts(struct http_ctx *hc);        /* GET /api/alerts */
void api_alert_ack(struct http_ctx *hc);     /* POST /api/alerts/{id}/ack, through the collector */
/* api_alerts.c: each alert row changed since *last_version (fired,
 * resolved, acknowledged) as a WebSocket text {"type":"alert",...} handed
 * to each (NULL: only advance *last_version).  SQLite code. */
int alerts_changed(struct server *srv, int64_t *last_version,
                   void (*each)(const char *msg, size_t len, void *arg), void *arg);
int alerts_max_version(struct server *srv, int64_t *out);
/* api_alerts.c: appends chronicle_alerts_total{rule} and chronicle_alerts_open{rule}. */
int alerts_metrics(struct server *srv, struct buf *b);
void api_conversation(struct http_ctx *hc);  /* /api/sessions/{id}/conversation */
void api_search(struct http_ctx *hc);        /* full-text search (api_search.c) */
/* api_usage.c: adds "usage" (totals, main agent, subagents, turns, models)
 * to a session object.  SQLite code. */
int usage_add_to_session(struct server *srv, const char *sid, json_t *session);
/* api_usage.c: adds "usage": {"tokens", "cost_usd"} to each session object
 * of the array (?usage=1 on /api/sessions).  SQLite code. */
int usage_add_summaries(struct server *srv, json_t *sessions);
/* api_usage.c: appends chronicle_tokens_total and chronicle_cost_usd_total. */
int usage_metrics(struct server *srv, struct buf *b);

/* ---- live feed (live_feed.c; its transport: ws_conn.c) --------------- */

/* Creates the feed (inotify watch, heartbeat timer).  NULL on failure. */
struct live_feed *live_feed_new(struct server *srv);
/* Ends every subscriber's connection at once and frees everything. */
void live_feed_free(struct live_feed *f);
/* Watches CHRONICLE_HOME for database writes; -1 with errno (e.g. ENOENT). */
int live_feed_watch(struct live_feed *f);
/* Called when the database has just been opened: starts tailing at MAX(id). */
int live_feed_db_opened(struct live_feed *f);
/* Checks data_version and fans new rows out.  Safe to call any time. */
void live_feed_poll(struct live_feed *f);
/* The database was replaced: event ids start again, so no subscriber's
 * cursor means anything; each is closed with 1012 and told to start over. */
void live_feed_reset(struct live_feed *f);
/* Queues a 1001 close to every subscriber; returns the number still open. */
size_t live_feed_shutdown(struct live_feed *f);
size_t live_feed_clients(const struct live_feed *f);
/* Bytes queued to all subscribers, not yet taken by their sockets. */
size_t live_feed_queued_bytes(const struct live_feed *f);
/* Handles GET /ws: parameters, caps, the upgrade; then a new subscriber,
 * replaying from ?after= when given. */
void live_feed_upgrade(struct http_ctx *hc);

#endif
