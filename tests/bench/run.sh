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

echo "== transcripts: a generated ${TRANSCRIPT_MB:-200} MB transcript"
TMB=${TRANSCRIPT_MB:-200}
"$BUILD/bench/transcript_gen" "$work/big.jsonl" "$TMB"
"$BUILD/bench/transcript_scan" "$work/big.jsonl"
if command -v jq >/dev/null; then
    t0=$(date +%s%N)
    jq -c .message.usage "$work/big.jsonl" >/dev/null
    t1=$(date +%s%N)
    lines=$(wc -l <"$work/big.jsonl")
    awk -v l="$lines" -v ns="$((t1 - t0))" 'BEGIN {printf "jq -c .message.usage (floor): %d lines in %.2f s = %.0f lines/s\n", l, ns/1e9, l/(ns/1e9)}'
fi
# The collector reading it: incremental, off the commit path, flat memory.
rm -rf "$CHRONICLE_HOME"
"$BUILD/chronicle-collector" 2>"$work/collector-transcript.log" &
cpid=$!
for _ in $(seq 100); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
rss0=$(awk '/VmRSS/ {print $2}' /proc/$cpid/status)
size=$(stat -c %s "$work/big.jsonl")
t0=$(date +%s%N)
printf '{"session_id":"big","hook_event_name":"Stop","transcript_path":"%s"}' "$work/big.jsonl" | "$BUILD/chronicle-send"
until [ "$(sqlite3 "$CHRONICLE_HOME/chronicle.db" "SELECT offset FROM transcripts" 2>/dev/null)" = "$size" ]; do
    sleep 0.05
    [ $(( $(date +%s%N) - t0 )) -gt 300000000000 ] && { echo "transcript not read in 300 s"; break; }
done
t1=$(date +%s%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$cpid/status)
rows=$(sqlite3 "$CHRONICLE_HOME/chronicle.db" "SELECT count(*) FROM usage")
kill -TERM $cpid; wait $cpid 2>/dev/null
awk -v ns="$((t1 - t0))" -v mb="$TMB" -v rows="$rows" -v r0="$rss0" -v h="$hwm" \
    'BEGIN {printf "collector: %d MB transcript read and %d usage rows committed in %.2f s; RSS %d kB at start, peak %d kB\n", mb, rows, ns/1e9, r0, h}'
rm -f "$work/big.jsonl"

for extra in tests/bench/bench_*.sh; do
    [ -f "$extra" ] || continue
    echo "== $(basename "$extra")"
    BUILD=$BUILD bash "$extra"
done
