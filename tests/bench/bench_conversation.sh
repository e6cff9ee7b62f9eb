#!/usr/bin/env bash
# bench_conversation.sh - the conversation view on a 200 MB transcript
# (docs/PERFORMANCE.md, "Conversation view"):
#   - what the offset index costs the collector's reader: the line parse
#     alone vs parse + index (transcript_scan, interleaved rounds, medians),
#     and the collector reading the whole file end to end (with BASELINE=DIR,
#     a build/ of a tree without the index, the same with its collector);
#   - GET /api/sessions/big/conversation, first page (50 items) and a page
#     near the end, against a floor measured in the same rounds: open +
#     pread of the same byte ranges (conversation_floor); medians of
#     interleaved rounds; the server's peak RSS while serving them.
# Goals: first page under 100 ms, server RSS under 32 MB.
#
#   TRANSCRIPT_MB (200)  BENCH_CONV_ROUNDS (21)  BASELINE (none)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MB=${TRANSCRIPT_MB:-200}
ROUNDS=${BENCH_CONV_ROUNDS:-21}
BASELINE=${BASELINE:-}
make -s "$BUILD/chronicle-collector" "$BUILD/chronicle-server" "$BUILD/chronicle-send" \
    "$BUILD/bench/transcript_gen" "$BUILD/bench/transcript_scan" "$BUILD/bench/conversation_floor" || exit 1
work=$(mktemp -d /tmp/chrc.XXXXXX)
cpid= spid=
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_CONFIG=/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
now_ns() { date +%s%N; }

T=$work/big.jsonl
"$BUILD/bench/transcript_gen" "$T" "$MB" tools
size=$(stat -c %s "$T")
echo "-- transcript: $MB MB, $(wc -l <"$T") lines (prompts, assistant text, tool_use + tool_result pairs)"

echo "-- reader's line parse, usage only vs usage + offset index (3 interleaved rounds, medians)"
for r in 1 2 3; do
    "$BUILD/bench/transcript_scan" "$T" | awk '{for(i=1;i<=NF;i++) if($i=="s") print $(i-1)}' >>"$work/scan-plain"
    "$BUILD/bench/transcript_scan" "$T" index | tee -a "$work/scan-index.log" |
        awk '{for(i=1;i<=NF;i++) if($i=="s") print $(i-1)}' >>"$work/scan-index"
done
p=$(median <"$work/scan-plain"); x=$(median <"$work/scan-index")
tail -1 "$work/scan-index.log"
awk -v p="$p" -v x="$x" 'BEGIN {printf "parse: %.2f s usage only, %.2f s with the index: ratio %.2f\n", p, x, x/p}'

# The collector reading the whole file, from the hook to the last offset committed.
collect() { # collect BUILD_DIR HOME -> seconds, peak RSS kB
    local b=$1 home=$2
    rm -rf "$home"
    CHRONICLE_HOME=$home "$b/chronicle-collector" 2>"$home.log" &
    cpid=$!
    for _ in $(seq 100); do [ -S "$home/collector.sock" ] && break; sleep 0.05; done
    local t0 t1
    t0=$(now_ns)
    printf '{"session_id":"big","hook_event_name":"Stop","transcript_path":"%s"}' "$T" |
        CHRONICLE_HOME=$home "$b/chronicle-send"
    until [ "$(sqlite3 "$home/chronicle.db" "SELECT offset FROM transcripts" 2>/dev/null)" = "$size" ]; do
        sleep 0.05
        [ $(( $(now_ns) - t0 )) -gt 300000000000 ] && { echo "not read in 300 s" >&2; break; }
    done
    t1=$(now_ns)
    local hwm
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$cpid/status)
    kill -TERM $cpid; wait $cpid 2>/dev/null; cpid=
    awk -v ns="$((t1 - t0))" -v h="$hwm" 'BEGIN {printf "%.2f %d\n", ns/1e9, h}'
}
export CHRONICLE_HOME=$work/home
for r in 1 2 3; do # interleaved rounds: other processes on the machine hit both alike
    if [ -n "$BASELINE" ]; then
        collect "$BASELINE" "$work/base-home" >>"$work/collect-base"
    fi
    collect "$BUILD" "$CHRONICLE_HOME" >>"$work/collect-ours"
done
cs=$(awk '{print $1}' "$work/collect-ours" | median); ch=$(awk '{print $2}' "$work/collect-ours" | median)
if [ -n "$BASELINE" ]; then
    bs=$(awk '{print $1}' "$work/collect-base" | median); bh=$(awk '{print $2}' "$work/collect-base" | median)
    echo "collector without the index ($BASELINE): $MB MB read in $bs s, peak RSS $bh kB (medians of 3)"
fi
DB=$CHRONICLE_HOME/chronicle.db
rows=$(sqlite3 "$DB" "SELECT count(*) FROM transcript_lines")
idx=$(sqlite3 "$DB" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'transcript_lines%'" 2>/dev/null)
echo "collector with the index: $MB MB read in $cs s, peak RSS $ch kB (medians of 3); $rows index rows, ${idx:-?} bytes (table + indexes)"
[ -n "$BASELINE" ] && awk -v a="$cs" -v b="$bs" 'BEGIN {printf "collector read time ratio (index / without): %.2f\n", a/b}'

# The server: the first page and one near the end, against the floor.
port=$((20000 + RANDOM % 20000))
"$BUILD/chronicle-server" --port "$port" 2>"$work/server.log" &
spid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.05; done
TOKEN=$(cat "$CHRONICLE_HOME/server.token")
get() { curl -s -o "$work/page.json" -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$port/api/sessions/big/conversation$1"; }
last_after=$(sqlite3 "$DB" "SELECT seq FROM transcript_lines WHERE session_id='big' AND kind IN (1,2,3) ORDER BY seq DESC LIMIT 1 OFFSET 60")
ranges() { # the page's lines and its tool results, as the server reads them
    sqlite3 -separator ' ' "$DB" "WITH p AS (SELECT * FROM transcript_lines WHERE session_id='big' AND agent_id=''
        AND seq > $1 AND kind IN (1,2,3) ORDER BY seq LIMIT 50)
        SELECT offset, length FROM p UNION ALL
        SELECT r.offset, r.length FROM p JOIN transcript_lines r ON r.tool_use_id = p.tool_use_id AND r.kind = 4"
}
ranges 0 >"$work/first.ranges"
ranges "$last_after" >"$work/last.ranges"
get "" >/dev/null # the first request opens the database
for r in $(seq "$ROUNDS"); do
    "$BUILD/bench/conversation_floor" "$T" <"$work/first.ranges" | awk '{print $1/1000}' >>"$work/floor-first"
    get "" | awk '{print $1*1000}' >>"$work/srv-first"
    "$BUILD/bench/conversation_floor" "$T" <"$work/last.ranges" | awk '{print $1/1000}' >>"$work/floor-last"
    get "?after=$last_after" | awk '{print $1*1000}' >>"$work/srv-last"
done
items=$(jq '.items | length' <"$work/page.json" 2>/dev/null)
bytes=$("$BUILD/bench/conversation_floor" "$T" <"$work/first.ranges" | awk '{print $2}')
hwm=$(awk '/VmHWM/ {print $2}' /proc/$spid/status)
for which in first last; do
    s=$(median <"$work/srv-$which"); f=$(median <"$work/floor-$which")
    awk -v s="$s" -v f="$f" -v w="$which" -v n="$ROUNDS" \
        'BEGIN {printf "%s page (50 items): server %.2f ms, floor (open + pread of the same ranges) %.3f ms, ratio %.0f; median of %d  (goal < 100 ms)\n", w, s, f, s/f, n}'
done
echo "page bytes read: $bytes; items on the last page read: ${items:-?}"
echo "server peak RSS while serving: $((hwm / 1024)) MB ($hwm kB; goal < 32 MB)"
