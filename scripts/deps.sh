#!/usr/bin/env bash
# deps.sh - installs the Debian packages one use of Chronicle needs, and
# nothing more.  Idempotent and silent when everything is there; otherwise one
# line says what it installs and why, and apt's output goes to a log file
# (shown only when apt fails).  Uses sudo when not root.
#
#   scripts/deps.sh [--check] GROUP...
#
#   build   compile and run the programs (make, make run, make install)
#   test    make test: read-back tools, fuzzing, valgrind, the dashboard in
#           Chromium, systemd for the units, promtool for /metrics
#   bench   make bench
#   e2e     make test-e2e: npm, for the Claude Code CLI
#   fresh   make test-fresh: debootstrap and tmux
#
# --check: exit 0 when the groups are complete, else list what is missing.
#
# promtool (test) comes from Debian's prometheus package, which is also a
# server that its maintainer scripts enable and start, listening on every
# interface.  So the package is never installed: `apt-get download` fetches
# it (apt checks it against the signed archive index) and only usr/bin/promtool
# is extracted, into build/deps/bin, which tests/run.sh puts on PATH.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS_BIN=$ROOT/build/deps/bin

group_packages() {
    case "$1" in
    # gcc + libc6-dev rather than build-essential: no g++ nor dpkg-dev needed.
    # libjs-chart.js: Chart.js, embedded into chronicle-server's dashboard.
    # libpq-dev: chronicle-ship and `chronicle team` (team mode) link libpq.
    # libcurl4-openssl-dev: the collector's webhook client (TLS, proxies, timeouts).
    build) echo "gcc libc6-dev pkg-config libsqlite3-dev libevent-dev libmsgpack-dev libjansson-dev libwslay-dev libjs-chart.js libpq-dev libcurl4-openssl-dev" ;;
    # jq, sqlite3, curl read results back; clang + libclang-rt for libFuzzer;
    # nodejs + chromium drive the dashboard; systemd for systemd-analyze and a
    # user manager; procps (ps); tmux types Ctrl-C into `make run`;
    # postgresql: the team-mode tests and benchmark start a throwaway cluster
    # of their own (never the system one, see docs/TEAM.md); openssl makes
    # the TLS test's certificates.
    test) echo "sqlite3 jq curl nodejs clang libclang-rt-14-dev valgrind chromium systemd procps tmux postgresql openssl" ;;
    bench) echo "hyperfine wrk valgrind sqlite3 jq curl postgresql" ;;
    e2e) command -v npm >/dev/null || echo "npm"; echo "jq curl sqlite3" ;;
    fresh) echo "debootstrap tmux curl" ;;
    *) return 1 ;;
    esac
}

group_reason() {
    case "$1" in
    build) echo "to build and run Chronicle" ;;
    test) echo "for make test" ;;
    bench) echo "for make bench" ;;
    e2e) echo "for make test-e2e" ;;
    fresh) echo "for make test-fresh" ;;
    esac
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have_promtool() { [ -x "$DEPS_BIN/promtool" ] && "$DEPS_BIN/promtool" --version >/dev/null 2>&1; }

check=0
groups=()
for a in "$@"; do
    case "$a" in
    --check) check=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) group_packages "$a" >/dev/null || { echo "deps.sh: unknown group '$a' (build, test, bench, e2e, fresh)" >&2; exit 2; }
       groups+=("$a") ;;
    esac
done
[ ${#groups[@]} -gt 0 ] || groups=(build)

missing=()
reasons=()
need_promtool=0
for g in "${groups[@]}"; do
    n=${#missing[@]}
    for p in $(group_packages "$g"); do
        installed "$p" || case " ${missing[*]} " in *" $p "*) ;; *) missing+=("$p") ;; esac
    done
    if [ "$g" = test ] && ! have_promtool; then need_promtool=1; fi
    if [ ${#missing[@]} -gt "$n" ] || { [ "$g" = test ] && [ $need_promtool = 1 ]; }; then
        reasons+=("$(group_reason "$g")")
    fi
done

if [ $check = 1 ]; then
    [ $need_promtool = 1 ] && missing+=("promtool (from the prometheus package, into $DEPS_BIN)")
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "missing: ${missing[*]}"
    exit 1
fi
[ ${#missing[@]} -eq 0 ] && [ $need_promtool = 0 ] && exit 0

command -v apt-get >/dev/null || {
    echo "deps.sh: no apt-get here: install with your package manager: ${missing[*]}" >&2; exit 1; }
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps.sh: installing packages needs root or sudo; as root run:" >&2
        echo "    apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
        exit 1; }
    SUDO=sudo
fi
log=$(mktemp "${TMPDIR:-/tmp}/chronicle-deps.XXXXXX.log") || exit 1
apt_failed() {
    echo "deps.sh: $1 failed; the last lines of $log:" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    exit 1
}
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update >>"$log" 2>&1 || apt_failed "apt-get update"

if [ ${#missing[@]} -gt 0 ]; then
    # What apt will fetch, dependencies included, so the one line can say it.
    size=$($SUDO apt-get install -qq --print-uris --no-install-recommends "${missing[@]}" 2>>"$log" |
           awk '{n++; s += $3} END {printf "%d packages with dependencies, %.0f MB to download", n, s / 1e6}')
    reason=$(IFS=,; echo "${reasons[*]}" | sed 's/,/, /g')
    echo "deps.sh: installing ${missing[*]} $reason (${size:-size unknown})" >&2
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
        apt_failed "apt-get install"
fi

if [ $need_promtool = 1 ]; then
    echo "deps.sh: extracting promtool from Debian's prometheus package into $DEPS_BIN (the server in that package is not installed)" >&2
    work=$(mktemp -d) || exit 1
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download prometheus) >>"$log" 2>&1 || apt_failed "apt-get download prometheus"
    mkdir -p "$work/x" "$DEPS_BIN" &&
    dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work/x" ./usr/bin/promtool 2>>"$log" &&
    install -m 0755 "$work/x/usr/bin/promtool" "$DEPS_BIN/promtool.tmp" &&
    mv "$DEPS_BIN/promtool.tmp" "$DEPS_BIN/promtool" || apt_failed "extracting promtool"
    have_promtool || apt_failed "promtool --version"
fi
rm -f "$log"
