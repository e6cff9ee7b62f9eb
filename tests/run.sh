#!/usr/bin/env bash
# Runs every unit test binary and integration script, counts their PASS, FAIL
# and SKIP lines and ends with "N passed, N failed, N skipped".  A test program
# that dies without reporting (crash, sanitizer abort) counts as one failure.
#
#   tests/run.sh [PATTERN]    only tests whose file name contains PATTERN
#   TEST_SCRIPTS="a.sh b.sh" tests/run.sh   those scripts instead (make test-fresh)
#
# "SKIP name: reason" is what a test prints when this machine lacks a kernel
# feature it needs (tests/integration/lib.sh: skip, have_userns, ...).  With
# CHRONICLE_TEST_NO_SKIP=1 (set by .ci/run) every SKIP counts as a failure,
# so nothing stops being tested in CI without failing it.  "N/A name: reason"
# is a check that does not apply to this build (valgrind in the ASan build),
# counted nowhere; "NOTE text" a measurement worth showing (timings).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
# promtool, extracted by scripts/deps.sh test (not the prometheus server).
PATH=$PWD/build/deps/bin:$PATH
no_skip=${CHRONICLE_TEST_NO_SKIP:-0}
pattern=${1:-}
passed=0
failed=0
skipped=0
failed_names=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/chronicle-test-logs.XXXXXX")

run_one() {
    local name=$1; shift
    local log="$logdir/$(basename "$name").log"
    "$@" >"$log.out" 2>"$log.err"
    local rc=$?
    local p f s
    p=$(grep -c '^PASS ' "$log.out")
    f=$(grep -c '^FAIL ' "$log.out")
    s=$(grep -c '^SKIP ' "$log.out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name (exit $rc, no FAIL line)" >>"$log.out"
        f=1
    fi
    if [ "$no_skip" = 1 ] && [ "$s" -gt 0 ]; then
        sed -n 's/^SKIP \(.*\)/FAIL \1 (a SKIP, and CHRONICLE_TEST_NO_SKIP=1)/p' "$log.out" >>"$log.out.skips"
        cat "$log.out.skips" >>"$log.out"
        f=$((f + s))
        s=0
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    local counts="$p passed"
    [ "$f" -gt 0 ] && counts="$counts, $f failed"
    [ "$s" -gt 0 ] && counts="$counts, $s skipped"
    echo "--- $name: $counts"
    grep -E '^(SKIP|N/A|NOTE) ' "$log.out" | sed 's/^/    /'
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        grep '^FAIL ' "$log.out" | sed 's/^/    /'
        echo "    stderr (last 40 lines):"
        tail -n 40 "$log.err" | sed 's/^/    | /'
    fi
}

run_all() {
    local t
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
}

if [ -n "${TEST_SCRIPTS:-}" ]; then
    for t in $TEST_SCRIPTS; do run_one "$t" bash "$t"; done
else
    run_all
fi

rm -rf "$logdir"
if [ "$failed" -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
