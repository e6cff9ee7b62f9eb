/*
 * team.h - the team server: chronicle-server --database postgresql://...
 * serving the REST API, /health, /metrics and the live feed from the team
 * PostgreSQL that every machine's chronicle-ship fills (docs/TEAM.md).
 *
 * In team mode struct server's SQLite reader stays closed and srv->team is
 * set; the router hands every data route to team_dispatch().  The JSON is
 * the local server's (row_json.c shapes both, through row_src.h), plus
 * machine_id / host / user on events and sessions.  Event ids are the team
 * database's chronicle.events.id: one sequence for all machines, allocated
 * in commit order (see pg_schema.c, ship_events), so the same cursor rules
 * hold as locally ("id > after" misses nothing and repeats nothing).
 *
 * Ownership: struct team is owned by the server (team_free); it owns the
 * PostgreSQL connection (pg_db.h), the feed's poll timer and the alert
 * engine (team_alerter.h, its own thread and connection).
 */
#ifndef CHRONICLE_SERVER_TEAM_H
#define CHRONICLE_SERVER_TEAM_H

#include <libpq-fe.h>

#include "pg_db.h"
#include "row_src.h"
#include "server.h"
#include "sql_build.h"

struct subscriber;
struct team_alerter;

struct team {
    struct server *srv;
    struct pg_db db;
    struct team_alerter *alerter; /* the alert rules over every machine (owned; team_alerter.h) */
    int64_t feed_last_alert_version;
    struct event *poll_ev;        /* the feed's poll timer (owned) */
    int feed_ready;               /* the feed's cursors are known (first connect) */
    int64_t feed_last_session_eid;
    uint64_t feed_polls, feed_rows;
};

/* The SELECT lists for the team tables: row_json.c's columns in its order,
 * then the team's own (TEAM_EVENT_EXTRA / TEAM_SESSION_EXTRA). */
#define TEAM_EVENT_COLUMNS                                                                  \
    "id, replace(event_uid::text, '-', ''), session_id, event_type, ts_ns, stored_ns, "    \
    "tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, "   \
    "payload_size"
#define TEAM_EVENT_COLUMNS_FULL                                                             \
    TEAM_EVENT_COLUMNS ", coalesce(payload::text, payload_text), octet_length(raw), host, " \
    "uid, pid, ppid, claude_pid, project_dir"
#define TEAM_EVENT_EXTRA ", machine_id, local_id, host, username"
#define TEAM_EVENT_BRIEF_N 15
#define TEAM_EVENT_FULL_N 23
/* SESSION_COLUMNS, then the team's identity.  The state columns
 * (awaiting_reason .. title_source) are team schema 3, copied from the
 * local rows by chronicle-ship (collector/ship/session_sync.h); NULL from a
 * shipper older than that, which row_json.c shows as no reason,
 * state_since = last_seen, no detail, no title. */
#define TEAM_SESSION_COLUMNS                                                                  \
    "session_id, first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode, " \
    "transcript_path, end_reason, ended_ns, last_event_type, last_event_id, state, "        \
    "claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count, " \
    "awaiting_reason, state_since_ns, state_detail, title, title_source, machine_id, host, username"
#define TEAM_SESSION_N 25
/* The usage rows, each with its session's project, username and host; the
 * machine's registration names them when the session row is missing
 * (team_usage.c, team_cost.c: "... FROM (" TEAM_USAGE_NAMED_SQL, then the
 * lower bound on ts_ns and the closing ") x"). */
#define TEAM_USAGE_NAMED_SQL                                                                  \
    "  SELECT u.*, coalesce(s.project, '') AS project,"                                     \
    "   coalesce(s.username, k.username, '') AS username,"                                  \
    "   coalesce(s.host, k.hostname, '') AS host"                                           \
    "  FROM chronicle.usage u"                                                              \
    "  LEFT JOIN chronicle.sessions s ON s.machine_id = u.machine_id AND s.session_id = u.session_id" \
    "  LEFT JOIN chronicle.machines k ON k.machine_id = u.machine_id"                       \
    "  WHERE u.ts_ns >= "

/* main.c: validates cfg.database (exit 2 on a bad value) and allocates. */
struct team *team_new(struct server *srv, char *err, size_t errlen);
/* Starts connecting and the feed's timer; needs srv->base. */
int team_start(struct team *t);
void team_free(struct team *t);

/* The router's entry in team mode (team_route.c): answers every route. */
void team_dispatch(struct http_ctx *hc, const char *path);
/* 503 when PostgreSQL is not connected (or the feed not ready); returns 1
 * if it answered.  http_reply_if_no_db() calls it in team mode. */
int team_reply_if_down(struct http_ctx *hc);
/* Answers for a failed query: 503 when PostgreSQL is unavailable, else 500. */
void team_reply_query_error(struct http_ctx *hc, int unavailable, const char *err);
/* Appends the machine / host / user filters of q (team_identity_filters)
 * and then tail to sb, and runs it.  The result (the caller PQclear()s it),
 * or NULL once it has answered: 400 for a bad filter, else as
 * team_reply_query_error(). */
struct query;
PGresult *team_query_filtered(struct http_ctx *hc, struct sqlb *sb, const struct query *q,
                              const char *tail);

/* team_row.c: row_src over row `row` of a PostgreSQL text result. */
void row_src_pg(struct row_src *r, const PGresult *res, int row);
/* Appends ,"machine_id":..,"local_id":..,"user":.. (and "host" for the
 * brief form) read from col onwards, before the closing brace of the event
 * object event_text_src() just wrote onto b.  0 or -1 (ENOMEM). */
int team_event_extra_text(struct buf *b, const PGresult *res, int row, int col, int full);
int team_event_extra_json(json_t *o, const PGresult *res, int row, int col, int full);
int team_session_extra_json(json_t *o, const PGresult *res, int row, int col);
/* The machine/host/user filters: "machine" must be machine ids (UUIDs).
 * Appends " AND (...)" per given list; 0, or -1 with err (a bad value). */
struct query;
int team_identity_filters(struct sqlb *sb, const struct query *q, char *err, size_t errlen);
/* The session JSON of row `row` (TEAM_SESSION_COLUMNS), NULL on ENOMEM. */
json_t *team_session_json(struct team *t, const PGresult *res, int row);

/* Handlers (team_*.c). */
void team_health(struct http_ctx *hc);
void team_health_performance(struct http_ctx *hc);
void team_sessions(struct http_ctx *hc);
void team_session(struct http_ctx *hc);
void team_events(struct http_ctx *hc);
void team_event(struct http_ctx *hc);
void team_usage(struct http_ctx *hc);
void team_stats(struct http_ctx *hc);
void team_cost(struct http_ctx *hc);
/* team_alerts.c: GET /api/alerts, POST /api/alerts/{id}/ack, the feed's
 * "alert" messages (poll: alerts whose version moved; start: the version
 * the feed starts after) and the alert families of /metrics. */
void team_alerts(struct http_ctx *hc);
void team_alert_ack(struct http_ctx *hc);
void team_alerts_poll(struct team *t);
int team_alerts_start_version(struct team *t, int64_t *version);
int team_alerts_metrics(struct server *srv, struct buf *b);
/* Appends the team families to /metrics (api_metrics.c).  0 or -1. */
int team_metrics(struct server *srv, struct buf *b);
/* team_usage.c: adds "usage" to a session object (as usage_add_to_session). */
int team_usage_add_to_session(struct team *t, const char *machine, const char *sid, json_t *s,
                              int *unavailable, char *err, size_t errlen);
int team_usage_add_summaries(struct team *t, json_t *sessions, int *unavailable, char *err,
                             size_t errlen);

/* team_feed.c: the live feed's source in team mode (live_feed.c calls these). */
void team_feed_poll(struct team *t);
int team_feed_replay(struct team *t, struct subscriber *c, int64_t after, int64_t upto,
                     long max);

/* live_feed.c's side of it: fan-out of one event / session to every
 * subscriber, one subscriber's delivery, and the feed's cursor. */
void live_feed_publish_event(struct live_feed *f, int64_t id, const char *sid, const char *type,
                             const unsigned char *frame, size_t flen);
void live_feed_publish_session(struct live_feed *f, int64_t last_event_id, const char *sid,
                               const char *msg, size_t len);
void live_feed_deliver_to(struct subscriber *c, int64_t id, const char *sid, const char *type,
                          const unsigned char *frame, size_t flen);
void live_feed_send_to(struct subscriber *c, const char *msg, size_t len);
/* An "alert" message to every subscriber (alerts are not filtered). */
void live_feed_publish_alert(struct live_feed *f, const char *msg, size_t len);
int64_t live_feed_last_id(const struct live_feed *f);
void live_feed_set_last_id(struct live_feed *f, int64_t id);
int live_feed_has_subscribers(const struct live_feed *f);
int live_feed_batch_rows(const struct live_feed *f);
void live_feed_flush(struct live_feed *f);

#endif
