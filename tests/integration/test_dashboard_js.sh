#!/usr/bin/env bash
# test_dashboard_js.sh - the dashboard's modules (dashboard/js/) under
# `node --test`: each tests/js/*.test.mjs imports the real module files
# (through tests/js/assets_loader.mjs, which maps their /assets/NAME.js
# imports to dashboard/js/NAME.js).  Node's TAP output becomes one line per
# test, "PASS js: FILE: TEST" or "FAIL js: FILE: TEST: error".  A file that
# cannot load, or a run that fails without naming a failed test, is a FAIL.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v node >/dev/null; then
    echo "FAIL dashboard js prerequisites: needs node (scripts/deps.sh installs it)"
    exit 1
fi
cd "$ROOT" || exit 1
tap=$(mktemp "${TMPDIR:-/tmp}/chr-js-tap.XXXXXX")
trap 'rm -f "$tap"' EXIT

# "# Subtest: NAME" opens a test at its indent (4 spaces a level); its
# "ok"/"not ok" line closes it, and the YAML block after it (--- to ...)
# holds the error of a failure.  A test that had subtests (a describe) is a
# suite: only its own tests are reported.
tap_lines() {
    awk -v file="$1" '
    function depth(line) { match(line, /^ */); return RLENGTH / 4 }
    function flush() {
        if (!pending) return
        if (pok) print "PASS js: " file ": " pname
        else { print "FAIL js: " file ": " pname (why != "" ? ": " why : ""); failed = 1 }
        pending = 0
    }
    /^ *---$/ { yaml = 1; next }
    /^ *\.\.\.$/ { yaml = 0; flush(); next }
    yaml {
        line = $0; sub(/^ */, "", line)
        if (want_why) { why = line; want_why = 0 }
        else if (line ~ /^error: \|/) want_why = 1
        else if (line ~ /^error: /) { sub(/^error: /, "", line); why = line }
        next
    }
    { flush() }
    /^ *# Subtest: / {
        d = depth($0); name = $0; sub(/^ *# Subtest: /, "", name)
        names[d] = name; child[d] = 0; if (d > 0) child[d - 1] = 1
        next
    }
    /^ *(not )?ok [0-9]+ / {
        d = depth($0)
        if ($0 ~ /# (SKIP|TODO)/) next
        if (child[d]) { child[d] = 0; next }
        pname = names[0]; for (i = 1; i <= d; i++) pname = pname " > " names[i]
        pok = ($0 !~ /^ *not ok/); pending = 1; why = ""
    }
    END { flush(); exit failed ? 1 : 0 }
    ' "$tap"
}

status=0
for t in tests/js/*.test.mjs; do
    f=$(basename "$t")
    node --import ./tests/js/assets_loader.mjs --test --test-reporter=tap "$t" >"$tap" 2>&1
    rc=$?
    tap_lines "$f"
    awk_rc=$?
    if [ $rc -ne 0 ] && [ $awk_rc -eq 0 ]; then
        echo "FAIL js: $f: node --test exited $rc without naming a failed test"
    fi
    if [ $rc -ne 0 ] || [ $awk_rc -ne 0 ]; then
        status=1
        echo "--- node --test $t:" >&2
        cat "$tap" >&2
    fi
done
exit $status
