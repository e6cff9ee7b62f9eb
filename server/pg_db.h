/*
 * pg_db.h - the team server's connection to PostgreSQL (--database).
 *
 * The event loop must never wait on PostgreSQL for long, whatever state
 * PostgreSQL or the network is in:
 *   - connecting is fully nonblocking: PQconnectStartParams + PQconnectPoll
 *     driven by libevent on the connection's socket, with our own deadline;
 *   - a query is sent with PQsendQueryParams and its answer awaited with
 *     poll() for at most query_timeout_ms (and the server's
 *     statement_timeout is set to the same).  Queries are small, indexed
 *     reads (milliseconds, docs/PERFORMANCE.md), so waiting for them inline
 *     keeps the handlers simple; the bound only matters when PostgreSQL
 *     hangs or the network vanished, and then the connection is dropped at
 *     the first timeout: every request after it gets 503 at once, without
 *     waiting, until the background reconnect succeeds.  So one outage
 *     costs at most one stall of query_timeout_ms, never one per request.
 *   - TCP keepalives and tcp_user_timeout find a dead peer while idle.
 *
 * Ownership: struct pg_db lives in struct team; it owns the PGconn and its
 * two events.  The password never appears in the conninfo (refused, as for
 * ship_to): it comes from ~/.pgpass or PGPASSFILE.
 */
#ifndef CHRONICLE_SERVER_PG_DB_H
#define CHRONICLE_SERVER_PG_DB_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "sql_build.h"

enum pg_db_state { PG_DB_DOWN, PG_DB_CONNECTING, PG_DB_UP };

struct pg_db {
    struct event_base *base;
    char conninfo[1024];
    char summary[512];          /* the target without secrets, for logs and /health */
    PGconn *c;                  /* NULL while down */
    enum pg_db_state state;
    struct event *sock_ev;      /* the connecting socket (owned; re-assigned per poll) */
    struct event *timer_ev;     /* reconnect backoff and connect deadline (owned) */
    int64_t connect_started_mono;
    int64_t up_since_wall, down_since_wall; /* ns; 0 = never */
    int backoff_ms;
    int query_timeout_ms, connect_timeout_ms;
    int schema_version;         /* chronicle.schema_version once connected; 0 = none */
    char error[512];            /* the last failure, "" when none */
    uint64_t queries, failures, connects, timeouts;
    void (*on_up)(void *arg);   /* called each time the connection comes up */
    void *arg;
};

/*
 * Checks conninfo (a postgresql:// URI or a libpq "key=value" string; a
 * password inside is refused) and prepares d.  Nothing is connected yet.
 * 0, or -1 with err.
 */
int pg_db_init(struct pg_db *d, struct event_base *base, const char *conninfo, char *err,
               size_t errlen);
/* Starts connecting in the background; reconnects with backoff forever. */
int pg_db_start(struct pg_db *d);
void pg_db_free(struct pg_db *d);

/*
 * Runs sql with text parameters ($1...) and returns its result (caller
 * PQclear()s it; PGRES_TUPLES_OK or PGRES_COMMAND_OK), or NULL with err.
 * *unavailable is set when the failure is the connection's (down,
 * timed out, lost): the caller answers 503, and a reconnect is under way.
 */
PGresult *pg_db_query(struct pg_db *d, const char *sql, int nparams, const char *const *vals,
                      int *unavailable, char *err, size_t errlen);
/* The same for a query built with sql_build.h (its ?N become $N). */
PGresult *pg_db_query_sqlb(struct pg_db *d, struct sqlb *sb, int *unavailable, char *err,
                           size_t errlen);

const char *pg_db_state_name(enum pg_db_state s);

#endif
