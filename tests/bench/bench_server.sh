#!/usr/bin/env bash
# bench_server.sh - chronicle-server benchmarks, each against a floor
# measured in the same run on the same machine:
#   - REST latency p50/p99 (wrk, 1 connection) of /api/sessions,
#     /api/events?session_id=, /api/stats on a database of BENCH_SERVER_EVENTS
#     events across BENCH_SERVER_SESSIONS sessions; floor: the server's own
#     404 answer (routing + JSON error, no database work).
#   - requests/s (wrk, 50 connections) of /health and /api/sessions; floor:
#     the 404 answer again.
#   - live latency commit -> WebSocket receipt at BENCH_SERVER_RATE events/s
#     with 100 clients and with BENCH_SERVER_MAX_CLIENTS clients; floor: the
#     commit itself (tests/bench/server_live_bench.c).
#   - the server's peak RSS (VmHWM) after all of it, and the -wal size.
#
#   BENCH_SERVER_EVENTS (1000000)  BENCH_SERVER_SESSIONS (1000)
#   BENCH_SERVER_SECS (3)          BENCH_SERVER_RATE (1000)
#   BENCH_SERVER_MAX_CLIENTS (1000)
#   BENCH_SERVER_PAGE_EVENTS (100000)  BENCH_SERVER_PAGE_PAYLOAD (2000 bytes)
#   - payload pages: requests/s of a 100-event page with payload=1 against
#     the same page without payloads (goal: at least 0.6x).
#   BENCH_SERVER_DB=path           reuse a seeded database (copied, not modified)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
EVENTS=${BENCH_SERVER_EVENTS:-1000000}
SESSIONS=${BENCH_SERVER_SESSIONS:-1000}
SECS=${BENCH_SERVER_SECS:-3}
RATE=${BENCH_SERVER_RATE:-1000}
MAXC=${BENCH_SERVER_MAX_CLIENTS:-1000}
PAGE_EVENTS=${BENCH_SERVER_PAGE_EVENTS:-100000}
PAGE_PAYLOAD=${BENCH_SERVER_PAGE_PAYLOAD:-2000}
make -s "$BUILD/chronicle-server" "$BUILD/bench/server_seed" "$BUILD/bench/server_live_bench" || exit 1
command -v wrk >/dev/null || { echo "bench_server: wrk is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/chrs.XXXXXX)
spid=
trap '[ -n "$spid" ] && kill -TERM $spid 2>/dev/null; [ -n "${ppid_:-}" ] && kill -TERM $ppid_ 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_HOME=$work
port=
for p in $(seq 18590 2 18598); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "bench_server: no free port in 18590-18599"; exit 1; }

echo "== server: machine $(nproc) cores, $(uname -r), $(date -u +%FT%TZ)"
if [ -n "${BENCH_SERVER_DB:-}" ]; then
    cp "$BENCH_SERVER_DB" "$work/chronicle.db"
    echo "database: copy of $BENCH_SERVER_DB"
else
    t0=$(date +%s%N)
    "$BUILD/bench/server_seed" "$work/chronicle.db" "$EVENTS" "$SESSIONS" 86400 || exit 1
    echo "database: $EVENTS events, $SESSIONS sessions over 24 h (seeded in $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
fi

t0=$(date +%s%N)
"$BUILD/chronicle-server" --port "$port" 2>"$work/server.log" &
spid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.001; done
echo "ready: first answer $(( ($(date +%s%N) - t0) / 1000 )) us after spawn (includes curl start-up)"
# Every request but /health carries the token the server made on its start.
token=$(cat "$work/server.token")
auth="Authorization: Bearer $token"

# wrk's latency distribution line for a percentile, in ms.
pct_ms() { awk -v p="$1%" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
           if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v; exit }'; }
latency() { # latency PATH -> "p50 p99" in ms
    wrk -t1 -c1 -d"${SECS}s" --latency -H "$auth" "http://127.0.0.1:$port$1" >"$work/wrk.txt" 2>&1
    echo "$(pct_ms 50 <"$work/wrk.txt") $(pct_ms 99 <"$work/wrk.txt")"
}
rps() { wrk -t2 -c50 -d"${SECS}s" -H "$auth" "http://127.0.0.1:$port$1" 2>&1 | awk '/^Requests\/sec/ {print $2}'; }

echo "== REST latency, 1 connection, ${SECS}s each (p50 / p99 ms; ratio = p50 / floor p50)"
read -r f50 f99 <<<"$(latency /floor-404)"
printf '%-40s %8s %8s\n' "floor: 404 answer" "$f50" "$f99"
for path in /api/sessions "/api/events?session_id=sess-000500" /api/events /api/stats "/api/stats?window=1h" /health; do
    read -r p50 p99 <<<"$(latency "$path")"
    printf '%-40s %8s %8s   x%s\n' "$path" "$p50" "$p99" "$(awk -v a="$p50" -v b="$f50" 'BEGIN { printf "%.1f", a / b }')"
done

echo "== throughput, 50 connections, ${SECS}s each (requests/s; ratio = floor / endpoint)"
fr=$(rps /floor-404)
printf '%-40s %10s\n' "floor: 404 answer" "$fr"
for path in /health /api/sessions; do
    r=$(rps "$path")
    printf '%-40s %10s   x%s\n' "$path" "$r" "$(awk -v a="$fr" -v b="$r" 'BEGIN { printf "%.2f", a / b }')"
done

echo "== payload pages: /api/sessions/{id}/events?limit=100 with and without payload=1"
echo "   ($PAGE_EVENTS events of ~${PAGE_PAYLOAD} B payloads in a second database; 50 connections,"
echo "   ${SECS}s each, 3 interleaved rounds, medians; ratio = with / without, goal >= 0.6)"
mkdir -p "$work/pages"
"$BUILD/bench/server_seed" "$work/pages/chronicle.db" "$PAGE_EVENTS" 100 86400 "$PAGE_PAYLOAD" || exit 1
CHRONICLE_HOME=$work/pages "$BUILD/chronicle-server" --port "$((port + 1))" 2>"$work/pages/server.log" &
ppid_=$!
until curl -s -o /dev/null "http://127.0.0.1:$((port + 1))/health"; do sleep 0.001; done
page="/api/sessions/sess-000042/events?limit=100"
outer_auth=$auth
auth="Authorization: Bearer $(cat "$work/pages/server.token")"
bytes=$(curl -s -H "$auth" "http://127.0.0.1:$((port + 1))$page&payload=1" | wc -c)
without=() with=()
for round in 1 2 3; do
    without+=("$(port=$((port + 1)) rps "$page")")
    with+=("$(port=$((port + 1)) rps "$page&payload=1")")
done
kill -TERM $ppid_; wait $ppid_
auth=$outer_auth
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
w0=$(med "${without[@]}"); w1=$(med "${with[@]}")
printf '%-40s %10s   rounds: %s\n' "without payloads" "$w0" "${without[*]}"
printf '%-40s %10s   rounds: %s  (%s bytes a page)\n' "payload=1" "$w1" "${with[*]}" "$bytes"
printf '%-40s %10s\n' "ratio payload=1 / without" "$(awk -v a="$w1" -v b="$w0" 'BEGIN { printf "%.2f", a / b }')"

echo "== live feed: commit -> WebSocket receipt at $RATE events/s"
"$BUILD/bench/server_live_bench" "$work/chronicle.db" "$port" 100 "$RATE" 5 "$token"
echo "server RSS with 100 clients on the database: $(awk '/VmHWM/ {print $2, $3}' /proc/$spid/status) peak, $(awk '/VmRSS/ {print $2, $3}' /proc/$spid/status) now"
CHRONICLE_WS_MAX_CLIENTS=$MAXC "$BUILD/bench/server_live_bench" "$work/chronicle.db" "$port" "$MAXC" "$RATE" 3 "$token"
echo "server RSS after $MAXC clients: $(awk '/VmHWM/ {print $2, $3}' /proc/$spid/status) peak"
echo "-wal size at the end: $(stat -c %s "$work/chronicle.db-wal" 2>/dev/null || echo 0) bytes"
kill -TERM $spid; wait $spid; spid=
