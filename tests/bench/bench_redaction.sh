#!/usr/bin/env bash
# bench_redaction.sh - what secret redaction costs, as ratios measured in the
# same run (docs/PERFORMANCE.md, "Redaction"):
#   - receive-time work per event, redaction off vs on, over three payload
#     sets (tests/bench/redact_bench.c);
#   - sustained collector ingest (ingest_load, the ingest benchmark's
#     payloads) with CHRONICLE_REDACT=0 vs 1, interleaved rounds, medians.
# BASELINE=DIR (the build/ directory of another checkout, e.g. main, with
# build/bench/redact_bench and chronicle-collector built) adds that tree's
# redactor to both, in the same rounds.
#
#   BENCH_REDACT_EVENTS (200000)  BENCH_REDACT_ROUNDS (3)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
EVENTS=${BENCH_REDACT_EVENTS:-200000}
ROUNDS=${BENCH_REDACT_ROUNDS:-3}
BASELINE=${BASELINE:-}
make -s "$BUILD/chronicle-collector" "$BUILD/bench/redact_bench" "$BUILD/bench/ingest_load" || exit 1
work=$(mktemp -d /tmp/chrr.XXXXXX)
cpid=
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CHRONICLE_CONFIG=/dev/null

# One redact_bench run per tree and round, alternating; then per payload set
# the median of each tree's ns/event with redaction off and on.
echo "-- receive-time work per event (pending_event_new), $ROUNDS interleaved rounds of 5, medians"
trees=("$BUILD")
[ -n "$BASELINE" ] && trees+=("$BASELINE")
for r in $(seq "$ROUNDS"); do
    for t in "${!trees[@]}"; do
        "${trees[$t]}/bench/redact_bench" 5 tests/fixtures/hooks/*.json | sed "s/^/$t /" >>"$work/cpu"
    done
done
median_of() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# cpu_col TREE SET WORD: that column ("off" or "on" ns/event) of every round.
cpu_col() {
    awk -v t="$1" -v s="$2" -v w="$3" '$1 == t && $3 == s { for (i = 1; i <= NF; i++) if ($i == w) print $(i + 1) }' "$work/cpu"
}
for set in ingest hooks read64k; do
    for t in "${!trees[@]}"; do
        off=$(cpu_col "$t" "$set" off | median_of); on=$(cpu_col "$t" "$set" on | median_of)
        printf "%-8s %-24s off %6.0f ns/event, on %6.0f ns/event, on/off %.2f\n" "$set" "${trees[$t]}" \
            "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')"
        [ "$t" = 0 ] && this_on=$on
    done
    [ -n "$BASELINE" ] && printf "%-8s redaction on, this tree / baseline: %.2f\n" "$set" \
        "$(awk -v a="$this_on" -v b="$on" 'BEGIN {print a / b}')"
done

# ingest COLLECTOR REDACT: events/s of one fresh collector.
ingest() {
    export CHRONICLE_HOME=$work/home
    rm -rf "$CHRONICLE_HOME"
    CHRONICLE_REDACT=$2 "$1" 2>"$work/collector.log" &
    cpid=$!
    for _ in $(seq 200); do [ -S "$CHRONICLE_HOME/collector.sock" ] && break; sleep 0.05; done
    "$BUILD/bench/ingest_load" "$CHRONICLE_HOME/collector.sock" "$EVENTS" 4 1024 |
        awk '{for (i = 1; i <= NF; i++) if ($i == "=") print $(i + 1)}'
    kill -TERM "$cpid"; wait "$cpid" 2>/dev/null; cpid=
}

echo "-- collector ingest of $EVENTS events, $ROUNDS interleaved rounds"
configs=("$BUILD/chronicle-collector 0" "$BUILD/chronicle-collector 1")
[ -n "$BASELINE" ] && configs+=("$BASELINE/chronicle-collector 1")
for r in $(seq "$ROUNDS"); do
    for k in "${!configs[@]}"; do
        set -- ${configs[$k]}
        echo "$k $(ingest "$1" "$2")" >>"$work/rates"
    done
done
median() { awk -v k="$1" '$1 == k {print $2}' "$work/rates" | median_of; }
off=$(median 0); on=$(median 1)
printf "ingest, redaction off: %.0f events/s; on: %.0f events/s; on/off %.2f\n" "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')"
if [ -n "$BASELINE" ]; then
    base=$(median 2)
    printf "ingest, baseline redaction on: %.0f events/s; this tree / baseline %.2f\n" "$base" "$(awk -v a="$on" -v b="$base" 'BEGIN {print a / b}')"
fi
