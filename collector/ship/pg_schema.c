/* pg_schema.c - the team database's DDL and roles.  See pg_schema.h. */
#include "pg_schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys (pg_advisory_xact_lock): one for migrations, one that
 * every shipper's batch takes (see ship_events below). */
#define LOCK_MIGRATE "7203551834412345000"

/* tool_stats.le: the index of the first bound >= the duration in ms
 * (chronicle/tool_hist.h), -1 without a duration. */
#define TOOL_HIST_BOUNDS                                                                     \
    "1,2,3,5,7,10,15,20,30,50,70,100,150,200,300,500,700,1000,1500,2000,3000,5000,7000,"     \
    "10000,15000,20000,30000,50000,70000,100000,150000,200000,300000,600000,1800000"

const char *pg_schema_tool_hist_sql(void) { return TOOL_HIST_BOUNDS; }

/* The tables whose rows belong to one machine (row-level security). */
static const char *const machine_tables[] = {
    "events", "sessions", "tool_calls", "tool_stats", "event_counts", "event_counts_10m",
    "usage", "machine_stats", "ship_cursors",
};
#define N_MACHINE_TABLES (sizeof machine_tables / sizeof machine_tables[0])

/*
 * Migration N brings the schema from version N-1 to N.  Append only: a
 * released migration is never edited.  compat[N-1]: the oldest version a
 * shipper may have and still write after migration N (raise it only when a
 * migration breaks what older shippers send).
 */
static const char *const migrations[] = {
    /* 1: the first team schema. */
    "CREATE TABLE chronicle.machines ("
    "  machine_id uuid PRIMARY KEY,"
    "  role_name name,"                 /* login role that may ship it; NULL: owners only */
    "  hostname text,"
    "  username text,"
    "  registered_at timestamptz NOT NULL DEFAULT now(),"
    "  last_seen timestamptz NOT NULL DEFAULT now()"
    ");"
    "CREATE INDEX machines_role ON chronicle.machines (role_name);"
    /* The authoritative cursor: advanced in the batch's own transaction. */
    "CREATE TABLE chronicle.ship_cursors ("
    "  machine_id uuid PRIMARY KEY,"
    "  last_local_id bigint NOT NULL,"  /* the machine's events.id */
    "  last_event_uid uuid,"            /* that event's id, to recognise the local database */
    "  events_shipped bigint NOT NULL DEFAULT 0,"
    "  hostname text,"
    "  username text,"
    "  updated_at timestamptz NOT NULL DEFAULT now()"
    ");"
    "CREATE TABLE chronicle.events ("
    /* The team-wide cursor: allocated in commit order (ship_events takes
     * one lock), so a reader tailing id > last never skips a row. */
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  event_uid uuid NOT NULL,"
    "  machine_id uuid NOT NULL,"
    "  local_id bigint NOT NULL,"       /* events.id on the machine */
    "  session_id text,"
    "  event_type text NOT NULL,"
    "  ts_ns bigint NOT NULL,"
    "  stored_ns bigint NOT NULL,"
    "  tool_name text,"
    "  tool_use_id text,"
    "  agent_id text,"
    "  agent_type text,"
    "  prompt_id text,"
    "  cwd text,"
    "  duration_ms bigint,"
    "  flags integer NOT NULL DEFAULT 0,"
    "  payload jsonb,"                  /* the payload, queryable with ->> */
    "  payload_text text,"              /* ... or, when jsonb refuses it, its text */
    "  raw bytea,"                      /* ... or the bytes of an invalid one */
    "  payload_size bigint NOT NULL,"
    "  host text,"
    "  username text,"
    "  uid bigint,"
    "  pid bigint,"
    "  ppid bigint,"
    "  claude_pid bigint,"
    "  project_dir text,"
    "  CONSTRAINT events_event_uid UNIQUE (event_uid)"
    ");"
    "CREATE INDEX events_session_id ON chronicle.events (machine_id, session_id, id);"
    "CREATE INDEX events_type_id ON chronicle.events (event_type, id);"
    "CREATE INDEX events_tool_id ON chronicle.events (tool_name, id) WHERE tool_name IS NOT NULL;"
    "CREATE TABLE chronicle.sessions ("
    "  machine_id uuid NOT NULL,"
    "  session_id text NOT NULL,"
    "  host text,"
    "  username text,"
    "  first_seen_ns bigint NOT NULL,"
    "  last_seen_ns bigint NOT NULL,"
    "  cwd text,"
    "  project text,"
    "  model text,"
    "  source text,"
    "  permission_mode text,"
    "  transcript_path text,"
    "  end_reason text,"
    "  ended_ns bigint,"
    "  last_event_type text,"
    "  last_event_id bigint NOT NULL DEFAULT 0," /* chronicle.events.id */
    "  state text NOT NULL DEFAULT 'working',"
    "  claude_pid bigint,"
    "  event_count bigint NOT NULL DEFAULT 0,"
    "  tool_call_count bigint NOT NULL DEFAULT 0,"
    "  error_count bigint NOT NULL DEFAULT 0,"
    "  prompt_count bigint NOT NULL DEFAULT 0,"
    "  subagent_count bigint NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (machine_id, session_id)"
    ");"
    "CREATE INDEX sessions_last_seen ON chronicle.sessions (last_seen_ns);"
    "CREATE INDEX sessions_last_event ON chronicle.sessions (last_event_id);"
    "CREATE TABLE chronicle.tool_calls ("
    "  machine_id uuid NOT NULL,"
    "  tool_use_id text NOT NULL,"
    "  session_id text,"
    "  agent_id text,"
    "  tool_name text,"
    "  pre_event_id bigint,"
    "  post_event_id bigint,"
    "  started_ns bigint,"
    "  ended_ns bigint,"
    "  duration_ms bigint,"
    "  status text NOT NULL,"
    "  PRIMARY KEY (machine_id, tool_use_id)"
    ");"
    "CREATE INDEX tool_calls_session ON chronicle.tool_calls (machine_id, session_id, started_ns);"
    "CREATE INDEX tool_calls_tool ON chronicle.tool_calls (tool_name, ended_ns, duration_ms, status);"
    "CREATE TABLE chronicle.tool_stats ("
    "  machine_id uuid NOT NULL,"
    "  bucket bigint NOT NULL,"
    "  tool_name text NOT NULL,"
    "  le integer NOT NULL,"
    "  count bigint NOT NULL,"
    "  errors bigint NOT NULL,"
    "  PRIMARY KEY (machine_id, bucket, tool_name, le)"
    ");"
    "CREATE TABLE chronicle.event_counts ("
    "  machine_id uuid NOT NULL,"
    "  bucket bigint NOT NULL,"         /* ts_ns / 10 s */
    "  event_type text NOT NULL,"
    "  count bigint NOT NULL,"
    "  PRIMARY KEY (machine_id, bucket, event_type)"
    ");"
    "CREATE TABLE chronicle.event_counts_10m (LIKE chronicle.event_counts INCLUDING ALL);"
    /* Keyed like the local table (one row per assistant message), so the
     * same message is counted once; the machine that shipped it first owns
     * the row. */
    "CREATE TABLE chronicle.usage ("
    "  message_id text NOT NULL,"
    "  request_id text NOT NULL DEFAULT '',"
    "  machine_id uuid NOT NULL,"
    "  session_id text,"
    "  agent_id text,"
    "  prompt_id text,"
    "  model text,"
    "  ts_ns bigint,"
    "  input_tokens bigint NOT NULL DEFAULT 0,"
    "  output_tokens bigint NOT NULL DEFAULT 0,"
    "  cache_creation_input_tokens bigint NOT NULL DEFAULT 0,"
    "  cache_read_input_tokens bigint NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (message_id, request_id)"
    ");"
    "CREATE INDEX usage_session ON chronicle.usage (machine_id, session_id, ts_ns);"
    "CREATE INDEX usage_ts ON chronicle.usage (ts_ns);"
    /* Each collector's counters (collector_stats) and the shipper's own. */
    "CREATE TABLE chronicle.machine_stats ("
    "  machine_id uuid NOT NULL,"
    "  name text NOT NULL,"
    "  label text NOT NULL DEFAULT '',"
    "  value bigint NOT NULL,"
    "  updated_ns bigint NOT NULL,"
    "  PRIMARY KEY (machine_id, name, label)"
    ");"
    "ALTER TABLE chronicle.machines ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.ship_cursors ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.events ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.sessions ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.tool_calls ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.tool_stats ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.event_counts ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.event_counts_10m ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.usage ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.machine_stats ENABLE ROW LEVEL SECURITY;"
    /*
     * One batch of a machine's events, in one transaction (the call's):
     * the events (a resent one is skipped by its id), then the derived
     * rows from the events that were new, then the machine's cursor.  The
     * derived rows follow collector/batch_writer.c's rules; what each event
     * means (a_state, a_tool_phase ...) was decided by the shipper from the
     * shared table of hook events.  SECURITY INVOKER: row-level security
     * applies to the caller.
     */
    "CREATE FUNCTION chronicle.ship_events("
    "  p_machine uuid, p_host text, p_user text, p_last_id bigint, p_last_uid uuid,"
    "  a_local_id bigint[], a_event_uid uuid[], a_session_id text[], a_event_type text[],"
    "  a_ts_ns bigint[], a_stored_ns bigint[], a_tool_name text[], a_tool_use_id text[],"
    "  a_agent_id text[], a_agent_type text[], a_prompt_id text[], a_cwd text[],"
    "  a_duration_ms bigint[], a_flags integer[], a_payload text[], a_payload_text text[],"
    "  a_raw bytea[], a_payload_size bigint[], a_host text[], a_uid bigint[], a_pid bigint[],"
    "  a_ppid bigint[], a_claude_pid bigint[], a_project_dir text[],"
    "  a_state text[], a_tool_phase smallint[], a_tool_status text[], a_is_error boolean[],"
    "  a_is_prompt boolean[], a_is_subagent boolean[], a_model text[], a_source text[],"
    "  a_transcript_path text[], a_permission_mode text[], a_end_reason text[])"
    " RETURNS bigint LANGUAGE plpgsql AS $f$"
    " DECLARE n_new bigint;"
    " BEGIN"
    /* Batches of all machines take turns here, so events.id is allocated
     * in commit order.  Taken after the parameters arrived: a slow link
     * never holds it. */
    "  PERFORM pg_advisory_xact_lock(7203551834412345001);"
    /* The wide columns (payloads) go straight from the arrays into the
     * table; what the derived rows need comes back narrow (RETURNING) and
     * is joined with the events' meaning by local id. */
    "  WITH ins AS ("
    "    INSERT INTO chronicle.events (event_uid, machine_id, local_id, session_id, event_type,"
    "      ts_ns, stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd,"
    "      duration_ms, flags, payload, payload_text, raw, payload_size, host, username, uid, pid,"
    "      ppid, claude_pid, project_dir)"
    "    SELECT event_uid, p_machine, local_id, session_id, event_type, ts_ns, stored_ns,"
    "      tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags,"
    "      payload::jsonb, payload_text, raw, payload_size, coalesce(host, p_host), p_user, uid,"
    "      pid, ppid, claude_pid, project_dir"
    "    FROM unnest(a_local_id, a_event_uid, a_session_id, a_event_type, a_ts_ns,"
    "      a_stored_ns, a_tool_name, a_tool_use_id, a_agent_id, a_agent_type, a_prompt_id, a_cwd,"
    "      a_duration_ms, a_flags, a_payload, a_payload_text, a_raw, a_payload_size, a_host, a_uid,"
    "      a_pid, a_ppid, a_claude_pid, a_project_dir)"
    "    AS s(local_id, event_uid, session_id, event_type, ts_ns, stored_ns, tool_name,"
    "      tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload,"
    "      payload_text, raw, payload_size, host, uid, pid, ppid, claude_pid, project_dir)"
    "    ON CONFLICT (event_uid) DO NOTHING"   /* rows go in array order: the local id order */
    "    RETURNING id, local_id, session_id, event_type, ts_ns, tool_use_id, tool_name, agent_id,"
    "      cwd, duration_ms, claude_pid, project_dir"
    "  ), meaning AS ("
    "    SELECT * FROM unnest(a_local_id, a_state, a_tool_phase, a_tool_status, a_is_error,"
    "      a_is_prompt, a_is_subagent, a_model, a_source, a_transcript_path, a_permission_mode,"
    "      a_end_reason)"
    "    AS m(local_id, state, tool_phase, tool_status, is_error, is_prompt, is_subagent, model,"
    "      source, transcript_path, permission_mode, end_reason)"
    "  ), fresh AS ("
    "    SELECT i.*, m.state, m.tool_phase, m.tool_status, m.is_error, m.is_prompt, m.is_subagent,"
    "      m.model, m.source, m.transcript_path, m.permission_mode, m.end_reason"
    "    FROM ins i JOIN meaning m USING (local_id)"
    "  ), agg AS ("
    /* batch_writer.c agg_add(): "latest" is by time, later rows winning
     * ties; the fields taken "when present" are the last one in id order. */
    "    SELECT session_id, min(ts_ns) AS first_ns, max(ts_ns) AS last_ns, max(id) AS last_id,"
    "      (array_agg(cwd ORDER BY ts_ns DESC, local_id DESC))[1] AS cwd,"
    "      (array_agg(permission_mode ORDER BY ts_ns DESC, local_id DESC))[1] AS permission_mode,"
    "      (array_agg(event_type ORDER BY ts_ns DESC, local_id DESC))[1] AS last_type,"
    "      (array_agg(state ORDER BY ts_ns DESC, local_id DESC)"
    "         FILTER (WHERE state IS NOT NULL))[1] AS state,"
    "      (array_agg(model ORDER BY local_id DESC) FILTER (WHERE model IS NOT NULL))[1] AS model,"
    "      (array_agg(source ORDER BY local_id DESC) FILTER (WHERE source IS NOT NULL))[1] AS source,"
    "      (array_agg(transcript_path ORDER BY local_id DESC)"
    "         FILTER (WHERE transcript_path IS NOT NULL))[1] AS transcript_path,"
    "      (array_agg(project_dir ORDER BY local_id DESC)"
    "         FILTER (WHERE project_dir IS NOT NULL))[1] AS project,"
    "      (array_agg(claude_pid ORDER BY local_id DESC) FILTER (WHERE claude_pid > 0))[1] AS claude_pid,"
    "      (array_agg(end_reason ORDER BY local_id DESC)"
    "         FILTER (WHERE end_reason IS NOT NULL))[1] AS end_reason,"
    "      (array_agg(ts_ns ORDER BY local_id DESC) FILTER (WHERE end_reason IS NOT NULL))[1] AS ended_ns,"
    "      count(*) AS events, count(*) FILTER (WHERE tool_phase = 1) AS tools,"
    "      count(*) FILTER (WHERE is_error) AS errors, count(*) FILTER (WHERE is_prompt) AS prompts,"
    "      count(*) FILTER (WHERE is_subagent) AS subagents"
    "    FROM fresh WHERE session_id <> '' GROUP BY session_id"
    "  ), sess AS ("
    /* batch_writer.c ST_SESSION, with machine_id in the key. */
    "    INSERT INTO chronicle.sessions AS t (machine_id, session_id, host, username,"
    "      first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode,"
    "      transcript_path, end_reason, ended_ns, last_event_type, last_event_id, state,"
    "      claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count)"
    "    SELECT p_machine, session_id, p_host, p_user, first_ns, last_ns, cwd,"
    "      coalesce(project, cwd), model, source, permission_mode, transcript_path, end_reason,"
    "      ended_ns, last_type, last_id, coalesce(state, 'working'), claude_pid, events, tools,"
    "      errors, prompts, subagents FROM agg"
    "    ON CONFLICT (machine_id, session_id) DO UPDATE SET"
    "      host = excluded.host, username = excluded.username,"
    "      first_seen_ns = least(t.first_seen_ns, excluded.first_seen_ns),"
    "      last_seen_ns = greatest(t.last_seen_ns, excluded.last_seen_ns),"
    "      cwd = CASE WHEN excluded.last_seen_ns >= t.last_seen_ns"
    "        THEN coalesce(excluded.cwd, t.cwd) ELSE coalesce(t.cwd, excluded.cwd) END,"
    "      project = coalesce(t.project, excluded.project),"
    "      model = coalesce(excluded.model, t.model),"
    "      source = coalesce(excluded.source, t.source),"
    "      permission_mode = CASE WHEN excluded.last_seen_ns >= t.last_seen_ns"
    "        THEN coalesce(excluded.permission_mode, t.permission_mode)"
    "        ELSE coalesce(t.permission_mode, excluded.permission_mode) END,"
    "      transcript_path = coalesce(excluded.transcript_path, t.transcript_path),"
    "      end_reason = coalesce(excluded.end_reason, t.end_reason),"
    /* (locally an update leaves 0 for "not ended"; here it stays NULL) */
    "      ended_ns = nullif(greatest(coalesce(t.ended_ns, 0), coalesce(excluded.ended_ns, 0)), 0),"
    "      last_event_type = CASE WHEN excluded.last_seen_ns >= t.last_seen_ns"
    "        THEN excluded.last_event_type ELSE t.last_event_type END,"
    "      state = CASE WHEN excluded.last_seen_ns >= t.last_seen_ns AND"
    "        (SELECT a.state FROM agg a WHERE a.session_id = excluded.session_id) IS NOT NULL"
    "        THEN excluded.state ELSE t.state END,"
    "      last_event_id = greatest(t.last_event_id, excluded.last_event_id),"
    "      claude_pid = coalesce(excluded.claude_pid, t.claude_pid),"
    "      event_count = t.event_count + excluded.event_count,"
    "      tool_call_count = t.tool_call_count + excluded.tool_call_count,"
    "      error_count = t.error_count + excluded.error_count,"
    "      prompt_count = t.prompt_count + excluded.prompt_count,"
    "      subagent_count = t.subagent_count + excluded.subagent_count"
    "    RETURNING 1"
    "  ), tcm AS ("
    /* Pre and Post of a call in one batch merged into one row: an upsert
     * may touch a row once per statement.  The last of each kind wins, as
     * when batch_writer.c applies them one after the other. */
    "    SELECT tool_use_id,"
    "      (array_agg(session_id ORDER BY local_id))[1] AS session_id,"
    "      (array_agg(agent_id ORDER BY local_id))[1] AS agent_id,"
    "      (array_agg(tool_name ORDER BY local_id) FILTER (WHERE tool_name IS NOT NULL))[1] AS tool_name,"
    "      (array_agg(id ORDER BY local_id DESC) FILTER (WHERE tool_phase = 1))[1] AS pre_id,"
    "      (array_agg(ts_ns ORDER BY local_id DESC) FILTER (WHERE tool_phase = 1))[1] AS started_ns,"
    "      (array_agg(id ORDER BY local_id DESC) FILTER (WHERE tool_phase = 2))[1] AS post_id,"
    "      (array_agg(ts_ns ORDER BY local_id DESC) FILTER (WHERE tool_phase = 2))[1] AS ended_ns,"
    "      (array_agg(duration_ms ORDER BY local_id DESC) FILTER (WHERE tool_phase = 2))[1] AS post_ms,"
    "      (array_agg(tool_status ORDER BY local_id DESC) FILTER (WHERE tool_phase = 2))[1] AS status"
    "    FROM fresh WHERE tool_use_id IS NOT NULL AND tool_phase > 0 GROUP BY tool_use_id"
    "  ), tc AS ("
    "    INSERT INTO chronicle.tool_calls AS t (machine_id, tool_use_id, session_id, agent_id,"
    "      tool_name, pre_event_id, post_event_id, started_ns, ended_ns, duration_ms, status)"
    "    SELECT p_machine, tool_use_id, session_id, agent_id, tool_name, pre_id, post_id,"
    "      started_ns, ended_ns,"
    "      CASE WHEN post_id IS NOT NULL THEN coalesce(post_ms, (ended_ns - started_ns) / 1000000) END,"
    "      coalesce(status, 'running') FROM tcm"
    "    ON CONFLICT (machine_id, tool_use_id) DO UPDATE SET"
    "      pre_event_id = coalesce(excluded.pre_event_id, t.pre_event_id),"
    "      started_ns = coalesce(excluded.started_ns, t.started_ns),"
    "      post_event_id = coalesce(excluded.post_event_id, t.post_event_id),"
    "      ended_ns = coalesce(excluded.ended_ns, t.ended_ns),"
    "      status = CASE WHEN excluded.post_event_id IS NOT NULL THEN excluded.status ELSE t.status END,"
    "      tool_name = coalesce(t.tool_name, excluded.tool_name),"
    "      duration_ms = CASE WHEN excluded.post_event_id IS NOT NULL"
    "        THEN coalesce(excluded.duration_ms,"
    "                      (excluded.ended_ns - coalesce(excluded.started_ns, t.started_ns)) / 1000000)"
    "        ELSE coalesce(t.duration_ms, (t.ended_ns - excluded.started_ns) / 1000000) END"
    "    RETURNING t.tool_use_id, t.tool_name, t.duration_ms"
    "  ), tst AS ("
    /* One finished call per Post event, at the duration as stored. */
    "    INSERT INTO chronicle.tool_stats AS x (machine_id, bucket, tool_name, le, count, errors)"
    "    SELECT p_machine, n.ts_ns / 600000000000, tc.tool_name,"
    "      CASE WHEN tc.duration_ms IS NULL OR tc.duration_ms < 0 THEN -1"
    "        ELSE (SELECT count(*) FROM unnest('{" TOOL_HIST_BOUNDS "}'::bigint[]) b"
    "              WHERE b < tc.duration_ms) END,"
    "      count(*), count(*) FILTER (WHERE n.tool_status = 'error')"
    "    FROM fresh n JOIN tc USING (tool_use_id)"
    "    WHERE n.tool_phase = 2 AND tc.tool_name IS NOT NULL GROUP BY 2, 3, 4"
    "    ON CONFLICT (machine_id, bucket, tool_name, le) DO UPDATE SET"
    "      count = x.count + excluded.count, errors = x.errors + excluded.errors"
    "    RETURNING 1"
    "  ), ec AS ("
    "    INSERT INTO chronicle.event_counts AS x (machine_id, bucket, event_type, count)"
    "    SELECT p_machine, ts_ns / 10000000000, event_type, count(*) FROM fresh GROUP BY 2, 3"
    "    ON CONFLICT (machine_id, bucket, event_type) DO UPDATE SET count = x.count + excluded.count"
    "    RETURNING 1"
    "  ), ec10 AS ("
    "    INSERT INTO chronicle.event_counts_10m AS x (machine_id, bucket, event_type, count)"
    "    SELECT p_machine, ts_ns / 600000000000, event_type, count(*) FROM fresh GROUP BY 2, 3"
    "    ON CONFLICT (machine_id, bucket, event_type) DO UPDATE SET count = x.count + excluded.count"
    "    RETURNING 1"
    "  ), cur AS ("
    "    INSERT INTO chronicle.ship_cursors AS k (machine_id, last_local_id, last_event_uid,"
    "      events_shipped, hostname, username, updated_at)"
    "    SELECT p_machine, p_last_id, p_last_uid, (SELECT count(*) FROM ins), p_host, p_user, now()"
    "    ON CONFLICT (machine_id) DO UPDATE SET last_local_id = excluded.last_local_id,"
    "      last_event_uid = excluded.last_event_uid,"
    "      events_shipped = k.events_shipped + excluded.events_shipped,"
    "      hostname = excluded.hostname, username = excluded.username,"
    "      updated_at = excluded.updated_at"
    "    RETURNING 1"
    "  )"
    "  SELECT count(*) INTO n_new FROM ins;"
    "  RETURN n_new;"
    " END $f$;"
    "REVOKE ALL ON FUNCTION chronicle.ship_events FROM PUBLIC;",
    /* 2: the team server's reads (server/team_*.c): a session's events
     * across machines newest first (/api/events?session_id=), one machine's
     * events (?machine=).  Indexes only: every shipper writes on. */
    "CREATE INDEX IF NOT EXISTS events_session_global ON chronicle.events (session_id, id);"
    "CREATE INDEX IF NOT EXISTS events_machine_id ON chronicle.events (machine_id, id);",
    /* 3: the session state the collector keeps (local schema migration 4,
     * collector/session_state.c), shipped from the local sessions table by
     * session_sync.c (ship_events leaves these columns alone).  Old
     * shippers still write: compat stays 1.  The per-machine role's UPDATE
     * grant and row-level policy are per table, so they cover these. */
    "ALTER TABLE chronicle.sessions ADD COLUMN IF NOT EXISTS awaiting_reason text;"
    "ALTER TABLE chronicle.sessions ADD COLUMN IF NOT EXISTS state_since_ns bigint;"
    "ALTER TABLE chronicle.sessions ADD COLUMN IF NOT EXISTS state_detail text;" /* JSON object text */
    "ALTER TABLE chronicle.sessions ADD COLUMN IF NOT EXISTS title text;"
    "ALTER TABLE chronicle.sessions ADD COLUMN IF NOT EXISTS title_source text;"
    "CREATE INDEX IF NOT EXISTS sessions_state ON chronicle.sessions (state, state_since_ns);",
    /* 4: the team server's alerts (server/team_alerter.c): the local
     * tables (local schema 7, docs/ALERTS.md) with the machine of the
     * session; rule keys name the machine too.  version grows with every
     * change, allocated under an advisory lock by each writing transaction
     * (so commit order is version order and a reader tailing version >
     * last misses nothing).  Written only by the team server's role
     * (`chronicle team sql` grants it these two tables); shippers neither
     * read nor write them, and nothing a shipper sends changes: compat 1. */
    "CREATE TABLE IF NOT EXISTS chronicle.alerts ("
    "  id bigserial PRIMARY KEY,"
    "  alert_key text NOT NULL UNIQUE,"
    "  rule text NOT NULL,"
    "  machine_id uuid,"                 /* NULL: a team-wide budget */
    "  session_id text,"
    "  title text,"
    "  project text,"
    "  machine text,"                    /* the host name, as in the payload */
    "  host text,"
    "  username text,"
    "  reason text,"
    "  detail text,"                     /* JSON object text */
    "  since_ns bigint,"
    "  fired_ns bigint NOT NULL,"
    "  resolved_ns bigint,"
    "  acknowledged_ns bigint,"
    "  version bigint NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS alerts_open ON chronicle.alerts (rule, machine_id, session_id)"
    "  WHERE resolved_ns IS NULL;"
    "CREATE INDEX IF NOT EXISTS alerts_version ON chronicle.alerts (version);"
    "CREATE TABLE IF NOT EXISTS chronicle.alert_deliveries ("
    "  id bigserial PRIMARY KEY,"
    "  alert_id bigint NOT NULL REFERENCES chronicle.alerts (id),"
    "  kind text NOT NULL,"
    "  target text NOT NULL,"
    "  target_id text NOT NULL,"
    "  created_ns bigint NOT NULL,"
    "  next_ns bigint NOT NULL,"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  delivered_ns bigint,"
    "  gave_up_ns bigint,"
    "  last_error text,"
    "  UNIQUE (alert_id, kind, target_id)"
    ");"
    "CREATE INDEX IF NOT EXISTS alert_deliveries_due ON chronicle.alert_deliveries (next_ns)"
    "  WHERE delivered_ns IS NULL AND gave_up_ns IS NULL;"
    "CREATE SEQUENCE IF NOT EXISTS chronicle.alert_version;"
    "ALTER TABLE chronicle.alerts ENABLE ROW LEVEL SECURITY;"
    "ALTER TABLE chronicle.alert_deliveries ENABLE ROW LEVEL SECURITY;",
};

static const int compat[] = {1, 1, 1, 1};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int pg_schema_latest(void) { return N_MIGRATIONS; }

static int fail(PGconn *c, PGresult *r, const char *what, char *err, size_t errlen)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
    PQclear(r);
    return -1;
}

static int exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return fail(c, r, what, err, errlen);
    PQclear(r);
    return 0;
}

int pg_schema_version(PGconn *c, int *version, int *compat_out, char *err, size_t errlen)
{
    *version = 0;
    *compat_out = 0;
    PGresult *r = PQexec(c, "SELECT to_regclass('chronicle.schema_version') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, "reading the schema version", err, errlen);
    int exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!exists)
        return 0;
    r = PQexec(c, "SELECT version, compat FROM chronicle.schema_version ORDER BY version DESC LIMIT 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, "reading the schema version", err, errlen);
    if (PQntuples(r) == 1) {
        *version = atoi(PQgetvalue(r, 0, 0));
        *compat_out = atoi(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return 0;
}

/* One migration in its own transaction; run only if still due once the
 * lock is held (another machine may have just applied it). */
static int apply_one(PGconn *c, int v, int *applied, char *err, size_t errlen)
{
    char what[64], bump[160];
    snprintf(what, sizeof what, "migration %d", v + 1);
    snprintf(bump, sizeof bump, "INSERT INTO chronicle.schema_version (version, compat) VALUES (%d, %d)",
             v + 1, compat[v]);
    if (exec_ok(c, "BEGIN", what, err, errlen) != 0)
        return -1;
    int cur, cc;
    /* A migration may take its time (an index on a large table). */
    int rc = exec_ok(c, "SET LOCAL statement_timeout = 0;"
                        "SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")", what, err, errlen);
    if (rc == 0)
        rc = exec_ok(c, "CREATE SCHEMA IF NOT EXISTS chronicle;"
                        "CREATE TABLE IF NOT EXISTS chronicle.schema_version ("
                        "  version integer PRIMARY KEY,"
                        "  compat integer NOT NULL,"
                        "  applied_at timestamptz NOT NULL DEFAULT now(),"
                        "  applied_by name NOT NULL DEFAULT current_user)",
                     what, err, errlen);
    if (rc == 0)
        rc = pg_schema_version(c, &cur, &cc, err, errlen);
    if (rc == 0 && cur == v) {
        rc = exec_ok(c, migrations[v], what, err, errlen);
        if (rc == 0)
            rc = exec_ok(c, bump, what, err, errlen);
        if (rc == 0)
            (*applied)++;
    }
    if (rc == 0)
        return exec_ok(c, "COMMIT", what, err, errlen);
    PGresult *r = PQexec(c, "ROLLBACK");
    PQclear(r);
    return -1;
}

int pg_schema_migrate(PGconn *c, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    for (;;) {
        int v, cc;
        if (pg_schema_version(c, &v, &cc, err, errlen) != 0)
            return -1;
        if (v >= N_MIGRATIONS)
            return 0;
        if (apply_one(c, v, applied, err, errlen) != 0)
            return -1;
    }
}

void pg_schema_machine_role(const char *host, char out[64])
{
    size_t o = (size_t)snprintf(out, 64, "chronicle_ship_");
    for (const char *p = host; *p && o < 63; p++) {
        unsigned char ch = (unsigned char)*p;
        out[o++] = isalnum(ch) ? (char)tolower(ch) : '_';
    }
    out[o] = '\0';
}

/* SQL string literal: single quotes doubled (standard_conforming_strings). */
static int quote(struct buf *b, const char *s)
{
    int rc = buf_append(b, "'", 1);
    for (; *s && rc == 0; s++)
        rc = *s == '\'' ? buf_append(b, "''", 2) : buf_append(b, s, 1);
    return rc | buf_append(b, "'", 1);
}

static int policies(struct buf *b)
{
    int rc = 0;
    for (size_t i = 0; i < N_MACHINE_TABLES; i++) {
        const char *t = machine_tables[i];
        rc |= buf_printf(b,
            "DROP POLICY IF EXISTS shipper_own ON chronicle.%s;\n"
            "CREATE POLICY shipper_own ON chronicle.%s TO chronicle_shipper\n"
            "  USING (machine_id IN (SELECT machine_id FROM chronicle.machines WHERE role_name = current_user))\n"
            "  WITH CHECK (machine_id IN (SELECT machine_id FROM chronicle.machines WHERE role_name = current_user));\n"
            "DROP POLICY IF EXISTS reader_all ON chronicle.%s;\n"
            "CREATE POLICY reader_all ON chronicle.%s FOR SELECT TO chronicle_reader USING (true);\n",
            t, t, t, t);
    }
    rc |= buf_append_str(b,
        "DROP POLICY IF EXISTS shipper_own ON chronicle.machines;\n"
        "CREATE POLICY shipper_own ON chronicle.machines FOR SELECT TO chronicle_shipper\n"
        "  USING (role_name = current_user);\n"
        "DROP POLICY IF EXISTS reader_all ON chronicle.machines;\n"
        "CREATE POLICY reader_all ON chronicle.machines FOR SELECT TO chronicle_reader USING (true);\n");
    return rc;
}

static int create_role_sql(struct buf *b, const char *role, const char *group)
{
    return buf_printf(b,
        "DO $$ BEGIN\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN\n"
        "    CREATE ROLE %s LOGIN;\n"
        "  END IF;\n"
        "END $$;\n"
        "GRANT %s TO %s;\n", role, role, group, role);
}

int pg_schema_roles_sql(struct buf *out, const char *machine_id, const char *host,
                        const char *user)
{
    char role[64];
    pg_schema_machine_role(host, role);
    int rc = buf_append_str(out,
        "-- Chronicle team mode: least-privilege roles (docs/TEAM.md).  Idempotent; run it as a\n"
        "-- role with CREATEROLE that owns the chronicle schema:  psql \"$URL\" -v ON_ERROR_STOP=1 -f FILE\n"
        "--\n"
        "-- chronicle_shipper: every machine's login role is a member; it may insert and update\n"
        "--   only the rows of the machine chronicle.machines registers it for (row-level security).\n"
        "-- chronicle_reader: reads everything, writes nothing; chronicle_team_server is one,\n"
        "--   and may also write the alerts it evaluates (chronicle.alerts, alert_deliveries).\n"
        "DO $$ BEGIN\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chronicle_shipper') THEN\n"
        "    CREATE ROLE chronicle_shipper NOLOGIN;\n"
        "  END IF;\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chronicle_reader') THEN\n"
        "    CREATE ROLE chronicle_reader NOLOGIN;\n"
        "  END IF;\n"
        "END $$;\n"
        "GRANT USAGE ON SCHEMA chronicle TO chronicle_shipper, chronicle_reader;\n"
        "GRANT SELECT ON ALL TABLES IN SCHEMA chronicle TO chronicle_reader;\n"
        "ALTER DEFAULT PRIVILEGES IN SCHEMA chronicle GRANT SELECT ON TABLES TO chronicle_reader;\n"
        "GRANT SELECT ON chronicle.schema_version, chronicle.machines TO chronicle_shipper;\n"
        "GRANT SELECT, INSERT, UPDATE ON chronicle.events, chronicle.sessions, chronicle.tool_calls,\n"
        "  chronicle.tool_stats, chronicle.event_counts, chronicle.event_counts_10m, chronicle.usage,\n"
        "  chronicle.machine_stats, chronicle.ship_cursors TO chronicle_shipper;\n"
        "GRANT EXECUTE ON FUNCTION chronicle.ship_events TO chronicle_shipper;\n");
    rc |= policies(out);
    rc |= buf_printf(out, "\n-- This machine (%s, user %s, machine id %s): a login role that may\n"
                          "-- ship only this machine's rows.  Give it a password afterwards:\n"
                          "--   psql -c '\\password %s'   and put it in the machine's ~/.pgpass\n",
                     host, user, machine_id, role);
    rc |= create_role_sql(out, role, "chronicle_shipper");
    rc |= buf_append_str(out, "INSERT INTO chronicle.machines (machine_id, role_name, hostname, username)\n  VALUES (");
    rc |= quote(out, machine_id);
    rc |= buf_printf(out, ", '%s', ", role);
    rc |= quote(out, host);
    rc |= buf_append_str(out, ", ");
    rc |= quote(out, user);
    rc |= buf_append_str(out, ")\n  ON CONFLICT (machine_id) DO UPDATE SET role_name = excluded.role_name;\n");
    rc |= buf_append_str(out, "\n-- The team server: reads everything; writes only its alerts (team schema 4).\n"
                              "-- Password: psql -c '\\password chronicle_team_server'\n");
    rc |= create_role_sql(out, "chronicle_team_server", "chronicle_reader");
    rc |= buf_append_str(out,
        "GRANT SELECT, INSERT, UPDATE ON chronicle.alerts, chronicle.alert_deliveries TO chronicle_team_server;\n"
        "GRANT USAGE, SELECT ON SEQUENCE chronicle.alerts_id_seq, chronicle.alert_deliveries_id_seq,\n"
        "  chronicle.alert_version TO chronicle_team_server;\n"
        "DROP POLICY IF EXISTS team_server_alerts ON chronicle.alerts;\n"
        "CREATE POLICY team_server_alerts ON chronicle.alerts TO chronicle_team_server USING (true) WITH CHECK (true);\n"
        "DROP POLICY IF EXISTS team_server_alerts ON chronicle.alert_deliveries;\n"
        "CREATE POLICY team_server_alerts ON chronicle.alert_deliveries TO chronicle_team_server\n"
        "  USING (true) WITH CHECK (true);\n"
        "DROP POLICY IF EXISTS reader_all ON chronicle.alerts;\n"
        "CREATE POLICY reader_all ON chronicle.alerts FOR SELECT TO chronicle_reader USING (true);\n"
        "DROP POLICY IF EXISTS reader_all ON chronicle.alert_deliveries;\n"
        "CREATE POLICY reader_all ON chronicle.alert_deliveries FOR SELECT TO chronicle_reader USING (true);\n");
    return rc ? -1 : 0;
}
