#!/usr/bin/env bash
# The other rules through the real collector and its state machine, each
# POSTed once to a local receiver: failed (StopFailure, with the error),
# failed (a burst of tool errors), ended_unexpectedly (the Claude Code
# process of a working session gone without SessionEnd); and a rule turned
# off fires nothing.
source "$(dirname "$0")/lib.sh"
SINK=$BIN/tools/http_sink
H=$CHRONICLE_HOME
"$SINK" "$H/port" "$H/posts" & _bg_pids+=($!)
wait_for 5 test -s "$H/port" || { fail sink_starts; exit 1; }
export CHRONICLE_WEBHOOK_URL="http://127.0.0.1:$(cat "$H/port")/rules"
export CHRONICLE_DESKTOP_NOTIFY=0 CHRONICLE_ALERT_TOOL_ERRORS=3
posts() { grep -c "\"event\":\"$1\".*\"rule\":\"$2\",\"session_id\":\"$3\"" "$H/posts" 2>/dev/null; }
wait_posts() { # wait_posts SECONDS EVENT RULE SESSION WANT
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
    until [ "$(posts "$2" "$3" "$4")" = "$5" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}
ev() { # ev SESSION EVENT [EXTRA JSON MEMBERS]
    printf '{"session_id":"%s","hook_event_name":"%s","cwd":"/w/shop"%s}' "$1" "$2" "${3:+,$3}" | "$SEND"
}
start_collector || { fail collector_starts; exit 1; }

ev sf UserPromptSubmit '"prompt":"deploy it"'
ev sf StopFailure '"error":"rate_limit","error_details":"429 Too Many Requests"'
wait_posts 5 fired failed sf 1 && pass stop_failure_posted || fail stop_failure_posted "$(cat "$H/posts")"
grep '"session_id":"sf"' "$H/posts" | grep -q '"reason":"stop_failure".*"error":"rate_limit"' \
    && pass stop_failure_detail || fail stop_failure_detail
grep '"session_id":"sf"' "$H/posts" | grep -q '"title":"deploy it"' && pass title_in_payload \
    || fail title_in_payload "$(grep sf "$H/posts")"
ev sf UserPromptSubmit '"prompt":"again"'
wait_posts 5 resolved failed sf 1 && pass stop_failure_resolved || fail stop_failure_resolved

for i in 1 2 3 4; do ev te PostToolUseFailure "\"tool_name\":\"Bash\",\"tool_use_id\":\"t$i\",\"error\":\"exit 1\""; done
wait_posts 5 fired failed te 1 && pass tool_error_burst_posted || fail tool_error_burst_posted
sleep 0.5
expect_eq tool_error_burst_once "$(posts fired failed te)" 1

sleep 60 & claude=$!; _bg_pids+=("$claude")
printf '{"session_id":"gone","hook_event_name":"UserPromptSubmit","prompt":"long job","cwd":"/w/shop"}' | CLAUDE_PID=$claude "$SEND"
kill -KILL "$claude"; wait "$claude" 2>/dev/null
wait_posts 10 fired ended_unexpectedly gone 1 && pass ended_unexpectedly_posted \
    || fail ended_unexpectedly_posted "$(sql "SELECT state, end_reason FROM sessions WHERE session_id='gone'")"
grep '"session_id":"gone"' "$H/posts" | grep -q '"reason":"process_gone"' && pass ended_reason || fail ended_reason
stop_collector

# A rule turned off: a StopFailure fires nothing.
CHRONICLE_ALERT_FAILED=0 start_collector || { fail collector_restarts; exit 1; }
ev off StopFailure '"error":"server_error"'
sleep 1.5
expect_eq rule_off_no_alert "$(sql "SELECT count(*) FROM alerts WHERE session_id='off'")" 0
stop_collector

# A webhook URL that is not http(s) is a configuration error, named without its secret.
out=$(CHRONICLE_WEBHOOK_URL="ftp://files.example/s3cr3t" "$COLLECTOR" 2>&1); rc=$?
expect_eq bad_webhook_refused "$rc" 1
printf '%s' "$out" | grep -q "CHRONICLE_WEBHOOK_URL: 'ftp://files.example...' is not an http:// or https:// URL" \
    && pass bad_webhook_named || fail bad_webhook_named "$out"
printf '%s' "$out" | grep -q s3cr3t && fail bad_webhook_no_secret || pass bad_webhook_no_secret
