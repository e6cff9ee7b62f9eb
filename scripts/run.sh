#!/usr/bin/env bash
# run.sh (make run): chronicle-collector and chronicle-server in the
# foreground, on the home and port every Chronicle program resolves
# (`chronicle endpoint`: the config file, then CHRONICLE_HOME, CHRONICLE_PORT,
# ...).  Prints the dashboard's URL once the server answers GET /health.  When
# a daemon cannot start, or dies, prints its error, stops the other and exits
# 1.  Ctrl-C (or SIGTERM) stops both, the collector committing everything it
# received first, and exits 0.
#
# Ctrl-C on a terminal would also interrupt make, which then reports
# "*** [run] Interrupt" and exit status 2 whatever this script does.  So while
# it runs, the terminal delivers Ctrl-C as a key (stty -isig) that this
# script reads; the terminal's settings are restored on every way out.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(cd "$BUILD" && pwd)
CHRONICLE=$BIN/chronicle
home=$("$CHRONICLE" endpoint home) || exit 1
server=$("$CHRONICLE" endpoint server) || exit 1
logs=$(mktemp -d "${TMPDIR:-/tmp}/chronicle-run.XXXXXX") || exit 1
cpid=
spid=
tty_saved=

restore_tty() {
    [ -n "$tty_saved" ] && stty "$tty_saved" 2>/dev/null
    tty_saved=
}
cleanup() {
    restore_tty
    for p in $spid $cpid; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$logs"
}
trap cleanup EXIT

# The daemon's error: its last "error:" line, else its last line.
last_error() {
    local line
    line=$(grep ': error: ' "$logs/$1.err" 2>/dev/null | tail -n 1)
    [ -n "$line" ] || line=$(tail -n 1 "$logs/$1.err" 2>/dev/null)
    printf '%s' "${line:-(it printed nothing)}"
}

# died NAME PID: the daemon is gone: say why, stop the rest, exit 1.
died() {
    wait "$2" 2>/dev/null
    local rc=$?
    restore_tty
    echo "run.sh: chronicle-$1 exited (status $rc): $(last_error "$1")" >&2
    case "$(last_error "$1")" in
    *"Address already in use"*)
        echo "run.sh: another program has $server; choose another port, e.g." \
             "CHRONICLE_PORT=$(( ${server##*:} + 1 )) make run (README: Configuration)" >&2 ;;
    esac
    exit 1
}

stop() {
    restore_tty
    echo
    echo "Stopping Chronicle..."
    for p in $spid $cpid; do kill -TERM "$p" 2>/dev/null; done
    local rc=0
    [ -n "$spid" ] && { wait "$spid" || rc=$?; }
    [ -n "$cpid" ] && { wait "$cpid" || rc=$?; }
    spid= cpid=
    if [ "$rc" -eq 0 ]; then echo "Chronicle stopped."; else echo "run.sh: a daemon exited with status $rc on stop" >&2; fi
    exit "$rc"
}
trap stop INT TERM HUP

# Each daemon's stderr goes to the terminal and to a copy its error is read from.
"$BIN/chronicle-collector" </dev/null 2> >(tee "$logs/collector.err" >&2) &
cpid=$!
for _ in $(seq 100); do
    "$BIN/chronicle-send" --check >/dev/null 2>&1 && break
    kill -0 "$cpid" 2>/dev/null || died collector "$cpid"
    sleep 0.1
done
"$BIN/chronicle-send" --check >/dev/null 2>&1 || { echo "run.sh: chronicle-collector does not answer after 10 s" >&2; exit 1; }

"$BIN/chronicle-server" </dev/null 2> >(tee "$logs/server.err" >&2) &
spid=$!
url=
for _ in $(seq 60); do
    url=$("$CHRONICLE" open --timeout 250 2>/dev/null) && break
    kill -0 "$spid" 2>/dev/null || died server "$spid"
    sleep 0.25
done
[ -n "$url" ] || { echo "run.sh: chronicle-server does not answer GET /health on $server after 15 s" >&2; exit 1; }

cat <<TXT

  Chronicle is running.
    dashboard:  $url
    data:       $home
    hook:       $BIN/chronicle-send   (register it with: $BIN/chronicle install-hooks)
  Ctrl-C stops it.

TXT

# alive: 0 while both daemons run, else died() reports and exits.
alive() {
    kill -0 "$cpid" 2>/dev/null || died collector "$cpid"
    kill -0 "$spid" 2>/dev/null || died server "$spid"
}
# A plain `read`: with -n, -N or -d bash itself turns ISIG back on while it
# waits.  Ctrl-C then sits in the partial line that the timeout returns.
if [ -t 0 ] && tty_saved=$(stty -g 2>/dev/null) && stty -isig -icanon -echo min 1 time 0 2>/dev/null; then
    while :; do
        line=
        IFS= read -r -t 0.5 line
        rc=$?
        case $line in *$'\003'*) stop ;; esac
        [ "$rc" -eq 1 ] && { restore_tty; break; }   # end of input: wait for a signal instead
        alive
    done
fi
while :; do
    wait -n "$cpid" "$spid"
    alive
done
