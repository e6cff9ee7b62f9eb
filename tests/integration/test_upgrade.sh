#!/usr/bin/env bash
# Upgrading: the current collector started on a database written by the
# first released schema migrates it in place and every row survives.
source "$(dirname "$0")/lib.sh"
# The fixture rows age; keep retention from expiring them in a later year.
export CHRONICLE_RETENTION_DAYS=0
sqlite3 "$DB" <"$ROOT/tests/fixtures/db/schema-v1.sql" || { fail v1_database_loads; exit 1; }
sqlite3 "$DB" "PRAGMA journal_mode=WAL" >/dev/null
digest() { sql "SELECT count(*), sum(length(payload)), sum(length(raw)), group_concat(hex(event_uid), '') FROM (SELECT * FROM events ORDER BY id)" | md5sum; }
before_events=$(digest)
V1_SESSION_COLS="session_id, first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode, transcript_path, end_reason, ended_ns, last_event_type, last_event_id, state, claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count"
before_sessions=$(sql "SELECT $V1_SESSION_COLS FROM sessions ORDER BY session_id" | md5sum)
before_tools=$(sql "SELECT * FROM tool_calls ORDER BY tool_use_id" | md5sum)
expect_eq starts_at_v1 "$(sql 'PRAGMA user_version')" 1
# A server started first waits for the migration instead of failing on
# columns the old schema lacks.
start_server || { fail server_starts_on_v1; exit 1; }
expect_eq server_waits_for_migration "$(http_status /api/sessions)" 503
start_collector || { fail collector_starts_on_v1; exit 1; }
pass collector_starts_on_v1
latest=$("$COLLECTOR" --version | sed -n 's/.*schema \([0-9]*\).*/\1/p')
expect_eq migrated_to_latest "$(sql 'PRAGMA user_version')" "$latest"
expect_eq events_survive "$(digest)" "$before_events"
expect_eq sessions_survive "$(sql "SELECT $V1_SESSION_COLS FROM sessions ORDER BY session_id" | md5sum)" "$before_sessions"
# Migration 4's backfill: the state began at the last event, the first
# prompt is the title.
expect_eq state_since_backfilled "$(sql "SELECT count(*) FROM sessions WHERE state_since_ns IS NOT last_seen_ns AND state <> 'ended'")" 0
opened() { [ "$(http_status /api/sessions)" = 200 ]; }
wait_for 5 opened && pass server_opens_after_migration \
    || fail server_opens_after_migration "$(http_status /api/sessions)"
expect_eq title_backfilled "$(sql "SELECT title_source FROM sessions WHERE title IS NOT NULL LIMIT 1")" prompt
expect_eq tool_calls_survive "$(sql "SELECT * FROM tool_calls ORDER BY tool_use_id" | md5sum)" "$before_tools"
send "$FIXTURES/Stop.json"
expect_eq new_events_after_upgrade "$(sql 'SELECT count(*) FROM events')" 25
stop_server
stop_collector && pass clean_exit || fail clean_exit
