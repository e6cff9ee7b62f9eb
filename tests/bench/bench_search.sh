#!/usr/bin/env bash
# bench_search.sh - full-text search (issue 11), each figure against a floor
# measured in the same run:
#   - GET /api/search latency p50/p99 (wrk, 1 connection) on a database of
#     BENCH_SEARCH_EVENTS corpus events (tests/bench/search_corpus.h) for a
#     one-word query, a phrase, a rare word, the most common word, a prefix,
#     a filtered query and a two-common-word phrase; floor: the server's 404
#     answer.  Goal: p99 < 50 ms for the one-word and the phrase query.
#   - the database's growth from the index, and migration 5's backfill time
#     (search_seed builds the events, then runs the backfill and measures).
#   - index maintenance on ingest: the collector's batch writer committing
#     the same events with and without their index rows, interleaved rounds,
#     medians (search_ingest).  Goal: at most +25%.
#
#   BENCH_SEARCH_EVENTS (1000000)  BENCH_SEARCH_SECS (3)
#   - the same end to end: chronicle-collector under ingest_load (the ingest
#     benchmark's load: 4 connections, 1024 frames in flight) on a database
#     with the index and on one whose search_events is a view that drops
#     what is inserted into it (same statements, no index), interleaved.
#
#   BENCH_SEARCH_INGEST (100000 events a round)  BENCH_SEARCH_ROUNDS (5)
#   BENCH_SEARCH_E2E (200000 events a round, 3 rounds)
# The seeded database is cached in $BUILD/bench-cache/ (build it once: ~40 s
# for 1M events on 2 cores), with the seed's own report beside it.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
EVENTS=${BENCH_SEARCH_EVENTS:-1000000}
SECS=${BENCH_SEARCH_SECS:-3}
INGEST=${BENCH_SEARCH_INGEST:-100000}
ROUNDS=${BENCH_SEARCH_ROUNDS:-5}
make -s "$BUILD/chronicle-server" "$BUILD/chronicle-collector" "$BUILD/chronicle-send" \
    "$BUILD/bench/search_seed" "$BUILD/bench/search_ingest" "$BUILD/bench/ingest_load" || exit 1
command -v wrk >/dev/null || { echo "bench_search: wrk is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d /tmp/chrq.XXXXXX)
spid=
cpid=
trap '[ -n "$spid" ] && kill -TERM $spid 2>/dev/null; [ -n "$cpid" ] && kill -TERM $cpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_CONFIG=/dev/null
cache=$BUILD/bench-cache
db=$cache/search-$EVENTS.db
mkdir -p "$cache"
echo "== search: machine $(nproc) cores, $(uname -r), $(date -u +%FT%TZ)"
if [ ! -f "$db" ] || [ ! -f "$db.seed.txt" ] || [ "$db" -ot "$BUILD/bench/search_seed" ]; then
    rm -f "$db" "$db"-wal "$db"-shm
    "$BUILD/bench/search_seed" "$db" "$EVENTS" >"$db.seed.txt" || { rm -f "$db"; exit 1; }
fi
echo "database: $db ($(cat "$db.seed.txt"))"
cp "$db" "$work/chronicle.db"

port=
for p in $(seq 18600 2 18608); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "bench_search: no free port in 18600-18609"; exit 1; }
CHRONICLE_HOME=$work "$BUILD/chronicle-server" --port "$port" 2>"$work/server.log" &
spid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.01; done
auth="Authorization: Bearer $(cat "$work/server.token")"
pct_ms() { awk -v p="$1%" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
           if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v; exit }'; }
latency() { # latency PATH -> "p50 p99" in ms
    wrk -t1 -c1 -d"${SECS}s" --latency -H "$auth" "http://127.0.0.1:$port$1" >"$work/wrk.txt" 2>&1
    echo "$(pct_ms 50 <"$work/wrk.txt") $(pct_ms 99 <"$work/wrk.txt")"
}
hits() { curl -s -H "$auth" "http://127.0.0.1:$port$1" | jq -r '.count' 2>/dev/null; }

echo "== GET /api/search, 1 connection, ${SECS}s each (p50 / p99 ms; x = p50 / floor p50; limit 50)"
read -r f50 f99 <<<"$(latency /floor-404)"
printf '%-52s %8s %8s\n' "floor: 404 answer" "$f50" "$f99"
# timeout: ~2% of events; "connection refused": ~0.4%; zanzibar: rare;
# ban: the corpus's most common word; "ban can": two common words, adjacent rarely.
for q in "timeout" "%22connection%20refused%22" "zanzibar" "ban" "tim*" \
         "timeout&session_id=sess-000500" "timeout&event_type=PostToolUse" "%22ban%20can%22"; do
    path="/api/search?q=$q"
    read -r p50 p99 <<<"$(latency "$path")"
    goal=
    case "$q" in timeout|%22connection*) goal=$(awk -v p="$p99" 'BEGIN { print (p < 50) ? "  (goal p99 < 50 ms: met)" : "  (goal p99 < 50 ms: NOT met)" }') ;; esac
    printf '%-52s %8s %8s   x%-6s %s hits%s\n' "$path" "$p50" "$p99" \
        "$(awk -v a="$p50" -v b="$f50" 'BEGIN { printf "%.1f", a / b }')" "$(hits "$path")" "$goal"
done
echo "server RSS after the searches: $(awk '/VmHWM/ {print $2, $3}' /proc/$spid/status) peak"
kill -TERM $spid; wait $spid; spid=

echo "== index maintenance on ingest ($INGEST events a round, $ROUNDS rounds, batches of 1024)"
"$BUILD/bench/search_ingest" "$work" "$INGEST" "$ROUNDS" corpus
"$BUILD/bench/search_ingest" "$work" "$INGEST" "$ROUNDS" bench

E2E=${BENCH_SEARCH_E2E:-200000}
echo "== end to end: chronicle-collector ingest of $E2E events (ingest_load 4 x 1024 in flight), 3 interleaved rounds"
start_collector() { # HOME
    CHRONICLE_HOME=$1 "$BUILD/chronicle-collector" 2>>"$1/collector.log" &
    cpid=$!
    for _ in $(seq 200); do CHRONICLE_HOME=$1 "$BUILD/chronicle-send" --check >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "collector did not start"; return 1
}
stop_collector() { kill -TERM $cpid; wait $cpid 2>/dev/null; cpid=; }
e2e() { # with|without -> events/s
    local home=$work/e2e-$1
    rm -rf "$home"; mkdir -p "$home"; chmod 700 "$home"
    if [ "$1" = without ]; then
        start_collector "$home" >&2 && stop_collector
        sqlite3 "$home/chronicle.db" "DROP TRIGGER search_events_delete; DROP TABLE search_events;
            CREATE VIEW search_events AS SELECT NULL AS rowid, NULL AS prompt, NULL AS command,
              NULL AS file_path, NULL AS tool_output, NULL AS error, NULL AS other WHERE 0;
            CREATE TRIGGER search_events_drop INSTEAD OF INSERT ON search_events BEGIN SELECT 1; END;"
    fi
    start_collector "$home" >&2 || return 1
    "$BUILD/bench/ingest_load" "$home/collector.sock" "$E2E" 4 1024 >"$work/load.txt"
    stop_collector
    awk '{for(i=1;i<=NF;i++) if($i=="=") print $(i+1)}' "$work/load.txt"
}
with=() without=()
for round in 1 2 3; do
    if [ $((round % 2)) = 1 ]; then with+=("$(e2e with)"); without+=("$(e2e without)")
    else without+=("$(e2e without)"); with+=("$(e2e with)"); fi
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
w1=$(med "${with[@]}"); w0=$(med "${without[@]}")
printf '%-40s %10s events/s   rounds: %s\n' "without the index" "$w0" "${without[*]}"
printf '%-40s %10s events/s   rounds: %s\n' "with the index" "$w1" "${with[*]}"
awk -v a="$w0" -v b="$w1" 'BEGIN { printf "collector ingest cost of the index: %+.0f%% time per event (goal <= 25%%)\n", 100 * (a / b - 1) }'
