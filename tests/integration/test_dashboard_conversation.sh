#!/usr/bin/env bash
# test_dashboard_conversation.sh - the session pane's Conversation tab in
# headless Chromium against the real collector and server: a transcript with
# a prompt holding markup, Bash/Read/Edit/Grep calls, an Agent call whose
# subagent has its own transcript, and enough turns for several pages
# (tests/integration/dashboard_conversation_driver.js writes it and drives
# the page).  Where the server has no conversation endpoint the tab must stay
# hidden, and that is all this test checks.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null; then
    fail "dashboard conversation prerequisites" "needs chromium and node (scripts/deps.sh installs them)"
    exit 1
fi
ARTIFACTS=$BIN/artifacts
mkdir -p "$ARTIFACTS"
start_collector || { fail "collector start"; exit 1; }
# This test's ports: 18800-18899.
for p in $(seq $((18800 + RANDOM % 100)) 18899) $(seq 18800 18899); do
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { SERVER_PORT=$p; break; }
done
start_server || { fail "server start"; exit 1; }
BASE_URL="http://127.0.0.1:$SERVER_PORT" TOKEN=$TOKEN SEND=$SEND SERVER_PORT=$SERVER_PORT \
    CHRONICLE_HOME=$CHRONICLE_HOME DB=$DB ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM \
    timeout 120 node "$ROOT/tests/integration/dashboard_conversation_driver.js"
rc=$?
if [ $rc -ne 0 ]; then echo "driver exit $rc; server log:" >&2; tail -n 20 "$CHRONICLE_HOME"/server.log >&2; fi
exit $rc
