/*
 * main.c - chronicle-server: the read-only query server.
 *
 *   chronicle-server [--port N] [--bind ADDR] [--database postgresql://...]
 *
 * Serves the REST API, /metrics and the /ws live feed from the collector's
 * database, or with --database (team mode, team.h) from the team
 * PostgreSQL.  Foreground, logs to stderr, exits 0 after SIGTERM/SIGINT (open
 * WebSockets are closed with 1001 first).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "chronicle/clock.h"
#include "chronicle/home.h"
#include "http_guard.h"
#include "chronicle/log.h"
#include "server.h"
#include "server_token.h"
#include "team.h"

#define DB_RETRY_MS 250
#define SHUTDOWN_GRACE_MS 2000

static void usage(FILE *out)
{
    fprintf(out, "usage: chronicle-server [--port N] [--bind ADDR] [--no-token] [--database URL]\n"
                 "  --port N     TCP port (default CHRONICLE_PORT or 8510; 0 picks a free one)\n"
                 "  --bind ADDR  numeric address to listen on (default CHRONICLE_BIND or "
                 "127.0.0.1)\n"
                 "  --no-token   serve without a token: every local user can read every event\n"
                 "               (single-user machines only; refused off loopback)\n"
                 "  --database URL  team mode: serve the team PostgreSQL (a postgresql:// URI or\n"
                 "               libpq conninfo; default CHRONICLE_DATABASE, else the local\n"
                 "               SQLite database).  Password from ~/.pgpass; docs/TEAM.md.\n"
                 "               It also runs the alert rules over every machine, posting\n"
                 "               to CHRONICLE_WEBHOOK_URL (docs/ALERTS.md, \"Team mode\")\n"
                 "Every request but /health needs the token: CHRONICLE_TOKEN, else the one in\n"
                 "$CHRONICLE_HOME/server.token (made on the first start).  `chronicle open`\n"
                 "opens the dashboard with it.\n"
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
        if (strcmp(a, "--no-token") == 0) {
            srv->no_token = 1;
            continue;
        }
        if (strcmp(a, "--database") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (*v == '\0' || strlen(v) >= sizeof srv->cfg.database) {
                log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "--database: empty or longer than %zu bytes",
                        sizeof srv->cfg.database - 1);
                return -1;
            }
            strcpy(srv->cfg.database, v);
            continue;
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

/* The home the token is written into: made if missing (with ~/.claude),
 * ours, and private (home.h: tightened to 0700 when merely too open, refused
 * when someone else's).  0, or -1 with err. */
static int private_home(const struct chronicle_config *cfg, char *err, size_t errlen)
{
    struct home_report report = {0};
    if (config_make_dirs(cfg, err, errlen) != 0)
        return -1;
    int fd = home_open_dir(cfg->home, 0, &report, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    for (int i = 0; i < report.n; i++)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "%s was open to other users: made private",
                report.tightened[i]);
    return 0;
}

/* The token every request but /health must carry: CHRONICLE_TOKEN, else
 * $CHRONICLE_HOME/server.token (made now if absent), else none with
 * --no-token (loopback only).  0, or -1 after logging why. */
static int resolve_token(struct server *srv)
{
    struct chronicle_config *cfg = &srv->cfg;
    char err[PATH_MAX + 256];
    if (srv->no_token) {
        if (!srv->loopback) {
            log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "--no-token with --bind %s (not loopback): refused; "
                    "off loopback every request needs the token", cfg->bind);
            return -1;
        }
        cfg->token[0] = '\0';
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "--no-token: no token required; every user of this "
                "machine can read every event, prompt and tool output");
        return 0;
    }
    if (cfg->token[0] != '\0') {
        if (!server_token_valid(cfg->token)) {
            log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "CHRONICLE_TOKEN must be 1 to %d visible ASCII "
                    "characters (no spaces)", SERVER_TOKEN_MAX);
            return -1;
        }
        log_msg(SERVER_TAG, LOG_LEVEL_INFO, "token: CHRONICLE_TOKEN");
        return 0;
    }
    int created = 0;
    if (private_home(cfg, err, sizeof err) != 0 ||
        server_token_load(cfg->home, cfg->token, sizeof cfg->token, &created, err,
                          sizeof err) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return -1;
    }
    log_msg(SERVER_TAG, LOG_LEVEL_INFO, "token: %s %s/%s", created ? "created" : "read", cfg->home,
            SERVER_TOKEN_FILE);
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

/* Once a second: a database deleted or replaced under us (the collector
 * then starts a new one at the path) is closed and opened again, so the API
 * never serves a file nobody writes any more. */
static void on_db_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct server *srv = arg;
    if (!db_read_replaced(&srv->db))
        return;
    log_msg(SERVER_TAG, LOG_LEVEL_WARN, "%s was deleted or replaced: opening it again",
            srv->db.path);
    live_feed_reset(srv->feed);
    db_read_close(&srv->db);
    int logged = 0;
    try_open(srv, &logged);
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
    http_conn_install(srv);
    if (http_listen(srv, srv->cfg.bind, (int)srv->cfg.port, err, sizeof err) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return -1;
    }
    /* Named after the port: a browser sends a host's cookies to all its
     * ports, and two servers on one machine have different tokens. */
    snprintf(srv->cookie_name, sizeof srv->cookie_name, "chronicle_token_%d", srv->port);
    if (guard_cookie_encode(srv->cfg.token, srv->cookie_value, sizeof srv->cookie_value) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "the token is too long for a cookie");
        return -1;
    }
    srv->feed = live_feed_new(srv);
    srv->sig_term = evsignal_new(srv->base, SIGTERM, on_signal, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, on_signal, srv);
    srv->db_retry = evtimer_new(srv->base, on_db_retry, srv);
    srv->db_check = event_new(srv->base, -1, EV_PERSIST, on_db_check, srv);
    srv->shutdown_timer = event_new(srv->base, -1, EV_PERSIST, on_shutdown_tick, srv);
    static const struct timeval second = {1, 0};
    if (srv->feed == NULL || srv->sig_term == NULL || srv->sig_int == NULL ||
        srv->db_retry == NULL || srv->db_check == NULL || srv->shutdown_timer == NULL ||
        event_add(srv->sig_term, NULL) != 0 || event_add(srv->sig_int, NULL) != 0 ||
        event_add(srv->db_check, &second) != 0) {
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
    team_free(srv->team);
    srv->team = NULL;
    srv->bound = NULL; /* freed by evhttp_free, whose connection close callbacks run after */
    srv->shutting_down = 1;
    if (srv->http) evhttp_free(srv->http);
    http_conn_free(srv);
    if (srv->sig_term) event_free(srv->sig_term);
    if (srv->sig_int) event_free(srv->sig_int);
    if (srv->db_retry) event_free(srv->db_retry);
    if (srv->db_check) event_free(srv->db_check);
    if (srv->shutdown_timer) event_free(srv->shutdown_timer);
    db_read_close(&srv->db);
    pricing_free(&srv->pricing);
    if (srv->base) event_base_free(srv->base);
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

/* The soft RLIMIT_NOFILE up to the hard one: every client holds a
 * descriptor, and the soft default (1024) is below what the caps allow. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_msg(SERVER_TAG, LOG_LEVEL_WARN, "raising RLIMIT_NOFILE: %s", strerror(errno));
    }
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
    if (srv.cfg.database[0] != '\0' && (srv.team = team_new(&srv, err, sizeof err)) == NULL) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return 2;
    }
    if (resolve_token(&srv) != 0) {
        team_free(srv.team);
        return 2;
    }
    load_pricing(&srv);
    /* The collector's redaction, for transcript text read at request time
     * (never stored, so never redacted on the way in). */
    if (redact_rules_init(&srv.redact, srv.cfg.redact, srv.cfg.redact_pattern, err,
                          sizeof err) != 0) {
        log_msg(SERVER_TAG, LOG_LEVEL_ERROR, "%s", err);
        return 2;
    }
    snprintf(srv.db.path, sizeof srv.db.path, "%s", srv.cfg.db_path);
    snprintf(srv.db.wal_path, sizeof srv.db.wal_path, "%s-wal", srv.cfg.db_path);
    metrics_init(&srv.metrics);
    srv.started_wall_ns = clock_wall_ns();
    srv.started_mono_ns = clock_mono_ns();
    /* A client vanishing mid-write must be an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    int rc = 1;
    if (setup(&srv) == 0 && (srv.team == NULL || team_start(srv.team) == 0)) {
        int logged = 0;
        if (srv.team == NULL)
            try_open(&srv, &logged);
        log_msg(SERVER_TAG, LOG_LEVEL_INFO, "listening on %s port %d", srv.cfg.bind, srv.port);
        if (event_base_dispatch(srv.base) == 0 || srv.shutting_down)
            rc = 0;
    }
    teardown(&srv);
    redact_rules_free(&srv.redact);
    return rc;
}
