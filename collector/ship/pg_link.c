/* pg_link.c - bounded libpq calls.  See pg_link.h. */
#include "pg_link.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "chronicle/clock.h"
#include "chronicle/log.h"

int pg_link_describe(const char *conninfo, char *out, size_t cap, char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        snprintf(err, errlen, "ship_to does not parse as a libpq connection string: %.*s",
                 perr ? (int)strcspn(perr, "\n") : 13, perr ? perr : "out of memory");
        PQfreemem(perr);
        return -1;
    }
    static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode",
                                        "service"};
    size_t o = 0;
    int password = 0;
    out[0] = '\0';
    for (PQconninfoOption *p = opts; p->keyword; p++) {
        if (p->val == NULL || p->val[0] == '\0')
            continue;
        if (strcmp(p->keyword, "password") == 0)
            password = 1;
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            if (strcmp(p->keyword, shown[i]) == 0 && o < cap)
                o += (size_t)snprintf(out + o, cap - o, "%s%s=%s", o ? " " : "", p->keyword,
                                      p->val);
    }
    PQconninfoFree(opts);
    if (password) {
        snprintf(err, errlen, "ship_to holds a password: put it in ~/.pgpass (or the file "
                 "PGPASSFILE names) instead, mode 0600; see docs/TEAM.md");
        return -1;
    }
    if (out[0] == '\0')
        snprintf(out, cap, "(libpq defaults)");
    return 0;
}

/* Server notices (a shutdown warning...) as one log line each, not raw on
 * stderr. */
static void notice(void *arg, const char *message)
{
    (void)arg;
    log_msg("chronicle-ship", LOG_LEVEL_INFO, "PostgreSQL says: %.*s", (int)strcspn(message, "\n"),
            message);
}

PGconn *pg_link_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", connect_timeout_s);
    /* Defaults first: the connection string (expanded from dbname) may
     * override them; client_encoding after it, because every value sent is
     * UTF-8. */
    const char *const keys[] = {"application_name", "connect_timeout", "keepalives",
                                "keepalives_idle", "keepalives_interval", "keepalives_count",
                                "dbname", "client_encoding", NULL};
    const char *const vals[] = {"chronicle-ship", timeout, "1", "30", "10", "3", conninfo,
                                "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        snprintf(err, errlen, "cannot connect: %.*s", (int)strcspn(m, "\n"), m);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, notice, NULL);
    /* Each batch's COMMIT must be durable before the shipper moves its
     * cursor, whatever the database's default; and the server gives up on
     * a statement (a lock never granted...) as the shipper would. */
    PGresult *r = PQexec(c, "SET synchronous_commit = on; SET statement_timeout = '120s'");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        pg_link_error(c, r, err, errlen);
        PQclear(r);
        PQfinish(c);
        return NULL;
    }
    PQclear(r);
    return c;
}

void pg_link_error(PGconn *c, const PGresult *r, char *err, size_t errlen)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (m == NULL)
        m = r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(c);
    if (m == NULL || *m == '\0')
        m = "connection lost";
    snprintf(err, errlen, "%.*s%s%s%s", (int)strcspn(m, "\n"), m, state ? " (SQLSTATE " : "",
             state ? state : "", state ? ")" : "");
}

enum pg_failure pg_link_classify(PGconn *c, const PGresult *r)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (r == NULL || PQstatus(c) != CONNECTION_OK || s == NULL)
        return PGF_CONNECTION;
    if (!strncmp(s, "22", 2) || !strncmp(s, "23", 2) || !strncmp(s, "54", 2))
        return PGF_DATA;
    if (!strncmp(s, "40", 2) || !strcmp(s, "57014") || !strcmp(s, "55P03"))
        return PGF_RETRY;
    if (!strncmp(s, "08", 2) || !strncmp(s, "57", 2) || !strncmp(s, "53", 2) ||
        !strncmp(s, "58", 2) || !strncmp(s, "XX", 2))
        return PGF_CONNECTION;
    return PGF_CONFIG; /* 42 (privileges, missing objects), 28, 3F, 0A ... */
}

/* poll() until fd is ready for ev, the deadline passes or stop_fd fires.
 * 1 ready, 0 timed out, -2 stopped, -1 error. */
static int wait_fd(int fd, short ev, int64_t deadline, int stop_fd)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ns();
        if (left <= 0)
            return 0;
        struct pollfd p[2] = {{fd, ev, 0}, {stop_fd, POLLIN, 0}};
        int n = poll(p, stop_fd >= 0 ? 2 : 1, (int)(left / NS_PER_MS) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (stop_fd >= 0 && (p[1].revents & POLLIN))
            return -2;
        if (n > 0)
            return 1;
    }
}

/* Flushes what was sent and collects its results until deadline_mono or
 * stop_fd: the last result, or NULL with err (and *timed_out). */
static PGresult *await_result(PGconn *c, int64_t deadline_mono, int stop_fd, int *timed_out,
                              char *err, size_t errlen)
{
    int fd = PQsocket(c), f, w = 1;
    while ((f = PQflush(c)) == 1) { /* the parameters, possibly megabytes */
        w = wait_fd(fd, POLLOUT | POLLIN, deadline_mono, stop_fd);
        if (w <= 0 || !PQconsumeInput(c))
            goto stuck;
    }
    if (f < 0)
        goto stuck;
    PGresult *last = NULL, *r;
    for (;;) {
        while (PQisBusy(c)) {
            w = wait_fd(fd, POLLIN, deadline_mono, stop_fd);
            if (w <= 0 || !PQconsumeInput(c)) {
                PQclear(last);
                goto stuck;
            }
        }
        if ((r = PQgetResult(c)) == NULL)
            break;
        PQclear(last);
        last = r;
    }
    if (last == NULL)
        pg_link_error(c, NULL, err, errlen);
    return last;
stuck:
    *timed_out = w == 0 || w == -2;
    snprintf(err, errlen, "%s", w == -2 ? "stopped while waiting for PostgreSQL"
                                : w == 0 ? "no answer from PostgreSQL in time" : PQerrorMessage(c));
    err[strcspn(err, "\n")] = '\0';
    return NULL;
}

PGresult *pg_link_exec(PGconn *c, const char *stmt, int nparams, const char *const *values,
                       const int *lengths, int64_t deadline_mono, int stop_fd, int *timed_out,
                       char *err, size_t errlen)
{
    *timed_out = 0;
    int formats[64];
    for (int i = 0; i < nparams && i < 64; i++)
        formats[i] = 1;
    if (nparams > 64 || PQsetnonblocking(c, 1) != 0 ||
        !PQsendQueryPrepared(c, stmt, nparams, values, lengths, formats, 0)) {
        pg_link_error(c, NULL, err, errlen);
        return NULL;
    }
    return await_result(c, deadline_mono, stop_fd, timed_out, err, errlen);
}

PGresult *pg_link_exec_sql(PGconn *c, const char *sql, int nparams, const char *const *values,
                           int64_t deadline_mono, int stop_fd, int *timed_out, char *err,
                           size_t errlen)
{
    *timed_out = 0;
    if (PQsetnonblocking(c, 1) != 0 ||
        !PQsendQueryParams(c, sql, nparams, NULL, values, NULL, NULL, 0)) {
        pg_link_error(c, NULL, err, errlen);
        return NULL;
    }
    return await_result(c, deadline_mono, stop_fd, timed_out, err, errlen);
}
