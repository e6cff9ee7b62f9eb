/*
 * pg_link.h - chronicle-ship's connection to PostgreSQL: libpq with every
 * wait bounded.
 *
 * Connecting uses libpq's connect_timeout and TCP keepalives; each
 * statement is sent asynchronously and awaited with poll() against a
 * deadline and the shipper's stop signal, so a server that hangs or a
 * network that vanished costs at most the deadline, never forever.  The
 * target (ship_to) is any libpq URI or conninfo; its password must come
 * from ~/.pgpass or PGPASSFILE: a password inside ship_to is refused, and
 * what is logged or shown is pg_link_describe()'s summary without one.
 */
#ifndef CHRONICLE_SHIP_PG_LINK_H
#define CHRONICLE_SHIP_PG_LINK_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* What a failed statement means for the shipper. */
enum pg_failure {
    PGF_NONE,
    PGF_DATA,        /* a row's value was refused (SQLSTATE class 22, 23, 54): split the batch */
    PGF_RETRY,       /* transient (serialization, deadlock, canceled): try again soon */
    PGF_CONNECTION,  /* the connection is gone or unusable: reconnect with backoff */
    PGF_CONFIG,      /* permissions, missing schema, authentication: needs a person; back off */
};

/*
 * Checks conninfo (libpq parses it) and writes a one-line summary without
 * any password: "host=db port=5432 dbname=team user=bob sslmode=verify-full".
 * -1 with err when it does not parse or holds a password.
 */
int pg_link_describe(const char *conninfo, char *out, size_t cap, char *err, size_t errlen);

/* Connects (blocking, bounded by connect_timeout_s) with application_name
 * chronicle-ship, client_encoding UTF8 and TCP keepalives, then sets
 * synchronous_commit on.  NULL with err. */
PGconn *pg_link_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen);

/*
 * Runs a prepared statement (binary parameters and text results) and
 * waits for its result until deadline_mono (clock_mono_ns) or until
 * stop_fd (-1: none) becomes readable.  Returns the last result (caller
 * PQclear()s it) or NULL with err; *timed_out set when the deadline or the
 * stop signal ended the wait (the connection is then unusable).
 */
PGresult *pg_link_exec(PGconn *c, const char *stmt, int nparams, const char *const *values,
                       const int *lengths, int64_t deadline_mono, int stop_fd, int *timed_out,
                       char *err, size_t errlen);

/* The same for one SQL statement with text parameters ($1...; NULL
 * values are SQL NULL), unprepared: for statements run now and then. */
PGresult *pg_link_exec_sql(PGconn *c, const char *sql, int nparams, const char *const *values,
                           int64_t deadline_mono, int stop_fd, int *timed_out, char *err,
                           size_t errlen);

/* Classifies a failed result (NULL: the connection failed). */
enum pg_failure pg_link_classify(PGconn *c, const PGresult *r);

/* PostgreSQL's primary message and SQLSTATE for r (or the connection's
 * error when r is NULL), on one line. */
void pg_link_error(PGconn *c, const PGresult *r, char *err, size_t errlen);

#endif
