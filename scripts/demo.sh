#!/usr/bin/env bash
# demo.sh - the dashboard with realistic data: starts chronicle-collector and
# chronicle-server on a temporary CHRONICLE_HOME and plays five simulated
# Claude Code sessions in three projects through the real chronicle-send
# (scripts/demo_sessions.js), in real time.
#
#   scripts/demo.sh [SECONDS]                  play, then keep serving until Ctrl-C
#   scripts/demo.sh SECONDS --screenshot FILE  play, save a 1280x800 screenshot, exit
#
# PORT (default 8510) and BUILD (default build) are honoured.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PORT=${PORT:-8510}
seconds=${1:-60}
shot=
if [ "${2:-}" = "--screenshot" ]; then shot=${3:?--screenshot needs a file}; fi
CHRONICLE_HOME=$(mktemp -d /tmp/chr-demo.XXXXXX)
export CHRONICLE_HOME
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$CHRONICLE_HOME"
}
trap cleanup EXIT INT TERM

"$BUILD/chronicle-collector" 2>>"$CHRONICLE_HOME/collector.log" &
pids+=($!)
"$BUILD/chronicle-server" --port "$PORT" 2>>"$CHRONICLE_HOME/server.log" &
pids+=($!)
for _ in $(seq 100); do
    "$BUILD/chronicle-send" --check >/dev/null 2>&1 && curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break
    sleep 0.1
done
mkdir -p "$CHRONICLE_HOME/transcripts"
# The link signs the browser in (the server trades the token for a cookie).
TOKEN=$(cat "$CHRONICLE_HOME/server.token")
echo "demo: dashboard at http://127.0.0.1:$PORT/?token=$TOKEN (CHRONICLE_HOME=$CHRONICLE_HOME), playing ${seconds}s of sessions" >&2
if [ -n "$shot" ]; then
    DEMO_TOKEN=$TOKEN DEMO_TRANSCRIPTS=$CHRONICLE_HOME/transcripts SEND=$BUILD/chronicle-send node scripts/demo_sessions.js "$seconds" "http://127.0.0.1:$PORT" "$shot"
else
    DEMO_TRANSCRIPTS=$CHRONICLE_HOME/transcripts SEND=$BUILD/chronicle-send node scripts/demo_sessions.js "$seconds"
    echo "demo: done; still serving http://127.0.0.1:$PORT/?token=$TOKEN (Ctrl-C to stop)" >&2
    wait
fi
