#!/usr/bin/env bash
# test_dashboard_search.sh - the search box in headless Chromium against the
# real collector and server (tests/integration/dashboard_search_driver.js):
# where the server has GET /api/search, all history with highlighted hits,
# filters, a refused query, a click to the event and the switch to the local
# filter; where it has none, the box is the local filter of loaded events.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null; then
    fail "dashboard search prerequisites" "needs chromium and node (scripts/deps.sh installs them)"
    exit 1
fi
ARTIFACTS=$BIN/artifacts
mkdir -p "$ARTIFACTS"
start_collector || { fail "collector start"; exit 1; }
# This test's ports: 18900-18999.
for p in $(seq $((18900 + RANDOM % 100)) 18999) $(seq 18900 18999); do
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { SERVER_PORT=$p; break; }
done
start_server || { fail "server start"; exit 1; }
BASE_URL="http://127.0.0.1:$SERVER_PORT" TOKEN=$TOKEN SEND=$SEND SERVER_PORT=$SERVER_PORT \
    CHRONICLE_HOME=$CHRONICLE_HOME DB=$DB ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM \
    timeout 120 node "$ROOT/tests/integration/dashboard_search_driver.js"
rc=$?
if [ $rc -ne 0 ]; then echo "driver exit $rc; server log:" >&2; tail -n 20 "$CHRONICLE_HOME"/server.log >&2; fi
exit $rc
