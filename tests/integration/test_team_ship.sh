#!/usr/bin/env bash
# Team mode, one machine, against a real PostgreSQL started here:
# `chronicle team init` creates the schema; chronicle-ship ships every hook
# fixture and PostgreSQL's derived tables (sessions, tool calls, tool_stats,
# event counts) equal the collector's own, in large batches and one event
# per batch; payloads jsonb refuses arrive as text; usage ships with the
# local dedup rule; a full resend changes nothing; a replaced local database
# is noticed; status and /metrics report; a password in ship_to is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_ship; exit 0; }
ADMIN=$BIN/chronicle
export CHRONICLE_SHIP_TO="$PG_URL"

# ---- the schema ----------------------------------------------------------
"$ADMIN" team init "$PG_URL" >"$CHRONICLE_HOME/roles.sql" 2>"$CHRONICLE_HOME/init.err" \
    && pass team_init || fail team_init "$(cat "$CHRONICLE_HOME/init.err")"
expect_eq schema_version "$(pg_sql "SELECT max(version) FROM chronicle.schema_version")" 4
grep -q "created at version 4" "$CHRONICLE_HOME/init.err" && pass init_says_created || fail init_says_created
grep -q "CREATE ROLE chronicle_shipper" "$CHRONICLE_HOME/roles.sql" && pass init_prints_roles || fail init_prints_roles
"$ADMIN" team init "$PG_URL" >/dev/null 2>"$CHRONICLE_HOME/init2.err"
grep -q "nothing to do" "$CHRONICLE_HOME/init2.err" && pass init_idempotent || fail init_idempotent "$(cat "$CHRONICLE_HOME/init2.err")"
expect_eq rls_enabled "$(pg_sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chronicle' AND c.relkind = 'r' AND NOT c.relrowsecurity AND c.relname <> 'schema_version'")" 0

# ---- every fixture, twice, with some payloads jsonb refuses ---------------
start_collector || { fail collector_starts; exit 1; }
for f in "$FIXTURES"/*.json; do send "$f"; done
for f in "$FIXTURES"/*.json; do send "$f"; done
printf '{"session_id":"odd","hook_event_name":"Notification","notification_type":"idle_prompt","message":"nul \\u0000 here"}' | "$SEND"
printf '{"session_id":"odd","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"big1","n":1180591620717411303424}' | "$SEND"
printf '{"session_id":"odd","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"big1","x":1e999999}' | "$SEND"
printf '{"session_id":"odd","hook_event_name":"Stop","bad":"\\ud800"}' | "$SEND"
printf 'not json at all' | "$SEND" Stop
n_local=$(sql "SELECT count(*) FROM events")
"$SHIP" --once 2>"$CHRONICLE_HOME/ship1.log" && pass ship_once || fail ship_once "$(tail -n 3 "$CHRONICLE_HOME/ship1.log")"
expect_eq all_shipped "$(pg_sql "SELECT count(*) FROM chronicle.events")" "$n_local"
compare_derived big_batches
expect_eq payload_jsonb_queryable "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE payload->>'hook_event_name' = 'PreToolUse'")" \
    "$(sql "SELECT count(*) FROM events WHERE json_extract(payload, '$.hook_event_name') = 'PreToolUse'")"
expect_eq big_integer_exact "$(pg_sql "SELECT payload->>'n' FROM chronicle.events WHERE tool_use_id = 'big1' AND event_type = 'PreToolUse'")" 1180591620717411303424
expect_eq refused_as_text "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE payload IS NULL AND payload_text IS NOT NULL")" 3
expect_eq nul_text_exact "$(pg_sql "SELECT payload_text FROM chronicle.events WHERE payload_text LIKE '%nul%'")" \
    "$(sql "SELECT payload FROM events WHERE payload LIKE '%nul%'")"
expect_eq invalid_as_raw "$(pg_sql "SELECT convert_from(raw, 'UTF8') FROM chronicle.events WHERE raw IS NOT NULL")" "not json at all"
expect_eq text_counted "$(grep -o '^payload_text_total=.*' "$CHRONICLE_HOME/ship.state")" "payload_text_total=3"
expect_eq cursor_file "$(sed -n 's/^last_id=//p' "$CHRONICLE_HOME/ship.cursor")" "$(sql "SELECT max(id) FROM events")"
expect_eq pg_cursor "$(pg_sql "SELECT last_local_id FROM chronicle.ship_cursors")" "$(sql "SELECT max(id) FROM events")"
expect_eq session_has_host "$(pg_sql "SELECT count(*) FROM chronicle.sessions WHERE host = '$(hostname)' AND username = '$(id -un)'")" \
    "$(sql "SELECT count(*) FROM sessions")"

# ---- one event per batch: the same derived rows ---------------------------
pg_sql "TRUNCATE chronicle.events, chronicle.sessions, chronicle.tool_calls, chronicle.tool_stats, chronicle.event_counts, chronicle.event_counts_10m, chronicle.ship_cursors"
"$SHIP" --once --batch 1 2>>"$CHRONICLE_HOME/ship1.log" && pass ship_batch_1 || fail ship_batch_1
compare_derived one_per_batch

# ---- resending everything changes nothing ---------------------------------
# PostgreSQL without this machine's cursor (as after a restore) gets every
# local event again: skipped by their ids, derived rows untouched.
before=$(pg_sql "SELECT sum(event_count) || '/' || sum(tool_call_count) FROM chronicle.sessions")
pg_sql "DELETE FROM chronicle.ship_cursors"
"$SHIP" --once 2>"$CHRONICLE_HOME/ship2.log" && pass resend_runs || fail resend_runs
grep -q "no cursor for this machine" "$CHRONICLE_HOME/ship2.log" && pass resend_logged || fail resend_logged
expect_eq resend_no_duplicates "$(pg_sql "SELECT count(*) FROM chronicle.events")" "$n_local"
expect_eq resend_counts_unchanged "$(pg_sql "SELECT sum(event_count) || '/' || sum(tool_call_count) FROM chronicle.sessions")" "$before"
expect_eq resend_duplicates_seen "$(sed -n 's/^duplicates_total=//p' "$CHRONICLE_HOME/ship.state")" "$n_local"
compare_derived after_resend

# ---- token usage, with the local dedup rule -------------------------------
T=$CHRONICLE_HOME/transcripts
mkdir -p "$T"
cp "$ROOT"/tests/fixtures/transcripts/*.jsonl "$T/"
printf '{"session_id":"sess-a","hook_event_name":"Stop","transcript_path":"%s"}' "$T/session-a.jsonl" | "$SEND"
printf '{"session_id":"sess-b","hook_event_name":"SessionStart","transcript_path":"%s"}' "$T/session-b.jsonl" | "$SEND"
wait_sql 10 "SELECT count(*) FROM usage WHERE session_id = 'sess-b'" 1 || fail usage_read_locally
"$SHIP" --once 2>>"$CHRONICLE_HOME/ship2.log"
usage_q="SELECT message_id, request_id, session_id, agent_id, prompt_id, model, ts_ns, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens FROM %s ORDER BY 1, 2"
# shellcheck disable=SC2059
_same usage_shipped "$(printf "$usage_q" usage)" "$(printf "$usage_q" chronicle.usage)"
cat "$ROOT/tests/fixtures/transcripts/session-a.tail" >>"$T/session-a.jsonl"
printf '{"session_id":"sess-a","hook_event_name":"Stop","transcript_path":"%s"}' "$T/session-a.jsonl" | "$SEND"
wait_sql 10 "SELECT count(*) FROM usage WHERE message_id = 'msg_A4'" 1 || fail usage_appended_locally
"$SHIP" --once 2>>"$CHRONICLE_HOME/ship2.log"
# shellcheck disable=SC2059
_same usage_grows "$(printf "$usage_q" usage)" "$(printf "$usage_q" chronicle.usage)"
expect_eq usage_all_mine "$(pg_sql "SELECT count(DISTINCT machine_id) FROM chronicle.usage")" 1
expect_eq counters_shipped "$(pg_sql "SELECT count(*) > 0 FROM chronicle.machine_stats WHERE name = 'events_committed_total'")" t

# ---- the daemon: follows new events, reports in status and /metrics -------
ship_start
printf '{"session_id":"live","hook_event_name":"UserPromptSubmit","prompt":"hi"}' | "$SEND"
wait_pg 10 "SELECT count(*) FROM chronicle.events WHERE session_id = 'live'" 1 && pass daemon_follows || fail daemon_follows
wait_for 5 grep -q '^phase=idle' "$CHRONICLE_HOME/ship.state"
"$ADMIN" status >"$CHRONICLE_HOME/status.txt" 2>&1
grep -q "^shipping   idle  to .*dbname=postgres" "$CHRONICLE_HOME/status.txt" && pass status_shows_target || fail status_shows_target "$(grep -A3 ^shipping "$CHRONICLE_HOME/status.txt")"
grep -q "lag 0 event(s)" "$CHRONICLE_HOME/status.txt" && pass status_shows_lag || fail status_shows_lag
start_server || { fail server_starts; exit 1; }
metrics=$(http /metrics)
echo "$metrics" | grep -q '^chronicle_ship_up 1' && pass metrics_ship_up || fail metrics_ship_up
echo "$metrics" | grep -q '^chronicle_ship_lag_events 0' && pass metrics_ship_lag || fail metrics_ship_lag
if command -v promtool >/dev/null; then
    echo "$metrics" | sed '$d' | promtool check metrics >/dev/null 2>&1 && pass metrics_promtool || fail metrics_promtool
fi
ship_stop && pass daemon_clean_exit || fail daemon_clean_exit
grep -q '^phase=stopped' "$CHRONICLE_HOME/ship.state" && pass state_stopped || fail state_stopped

# ---- a replaced local database is noticed --------------------------------
stop_collector
mv "$DB" "$CHRONICLE_HOME/old.db"
rm -f "$DB-wal" "$DB-shm"
start_collector || { fail collector_restarts; exit 1; }
printf '{"session_id":"fresh","hook_event_name":"SessionStart","source":"startup"}' | "$SEND"
"$SHIP" --once 2>"$CHRONICLE_HOME/ship3.log"
grep -q "shipping every local event again" "$CHRONICLE_HOME/ship3.log" && pass new_db_noticed || fail new_db_noticed "$(cat "$CHRONICLE_HOME/ship3.log")"
expect_eq new_db_shipped "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE session_id = 'fresh'")" 1

# ---- under valgrind: a resend of everything, usage and counters ------------
if ! nm "$SHIP" 2>/dev/null | grep -q __asan_init && command -v valgrind >/dev/null; then
    pg_sql "DELETE FROM chronicle.ship_cursors"
    rm -f "$CHRONICLE_HOME/ship.cursor"
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$SHIP" --once 2>"$CHRONICLE_HOME/vg-ship.log"
    rc=$?
    if [ $rc -eq 0 ]; then pass ship_valgrind_clean; else
        fail ship_valgrind_clean "exit $rc"; tail -30 "$CHRONICLE_HOME/vg-ship.log" >&2; fi
fi

# ---- configuration ---------------------------------------------------------
CHRONICLE_SHIP_TO="postgresql://bob:s3cret@db.example/team" "$SHIP" --once 2>"$CHRONICLE_HOME/pw.log"
expect_eq password_refused "$?" 78
grep -q "pgpass" "$CHRONICLE_HOME/pw.log" && pass password_refused_says_why || fail password_refused_says_why
grep -q "s3cret" "$CHRONICLE_HOME/pw.log" && fail password_not_logged || pass password_not_logged
CHRONICLE_SHIP_TO="postgresql://bob:s3cret@db.example/team" "$SHIP" --print-config | grep -q 's3cret' \
    && fail print_config_masked || pass print_config_masked
CHRONICLE_SHIP_TO= "$SHIP" --once 2>/dev/null
expect_eq unset_is_config_error "$?" 78
stop_collector && pass collector_clean_exit || fail collector_clean_exit
