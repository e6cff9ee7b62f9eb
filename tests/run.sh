#!/usr/bin/env bash
# Runs every unit test binary and integration script, counts their PASS/FAIL
# lines and ends with "N passed, N failed".  A test program that dies without
# reporting (crash, sanitizer abort) counts as one failure.
#
#   tests/run.sh [PATTERN]    only tests whose file name contains PATTERN
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
pattern=${1:-}
passed=0
failed=0
failed_names=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/chronicle-test-logs.XXXXXX")

run_one() {
    local name=$1; shift
    local log="$logdir/$(basename "$name").log"
    "$@" >"$log.out" 2>"$log.err"
    local rc=$?
    local p f
    p=$(grep -c '^PASS ' "$log.out")
    f=$(grep -c '^FAIL ' "$log.out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name (exit $rc, no FAIL line)" >>"$log.out"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        echo "--- $name: $p passed, $f failed"
        grep -E '^(PASS|FAIL) ' "$log.out" | grep '^FAIL' | sed 's/^/    /'
        echo "    stderr (last 40 lines):"
        tail -n 40 "$log.err" | sed 's/^/    | /'
    else
        echo "--- $name: $p passed"
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *"$pattern"*) ;; *) continue ;; esac
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    case "$t" in *"$pattern"*) ;; *) continue ;; esac
    run_one "integration/$(basename "$t")" bash "$t"
done

rm -rf "$logdir"
if [ "$failed" -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
