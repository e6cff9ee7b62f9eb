#!/usr/bin/env bash
# bench_alerts.sh - a dead webhook does not slow chronicle-send
# (docs/PERFORMANCE.md, "Alerts"): the same hook events sent one
# chronicle-send at a time to a collector with no webhook, and to one whose
# webhook accepts connections and never answers (tests/tools/http_sink
# --hang; 10 s timeout per POST), while the events keep firing alerts (a
# burst of 3 tool errors per session: one 'failed' alert per 3 events).
# Interleaved rounds, the median time per send of each, and their ratio.
# Then what evaluating the rules costs sustained ingest: ingest_load (the
# ingest benchmark's payloads) with every alert rule off vs on, with a dead
# webhook, interleaved rounds, medians.
#
#   BENCH_ALERT_SENDS (300)  BENCH_ALERT_ROUNDS (3)  BENCH_ALERT_EVENTS (200000)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SENDS=${BENCH_ALERT_SENDS:-300}
ROUNDS=${BENCH_ALERT_ROUNDS:-3}
EVENTS=${BENCH_ALERT_EVENTS:-200000}
make -s "$BUILD/chronicle-collector" "$BUILD/chronicle-send" "$BUILD/tools/http_sink" \
    "$BUILD/bench/ingest_load" || exit 1
work=$(mktemp -d /tmp/chra.XXXXXX)
cpid= spid=
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_CONFIG=/dev/null CHRONICLE_DESKTOP_NOTIFY=0
export CHRONICLE_ALERT_TOOL_ERRORS=3 CHRONICLE_WEBHOOK_TIMEOUT_S=10

"$BUILD/tools/http_sink" "$work/port" "$work/posts" --hang & spid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
DEAD="http://127.0.0.1:$(cat "$work/port")/dead"

# run MODE: prints microseconds per send, alerts fired, deliveries still queued.
run() {
    export CHRONICLE_HOME=$work/home
    rm -rf "$CHRONICLE_HOME"
    if [ "$1" = dead ]; then export CHRONICLE_WEBHOOK_URL=$DEAD; else export CHRONICLE_WEBHOOK_URL=; fi
    "$BUILD/chronicle-collector" 2>"$work/collector.log" &
    cpid=$!
    for _ in $(seq 200); do "$BUILD/chronicle-send" --check >/dev/null 2>&1 && break; sleep 0.05; done
    local t0 t1 i
    t0=$(date +%s%N)
    for i in $(seq "$SENDS"); do
        printf '{"session_id":"b%d","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_use_id":"t%d","error":"exit 1","cwd":"/w"}' \
            $((i / 3)) "$i" | "$BUILD/chronicle-send"
    done
    t1=$(date +%s%N)
    sleep 0.5 # the last burst's alert
    local fired queued
    fired=$(sqlite3 "$CHRONICLE_HOME/chronicle.db" "SELECT count(*) FROM alerts")
    queued=$(sqlite3 "$CHRONICLE_HOME/chronicle.db" "SELECT count(*) FROM alert_deliveries WHERE delivered_ns IS NULL")
    kill -TERM "$cpid"; wait "$cpid" 2>/dev/null; cpid=
    echo "$(( (t1 - t0) / 1000 / SENDS )) $fired $queued"
}
median_of() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "-- chronicle-send, $SENDS sends per run, $ROUNDS interleaved rounds"
for r in $(seq "$ROUNDS"); do
    for m in none dead; do
        out=$(run "$m")
        echo "round $r $m: $out (us/send, alerts fired, deliveries undelivered)"
        echo "$m $out" >>"$work/results"
    done
done
none=$(awk '$1 == "none" {print $2}' "$work/results" | median_of)
dead=$(awk '$1 == "dead" {print $2}' "$work/results" | median_of)
echo "median us/send: no webhook $none, dead webhook $dead"
awk -v a="$dead" -v b="$none" 'BEGIN {printf "sender ratio (dead webhook / no webhook): %.2f  (goal <= 1.10)\n", a / b}'

# ingest RULES: events/s of one fresh collector, alert rules on (1) or off (0).
ingest() {
    export CHRONICLE_HOME=$work/home CHRONICLE_WEBHOOK_URL=$DEAD
    export CHRONICLE_ALERT_AWAITING=$1 CHRONICLE_ALERT_FAILED=$1 CHRONICLE_ALERT_BUDGET=$1 \
        CHRONICLE_ALERT_ENDED_UNEXPECTEDLY=$1 CHRONICLE_BUDGET_DAILY_USD=0.01
    rm -rf "$CHRONICLE_HOME"
    "$BUILD/chronicle-collector" 2>"$work/collector.log" &
    cpid=$!
    for _ in $(seq 200); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
    "$BUILD/bench/ingest_load" "$CHRONICLE_HOME/collector.sock" "$EVENTS" 4 1024 |
        awk '{for (i = 1; i <= NF; i++) if ($i == "=") print $(i + 1)}'
    kill -TERM "$cpid"; wait "$cpid" 2>/dev/null; cpid=
}
echo "-- collector ingest, $EVENTS events (4 connections), alert rules off vs on, $ROUNDS interleaved rounds"
for r in $(seq "$ROUNDS"); do
    # Alternate which goes first: the machine drifts within a round.
    if [ $((r % 2)) = 1 ]; then off=$(ingest 0); on=$(ingest 1); else on=$(ingest 1); off=$(ingest 0); fi
    echo "round $r: rules off $off events/s, on $on events/s"
    echo "off $off" >>"$work/ingest"; echo "on $on" >>"$work/ingest"
done
off=$(awk '$1 == "off" {print $2}' "$work/ingest" | median_of)
on=$(awk '$1 == "on" {print $2}' "$work/ingest" | median_of)
awk -v a="$on" -v b="$off" 'BEGIN {printf "ingest ratio (rules on / off): %.2f\n", a / b}'
