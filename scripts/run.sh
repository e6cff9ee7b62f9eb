#!/usr/bin/env bash
# run.sh (make run): chronicle-collector and chronicle-server in the
# foreground on $CHRONICLE_HOME (default ~/.claude/chronicle).  Ctrl-C stops
# both, the collector committing everything it received first.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(cd "$BUILD" && pwd)
HOME_DIR=${CHRONICLE_HOME:-$HOME/.claude/chronicle}
PORT=${CHRONICLE_PORT:-8510}

"$BIN/chronicle-collector" &
cpid=$!
spid=
stop() {
    [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null
    kill -TERM "$cpid" 2>/dev/null
    wait
    exit 0
}
trap stop INT TERM

for _ in $(seq 100); do
    "$BIN/chronicle-send" --check >/dev/null 2>&1 && break
    kill -0 "$cpid" 2>/dev/null || { echo "run.sh: chronicle-collector did not start (see above)" >&2; exit 1; }
    sleep 0.05
done

if [ -x "$BIN/chronicle-server" ]; then
    "$BIN/chronicle-server" &
    spid=$!
fi

cat <<TXT

  Chronicle is running.
    data:       $HOME_DIR
    hook:       $BIN/chronicle-send   (install it with: $BIN/chronicle install-hooks)
TXT
if [ -n "$spid" ]; then
    echo "    dashboard:  http://127.0.0.1:$PORT/"
else
    echo "    dashboard:  (chronicle-server is not built yet)"
fi
echo "  Ctrl-C stops it."
echo
wait
