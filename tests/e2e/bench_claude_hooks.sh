#!/usr/bin/env bash
# bench_claude_hooks.sh - what Chronicle's hooks cost the agent: the real
# Claude Code CLI runs a scripted session of N Bash tool calls (default 24)
# against build/tools/messages_standin, alternately without and with the
# hooks `chronicle install-hooks` writes (collector running), RUNS times each,
# and a floor: the same hooks running /bin/true, i.e. what Claude Code's own
# spawning of any hook costs.  Prints the median wall times and the ratios
# (goal for Chronicle's: at most 1.05).
#
#   BENCH_RUNS=10 BENCH_TOOL_CALLS=24 bash tests/e2e/bench_claude_hooks.sh
. "$(dirname "$0")/../integration/lib.sh"

RUNS=${BENCH_RUNS:-10}
CALLS=${BENCH_TOOL_CALLS:-24}
CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.332}
CLAUDE=$BIN/e2e/claude-code-$CLAUDE_CODE_VERSION/node_modules/.bin/claude
T=$(mktemp -d /tmp/chr-bench.XXXXXX)
STANDIN_PID=
trap '[ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null; cleanup; rm -rf "$T"' EXIT
[ -x "$CLAUDE" ] || { echo "run make test-e2e first (installs Claude Code $CLAUDE_CODE_VERSION)" >&2; exit 1; }

mkdir -p "$T/plain/.claude" "$T/hooked" "$T/floor" "$T/work"
echo '{}' >"$T/plain/.claude/settings.json"
HOME=$T/hooked PATH=$(dirname "$CLAUDE"):$PATH "$BIN/chronicle" install-hooks >/dev/null || exit 1
HOME=$T/floor PATH=$(dirname "$CLAUDE"):$PATH "$BIN/chronicle" install-hooks --send /bin/true >/dev/null || exit 1
start_collector || exit 1
STANDIN_BASH_CALLS=$CALLS "$BIN/tools/messages_standin" "$T/port" "$T/api.log" &
STANDIN_PID=$!
wait_for 5 test -s "$T/port" || exit 1
URL=http://127.0.0.1:$(cat "$T/port")

# run HOME: one session; prints its wall time in ms.
run() {
    local t0 t1
    t0=$(date +%s%N)
    (cd "$T/work" && HOME=$1 ANTHROPIC_BASE_URL=$URL ANTHROPIC_API_KEY=sk-ant-bench \
        DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 \
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
        timeout 300 "$CLAUDE" -p "Run the steps." --allowedTools Bash >"$T/out" 2>&1) ||
        { echo "claude failed: $(cat "$T/out")" >&2; exit 1; }
    t1=$(date +%s%N)
    grep -q "All done." "$T/out" || { echo "unexpected answer: $(cat "$T/out")" >&2; exit 1; }
    echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

run "$T/plain" >/dev/null; run "$T/hooked" >/dev/null   # warm caches
before=$(sql 'SELECT count(*) FROM events')
: >"$T/plain.ms"; : >"$T/hooked.ms"; : >"$T/floor.ms"
for i in $(seq 1 "$RUNS"); do
    run "$T/plain" >>"$T/plain.ms"
    run "$T/hooked" >>"$T/hooked.ms"
    run "$T/floor" >>"$T/floor.ms"
done
wait_spool_empty 30
events=$(( $(sql 'SELECT count(*) FROM events') - before ))
p=$(median <"$T/plain.ms"); h=$(median <"$T/hooked.ms"); f=$(median <"$T/floor.ms")
ratio=$(awk -v a="$h" -v b="$p" 'BEGIN { printf "%.3f", a / b }')
floor=$(awk -v a="$f" -v b="$p" 'BEGIN { printf "%.3f", a / b }')
echo "Claude Code $CLAUDE_CODE_VERSION, $CALLS Bash calls per session, $RUNS alternating runs each"
echo "without hooks: median ${p} ms  ($(tr '\n' ' ' <"$T/plain.ms"))"
echo "with hooks:    median ${h} ms  ($(tr '\n' ' ' <"$T/hooked.ms"))"
echo "/bin/true hooks (floor): median ${f} ms  ($(tr '\n' ' ' <"$T/floor.ms"))"
echo "events stored: $events ($(( events / RUNS )) per hooked session)"
echo "ratio with/without: $ratio (goal <= 1.05); floor /bin/true hooks/without: $floor"
