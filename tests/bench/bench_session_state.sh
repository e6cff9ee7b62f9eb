#!/usr/bin/env bash
# The cost of the session state machine on ingest: sustained ingest of the
# standard synthetic mix (tests/bench/bench_payload.h, 100 sessions) by this
# build's collector and by a collector built without it (BASE_COLLECTOR, e.g.
# built from the main branch before migration 4), in interleaved rounds,
# each against the raw SQLite floor measured in the same round.  Prints the
# median ratios.
#
#   BASE_COLLECTOR=/path/to/old/chronicle-collector tests/bench/bench_session_state.sh
#   BENCH_EVENTS (default 200000), BENCH_ROUNDS (default 3)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
EVENTS=${BENCH_EVENTS:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
BASE=${BASE_COLLECTOR:-}
work=$(mktemp -d /tmp/chrss.XXXXXX)
cpid=
trap '[ -n "$cpid" ] && kill $cpid 2>/dev/null; rm -rf "$work"' EXIT

run_collector() { # binary -> events/s
    export CHRONICLE_HOME=$work/home
    rm -rf "$CHRONICLE_HOME"
    "$1" 2>"$work/collector.log" &
    cpid=$!
    for _ in $(seq 200); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
    "$BUILD/bench/ingest_load" "$CHRONICLE_HOME/collector.sock" "$EVENTS" 4 1024 >"$work/load.txt"
    kill -TERM $cpid; wait $cpid 2>/dev/null; cpid=
    awk '{for(i=1;i<=NF;i++) if($i=="=") print $(i+1)}' "$work/load.txt"
}
floor_rate() {
    rm -f "$work"/floor.db*
    "$BUILD/bench/ingest_floor" "$work/floor.db" "$EVENTS" 1000 | awk '{print $(NF-4)}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$work/new"; : >"$work/base"
for r in $(seq "$ROUNDS"); do
    f=$(floor_rate)
    n=$(run_collector "$BUILD/chronicle-collector")
    echo "round $r: floor $f ev/s, collector $n ev/s" >&2
    awk -v a="$n" -v b="$f" 'BEGIN {print a/b}' >>"$work/new"
    if [ -n "$BASE" ]; then
        o=$(run_collector "$BASE")
        echo "round $r: base collector $o ev/s" >&2
        awk -v a="$o" -v b="$f" 'BEGIN {print a/b}' >>"$work/base"
    fi
done
rn=$(median <"$work/new")
echo "ingest ratio with the state machine (collector / raw SQLite floor, median of $ROUNDS): $rn"
if [ -n "$BASE" ]; then
    rb=$(median <"$work/base")
    echo "ingest ratio without it (base collector / floor, median of $ROUNDS): $rb"
    awk -v a="$rn" -v b="$rb" 'BEGIN {printf "with / without: %.3f\n", a/b}'
fi
