#!/usr/bin/env bash
# check-units.sh - static checks of the systemd user units in systemd/.
#
#   scripts/check-units.sh [BINDIR]
#
# Renders the units (scripts/units-render.sh) with @BINDIR@ replaced by BINDIR
# (default: the build directory, whose binaries must exist: verify checks
# ExecStart) and the default home, then
#   - `systemd-analyze --user verify` must print NOTHING (it exits 0 even for
#     unknown keys or bad values, so any output is a failure);
#   - `systemd-analyze --user security --offline=yes` exposure is reported for
#     each service and must not exceed MAX_EXPOSURE (default 2.0).
# Prints PASS/FAIL lines (tests/run.sh counts them); exits 1 on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINDIR=${1:-$ROOT/${BUILD:-build}}
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
command -v systemd-analyze >/dev/null || { echo "FAIL units_tools: systemd-analyze missing (Debian package systemd)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify and security need a runtime directory even offline.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/run}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
"$ROOT/scripts/units-render.sh" "$BINDIR" '%h/.claude/chronicle' "$work" >/dev/null || {
    echo "FAIL units_render"; exit 1; }
units=()
for u in "$ROOT"/systemd/*.socket "$ROOT"/systemd/*.service; do
    units+=("$(basename "$u")")
done
failed=0
cd "$work"
out=$(systemd-analyze --user verify "${units[@]}" 2>&1)
if [ -z "$out" ]; then
    echo "PASS units_verify_silent"
else
    echo "FAIL units_verify_silent"
    printf '%s\n' "$out" | sed 's/^/    /'
    failed=1
fi
if grep -q '@[A-Z]*@' "${units[@]}"; then echo "FAIL units_placeholders_replaced"; failed=1
else echo "PASS units_placeholders_replaced"; fi
for u in "${units[@]}"; do
    case "$u" in *.service) ;; *) continue ;; esac
    level=$(systemd-analyze --user security --offline=yes "$u" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    echo "exposure $u: ${level:-?} (goal <= $MAX_EXPOSURE)"
    if [ -n "$level" ] && awk -v a="$level" -v b="$MAX_EXPOSURE" 'BEGIN { exit !(a <= b) }'; then
        echo "PASS units_exposure_${u%.service}"
    else
        echo "FAIL units_exposure_${u%.service}: ${level:-no result}"
        failed=1
    fi
done
exit $failed
