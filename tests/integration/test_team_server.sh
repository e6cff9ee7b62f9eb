#!/usr/bin/env bash
# The team server: chronicle-server --database on a throwaway PostgreSQL
# that two machines (two CHRONICLE_HOMEs, two collectors, two chronicle-ships)
# ship into.  REST answers for both machines and the machine/host/user
# filters, the per-person cost view, the live feed across a team-server
# restart (no gap, no double), PostgreSQL stopped (503, /health degraded)
# and started again (recovery), the token and Host rules, alerts served, 501 for what the
# team server does not serve yet, and --database validation.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_server; exit 0; }
MF=$BIN/tools/make_frame
RAWSOCK=$BIN/tools/rawsock
url_as() { echo "postgresql:///postgres?host=$PG_SOCK&port=$PG_PORT&user=$1"; }

# --database validation (before anything listens).
out=$(timeout 10 "$SERVER" --port 0 --database /tmp/x.db 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"expected a postgresql:// URI"* ]] && pass database_path_refused \
    || fail database_path_refused "rc=$rc $out"
out=$(timeout 10 "$SERVER" --port 0 --database "postgresql://u:secret@localhost/db" 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"holds a password"* ]] && [[ "$out" != *secret* ]] && pass database_password_refused \
    || fail database_password_refused "rc=$rc $out"
out=$(CHRONICLE_DATABASE="host=x nosuchoption=1" timeout 10 "$SERVER" --port 0 2>&1); rc=$?
[ "$rc" = 2 ] && pass database_bad_conninfo_refused || fail database_bad_conninfo_refused "rc=$rc $out"

"$BIN/chronicle" team init "$PG_URL" >"$CHRONICLE_HOME/roles.sql" 2>/dev/null || fail team_init
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$CHRONICLE_HOME/roles.sql" >/dev/null 2>&1 \
    && pass role_sql_runs || fail role_sql_runs
export CHRONICLE_SHIP_TO="$PG_URL"

HOME_A=$CHRONICLE_HOME
HOME_B=$(mktemp -d /tmp/chr.XXXXXX)
HOME_T=$(mktemp -d /tmp/chr.XXXXXX)
B_COLLECTOR=
trap 'pg_cleanup; kill -KILL $B_COLLECTOR 2>/dev/null; rm -rf "$HOME_B" "$HOME_T"; cleanup' EXIT
start_collector || { fail collector_a_starts; exit 1; }
CHRONICLE_HOME=$HOME_B "$COLLECTOR" 2>>"$HOME_B/collector.log" &
B_COLLECTOR=$!
_bg_pids+=("$B_COLLECTOR")
wait_for 10 test -S "$HOME_B/collector.sock" || { fail collector_b_starts; exit 1; }
ship_start
CHRONICLE_HOME=$HOME_B ship_start
ts=$(date +%s%N)
flood() { # HOME SESSION N OFFSET
    "$MF" "$((ts + $4 * 1000000))" "$3" "$2" | "$RAWSOCK" "$1/collector.sock" --expect "$3" | grep -c '^ok' >/dev/null
}
flood "$HOME_A" sess-a 300 1
flood "$HOME_B" sess-b 200 2
flood "$HOME_B" shared 60 3
flood "$HOME_A" shared 40 4
# Token usage on machine A (the cost view).
T=$HOME_A/transcripts
mkdir -p "$T"
cp "$ROOT"/tests/fixtures/transcripts/*.jsonl "$T/"
printf '{"session_id":"sess-a","hook_event_name":"Stop","transcript_path":"%s"}' "$T/session-a.jsonl" | "$SEND"
TOTAL=601
wait_pg 60 "SELECT count(*) FROM chronicle.events" "$TOTAL" && pass shipped \
    || fail shipped "$(pg_sql "SELECT count(*) FROM chronicle.events") of $TOTAL"
wait_pg 30 "SELECT count(*) > 0 FROM chronicle.usage" t || fail usage_shipped
A=$(cat "$HOME_A/machine-id")
B=$(cat "$HOME_B/machine-id")

# The team server, as the read-only role, with its own home (its token).
export CHRONICLE_HOME=$HOME_T
start_server --database "$(url_as chronicle_team_server)" || { fail team_server_starts; exit 1; }
wait_for 10 sh -c "curl -s http://127.0.0.1:$SERVER_PORT/health | grep -q '\"status\": *\"ok\"'" \
    && pass health_ok || fail health_ok "$(curl -s "http://127.0.0.1:$SERVER_PORT/health")"
h=$(http_body /health)
expect_eq health_mode "$(echo "$h" | jq -r .mode)" team
expect_eq health_machines "$(echo "$h" | jq '.machines | length')" 2
expect_eq health_last_id "$(echo "$h" | jq -r .database.last_event_id)" "$(pg_sql "SELECT max(id) FROM chronicle.events")"

# ---- REST for both machines, filters --------------------------------------
s=$(http_body "/api/sessions?limit=1000")
expect_eq sessions_both_machines "$(echo "$s" | jq '[.sessions[].machine_id] | unique | length')" 2
expect_eq sessions_count "$(echo "$s" | jq .count)" 4
expect_eq sessions_shape_has_status "$(echo "$s" | jq -r '[.sessions[] | has("status") and has("counts") and has("host") and has("user")] | all')" true
expect_eq sessions_state_counts_sum "$(echo "$s" | jq '[.state_counts.working, .state_counts.idle, .state_counts.awaiting_input, .state_counts.failed, .state_counts.ended] | add')" 4
expect_eq sessions_state_fields "$(echo "$s" | jq -r '[.sessions[] | has("state_since_ms") and has("awaiting_reason") and has("title")] | all')" true
expect_eq sessions_bad_state_400 "$(http_status "/api/sessions?state=sleeping")" 400
expect_eq sessions_state_filter "$(http_body "/api/sessions?state=working,idle,awaiting_input,failed,ended&machine=$A" | jq .count)" 2
expect_eq sessions_machine_a "$(http_body "/api/sessions?machine=$A" | jq -r '[.sessions[].session_id] | sort | join(",")')" "sess-a,shared"
expect_eq sessions_machine_b "$(http_body "/api/sessions?machine=$B" | jq -r '[.sessions[].session_id] | sort | join(",")')" "sess-b,shared"
expect_eq sessions_machine_both "$(http_body "/api/sessions?machine=$A,$B" | jq .count)" 4
HOST=$(hostname)
USER_NAME=$(pg_sql "SELECT username FROM chronicle.sessions LIMIT 1")
expect_eq sessions_host "$(http_body "/api/sessions?host=$HOST" | jq .count)" 4
expect_eq sessions_host_none "$(http_body "/api/sessions?host=no-such-host" | jq .count)" 0
expect_eq sessions_user "$(http_body "/api/sessions?user=$USER_NAME" | jq .count)" 4
expect_eq sessions_user_none "$(http_body "/api/sessions?user=nobody-here" | jq .count)" 0
expect_eq machine_bad_400 "$(http_status "/api/sessions?machine=not-a-uuid")" 400
expect_eq unknown_param_400 "$(http_status "/api/sessions?colour=red")" 400
expect_eq shared_events_a "$(http_body "/api/sessions/shared?machine=$A" | jq .counts.events)" 40
expect_eq shared_events_b "$(http_body "/api/sessions/shared?machine=$B" | jq .counts.events)" 60
expect_eq session_detail_parts "$(http_body "/api/sessions/sess-a" | jq -r '[has("tools"), has("errors"), has("subagents"), has("usage")] | all')" true
expect_eq session_missing_404 "$(http_status /api/sessions/no-such-session)" 404
expect_eq session_usage_list "$(http_body "/api/sessions?usage=1&machine=$A" | jq -r '[.sessions[] | has("usage")] | all')" true

e=$(http_body "/api/events?limit=1000")
expect_eq events_all "$(echo "$e" | jq .count)" "$TOTAL"
expect_eq events_desc "$(echo "$e" | jq '[.events[].id] == ([.events[].id] | sort | reverse)')" true
expect_eq events_machine_a "$(http_body "/api/events?limit=1000&machine=$A" | jq .count)" 341
expect_eq events_machine_b "$(http_body "/api/events?limit=1000&machine=$B" | jq .count)" 260
expect_eq events_shared_both "$(http_body "/api/events?limit=1000&session_id=shared" | jq .count)" 100
expect_eq events_shared_b "$(http_body "/api/sessions/shared/events?limit=1000&machine=$B" | jq .count)" 60
expect_eq events_user "$(http_body "/api/events?limit=1000&user=$USER_NAME" | jq .count)" "$TOTAL"
# Cursor paging: pages of 100 walk every event once.
ids=() before=
while :; do
    p=$(http_body "/api/events?limit=100&machine=$A${before:+&before=$before}")
    ids+=($(echo "$p" | jq -r '.events[].id'))
    before=$(echo "$p" | jq -r .next_before)
    [ "$before" = null ] && break
done
expect_eq paging_every_event_once "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)/${#ids[@]}" "341/341"
first=$(echo "$e" | jq '.events[-1].id')
expect_eq paging_after_asc "$(http_body "/api/events?after=$first&limit=5" | jq -r '.order + " " + ([.events[].id] | map(tostring) | join(","))')" \
    "asc $((first + 1)),$((first + 2)),$((first + 3)),$((first + 4)),$((first + 5))"
one=$(http_body "/api/events/$first")
expect_eq event_by_id "$(echo "$one" | jq -r '[.id, .machine_id != null, (.local_id | type), (.payload | type)] | map(tostring) | join(" ")')" "$first true number object"
expect_eq event_missing_404 "$(http_status /api/events/999999999)" 404
# The same keys, in the same order, as the local server's event (plus the team's).
local_keys=$(CHRONICLE_HOME=$HOME_A sqlite3 "$HOME_A/chronicle.db" "SELECT 1" >/dev/null; \
    echo "id uid session_id type ts ts_ms stored stored_ms tool_name tool_use_id agent_id agent_type prompt_id cwd duration_ms flags payload_size")
expect_eq event_keys_local_order "$(echo "$e" | jq -r '.events[0] | keys_unsorted | .[0:17] | join(" ")')" "$local_keys"
uid_pg=$(pg_sql "SELECT replace(event_uid::text, '-', '') FROM chronicle.events WHERE id = $first")
expect_eq event_uid_hex "$(echo "$one" | jq -r .uid)" "$uid_pg"

# ---- cost per person and project ------------------------------------------
u=$(http_body "/api/usage?since=2000-01-01T00:00:00Z")
expect_eq usage_by_user "$(echo "$u" | jq -r '.by_user | length > 0')" true
expect_eq usage_by_machine_a "$(echo "$u" | jq -r --arg a "$A" '[.by_machine[].machine_id] == [$a]')" true
expect_eq usage_by_user_project "$(echo "$u" | jq -r '[.by_user_project[] | has("user") and has("project")] | all')" true
expect_eq usage_totals_match "$(echo "$u" | jq '.totals.output_tokens')" \
    "$(pg_sql "SELECT sum(output_tokens) FROM chronicle.usage")"
c=$(http_body /api/cost)
expect_eq cost_keys "$(echo "$c" | jq -r 'keys_unsorted | join(" ")')" "today last_7d last_30d by_project by_model by_user by_machine budget"
expect_eq cost_by_machine_a "$(echo "$c" | jq -r --arg a "$A" '[.by_machine[].machine_id] == [$a]')" true
expect_eq cost_30d_equals_usage "$(echo "$c" | jq '.last_30d.cost_usd * 1000000 | round')" \
    "$(http_body /api/usage | jq '.totals.cost_usd * 1000000 | round')"
expect_eq cost_machine_b_zero "$(http_body "/api/cost?machine=$B" | jq '.last_30d.cost_usd')" 0
expect_eq usage_machine_b_none "$(http_body "/api/usage?since=2000-01-01T00:00:00Z&machine=$B" | jq '.totals.output_tokens')" 0

# ---- what the team server does not serve, and the security rules -----------
# ---- statistics over every machine, or some -----------------------------------
st=$(http_body "/api/stats?window=1h")
expect_eq stats_events "$(echo "$st" | jq .totals.events)" "$(pg_sql "SELECT sum(count) FROM chronicle.event_counts_10m WHERE bucket >= ($(date +%s%N) - 3600000000000) / 600000000000")"
expect_eq stats_keys "$(echo "$st" | jq -r 'keys_unsorted | join(" ")')" "window_s since totals event_types tools timeline"
expect_eq stats_sessions "$(echo "$st" | jq .totals.sessions)" 4
expect_eq stats_machine_b "$(http_body "/api/stats?window=1h&machine=$B" | jq .totals.events)" 260
st10=$(http_body "/api/stats?window=10m")
expect_eq stats_exact_tools "$(echo "$st10" | jq .totals.tool_calls)" "$(pg_sql "SELECT count(*) FROM chronicle.tool_calls WHERE ended_ns >= $(date +%s%N) - 600000000000")"
expect_eq stats_bad_bucket "$(http_status "/api/stats?bucket=15s")" 400
expect_eq conversation_501 "$(http_body /api/sessions/sess-a/conversation | jq -r .error.code)" not_in_team_mode
expect_eq search_501 "$(http_body "/api/search?q=ls" | jq -r .error.code)" not_in_team_mode
# Alerts are served (their rules: test_team_alerts.sh).
expect_eq alerts_served "$(http_body /api/alerts | jq -r '[(.alerts | type), (.open | type)] | join(" ")')" "array number"
expect_eq alert_ack_unknown "$(http_status /api/alerts/999999/ack -X POST -H 'X-Chronicle-Request: 1')" 404
# /health/performance: the team's events per second, this server's figures.
p=$(http_body /health/performance)
expect_eq perf_team "$(echo "$p" | jq -r '[(.overall | test("^(healthy|degraded)$")), (.thresholds | keys | join(",")), (.metrics.events_per_second | type), .thresholds.alert_evaluation_ms.threshold] | map(tostring) | join(" ")')" \
    "true alert_evaluation_ms,events_per_second,memory_usage_mb,response_time_ms number 1000"
expect_eq perf_team_status "$(http_status /health/performance)" 200
expect_eq no_such_404 "$(http_status /api/nothing)" 404
expect_eq no_token_401 "$(TOKEN= http_status /api/sessions)" 401
expect_eq wrong_token_401 "$(TOKEN=wrong http_status /api/sessions)" 401
expect_eq bad_host_403 "$(http_status /api/sessions -H 'Host: evil.example')" 403
expect_eq health_without_token "$(TOKEN= http_status /health)" 200
m=$(http_body /metrics)
[[ "$m" == *"chronicle_team_database_up 1"* ]] && pass metrics_team || fail metrics_team
if [ -x "${PROMTOOL:-$ROOT/build/deps/bin/promtool}" ]; then
    echo "$m" | "${PROMTOOL:-$ROOT/build/deps/bin/promtool}" check metrics >/dev/null 2>&1 && pass promtool_team || fail promtool_team
fi

# ---- the live feed across a team-server restart -----------------------------
wsclient -t 15000 -e -p "/ws" "$SERVER_PORT" >"$HOME_T/ws1.out" &
WS1=$!
_bg_pids+=("$WS1")
sleep 0.5
flood "$HOME_A" live 50 5
flood "$HOME_B" live 50 6
wait_pg 30 "SELECT count(*) FROM chronicle.events" "$((TOTAL + 100))" || fail live_shipped
wait_for 10 sh -c "[ \$(grep -c '\"type\":\"event\"' '$HOME_T/ws1.out') -ge 100 ]" \
    && pass live_events_arrive || fail live_events_arrive "$(grep -c '"type":"event"' "$HOME_T/ws1.out")"
kill "$WS1" 2>/dev/null; wait "$WS1" 2>/dev/null
ids1=$(grep -o '"type":"event","data":{"id":[0-9]*' "$HOME_T/ws1.out" | grep -o '[0-9]*$')
last=$(echo "$ids1" | tail -n 1)
expect_eq live_ids_are_pg_ids "$(echo "$ids1" | tr '\n' ',')" "$(pg_sql "SELECT string_agg(id::text, ',' ORDER BY id) || ',' FROM chronicle.events WHERE session_id = 'live'")"
stop_server && pass team_server_clean_exit || fail team_server_clean_exit
# Events shipped while the team server is down.
flood "$HOME_A" live 30 7
flood "$HOME_B" live 30 8
wait_pg 30 "SELECT count(*) FROM chronicle.events" "$((TOTAL + 160))" || fail offline_shipped
start_server --database "$(url_as chronicle_team_server)" || { fail team_server_restarts; exit 1; }
wait_for 10 sh -c "curl -s http://127.0.0.1:$SERVER_PORT/health | grep -q '\"status\": *\"ok\"'" || fail health_after_restart
wsclient -t 15000 -e -p "/ws?after=$last" "$SERVER_PORT" >"$HOME_T/ws2.out" &
WS2=$!
_bg_pids+=("$WS2")
sleep 0.5
flood "$HOME_B" live 20 9
wait_pg 30 "SELECT count(*) FROM chronicle.events" "$((TOTAL + 180))" || fail after_restart_shipped
wait_for 10 sh -c "[ \$(grep -c '\"type\":\"event\"' '$HOME_T/ws2.out') -ge 80 ]" || true
kill "$WS2" 2>/dev/null; wait "$WS2" 2>/dev/null
ids2=$(grep -o '"type":"event","data":{"id":[0-9]*' "$HOME_T/ws2.out" | grep -o '[0-9]*$')
expect_eq resume_no_gap_no_double "$(printf '%s\n%s\n' "$ids1" "$ids2" | tr '\n' ',')" \
    "$(pg_sql "SELECT string_agg(id::text, ',' ORDER BY id) || ',' FROM chronicle.events WHERE session_id = 'live'")"
expect_eq resume_unique "$(printf '%s\n%s\n' "$ids1" "$ids2" | sort | uniq -d | wc -l)" 0

# ---- session state from the collector's state machine (team schema 3) -------
# A permission prompt on machine A (after a prompt: the title), a failed turn
# on machine B: the team server shows the local rows' state, reason, since,
# detail and title, counts the reasons and sorts by how long each waits.
FX=/work/shared/fixtures/hooks
[ -d "$FX" ] || FX=$ROOT/tests/fixtures/hooks
jq -c '.session_id = "perm-a" | .prompt = "Fix the flaky login test" | .hook_event_name = "UserPromptSubmit"' "$FX/PermissionRequest.json" \
    | CHRONICLE_HOME=$HOME_A "$SEND" UserPromptSubmit
jq -c '.session_id = "perm-a"' "$FX/PermissionRequest.json" | CHRONICLE_HOME=$HOME_A "$SEND" PermissionRequest
sleep 0.05
jq -c '.session_id = "fail-b"' "$FX/StopFailure.json" | CHRONICLE_HOME=$HOME_B "$SEND" StopFailure
local_row() { sqlite3 -batch "$1/chronicle.db" "SELECT $2 FROM sessions WHERE session_id = '$3'"; }
wait_for 10 sh -c "[ \"\$(sqlite3 -batch '$HOME_B/chronicle.db' \"SELECT state FROM sessions WHERE session_id = 'fail-b'\")\" = failed ]" \
    || fail state_local_failed "$(local_row "$HOME_B" state fail-b)"
wait_pg 30 "SELECT string_agg(session_id || ':' || state || ':' || coalesce(awaiting_reason, '-'), ',' ORDER BY session_id) FROM chronicle.sessions WHERE session_id IN ('perm-a', 'fail-b') AND state_since_ns IS NOT NULL" \
    "fail-b:failed:-,perm-a:awaiting_input:permission" && pass state_shipped \
    || fail state_shipped "$(pg_sql "SELECT session_id, state, awaiting_reason, state_since_ns FROM chronicle.sessions WHERE session_id IN ('perm-a', 'fail-b')")"
p=$(http_body "/api/sessions/perm-a")
expect_eq state_permission "$(echo "$p" | jq -r '[.state, .awaiting_reason, .state_detail.tool_name, (.state_detail.tool_input | contains("git push")), .title, .title_source] | map(tostring) | join("|")')" \
    "awaiting_input|permission|Bash|true|Fix the flaky login test|prompt"
expect_eq state_detail_as_local "$(echo "$p" | jq -c .state_detail)" "$(local_row "$HOME_A" state_detail perm-a | jq -c .)"
expect_eq state_since_as_local "$(echo "$p" | jq .state_since_ms)" "$(( $(local_row "$HOME_A" state_since_ns perm-a) / 1000000 ))"
f=$(http_body "/api/sessions/fail-b?machine=$B")
expect_eq state_failed "$(echo "$f" | jq -r '[.state, .awaiting_reason, (.state_detail.error | contains("rate_limit"))] | map(tostring) | join("|")')" "failed|null|true"
c=$(http_body "/api/sessions?machine=$A")
expect_eq state_counts_permission "$(echo "$c" | jq .state_counts.awaiting_reasons.permission)" 1
expect_eq state_counts_reasons_local "$(echo "$c" | jq -c .state_counts.awaiting_reasons)" \
    "$(sqlite3 -batch "$HOME_A/chronicle.db" "SELECT json_object('permission', sum(awaiting_reason = 'permission'), 'idle_prompt', sum(awaiting_reason = 'idle_prompt'), 'turn_done', sum(awaiting_reason = 'turn_done'), 'elicitation', sum(awaiting_reason = 'elicitation')) FROM sessions WHERE state = 'awaiting_input'")"
expect_eq state_counts_failed "$(http_body "/api/sessions?machine=$B" | jq .state_counts.failed)" 1
expect_eq state_filter_failed "$(http_body "/api/sessions?state=failed" | jq -r '[.sessions[].session_id] | join(",")')" fail-b
w=$(http_body "/api/sessions?sort=waiting&limit=100")
expect_eq sort_waiting_by_since "$(echo "$w" | jq '[.sessions[].state_since_ms] as $a | $a == ($a | sort) and ($a | all(. != null))')" true
expect_eq sort_waiting_perm_before_fail "$(echo "$w" | jq -r '[.sessions[].session_id | select(. == "perm-a" or . == "fail-b")] | join(",")')" "perm-a,fail-b"
# A change the next event makes ships too: the tool ran, perm-a works again.
jq -c '.session_id = "perm-a" | .hook_event_name = "PostToolUse" | .tool_use_id = "toolu_perm" | .tool_response = {"stdout": "ok"}' "$FX/PermissionRequest.json" \
    | CHRONICLE_HOME=$HOME_A "$SEND" PostToolUse
wait_pg 30 "SELECT state || ':' || coalesce(awaiting_reason, '-') FROM chronicle.sessions WHERE session_id = 'perm-a'" "working:-" \
    && pass state_change_shipped || fail state_change_shipped "$(pg_sql "SELECT state, awaiting_reason FROM chronicle.sessions WHERE session_id = 'perm-a'")"
expect_eq state_working_api "$(http_body "/api/sessions/perm-a" | jq -r '[.state, .awaiting_reason, .title] | map(tostring) | join("|")')" "working|null|Fix the flaky login test"
# The per-machine role updates its own sessions' state only (row-level security).
ROLE_A=$(pg_sql "SELECT role_name FROM chronicle.machines WHERE machine_id = '$A'")
if [ -n "$ROLE_A" ]; then
    pg_sql_as "$ROLE_A" "UPDATE chronicle.sessions SET awaiting_reason = 'x' WHERE session_id = 'fail-b'" >/dev/null 2>&1
    expect_eq state_role_own_rows "$(pg_sql_as "$ROLE_A" "UPDATE chronicle.sessions SET state_detail = state_detail, title = title WHERE session_id = 'perm-a' AND machine_id = '$A' RETURNING session_id" 2>&1)" perm-a
    expect_eq state_rls_other_machine "$(pg_sql "SELECT coalesce(awaiting_reason, '-') FROM chronicle.sessions WHERE session_id = 'fail-b'")" -
fi

# ---- PostgreSQL stopped: 503 and degraded; started again: recovery ---------
pg_stop_immediate
wait_for 10 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$SERVER_PORT/api/sessions) = 503 ]" \
    && pass pg_down_503 || fail pg_down_503 "$(http_status /api/sessions)"
body=$(http_body /api/events)
expect_eq pg_down_error_code "$(echo "$body" | jq -r .error.code)" database_unavailable
expect_eq pg_down_health_503 "$(TOKEN= http_status /health)" 503
expect_eq pg_down_health_degraded "$(TOKEN= http_body /health | jq -r '.status + " " + .database.state')" "degraded down"
expect_eq pg_down_ws_503 "$(wsclient -t 1000 -p /ws "$SERVER_PORT" | head -n 1)" "HTTP HTTP/1.1 503 Service Unavailable"
# The event loop is not stuck: the dashboard's files and /metrics still answer.
expect_eq pg_down_metrics "$(http_status /metrics)" 200
pg_restart || fail pg_restarts
wait_for 20 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$SERVER_PORT/api/sessions) = 200 ]" \
    && pass pg_recovered || fail pg_recovered "$(http_body /api/sessions | head -c 300)"
expect_eq pg_recovered_health "$(TOKEN= http_body /health | jq -r .status)" ok
grep -q "retrying" "$HOME_T/server.log" && pass pg_down_logged || fail pg_down_logged

stop_server && pass team_server_exit || fail team_server_exit
ship_stop
