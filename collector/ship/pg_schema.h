/*
 * pg_schema.h - the team database: Chronicle's schema in PostgreSQL, its
 * versioned migrations, and the SQL for least-privilege roles.
 *
 * Everything lives in the schema "chronicle" (never public, which
 * Supabase's API exposes).  chronicle.schema_version has one row per
 * applied migration with its compat number: the oldest schema version a
 * shipper may have and still write into this database.  Migrations only
 * add (columns, tables, indexes), so a machine that has not been upgraded
 * yet keeps shipping into a newer schema.
 *
 * The tables mirror the local ones (common/schema.c, docs/ARCHITECTURE.md)
 * with machine_id in every key, so that two machines never collide:
 * events (payload as jsonb), sessions, tool_calls, tool_stats,
 * event_counts(_10m), usage, plus machines, ship_cursors (each machine's
 * cursor, advanced in the same transaction as its batch) and machine_stats
 * (each collector's counters).  docs/TEAM.md describes them.
 *
 * Row-level security is enabled on every table by the first migration, so
 * until the role SQL has been run only the tables' owner (who bypasses it)
 * can read or write.
 */
#ifndef CHRONICLE_SHIP_PG_SCHEMA_H
#define CHRONICLE_SHIP_PG_SCHEMA_H

#include <libpq-fe.h>
#include <stddef.h>

#include "chronicle/buf.h"

#define PG_SCHEMA_NAME "chronicle"

/* The version this build writes. */
int pg_schema_latest(void);

/*
 * Reads the database's schema version into *version (0: no schema) and
 * its compat number into *compat.  0, or -1 with err (and *sqlstate, 6
 * bytes, when PostgreSQL said why).
 */
int pg_schema_version(PGconn *c, int *version, int *compat, char *err, size_t errlen);

/*
 * Creates the schema or brings it to pg_schema_latest(), one transaction
 * per migration under an advisory lock (two machines migrating at once run
 * each migration once).  A database already newer is left as it is.
 * *applied counts the migrations run.  0, or -1 with err; a role without
 * the privilege gets PostgreSQL's "permission denied" in err.
 */
int pg_schema_migrate(PGconn *c, int *applied, char *err, size_t errlen);

/*
 * Appends the role SQL `chronicle team init` prints: the group roles
 * chronicle_shipper and chronicle_reader with their grants and row-level
 * security policies, a login role for this machine (machine_id, host,
 * user) that may write only this machine's rows, and a read-only login
 * role for the team server.  Idempotent; to be run by a role with
 * CREATEROLE.  0, or -1 on ENOMEM.
 */
int pg_schema_roles_sql(struct buf *out, const char *machine_id, const char *host,
                        const char *user);

/* The login role name for a host: chronicle_ship_ + the host name in
 * lower case, other characters as '_', at most 63 bytes. */
void pg_schema_machine_role(const char *host, char out[64]);

/* The duration bucket bounds the migration's SQL hard-codes, for the unit
 * test that keeps them equal to chronicle/tool_hist.h. */
const char *pg_schema_tool_hist_sql(void);

#endif
