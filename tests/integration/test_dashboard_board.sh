#!/usr/bin/env bash
# test_dashboard_board.sh - the status board, the layout at 800 px, text-only
# rendering of transcripts, alerts and sign-out in headless Chromium, against
# the real collector and server (tests/integration/dashboard_board_driver.js).
#
# The server runs with CHRONICLE_IDLE_AFTER_S=2 and the driver waits longer
# than that: a session waiting on a permission prompt must still be shown
# awaiting (only working decays to idle).  Screenshots land in
# $BUILD/artifacts/ (board-*.png).
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null; then
    fail "dashboard board prerequisites" "needs chromium and node (scripts/deps.sh installs them)"
    exit 1
fi
ARTIFACTS=$BIN/artifacts
mkdir -p "$ARTIFACTS"

# Where the collector has alerts: the awaiting rule after 2 s, no desktop
# notifications (unknown settings are ignored by an older collector).
export CHRONICLE_ALERT_AWAITING_AFTER_S=2 CHRONICLE_DESKTOP_NOTIFY=0
start_collector || { fail "collector start"; exit 1; }
# This test's ports: 18700-18799 (lib.sh's free_port hands out 18500-18599,
# test_dashboard.sh 18600-18699).
for p in $(seq $((18700 + RANDOM % 100)) 18799) $(seq 18700 18799); do
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { SERVER_PORT=$p; break; }
done
CHRONICLE_IDLE_AFTER_S=2 CHRONICLE_BUDGET_DAILY_USD=5 start_server || { fail "server start"; exit 1; }

BASE_URL="http://127.0.0.1:$SERVER_PORT" TOKEN=$TOKEN SEND=$SEND SERVER_PORT=$SERVER_PORT \
    CHRONICLE_HOME=$CHRONICLE_HOME DB=$DB ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM IDLE_AFTER_S=2 \
    timeout 180 node "$ROOT/tests/integration/dashboard_board_driver.js"
rc=$?
if [ $rc -ne 0 ]; then echo "driver exit $rc; server log:" >&2; tail -n 20 "$CHRONICLE_HOME"/server.log >&2; fi
exit $rc
