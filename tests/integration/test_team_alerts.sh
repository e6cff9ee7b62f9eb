#!/usr/bin/env bash
# Alerts in team mode (docs/ALERTS.md "Team mode"): the team server runs the
# alert rules over every machine's PostgreSQL rows.  Two machines (two
# CHRONICLE_HOMEs, collectors and shippers) on a throwaway PostgreSQL; the
# team server, as its own role, posts to a local receiver:
#   - a permission prompt on machine A: exactly one 'awaiting' POST naming A,
#     one 'resolved' after the next tool event; a team-server restart in
#     between sends nothing twice;
#   - two team servers on one database: one evaluates (advisory lock), each
#     alert is posted once; the other takes over when it stops;
#   - a burst of tool errors on machine B; a Claude Code process gone on B
#     (ended_unexpectedly, the end its collector inferred, shipped);
#   - a daily team budget crossed by usage shipped from A: one POST;
#   - GET /api/alerts with machine_id/host/user and the machine filter,
#     acknowledging (token, header, 404), the WebSocket "alert" message,
#     /metrics;
#   - a role without the alerts grant is told what to run, and, holding the
#     leader's lock, hands it to a team server that may write; no webhook
#     secret in any log or in PostgreSQL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_alerts; exit 0; }
build_server_tools || { fail build_tools; exit 1; }
SINK=$BIN/tools/http_sink
url_as() { echo "postgresql:///postgres?host=$PG_SOCK&port=$PG_PORT&user=$1"; }

"$BIN/chronicle" team init "$PG_URL" >"$CHRONICLE_HOME/roles.sql" 2>/dev/null || fail team_init
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$CHRONICLE_HOME/roles.sql" >/dev/null 2>&1 \
    && pass role_sql_runs || fail role_sql_runs
export CHRONICLE_SHIP_TO="$PG_URL"
export CHRONICLE_DESKTOP_NOTIFY=0
export CHRONICLE_PRICING=$ROOT/share/pricing.tsv

HOME_A=$CHRONICLE_HOME
HOME_B=$(mktemp -d /tmp/chr.XXXXXX)
HOME_T=$(mktemp -d /tmp/chr.XXXXXX)
HOME_T2=$(mktemp -d /tmp/chr.XXXXXX)
chmod 700 "$HOME_B" "$HOME_T" "$HOME_T2"
B_COLLECTOR= T2_PID= claude=
trap 'pg_cleanup; kill -KILL $B_COLLECTOR $T2_PID $claude 2>/dev/null; rm -rf "$HOME_B" "$HOME_T" "$HOME_T2"; cleanup' EXIT
start_collector || { fail collector_a_starts; exit 1; }
CHRONICLE_HOME=$HOME_B "$COLLECTOR" 2>>"$HOME_B/collector.log" &
B_COLLECTOR=$!
_bg_pids+=("$B_COLLECTOR")
wait_for 10 test -S "$HOME_B/collector.sock" || { fail collector_b_starts; exit 1; }
ship_start
CHRONICLE_HOME=$HOME_B ship_start
wait_for 10 test -s "$HOME_A/machine-id" && wait_for 10 test -s "$HOME_B/machine-id" || fail machine_ids
A=$(cat "$HOME_A/machine-id")
B=$(cat "$HOME_B/machine-id")
send_a() { CHRONICLE_HOME=$HOME_A "$SEND"; }
send_b() { CHRONICLE_HOME=$HOME_B "$SEND"; }

# The receiver, and the team server's own settings (the collectors have no
# webhook: every POST the receiver sees is the team server's).
"$SINK" "$HOME_T/port" "$HOME_T/posts" & _bg_pids+=($!)
wait_for 5 test -s "$HOME_T/port" || { fail sink_starts; exit 1; }
SECRET=t3am-s3cret-path
TEAM_ENV=(CHRONICLE_WEBHOOK_URL="http://127.0.0.1:$(cat "$HOME_T/port")/hook/$SECRET"
          CHRONICLE_ALERT_AWAITING_AFTER_S=2 CHRONICLE_WEBHOOK_RETRY_BASE_MS=200
          CHRONICLE_ALERT_BUDGET_CHECK_S=1 CHRONICLE_BUDGET_DAILY_USD=0.01
          CHRONICLE_TOKEN=team-alerts-token)
export CHRONICLE_HOME=$HOME_T
# team_start: a team server (SERVER_PORT, SERVER_PID) with TEAM_ENV on a new port.
team_start() {
    local rc
    SERVER_PORT=
    export "${TEAM_ENV[@]}"
    start_server --database "$(url_as chronicle_team_server)"
    rc=$?
    unset_team_env
    return $rc
}
unset_team_env() { local kv; for kv in "${TEAM_ENV[@]}"; do unset "${kv%%=*}"; done; }
team_start || { fail team_server_starts; exit 1; }
TOKEN=team-alerts-token
wait_for 10 sh -c "curl -s http://127.0.0.1:$SERVER_PORT/health | grep -q '\"status\": *\"ok\"'" \
    && pass team_health_ok || fail team_health_ok "$(curl -s "http://127.0.0.1:$SERVER_PORT/health")"

# lines STATUS EVENT RULE: POSTs the receiver answered STATUS with that event and rule.
lines() { grep -c "^$1	.*\"event\":\"$2\".*\"rule\":\"$3\"" "$HOME_T/posts" 2>/dev/null; }
wait_lines() { # wait_lines SECONDS STATUS EVENT RULE WANT
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
    until [ "$(lines "$2" "$3" "$4")" = "$5" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}

# ---- awaiting on machine A, across a team-server restart --------------------
printf '{"session_id":"ta-1","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"make deploy"},"cwd":"/w/shop","permission_mode":"default"}' | send_a
# The rule's delay (2 s), the shipper's state scan (1 s), the engine's tick (1 s).
wait_lines 8 200 fired awaiting 1 && pass awaiting_posted || fail awaiting_posted "$(cat "$HOME_T/posts" 2>/dev/null)"
grep '"rule":"awaiting"' "$HOME_T/posts" | grep -q "\"machine\":\"$(hostname)\"" \
    && grep -q '"tool_name":"Bash"' "$HOME_T/posts" && grep -q '"session_id":"ta-1"' "$HOME_T/posts" \
    && pass awaiting_payload || fail awaiting_payload "$(head -1 "$HOME_T/posts")"
expect_eq alert_row_names_machine "$(pg_sql "SELECT machine_id || ' ' || rule || ' ' || reason FROM chronicle.alerts WHERE session_id = 'ta-1'")" "$A awaiting permission"
stop_server
team_start || { fail team_server_restarts; exit 1; }
sleep 2.5
expect_eq no_second_post_after_restart "$(lines 200 fired awaiting)" 1

# ---- two team servers: one evaluates, each alert is posted once -------------
SERVER_PORT_1=$SERVER_PORT SERVER_PID_1=$SERVER_PID
(export CHRONICLE_HOME=$HOME_T2; export "${TEAM_ENV[@]}"
 exec "$SERVER" --port 0 --database "$(url_as chronicle_team_server)" 2>>"$HOME_T2/server.log") &
T2_PID=$!
wait_for 10 grep -q "team alerts: connected" "$HOME_T2/server.log" || fail second_server_connects
printf '{"session_id":"tb-1","hook_event_name":"PermissionRequest","tool_name":"Write","tool_input":{"file_path":"/w/b/x.c"},"cwd":"/w/b"}' | send_b
wait_lines 8 200 fired awaiting 2 && pass second_machine_posted || fail second_machine_posted "$(cut -c1-150 "$HOME_T/posts")"
sleep 2
expect_eq posted_once_with_two_servers "$(lines 200 fired awaiting)" 2
leaders=$(( $(http_body /metrics | grep -c '^chronicle_team_alerts_leader 1$') ))
grep -q "team alerts: this server evaluates" "$HOME_T2/server.log" && leaders=$((leaders + 1))
expect_eq one_leader "$leaders" 1
# The first one stops: the second evaluates (it may already be the leader).
stop_server
wait_for 10 grep -q "team alerts: this server evaluates" "$HOME_T2/server.log" \
    && pass standby_takes_over || fail standby_takes_over "$(tail -5 "$HOME_T2/server.log")"
kill -TERM "$T2_PID"; wait "$T2_PID" 2>/dev/null; T2_PID=
team_start || { fail team_server_restarts2; exit 1; }

# ---- resolved after the next tool event --------------------------------------
printf '{"session_id":"ta-1","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":"/w/shop"}' | send_a
wait_lines 8 200 resolved awaiting 1 && pass resolved_posted || fail resolved_posted "$(cut -c1-150 "$HOME_T/posts")"

# ---- tool errors and a vanished process on machine B ----------------------------
for i in 1 2 3 4 5; do
    printf '{"session_id":"tb-2","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_use_id":"f%s","error":"exit 1","cwd":"/w/b"}' "$i" | send_b
done
wait_lines 8 200 fired failed 1 && pass tool_errors_posted || fail tool_errors_posted "$(grep failed "$HOME_T/posts")"
expect_eq tool_errors_row "$(pg_sql "SELECT machine_id || ' ' || reason FROM chronicle.alerts WHERE rule = 'failed'")" "$B tool_errors"
sleep 60 & claude=$!
printf '{"session_id":"tb-3","hook_event_name":"UserPromptSubmit","prompt":"go","cwd":"/w/b"}' | CLAUDE_PID=$claude send_b
sleep 0.5
kill -KILL "$claude"; wait "$claude" 2>/dev/null; claude=
wait_lines 20 200 fired ended_unexpectedly 1 && pass ended_unexpectedly_posted \
    || fail ended_unexpectedly_posted "$(pg_sql "SELECT state, end_reason FROM chronicle.sessions WHERE session_id = 'tb-3'")"
expect_eq end_reason_shipped "$(pg_sql "SELECT end_reason FROM chronicle.sessions WHERE session_id = 'tb-3'")" process_gone

# ---- a team budget crossed by usage shipped from machine A ----------------------
T=$HOME_A/t.jsonl
printf '{"sessionId":"ta-bud","type":"assistant","message":{"id":"m1","type":"message","role":"assistant","model":"claude-opus-4-5","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":20000,"output_tokens":0}},"requestId":"r1","uuid":"u1","timestamp":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" >"$T"
printf '{"session_id":"ta-bud","hook_event_name":"Stop","transcript_path":"%s","cwd":"/w/shop"}' "$T" | send_a
wait_pg 20 "SELECT count(*) FROM chronicle.usage WHERE session_id = 'ta-bud'" 1 || fail usage_shipped
wait_lines 8 200 fired budget 1 && pass budget_posted || fail budget_posted "$(grep budget "$HOME_T/posts")"
sleep 2
expect_eq budget_once "$(lines 200 fired budget)" 1
expect_eq budget_team_wide "$(pg_sql "SELECT coalesce(machine_id::text, 'all') || ' ' || reason FROM chronicle.alerts WHERE rule = 'budget'")" "all daily"

# ---- the API, acknowledging, the feed, /metrics -----------------------------------
j=$(http_body "/api/alerts?state=all")
# ta-bud waits too after its Stop (turn_done): six alerts.
expect_eq api_count "$(echo "$j" | jq '.alerts | length')" 6
expect_eq api_identity "$(echo "$j" | jq -r '[.alerts[] | select(.session_id == "ta-1") | .machine_id, .host, (.user | type)] | join(" ")')" "$A $(hostname) string"
expect_eq api_deliveries "$(echo "$j" | jq -r '[.alerts[] | select(.session_id == "ta-1") | .deliveries[] | .kind + ":" + (.delivered != null | tostring)] | sort | join(",")')" "fired:true,resolved:true"
expect_eq api_machine_filter "$(http_body "/api/alerts?machine=$B" | jq -r '[.alerts[].session_id] | sort | join(",")')" "tb-1,tb-2,tb-3"
expect_eq api_open "$(http_body "/api/alerts?state=open" | jq -r '[.alerts[] | select(.session_id == "ta-1")] | length')" 0
expect_eq api_bad_state "$(http_status '/api/alerts?state=maybe')" 400
expect_eq api_bad_machine "$(http_status '/api/alerts?machine=nope')" 400
expect_eq api_needs_token "$(TOKEN= http_status /api/alerts)" 401
id=$(echo "$j" | jq -r '.alerts[] | select(.session_id == "tb-1") | .id')
"$WSCLIENT" -H "Authorization: Bearer $TOKEN" -n 1000 -t 4000 "$SERVER_PORT" >"$HOME_T/ws.out" 2>&1 & ws=$!
sleep 0.5
expect_eq ack_needs_token "$(TOKEN= http_status "/api/alerts/$id/ack" -X POST -H 'X-Chronicle-Request: 1')" 401
expect_eq ack_needs_header "$(http_status "/api/alerts/$id/ack" -X POST)" 403
expect_eq ack_unknown "$(http_status /api/alerts/99999/ack -X POST -H 'X-Chronicle-Request: 1')" 404
a=$(http "/api/alerts/$id/ack" -X POST -H 'X-Chronicle-Request: 1')
printf '%s' "$a" | grep -q "\"id\":$id" && printf '%s' "$a" | grep -q '"acknowledged":"20' \
    && printf '%s' "$a" | tail -1 | grep -q 'HTTP 200' && pass ack_ok || fail ack_ok "$a"
first=$(pg_sql "SELECT acknowledged_ns FROM chronicle.alerts WHERE id = $id")
http_status "/api/alerts/$id/ack" -X POST -H 'X-Chronicle-Request: 1' >/dev/null
expect_eq ack_first_time_kept "$(pg_sql "SELECT acknowledged_ns FROM chronicle.alerts WHERE id = $id")" "$first"
expect_eq unacknowledged_count "$(http_body /api/alerts | jq '.unacknowledged < .open or .open == 0')" true
wait "$ws" 2>/dev/null
grep '"type":"alert"' "$HOME_T/ws.out" | grep -q "\"id\":$id" && grep -q '"acknowledged":"20' "$HOME_T/ws.out" \
    && pass ws_alert_message || fail ws_alert_message "$(head -c 600 "$HOME_T/ws.out")"
m=$(http_body /metrics)
printf '%s' "$m" | grep -q '^chronicle_alerts_total{rule="awaiting"} 3$' && pass metrics_alerts_total \
    || fail metrics_alerts_total "$(printf '%s' "$m" | grep alert)"
printf '%s' "$m" | grep -q '^chronicle_team_alerts_leader 1$' && pass metrics_leader || fail metrics_leader
expect_eq health_alerts "$(http_body /health | jq -r '[.alerts.engine_up, .alerts.leader, .alerts.error] | map(tostring) | join(" ")')" "true true null"
if command -v promtool >/dev/null; then
    http_body /metrics | promtool check metrics >/dev/null 2>"$HOME_T/promtool.err" \
        && pass metrics_promtool || fail metrics_promtool "$(head -5 "$HOME_T/promtool.err")"
fi
stop_server

# ---- a role that may not write the alerts: told what to run -----------------
pg_sql "CREATE ROLE chronicle_ro_only LOGIN; GRANT chronicle_reader TO chronicle_ro_only" >/dev/null
(export CHRONICLE_HOME=$HOME_T2; export "${TEAM_ENV[@]}"
 exec "$SERVER" --port 0 --database "$(url_as chronicle_ro_only)" 2>>"$HOME_T2/ro.log") &
T2_PID=$!
printf '{"session_id":"ta-2","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"ls"},"cwd":"/w/shop"}' | send_a
wait_for 15 grep -q "may not write the alerts (run the roles SQL" "$HOME_T2/ro.log" \
    && pass no_grant_explained || fail no_grant_explained "$(tail -3 "$HOME_T2/ro.log")"
expect_eq no_grant_no_row "$(pg_sql "SELECT count(*) FROM chronicle.alerts WHERE session_id = 'ta-2'")" 0
# It holds the leader's lock but cannot evaluate: it hands it over, and a
# team server with the grant posts what the first one could not record.
team_start || { fail team_server_restarts3; exit 1; }
wait_for 30 grep -q '"session_id":"ta-2"' "$HOME_T/posts" \
    && pass failing_leader_steps_down || fail failing_leader_steps_down "$(tail -3 "$HOME_T2/ro.log")"
grep -q "evaluations in a row failed; another team server may evaluate" "$HOME_T2/ro.log" \
    && pass step_down_logged || fail step_down_logged "$(tail -3 "$HOME_T2/ro.log")"
expect_eq step_down_posted_once "$(grep -c '"event":"fired".*"session_id":"ta-2"' "$HOME_T/posts")" 1
stop_server
kill -TERM "$T2_PID"; wait "$T2_PID" 2>/dev/null; T2_PID=

# ---- secrets --------------------------------------------------------------------
for f in "$HOME_T/server.log" "$HOME_T2/server.log" "$HOME_T2/ro.log"; do
    grep -q "$SECRET" "$f" && fail "secret_not_in_$(basename "$f")" || pass "secret_not_in_$(basename "$f")"
done
pg_dump -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_ADMIN" -d postgres -n chronicle 2>/dev/null | grep -q "$SECRET" \
    && fail secret_not_in_postgresql || pass secret_not_in_postgresql
# A bad webhook URL stops the team server at start (exit 2), naming it without its secret.
out=$(CHRONICLE_HOME=$HOME_T2 CHRONICLE_WEBHOOK_URL="ftp://hooks.example/$SECRET" timeout 10 "$SERVER" --port 0 --database "$(url_as chronicle_team_server)" 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"is not an http:// or https:// URL"* ]] && [[ "$out" != *"$SECRET"* ]] \
    && pass bad_webhook_refused || fail bad_webhook_refused "rc=$rc $out"
CHRONICLE_HOME=$HOME_A ship_stop
kill -TERM "$B_COLLECTOR"; wait "$B_COLLECTOR" 2>/dev/null; B_COLLECTOR=
stop_collector
