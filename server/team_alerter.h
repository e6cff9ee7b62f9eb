/*
 * team_alerter.h - the alert rules over every machine: the team server's
 * alert engine (docs/ALERTS.md, "Team mode").
 *
 * Why the team server, and a thread of its own.  Each machine's collector
 * evaluates the rules over its own SQLite; a team wants them over all
 * machines (one budget for the team's spend, one list of agents waiting,
 * whichever laptop they run on), and only the team database sees them all.
 * The team server is what already reads it; chronicle-ship writes only its
 * own machine's rows and is one per machine.  The rules are the collector's
 * (collector/alert_rules.h: targets, budget arithmetic, bursts, retries,
 * payloads, the sender); only their SQL is PostgreSQL's.  libpq blocks, so
 * the engine runs on its own thread with its own connection (pg_link.h:
 * every wait bounded, stopped at once on shutdown): the event loop never
 * waits for a rule, a budget sum or a webhook.
 *
 * Several team servers may run on one database: the one holding a session
 * advisory lock evaluates and delivers, the others apply acknowledgements
 * and take over when it goes (its connection closes, the lock with it).
 * Every alert has a key that names its machine (UNIQUE in PostgreSQL), so
 * neither a restart nor a second server fires anything twice; deliveries
 * are rows (the persistent queue), as locally.
 *
 * Threads: new/free on the main thread; ack and stats on the event loop;
 * everything else on the engine's thread.  Owner: struct team.
 */
#ifndef CHRONICLE_SERVER_TEAM_ALERTER_H
#define CHRONICLE_SERVER_TEAM_ALERTER_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/config.h"

struct team_alerter;

/* What /metrics and /health show (a copy, taken under the engine's lock). */
struct team_alerter_stats {
    int connected;          /* the engine's own connection is up */
    int leader;             /* this server evaluates and delivers */
    int schema_ok;          /* the team schema has the alerts tables (4+) */
    uint64_t ticks, fired, resolved, delivered, delivery_failures, dropped;
    uint64_t tick_ns_sum, tick_ns_max, tick_ns_last; /* committed ticks: rules, deliveries, dispatch */
    char error[256];        /* the last failure, "" when none */
};

/* Parses the targets and prices of cfg (which must outlive the engine)
 * and starts the thread, which connects to cfg->database by itself.  NULL
 * with err (a bad webhook URL, ENOMEM). */
struct team_alerter *team_alerter_new(const struct chronicle_config *cfg, char *err,
                                      size_t errlen);

/* Event loop: acknowledges alert id, waiting at most ACK_WAIT_MS for the
 * engine to commit it.  0 with *acked_ns (the first acknowledgement's
 * time); 1 when there is no such alert; -1 with err (PostgreSQL
 * unreachable, the alerts tables missing, no answer in time). */
int team_alerter_ack(struct team_alerter *a, int64_t id, int64_t *acked_ns, char *err,
                     size_t errlen);

void team_alerter_stats(struct team_alerter *a, struct team_alerter_stats *out);

/* Stops the thread (aborting transfers and queries in flight: they are
 * retried by whoever evaluates next) and frees everything.  NULL is fine. */
void team_alerter_free(struct team_alerter *a);

#endif
