#!/usr/bin/env bash
# test_dashboard.sh - the dashboard end to end in headless Chromium: the real
# collector and server on a temporary CHRONICLE_HOME, events sent with
# chronicle-send, the page driven over the DevTools protocol
# (tests/integration/dashboard_driver.js, cdp_pipe.js: Node's standard library
# only, Debian's chromium, no browser download).
#
# Screenshots land in $BUILD/artifacts/ (dashboard-main.png,
# dashboard-session.png, dashboard-narrow.png).
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null; then
    fail "dashboard prerequisites" "needs chromium and node (scripts/deps.sh installs them)"
    exit 1
fi

ARTIFACTS=$BIN/artifacts
mkdir -p "$ARTIFACTS"

# The generator refuses bad input with a message, and writes nothing.
gen=$CHRONICLE_HOME/gen.c
scripts_embed=$ROOT/scripts/embed-assets.sh
expect_eq "embed-assets: missing file refused" \
    "$("$scripts_embed" "$gen" /x.js="$CHRONICLE_HOME/none.js" 2>&1 >/dev/null; echo "rc=$?"; test -e "$gen" && echo written)" \
    "embed-assets.sh: no such file: $CHRONICLE_HOME/none.js
rc=1"
echo 'x' >"$CHRONICLE_HOME/a.bin"
expect_eq "embed-assets: unknown type refused" \
    "$("$scripts_embed" "$gen" /a.bin="$CHRONICLE_HOME/a.bin" >/dev/null 2>&1; echo "rc=$?"; test -e "$gen" && echo written)" "rc=1"
expect_eq "embed-assets: relative URL path refused" \
    "$("$scripts_embed" "$gen" a.js="$ROOT/dashboard/js/main.js" 2>&1 >/dev/null; echo "rc=$?")" \
    "embed-assets.sh: URL path must start with /: a.js=$ROOT/dashboard/js/main.js
rc=2"
expect_eq "embed-assets: a URL path given twice refused" \
    "$("$scripts_embed" "$gen" /a.css="$ROOT/dashboard/app.css" /a.css="$ROOT/dashboard/app.css" 2>&1 >/dev/null; echo "rc=$?"; test -e "$gen" && echo written)" \
    "embed-assets.sh: URL path given twice: /a.css
rc=2"
printf '' >"$CHRONICLE_HOME/empty.css"
"$scripts_embed" "$gen" /e.css="$CHRONICLE_HOME/empty.css" && cc -std=c11 -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT/server" -c "$gen" -o "$CHRONICLE_HOME/gen.o" \
    && pass "embed-assets: an empty file is valid C" || fail "embed-assets: an empty file is valid C"
ls "$CHRONICLE_HOME"/gen.c.tmp.* >/dev/null 2>&1 && fail "embed-assets: temporary file left" || pass "embed-assets: no temporary file left"

# The page never parses data as markup (the browser checks below show it for
# the paths they reach; this covers every path in the source).
markup=$(grep -nE '\.(innerHTML|outerHTML)[[:space:]]*\+?=|insertAdjacentHTML|document\.write|[^.]eval\(|new Function' \
    "$ROOT"/dashboard/js/*.js)
expect_eq "dashboard/js/*.js build no markup from strings" "$markup" ""
expect_eq "index.html has no inline script or style" \
    "$(grep -cE '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$ROOT/dashboard/index.html")" 0

# Static assets: served from the binary, with types, ETag and the Host check.
start_collector || { fail "collector start"; exit 1; }
# This test's ports: 18600-18699 (lib.sh's free_port hands out 18500-18599).
dashboard_port() {
    local p
    for p in $(seq $((18600 + RANDOM % 100)) 18699) $(seq 18600 18699); do
        (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}
SERVER_PORT=$(dashboard_port)
start_server || { fail "server start"; exit 1; }
expect_eq "GET / is the dashboard" "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$SERVER_PORT/")" \
    "200 text/html; charset=utf-8"
# Every ES module, with a JavaScript type (a browser refuses to run a module
# served as anything else) and the bytes of its file.
for m in "$ROOT"/dashboard/js/*.js; do
    name=/assets/$(basename "$m")
    expect_eq "GET $name: a JavaScript module" \
        "$(curl -s -o "$CHRONICLE_HOME/module.js" -w '%{http_code} %{content_type}' "http://127.0.0.1:$SERVER_PORT$name"; cmp -s "$CHRONICLE_HOME/module.js" "$m" && echo " same")" \
        "200 text/javascript; charset=utf-8 same"
done
expect_eq "Chart.js embedded byte for byte" \
    "$(curl -s "http://127.0.0.1:$SERVER_PORT/assets/chart.min.js" | cmp - /usr/share/javascript/chart.js/chart.min.js && echo same)" same
etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:$SERVER_PORT/assets/app.css" | tr -d '\r' | sed -n 's/^ETag: //Ip')
expect_eq "If-None-Match answers 304" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "http://127.0.0.1:$SERVER_PORT/assets/app.css")" 304
expect_eq "assets keep the Host check" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://127.0.0.1:$SERVER_PORT/")" 403
expect_eq "assets refuse POST" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SERVER_PORT/")" 405
expect_eq "unknown asset is a JSON 404" \
    "$(curl -s "http://127.0.0.1:$SERVER_PORT/assets/nope.js")" \
    '{"error":{"code":"not_found","message":"no such endpoint: /assets/nope.js"}}'
# HEAD: the headers and the length, no body (the next answer on the same
# connection must follow the headers directly).
head_then_get=$( (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
    printf 'HEAD /assets/app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /assets/nope.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    timeout 5 cat <&3) | tr -d '\r')
expect_eq "HEAD sends no body" "$(printf '%s\n' "$head_then_get" | grep -c '^HTTP/1.1 ')|$(printf '%s\n' "$head_then_get" | grep -c ':root')" "2|0"
expect_eq "HEAD states the length" "$(printf '%s\n' "$head_then_get" | sed -n 's/^Content-Length: //p' | head -n1)" \
    "$(wc -c <"$ROOT/dashboard/app.css" | tr -d ' ')"
csp=$(curl -s -D - -o /dev/null "http://127.0.0.1:$SERVER_PORT/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip')
case "$csp" in *"script-src 'self'"*) pass "page served with a CSP" ;; *) fail "page served with a CSP" "$csp" ;; esac

# A history to start from: every fixture once.
for f in "$FIXTURES"/*.json; do send "$f" || fail "send $(basename "$f")"; done

BASE_URL="http://127.0.0.1:$SERVER_PORT" SEND=$SEND SERVER=$SERVER SERVER_PORT=$SERVER_PORT \
    SERVER_PID=$SERVER_PID CHRONICLE_HOME=$CHRONICLE_HOME DB=$DB FIXTURES=$FIXTURES \
    ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM \
    timeout 180 node "$ROOT/tests/integration/dashboard_driver.js"
rc=$?
# The driver restarts the server; make sure its second server goes too.
[ -f "$CHRONICLE_HOME/server2.pid" ] && kill -TERM "$(cat "$CHRONICLE_HOME/server2.pid")" 2>/dev/null

# With a token: the files are served without it (they hold no data), the API
# is not, and the page carries the token it was given in #token=.
TOKEN=dashboard-test-token-$$
SERVER_PID=
SERVER_PORT=$(dashboard_port)
CHRONICLE_TOKEN=$TOKEN start_server || fail "server start with a token"
expect_eq "token: / served without the token" "$(http_status /)" 200
expect_eq "token: the API still needs it" "$(http_status /api/events)" 401
expect_eq "token: the API with it" "$(http_status /api/events -H "Authorization: Bearer $TOKEN")" 200
TOKEN_URL="http://127.0.0.1:$SERVER_PORT" TOKEN=$TOKEN SEND=$SEND DB=$DB CHROMIUM=$CHROMIUM \
    timeout 60 node "$ROOT/tests/integration/dashboard_driver.js" || rc=1
if [ $rc -ne 0 ]; then echo "driver exit $rc; server logs:" >&2; tail -n 20 "$CHRONICLE_HOME"/server*.log >&2; fi
exit $rc
