#!/usr/bin/env bash
# make bench: every benchmark, each printed as a ratio against a floor
# measured in the same run on the same machine.  Results and the command
# that produced them go into docs/PERFORMANCE.md by hand.
#
#   BENCH_EVENTS   events for the ingest benchmark (default 1000000)
#   BENCH_RUNS     sender invocations per program (default 500)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
EVENTS=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-500}
work=$(mktemp -d /tmp/chrb.XXXXXX)
trap 'pkill -P $$ 2>/dev/null; kill $cpid 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_HOME=$work/home

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%FT%TZ)"

echo "== sender: spawn to exit, collector acknowledging the commit ($RUNS runs each, alternating)"
"$BUILD/chronicle-collector" 2>"$work/collector-sender.log" &
cpid=$!
for _ in $(seq 100); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
"$BUILD/bench/sender_bench" "$RUNS" tests/fixtures/hooks/PreToolUse.json \
    "$BUILD/bench/floor_client" "$BUILD/chronicle-send" "$BUILD/bench/chronicle-send-dynamic"
if command -v valgrind >/dev/null; then
    ins() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | awk '/Collected/ {print $4}'; }
    s=$(ins "$BUILD/chronicle-send" <tests/fixtures/hooks/PreToolUse.json)
    echo "sender instructions (callgrind, one event, static): $s"
fi
kill -TERM $cpid; wait $cpid 2>/dev/null

echo "== collector: sustained ingest of $EVENTS events vs raw batched SQLite inserts of the same rows"
rm -rf "$CHRONICLE_HOME"
"$BUILD/bench/ingest_floor" "$work/floor.db" "$EVENTS" 1000 | tee "$work/floor.txt"
rm -f "$work"/floor.db*
"$BUILD/bench/ingest_floor_all" "$work/floor-all.db" "$EVENTS" 1024 | tee "$work/floor-all.txt"
rm -f "$work"/floor-all.db*
"$BUILD/chronicle-collector" 2>"$work/collector-ingest.log" &
cpid=$!
for _ in $(seq 100); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
"$BUILD/bench/ingest_load" "$CHRONICLE_HOME/collector.sock" "$EVENTS" 4 1024 | tee "$work/load.txt"
rss=$(awk '/VmHWM/ {print $2}' /proc/$cpid/status)
kill -TERM $cpid; wait $cpid 2>/dev/null
floor=$(awk '{print $(NF-4)}' "$work/floor.txt")
ours=$(awk '{for(i=1;i<=NF;i++) if($i=="=") print $(i+1)}' "$work/load.txt")
floor_all=$(awk '{for(i=1;i<=NF;i++) if($i=="=") print $(i+1)}' "$work/floor-all.txt")
awk -v a="$ours" -v b="$floor" 'BEGIN {printf "ingest ratio (collector / raw SQLite floor, event rows only): %.2f  (goal >= 0.7)\n", a/b}'
awk -v a="$ours" -v b="$floor_all" 'BEGIN {printf "ingest ratio (collector / batch-writer floor, every row it writes): %.2f\n", a/b}'
echo "collector peak RSS under that load: $((rss / 1024)) MB ($rss kB; goal < 16 MB)"
stored=$(sqlite3 "$CHRONICLE_HOME/chronicle.db" "SELECT count(*) FROM events")
echo "events stored: $stored of $EVENTS"

for extra in tests/bench/bench_*.sh; do
    [ -f "$extra" ] || continue
    echo "== $(basename "$extra")"
    BUILD=$BUILD bash "$extra"
done
