#!/usr/bin/env bash
# analyze.sh - gcc's static analyzer (-fanalyzer) over the daemons' sources.
# Fails on any path it reports to a use-after-free, double free, NULL
# dereference or argument, use of uninitialised memory, or a free of
# something not allocated.  Its leak reports are left out: it cannot follow
# ownership moved into structs and lists, so they are mostly false here, and
# valgrind (tests/integration/test_valgrind.sh) guards real leaks.
#
#   scripts/analyze.sh [DIR...]     default: collector (send, ship) server common
set -u
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(collector collector/send collector/ship server common)
CC=${CC_ANALYZER:-gcc}
# shellcheck disable=SC2207
flags=(-std=c11 -D_GNU_SOURCE -O0 -fanalyzer -Iinclude -Icollector -Icollector/ship -Iserver $(pkg-config --cflags libpq 2>/dev/null)
       -Wno-analyzer-malloc-leak -Wno-analyzer-fd-leak -Wno-analyzer-file-leak)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0
for d in "${dirs[@]}"; do
    for f in "$d"/*.c; do
        [ -f "$f" ] || continue
        "$CC" "${flags[@]}" -c "$f" -o /dev/null 2>>"$log" || { echo "analyze: $f does not compile" >&2; cat "$log" >&2; exit 1; }
        n=$((n + 1))
    done
done
if grep -q 'warning: ' "$log"; then
    cat "$log"
    echo "analyze: $(grep -c 'warning: ' "$log") finding(s) in $n files" >&2
    exit 1
fi
echo "analyze: $n files, no findings"
