#!/usr/bin/env bash
# A daily budget crossed by transcript usage (priced by share/pricing.tsv)
# fires one 'budget' alert and one POST per local day, also across a
# collector restart and more spend.
source "$(dirname "$0")/lib.sh"
SINK=$BIN/tools/http_sink
H=$CHRONICLE_HOME
"$SINK" "$H/port" "$H/posts" & _bg_pids+=($!)
wait_for 5 test -s "$H/port" || { fail sink_starts; exit 1; }
export CHRONICLE_WEBHOOK_URL="http://127.0.0.1:$(cat "$H/port")/budget"
export CHRONICLE_BUDGET_DAILY_USD=0.01
export CHRONICLE_ALERT_BUDGET_CHECK_S=1
export CHRONICLE_DESKTOP_NOTIFY=0
export CHRONICLE_PRICING=$ROOT/share/pricing.tsv
T=$H/t.jsonl
now() { date -u +%Y-%m-%dT%H:%M:%S.000Z; }
msg() { # msg ID INPUT_TOKENS: one assistant message with usage, stamped now
    printf '{"sessionId":"bud","type":"assistant","message":{"id":"%s","type":"message","role":"assistant","model":"claude-opus-4-5","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":%s,"output_tokens":0}},"requestId":"r%s","uuid":"%s","timestamp":"%s"}\n' \
        "$1" "$2" "$1" "$1" "$(now)" >>"$T"
}
stop_hook() { printf '{"session_id":"bud","hook_event_name":"Stop","transcript_path":"%s","cwd":"/w/shop"}' "$T" | "$SEND"; }
posts() { grep -c '"rule":"budget"' "$H/posts" 2>/dev/null; }
wait_posts() {
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
    until [ "$(posts)" = "$2" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}
start_collector || { fail collector_starts; exit 1; }
msg m1 1000 # $0.005: under the budget
stop_hook
wait_sql 10 "SELECT count(*) FROM usage" 1 || fail usage_read
sleep 1.5
expect_eq under_budget_no_alert "$(sql "SELECT count(*) FROM alerts WHERE rule='budget'")" 0
msg m2 10000 # $0.05 more: crossed
stop_hook
wait_posts 6 1 && pass budget_posted_once || fail budget_posted_once "$(cat "$H/posts" 2>/dev/null)"
grep -q '"reason":"daily"' "$H/posts" && grep -q '"budget_usd":0.01' "$H/posts" \
    && pass budget_payload || fail budget_payload "$(cat "$H/posts")"
stop_collector
start_collector || { fail collector_restarts; exit 1; }
msg m3 20000
stop_hook
wait_sql 10 "SELECT count(*) FROM usage" 3 || fail usage_read_again
sleep 2
expect_eq once_per_day "$(posts)" 1
expect_eq one_budget_row "$(sql "SELECT count(*) FROM alerts WHERE rule='budget'")" 1
stop_collector
