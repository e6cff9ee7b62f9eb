/*
 * main.c - chronicle-server: the read-only query server.
 *
 *   chronicle-server [--port N] [--bind ADDR]
 *
 * Serves the REST API, /metrics and the /ws live feed from the collector's
 * database.  Foreground, logs to stderr, exits 0 after SIGTERM/SIGINT (open
 * WebSockets are closed with 1001 first).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "chronicle/clock.h"
#include "http_guard.h"
#include "chronicle/log.h"
#include "server.h"

#define DB_RETRY_MS 250
#define SHUTDOWN_GRACE_MS 2000

static void usage(FILE *out)
{
    fprintf(out, "usage: chronicle-server [--port N] [--bind ADDR]\n"
                 "  --port N     TCP port (default CHRONICLE_PORT or 8510; 0 picks a free one)\n"
                 "  --bind ADDR  numeric address to listen on (default CHRONICLE_BIND or "
                 "127.0.0.1);\n"
                 "               a non-loopback address requires CHRONICLE_TOKEN\n"
                 "Environment: CHRONICLE_HOME, CHRONICLE_TOKEN, CHRONICLE_ALLOWED_HOSTS,\n"
                 "  CHRONICLE_CORS_ORIGIN and the tunables listed in docs/API.md.\n");
}

/* Applies --port/--bind over the configuration.  0, 1 (exit 0) or -1. */
static int parse_args(int argc, char **argv, struct server *srv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("chronicle-server %s\n", CHRONICLE_VERSION);
            return 1;
        }
        if ((strcmp(a, "--port") == 0 || strcmp(a, "--bind") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 'p') {
                char *end;
                errno = 0;
                long p = strtol(v, &end, 10);
                if (errno || *end || end == v || p < 0 || p > 65535) {
                    log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "--port '%s': expected 0..65535", v);
                    return -1;
                }
                srv->cfg.port = p;
            } else {
                if (strlen(v) >= sizeof srv->cfg.bind) {
                    log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "--bind '%s': too long", v);
                    return -1;
                }
                strcpy(srv->cfg.bind, v);
            }
            continue;
        }
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "unknown argument '%s' (try --help)", a);
        return -1;
    }
    return 0;
}

/* Tries to open the database and start the feed; keeps the retry timer
 * running until both succeed.  A missing database is normal (the collector
 * has not run yet) and is logged once. */
static void try_open(struct server *srv, int *logged_wait)
{
    if (srv->db.h == NULL) {
        char err[512];
        int rc = db_read_open(&srv->db, err, sizeof err);
        if (rc == -2) {
            log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        } else if (rc == -1 && !*logged_wait) {
            log_msg(SERVER_TAG, LOG_LEVEL_INFO, "waiting for the database %s", srv->db.path);
            *logged_wait = 1;
        }
        if (rc == 0) {
            if (live_feed_db_opened(srv->feed) != SQLITE_OK) {
                log_msg(SERVER_TAG, LOG_LEVEL_WARN, "reading the database: %s",
                        sqlite3_errmsg(srv->db.h));
                db_read_close(&srv->db);
            } else {
                log_msg(SERVER_TAG, LOG_LEVEL_INFO, "database %s open (read-only)", srv->db.path);
            }
        }
    }
    static const struct timeval retry = {0, DB_RETRY_MS * 1000};
    if (srv->db.h == NULL || live_feed_watch(srv->feed) != 0)
        event_add(srv->db_retry, &retry);
}

static void on_db_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct server *srv = arg;
    int logged = 1;
    try_open(srv, &logged);
}

static void on_shutdown_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct server *srv = arg;
    int64_t waited_ms = (clock_mono_ns() - srv->shutdown_started_ns) / 1000000;
    if (live_feed_clients(srv->feed) == 0 || waited_ms > SHUTDOWN_GRACE_MS)
        event_base_loopbreak(srv->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct server *srv = arg;
    if (srv->shutting_down)
        return;
    log_msg(SERVER_TAG, LOG_LEVEL_INFO, "signal %d: closing WebSockets and exiting", (int)sig);
    srv->shutting_down = 1;
    srv->shutdown_started_ns = clock_mono_ns();
    if (srv->bound != NULL) {
        evhttp_del_accept_socket(srv->http, srv->bound); /* no new connections */
        srv->bound = NULL;
    }
    live_feed_shutdown(srv->feed);
    static const struct timeval tick = {0, 20000};
    event_add(srv->shutdown_timer, &tick);
}

static int setup(struct server *srv)
{
    char err[512];
    srv->base = event_base_new();
    srv->http = srv->base ? evhttp_new(srv->base) : NULL;
    if (srv->http == NULL) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "cannot create the event loop");
        return -1;
    }
    http_route_install(srv);
    if (http_listen(srv, srv->cfg.bind, (int)srv->cfg.port, err, sizeof err) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return -1;
    }
    srv->feed = live_feed_new(srv);
    srv->sig_term = evsignal_new(srv->base, SIGTERM, on_signal, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, on_signal, srv);
    srv->db_retry = evtimer_new(srv->base, on_db_retry, srv);
    srv->shutdown_timer = event_new(srv->base, -1, EV_PERSIST, on_shutdown_tick, srv);
    if (srv->feed == NULL || srv->sig_term == NULL || srv->sig_int == NULL ||
        srv->db_retry == NULL || srv->shutdown_timer == NULL ||
        event_add(srv->sig_term, NULL) != 0 || event_add(srv->sig_int, NULL) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "cannot set up events: out of memory");
        return -1;
    }
    return 0;
}

static void teardown(struct server *srv)
{
    /* Clients first: their connections belong to evhttp, which would free
     * them from under the feed. */
    live_feed_free(srv->feed);
    srv->feed = NULL;
    if (srv->http) evhttp_free(srv->http);
    if (srv->sig_term) event_free(srv->sig_term);
    if (srv->sig_int) event_free(srv->sig_int);
    if (srv->db_retry) event_free(srv->db_retry);
    if (srv->shutdown_timer) event_free(srv->shutdown_timer);
    db_read_close(&srv->db);
    pricing_free(&srv->pricing);
    if (srv->base) event_base_free(srv->base);
    free(srv->conns);
}

/* The price table: $CHRONICLE_PRICING, else the installed copy next to the
 * binary (PREFIX/bin/../share/chronicle/pricing.tsv), else the source tree's
 * (build/../share/pricing.tsv, for make run).  Without one, costs are null. */
static void load_pricing(struct server *srv)
{
    char exe[PATH_MAX], candidates[3][PATH_MAX + 64], err[PATH_MAX + 128];
    int n = 0;
    const char *env = getenv("CHRONICLE_PRICING");
    if (env && *env)
        snprintf(candidates[n++], sizeof candidates[0], "%s", env);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(candidates[n++], sizeof candidates[0], "%s/../share/chronicle/pricing.tsv", exe);
            snprintf(candidates[n++], sizeof candidates[0], "%s/../share/pricing.tsv", exe);
        }
    }
    for (int i = 0; i < n; i++) {
        if (access(candidates[i], R_OK) != 0 && !(i == 0 && env && *env))
            continue;
        if (pricing_load(&srv->pricing, candidates[i], err, sizeof err) == 0) {
            snprintf(srv->pricing_file, sizeof srv->pricing_file, "%s", candidates[i]);
            log_msg(SERVER_TAG, LOG_LEVEL_INFO, "prices: %s (%zu models, written %s)", candidates[i],
                    srv->pricing.n, srv->pricing.written[0] ? srv->pricing.written : "?");
            return;
        }
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "prices: %s", err);
        if (i == 0 && env && *env)
            break; /* a named file that does not load is reported, not replaced */
    }
    log_msg(SERVER_TAG, LOG_LEVEL_WARN, "no price table found: token counts are shown, costs are not");
}

int main(int argc, char **argv)
{
    struct server srv;
    memset(&srv, 0, sizeof srv);
    char err[512];
    if (config_load(&srv.cfg, err, sizeof err) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return 2;
    }
    int a = parse_args(argc, argv, &srv);
    if (a != 0)
        return a > 0 ? 0 : 2;
    srv.loopback = guard_is_loopback(srv.cfg.bind);
    if (!srv.loopback && srv.cfg.token[0] == '\0') {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "binding %s (not loopback) requires CHRONICLE_TOKEN: "
                "every request must then carry 'Authorization: Bearer <token>'", srv.cfg.bind);
        return 2;
    }
    load_pricing(&srv);
    snprintf(srv.db.path, sizeof srv.db.path, "%s", srv.cfg.db_path);
    snprintf(srv.db.wal_path, sizeof srv.db.wal_path, "%s-wal", srv.cfg.db_path);
    metrics_init(&srv.metrics);
    srv.started_wall_ns = clock_wall_ns();
    srv.started_mono_ns = clock_mono_ns();
    /* A client vanishing mid-write must be an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    int rc = 1;
    if (setup(&srv) == 0) {
        int logged = 0;
        try_open(&srv, &logged);
        log_msg(SERVER_TAG, LOG_LEVEL_INFO, "listening on %s port %d", srv.cfg.bind, srv.port);
        if (event_base_dispatch(srv.base) == 0 || srv.shutting_down)
            rc = 0;
    }
    teardown(&srv);
    return rc;
}
