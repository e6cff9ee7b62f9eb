/* pg_db.c - the team server's nonblocking PostgreSQL connection.  See pg_db.h. */
#include "pg_db.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"
#include "server.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000

const char *pg_db_state_name(enum pg_db_state s)
{
    return s == PG_DB_UP ? "up" : s == PG_DB_CONNECTING ? "connecting" : "down";
}

static void one_line(char *dst, size_t cap, const char *prefix, const char *msg)
{
    if (msg == NULL || *msg == '\0')
        msg = "connection lost";
    snprintf(dst, cap, "%s%.*s", prefix, (int)strcspn(msg, "\n"), msg);
}

int pg_db_init(struct pg_db *d, struct event_base *base, const char *conninfo, char *err,
               size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->base = base;
    d->query_timeout_ms = 5000;
    d->connect_timeout_ms = 5000;
    d->backoff_ms = BACKOFF_MIN_MS;
    /* Only a URI or a conninfo: a file path here would be a mistake
     * (the local SQLite database is the default, --database unset). */
    int uri = strncmp(conninfo, "postgresql://", 13) == 0 || strncmp(conninfo, "postgres://", 11) == 0;
    if (!uri && strchr(conninfo, '=') == NULL) {
        snprintf(err, errlen, "--database '%.200s': expected a postgresql:// URI or a libpq "
                 "conninfo (\"host=... dbname=...\"); leave it unset to serve the local "
                 "SQLite database", conninfo);
        return -1;
    }
    if (strlen(conninfo) >= sizeof d->conninfo) {
        snprintf(err, errlen, "--database: longer than %zu bytes", sizeof d->conninfo - 1);
        return -1;
    }
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        one_line(err, errlen, "--database does not parse as a libpq connection string: ",
                 perr ? perr : "out of memory");
        PQfreemem(perr);
        return -1;
    }
    static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode",
                                        "service"};
    size_t o = 0;
    int password = 0;
    for (PQconninfoOption *p = opts; p->keyword; p++) {
        if (p->val == NULL || p->val[0] == '\0')
            continue;
        if (strcmp(p->keyword, "password") == 0)
            password = 1;
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            if (strcmp(p->keyword, shown[i]) == 0 && o < sizeof d->summary)
                o += (size_t)snprintf(d->summary + o, sizeof d->summary - o, "%s%s=%s",
                                      o ? " " : "", p->keyword, p->val);
    }
    PQconninfoFree(opts);
    if (password) {
        snprintf(err, errlen, "--database holds a password: put it in ~/.pgpass (or the file "
                 "PGPASSFILE names) instead, mode 0600; see docs/TEAM.md");
        return -1;
    }
    if (d->summary[0] == '\0')
        snprintf(d->summary, sizeof d->summary, "(libpq defaults)");
    memcpy(d->conninfo, conninfo, strlen(conninfo) + 1);
    return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void on_socket(evutil_socket_t fd, short what, void *arg);

/* Drops the connection (if any) and schedules the next attempt. */
static void go_down(struct pg_db *d, const char *why)
{
    if (d->state == PG_DB_UP || d->down_since_wall == 0)
        d->down_since_wall = clock_wall_ns();
    if (d->state == PG_DB_UP || strcmp(d->error, why) != 0)
        log_msg(SERVER_TAG, LOG_LEVEL_WARN, "PostgreSQL (%s): %s; retrying", d->summary, why);
    if (why != d->error)
        snprintf(d->error, sizeof d->error, "%s", why);
    if (d->sock_ev != NULL) {
        event_free(d->sock_ev);
        d->sock_ev = NULL;
    }
    if (d->c != NULL) {
        PQfinish(d->c);
        d->c = NULL;
    }
    d->state = PG_DB_DOWN;
    struct timeval tv = {d->backoff_ms / 1000, (d->backoff_ms % 1000) * 1000};
    d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
    event_add(d->timer_ev, &tv);
}

static void notice(void *arg, const char *message)
{
    (void)arg;
    log_msg(SERVER_TAG, LOG_LEVEL_INFO, "PostgreSQL says: %.*s", (int)strcspn(message, "\n"),
            message);
}

/* Connected: the schema must be there (the shipper or `chronicle team init`
 * creates it; this role may only read). */
static void came_up(struct pg_db *d)
{
    if (d->sock_ev != NULL) {
        event_free(d->sock_ev);
        d->sock_ev = NULL;
    }
    event_del(d->timer_ev);
    PQsetNoticeProcessor(d->c, notice, NULL);
    d->state = PG_DB_UP; /* pg_db_query needs it */
    int unavailable;
    char err[400];
    PGresult *r = pg_db_query(d, "SELECT coalesce(max(version), 0) FROM chronicle.schema_version",
                              0, NULL, &unavailable, err, sizeof err);
    if (r == NULL) {
        if (d->state == PG_DB_UP) {
            char why[512];
            snprintf(why, sizeof why, "no Chronicle schema readable: %s (run `chronicle team "
                     "init URL`, and the role SQL of `chronicle team sql`)", err);
            go_down(d, why);
        }
        return;
    }
    d->schema_version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    d->connects++;
    d->backoff_ms = BACKOFF_MIN_MS;
    d->up_since_wall = clock_wall_ns();
    d->down_since_wall = 0;
    log_msg(SERVER_TAG, LOG_LEVEL_INFO, "PostgreSQL (%s) connected, schema version %d, "
            "read-only", d->summary, d->schema_version);
    d->error[0] = '\0';
    if (d->on_up != NULL)
        d->on_up(d->arg);
}

/* One step of PQconnectPoll; waits on the socket for what it asks. */
static void connect_step(struct pg_db *d, PostgresPollingStatusType st)
{
    if (st == PGRES_POLLING_OK) {
        came_up(d);
        return;
    }
    if (st == PGRES_POLLING_FAILED) {
        char why[512];
        one_line(why, sizeof why, "cannot connect: ", PQerrorMessage(d->c));
        go_down(d, why);
        return;
    }
    short ev = st == PGRES_POLLING_READING ? EV_READ : EV_WRITE;
    /* The socket may change between steps (a second host, SSL retry). */
    if (d->sock_ev != NULL)
        event_free(d->sock_ev);
    d->sock_ev = event_new(d->base, PQsocket(d->c), ev, on_socket, d);
    if (d->sock_ev == NULL || event_add(d->sock_ev, NULL) != 0)
        go_down(d, "cannot watch the connection: out of memory");
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pg_db *d = arg;
    if (d->state == PG_DB_CONNECTING && d->c != NULL)
        connect_step(d, PQconnectPoll(d->c));
}

static void begin_connect(struct pg_db *d)
{
    char tcp_timeout[16];
    snprintf(tcp_timeout, sizeof tcp_timeout, "%d", d->query_timeout_ms * 2);
    char options[160];
    /* statement_timeout: PostgreSQL gives up when we would; read-only: the
     * team server never writes, even with a role that could. */
    snprintf(options, sizeof options, "-c statement_timeout=%d -c default_transaction_read_only=on",
             d->query_timeout_ms);
    /* Defaults first: the connection string (expanded from dbname) may
     * override them; client_encoding after it. */
    const char *const keys[] = {"application_name", "keepalives", "keepalives_idle",
                                "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                "options", "dbname", "client_encoding", NULL};
    const char *const vals[] = {"chronicle-server", "1", "10", "5", "3", tcp_timeout, options,
                                d->conninfo, "UTF8", NULL};
    d->c = PQconnectStartParams(keys, vals, 1);
    d->state = PG_DB_CONNECTING;
    d->connect_started_mono = clock_mono_ns();
    if (d->c == NULL || PQstatus(d->c) == CONNECTION_BAD) {
        char why[512];
        one_line(why, sizeof why, "cannot connect: ", d->c ? PQerrorMessage(d->c) : "out of memory");
        go_down(d, why);
        return;
    }
    if (PQsetnonblocking(d->c, 1) != 0) {
        go_down(d, "cannot make the connection nonblocking");
        return;
    }
    /* The deadline of the whole attempt (connect_timeout does not apply to
     * a nonblocking connect). */
    struct timeval tv = {d->connect_timeout_ms / 1000, (d->connect_timeout_ms % 1000) * 1000};
    event_add(d->timer_ev, &tv);
    connect_step(d, PGRES_POLLING_WRITING);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pg_db *d = arg;
    if (d->state == PG_DB_CONNECTING) {
        d->timeouts++;
        go_down(d, "cannot connect: no answer in time");
    } else if (d->state == PG_DB_DOWN) {
        begin_connect(d);
    }
}

int pg_db_start(struct pg_db *d)
{
    d->timer_ev = evtimer_new(d->base, on_timer, d);
    if (d->timer_ev == NULL)
        return -1;
    begin_connect(d);
    return 0;
}

void pg_db_free(struct pg_db *d)
{
    if (d->sock_ev) event_free(d->sock_ev);
    if (d->timer_ev) event_free(d->timer_ev);
    if (d->c) PQfinish(d->c);
    d->sock_ev = d->timer_ev = NULL;
    d->c = NULL;
    d->state = PG_DB_DOWN;
}

/* poll() until fd is ready for ev or the deadline passes: 1, 0, -1. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ns();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, ev, 0};
        int n = poll(&p, 1, (int)(left / NS_PER_MS) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n > 0)
            return 1;
    }
}

PGresult *pg_db_query(struct pg_db *d, const char *sql, int nparams, const char *const *vals,
                      int *unavailable, char *err, size_t errlen)
{
    *unavailable = 1;
    if (d->state != PG_DB_UP || d->c == NULL) {
        snprintf(err, errlen, "PostgreSQL is %s: %s", pg_db_state_name(d->state),
                 d->error[0] ? d->error : "not connected yet");
        return NULL;
    }
    d->queries++;
    int64_t deadline = clock_mono_ns() + (int64_t)d->query_timeout_ms * NS_PER_MS;
    int fd = PQsocket(d->c), w = 1, f;
    if (!PQsendQueryParams(d->c, sql, nparams, NULL, vals, NULL, NULL, 0))
        goto lost;
    while ((f = PQflush(d->c)) == 1) {
        w = wait_fd(fd, POLLIN | POLLOUT, deadline);
        if (w <= 0 || !PQconsumeInput(d->c))
            goto lost;
    }
    if (f < 0)
        goto lost;
    PGresult *last = NULL, *r;
    for (;;) {
        while (PQisBusy(d->c)) {
            w = wait_fd(fd, POLLIN, deadline);
            if (w <= 0 || !PQconsumeInput(d->c)) {
                PQclear(last);
                goto lost;
            }
        }
        if ((r = PQgetResult(d->c)) == NULL)
            break;
        PQclear(last);
        last = r;
    }
    ExecStatusType st = last ? PQresultStatus(last) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *unavailable = 0;
        return last;
    }
    d->failures++;
    const char *state = last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL;
    const char *m = last ? PQresultErrorField(last, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    /* Class 08 (connection), 57 (shutdown, cancel: statement_timeout), 53
     * (resources): PostgreSQL cannot answer now, which is a 503. */
    int conn = PQstatus(d->c) != CONNECTION_OK || state == NULL || !strncmp(state, "08", 2) ||
               !strncmp(state, "57", 2) || !strncmp(state, "53", 2);
    snprintf(err, errlen, "%.*s%s%s%s", m ? (int)strcspn(m, "\n") : 15,
             m ? m : "no result", state ? " (SQLSTATE " : "", state ? state : "",
             state ? ")" : "");
    PQclear(last);
    *unavailable = conn;
    if (PQstatus(d->c) != CONNECTION_OK) {
        char why[600];
        snprintf(why, sizeof why, "connection lost: %s", err);
        go_down(d, why);
    }
    return NULL;
lost:
    d->failures++;
    if (w == 0) {
        d->timeouts++;
        snprintf(err, errlen, "no answer from PostgreSQL within %d ms", d->query_timeout_ms);
    } else {
        one_line(err, errlen, "connection lost: ", PQerrorMessage(d->c));
    }
    /* The connection is in an unknown state (a result may still come):
     * start again with a new one. */
    go_down(d, err);
    return NULL;
}

PGresult *pg_db_query_sqlb(struct pg_db *d, struct sqlb *sb, int *unavailable, char *err,
                           size_t errlen)
{
    *unavailable = 0;
    if (sb->oom || sb->sql.data == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* ?N -> $N: the fragments come from our own code and hold no '?'
     * anywhere else (no jsonb ? operator, no literals with one). */
    for (size_t i = 0; i + 1 < sb->sql.len; i++)
        if (sb->sql.data[i] == '?' && sb->sql.data[i + 1] >= '1' && sb->sql.data[i + 1] <= '9')
            sb->sql.data[i] = '$';
    char ints[SQLB_MAX_BINDS][24];
    const char *vals[SQLB_MAX_BINDS];
    for (int i = 0; i < sb->n; i++) {
        if (sb->v[i].is_text) {
            vals[i] = sb->v[i].s;
        } else {
            snprintf(ints[i], sizeof ints[i], "%" PRId64, sb->v[i].i);
            vals[i] = ints[i];
        }
    }
    return pg_db_query(d, sb->sql.data, sb->n, vals, unavailable, err, errlen);
}
