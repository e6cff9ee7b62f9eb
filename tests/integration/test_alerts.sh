#!/usr/bin/env bash
# Alerts end to end (docs/ALERTS.md): a session waiting on a permission
# prompt produces exactly one 'awaiting' POST within alert_awaiting_after_s
# + 2 s and one 'resolved' after the next tool event; restarting the
# collector and the server in between sends nothing twice; a receiver that
# answers 500 three times then 200 gets the alert once; acknowledging through
# the API works and is refused without the token or the request header; the
# WebSocket carries "alert" messages; a secret in a webhook URL is in no log,
# no --print-config and not in the database.
source "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_tools; exit 1; }
SINK=$BIN/tools/http_sink
H=$CHRONICLE_HOME
"$SINK" "$H/port_a" "$H/posts_a" & _bg_pids+=($!)
"$SINK" "$H/port_b" "$H/posts_b" --fail 3 & _bg_pids+=($!)
wait_for 5 test -s "$H/port_a" && wait_for 5 test -s "$H/port_b" || { fail sinks_start; exit 1; }
SECRET=s3cr3t-T0KEN-in-path
export CHRONICLE_WEBHOOK_URL="http://127.0.0.1:$(cat "$H/port_a")/hook/$SECRET http://127.0.0.1:$(cat "$H/port_b")/b/$SECRET?k=$SECRET"
export CHRONICLE_ALERT_AWAITING_AFTER_S=2
export CHRONICLE_WEBHOOK_RETRY_BASE_MS=200
export CHRONICLE_DESKTOP_NOTIFY=0
start_collector || { fail collector_starts; exit 1; }
start_server || { fail server_starts; exit 1; }

# lines SINK STATUS EVENT RULE: POSTs the sink answered STATUS with that event and rule.
lines() { grep -c "^$2	.*\"event\":\"$3\".*\"rule\":\"$4\"" "$H/posts_$1" 2>/dev/null; }
wait_lines() { # wait_lines SECONDS SINK STATUS EVENT RULE WANT
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
    until [ "$(lines "$2" "$3" "$4" "$5")" = "$6" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}

printf '{"session_id":"al-1","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"rm -rf build"},"cwd":"/w/shop","permission_mode":"default"}' | "$SEND"
# The collector's state machine makes it a wait for a permission, since now.
expect_eq waiting_state "$(sql "SELECT state||' '||awaiting_reason||' '||(state_since_ns > 0) FROM sessions WHERE session_id='al-1'")" "awaiting_input permission 1"
t0=$(date +%s%N)
wait_lines $((CHRONICLE_ALERT_AWAITING_AFTER_S + 2)) a 200 fired awaiting 1 \
    && pass awaiting_posted_in_time || fail awaiting_posted_in_time "$(cat "$H/posts_a" 2>/dev/null)"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$el" -ge $((CHRONICLE_ALERT_AWAITING_AFTER_S * 1000 - 100)) ] && pass not_before_the_delay \
    || fail not_before_the_delay "${el} ms"
grep -q '"reason":"permission"' "$H/posts_a" && grep -q '"tool_name":"Bash"' "$H/posts_a" \
    && grep -q '"link":"http://127.0.0.1:[0-9]*/?open=al-1"' "$H/posts_a" \
    && pass payload_schema || fail payload_schema "$(head -1 "$H/posts_a")"
grep -q "$TOKEN" "$H/posts_a" && fail link_without_token || pass link_without_token

# 500, 500, 500, then 200: delivered once, after three failed attempts.
wait_lines 10 b 200 fired awaiting 1 && pass retried_until_delivered \
    || fail retried_until_delivered "$(cut -c1-80 "$H/posts_b")"
expect_eq three_failures_first "$(lines b 500 fired awaiting)" 3
expect_eq attempts_recorded "$(sql "SELECT attempts||'/'||(delivered_ns IS NOT NULL) FROM alert_deliveries WHERE kind='fired' AND target_id != (SELECT target_id FROM alert_deliveries WHERE id=1)")" "4/1"

# Restart both processes: nothing is fired or sent again.
stop_collector; stop_server
start_collector || { fail collector_restarts; exit 1; }
start_server || { fail server_restarts; exit 1; }
sleep 2.5
expect_eq no_second_post_after_restart "$(lines a 200 fired awaiting)" 1
expect_eq one_alert_row "$(sql "SELECT count(*) FROM alerts")" 1

# A WebSocket client sees the resolution and the acknowledgement.
"$WSCLIENT" -H "Authorization: Bearer $TOKEN" -n 1000 -t 5000 "$SERVER_PORT" >"$H/ws.out" 2>&1 & ws=$!
sleep 0.3
printf '{"session_id":"al-1","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":"/w/shop"}' | "$SEND"
wait_lines 4 a 200 resolved awaiting 1 && pass resolved_posted || fail resolved_posted "$(cut -c1-120 "$H/posts_a")"
wait_lines 10 b 200 resolved awaiting 1 && pass resolved_posted_b || fail resolved_posted_b

id=$(sql "SELECT id FROM alerts")
j=$(http /api/alerts)
printf '%s' "$j" | grep -q '"rule":"awaiting"' && printf '%s' "$j" | grep -q '"session_id":"al-1"' \
    && pass api_lists_alert || fail api_lists_alert "$j"
printf '%s' "$j" | grep -q '"resolved":"20' && pass api_resolved || fail api_resolved "$j"
printf '%s' "$j" | grep -q '"target":"http://127.0.0.1:[0-9]*"' && pass api_target_host_only || fail api_target_host_only "$j"
expect_eq api_open_count "$(json_get "$(http /api/alerts?state=open)" open)" 0
expect_eq api_bad_state "$(http_status '/api/alerts?state=maybe')" 400

# Acknowledge: token and header required; POST only.
expect_eq ack_needs_token "$(TOKEN= http_status /api/alerts/$id/ack -X POST -H 'X-Chronicle-Request: 1')" 401
expect_eq ack_needs_header "$(http_status /api/alerts/$id/ack -X POST)" 403
expect_eq ack_needs_post "$(http_status /api/alerts/$id/ack -H 'X-Chronicle-Request: 1')" 405
expect_eq ack_unknown_alert "$(http_status /api/alerts/99999/ack -X POST -H 'X-Chronicle-Request: 1')" 404
a=$(http /api/alerts/$id/ack -X POST -H 'X-Chronicle-Request: 1')
printf '%s' "$a" | grep -q "\"id\":$id" && printf '%s' "$a" | grep -q '"acknowledged":"20' \
    && printf '%s' "$a" | tail -1 | grep -q 'HTTP 200' && pass ack_ok || fail ack_ok "$a"
[ -n "$(sql "SELECT acknowledged_ns FROM alerts WHERE id=$id")" ] && pass ack_stored || fail ack_stored
wait "$ws" 2>/dev/null
grep -c '"type":"alert"' "$H/ws.out" | grep -qx 2 && grep -q '"acknowledged":"20' "$H/ws.out" \
    && pass ws_alert_messages || fail ws_alert_messages "$(cat "$H/ws.out")"
stop_collector
expect_eq ack_collector_down "$(http_status /api/alerts/$id/ack -X POST -H 'X-Chronicle-Request: 1')" 503
start_collector || { fail collector_restarts2; exit 1; }

m=$(http_body /metrics)
printf '%s' "$m" | grep -q '^chronicle_alerts_total{rule="awaiting"} 1$' && pass metrics_alerts_total \
    || fail metrics_alerts_total "$(printf '%s' "$m" | grep alert)"
printf '%s' "$m" | grep -q '^chronicle_alert_delivery_failures_total 3$' && pass metrics_delivery_failures \
    || fail metrics_delivery_failures "$(printf '%s' "$m" | grep alert)"

# Secrets in webhook URLs: never logged, printed or stored.
"$COLLECTOR" --print-config >"$H/config.out" 2>&1
grep -q 'CHRONICLE_WEBHOOK_URL=http://127.0.0.1:[0-9]*/\.\.\.' "$H/config.out" && pass print_config_masks \
    || fail print_config_masks "$(grep WEBHOOK_URL "$H/config.out")"
for f in collector.log server.log config.out; do
    grep -q "$SECRET" "$H/$f" && fail "secret_not_in_$f" || pass "secret_not_in_$f"
done
sqlite3 "$DB" .dump | grep -q "$SECRET" && fail secret_not_in_db || pass secret_not_in_db

stop_server
stop_collector
