#!/usr/bin/env bash
# deps.sh - installs every Debian package that building, testing and
# benchmarking Chronicle need.  Idempotent; uses sudo when not root.
#
#   scripts/deps.sh           install what is missing
#   scripts/deps.sh --check   exit 0 if everything is present, else list what is missing
set -eu

# Build: compiler, pkg-config and the four libraries (+ wslay for WebSocket framing,
# + libjs-chart.js: Chart.js, embedded into chronicle-server's dashboard).
BUILD_PKGS="build-essential pkg-config libsqlite3-dev libevent-dev libmsgpack-dev libjansson-dev libwslay-dev libjs-chart.js libpq-dev"
# Tests: sqlite3 CLI to read back, curl for HTTP, clang for fuzz targets,
# valgrind, promtool (prometheus) to check /metrics, chromium for the dashboard,
# systemd for unit verification.
TEST_PKGS="sqlite3 jq curl nodejs clang libclang-rt-14-dev valgrind prometheus chromium systemd procps postgresql"
# Benchmarks.
BENCH_PKGS="hyperfine wrk"
ALL_PKGS="$BUILD_PKGS $TEST_PKGS $BENCH_PKGS"

missing=()
for p in $ALL_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
    if [ ${#missing[@]} -gt 0 ]; then
        echo "missing packages: ${missing[*]}"
        exit 1
    fi
    exit 0
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
