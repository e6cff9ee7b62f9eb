#!/usr/bin/env bash
# test_server_auth.sh - the token, in the way Jupyter does it: made on the
# first start in $CHRONICLE_HOME/server.token (0600), asked of every request
# but /health, exchanged for a cookie by the dashboard's ?token= link.
# Another user of the machine (runuser -u nobody) reads nothing; the file is
# refused when others could have read it or when it is a symlink.
. "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_server_tools; exit 1; }

"$SEED" "$DB" 40 2 60 || { fail seed; exit 1; }
sql "UPDATE events SET payload = '{\"prompt\":\"the-secret-prompt\"}' WHERE id = 1"
start_server || { fail start_server; exit 1; }
TOKEN_FILE=$CHRONICLE_HOME/server.token
base="http://127.0.0.1:$SERVER_PORT"

# --- the token file -----------------------------------------------------------
expect_eq "server.token made on the first start, 0600" "$(stat -c '%a %U' "$TOKEN_FILE")" "600 $(id -un)"
expect_eq "server.token holds 64 hex digits" "$(grep -cxE '[0-9a-f]{64}' "$TOKEN_FILE")" 1
if grep -q "token: created $TOKEN_FILE" "$CHRONICLE_HOME/server.log"; then pass "log says where the token is"; else fail "log says where the token is"; fi
if grep -q "$TOKEN" "$CHRONICLE_HOME/server.log"; then fail "the token is not logged"; else pass "the token is not logged"; fi

# --- every route but /health needs it -----------------------------------------
for path in /api/sessions "/api/events?payload=1" /api/events/1 /api/sessions/sess-000001 \
            /api/stats /api/usage /api/meta /metrics /health/performance /ws /api/nope; do
    expect_eq "no token: $path -> 401" "$(TOKEN= http_status "$path")" 401
    expect_eq "wrong token: $path -> 401" "$(TOKEN=wrong-token http_status "$path")" 401
done
expect_eq "/health needs no token" "$(TOKEN= http_status /health)" 200
for path in /api/sessions "/api/events?payload=1" /api/events/1 /api/stats /api/meta /metrics /health/performance; do
    expect_eq "bearer token: $path -> 200" "$(http_status "$path")" 200
done
out=$(TOKEN= http /api/events)
expect_eq "401 names where the token is" "$(printf '%s' "$out" | sed '$d' | jq -r .error.code)" unauthorized
if printf '%s' "$out" | grep -q 'server.token.*chronicle open'; then pass "401 says how to get the token"; else fail "401 says how to get the token" "$out"; fi
expect_eq "401 carries WWW-Authenticate" "$(TOKEN= http_body /api/events -D - -o /dev/null | tr -d '\r' | grep -ci '^WWW-Authenticate: Bearer')" 1
expect_eq "REST ignores ?access_token=" "$(TOKEN= http_status "/api/events?access_token=$TOKEN")" 401
expect_eq "/ws takes ?access_token=" "$("$WSCLIENT" -t 300 -p "/ws?access_token=$TOKEN" "$SERVER_PORT" | tail -n1)" "END 0"
expect_eq "/ws takes the bearer header" "$(wsclient -t 300 "$SERVER_PORT" | tail -n1)" "END 0"
expect_eq "/ws without a token -> 401" "$("$WSCLIENT" -t 300 "$SERVER_PORT" | head -n1)" "HTTP HTTP/1.1 401 Unauthorized"

# --- another user of the machine ----------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
    skip "another uid reads nothing" "needs root and a 'nobody' user for runuser"
else
    as_nobody() { runuser -u nobody -- "$@"; }
    out=$(as_nobody curl -s -w '\n%{http_code}' "$base/api/events?payload=1")
    expect_eq "another uid: /api/events?payload=1 -> 401" "$(printf '%s' "$out" | tail -n1)" 401
    if printf '%s' "$out" | grep -q the-secret-prompt; then fail "another uid: no payload in the answer" "$out"; else pass "another uid: no payload in the answer"; fi
    expect_eq "another uid: /metrics -> 401" "$(as_nobody curl -s -o /dev/null -w '%{http_code}' "$base/metrics")" 401
    expect_eq "another uid: the dashboard is the sign-in page" "$(as_nobody curl -s -o /dev/null -w '%{http_code}' "$base/")" 401
    expect_eq "another uid: /ws -> 401" "$(as_nobody curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' \
        -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$base/ws")" 401
    if as_nobody cat "$TOKEN_FILE" >/dev/null 2>&1; then fail "another uid cannot read server.token"; else pass "another uid cannot read server.token"; fi
fi

# --- the dashboard's link -------------------------------------------------------
hdrs=$(TOKEN= http_body "/?type=Stop&token=$TOKEN&session=a%20b" -D - -o /dev/null | tr -d '\r')
expect_eq "?token= -> 303" "$(printf '%s\n' "$hdrs" | head -n1)" "HTTP/1.1 303 See Other"
expect_eq "... to the bare URL, other parameters kept" "$(printf '%s\n' "$hdrs" | sed -n 's/^Location: //p')" "/?type=Stop&session=a%20b"
cookie=$(printf '%s\n' "$hdrs" | sed -n 's/^Set-Cookie: //p')
expect_eq "... with the cookie" "$cookie" "chronicle_token_$SERVER_PORT=$TOKEN; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict"
if printf '%s\n' "$hdrs" | grep -qi '^Referrer-Policy: no-referrer'; then pass "... and no Referer"; else fail "... and no Referer" "$hdrs"; fi
expect_eq "behind a TLS proxy the cookie is Secure" \
    "$(TOKEN= http_body "/?token=$TOKEN" -H 'X-Forwarded-Proto: https' -D - -o /dev/null | tr -d '\r' | grep -c '^Set-Cookie: .*; Secure$')" 1
C="Cookie: chronicle_token_$SERVER_PORT=$TOKEN"
expect_eq "cookie: the dashboard" "$(TOKEN= http_body / -H "$C" -o /dev/null -w '%{http_code} %{content_type}')" "200 text/html; charset=utf-8"
expect_eq "cookie: the API" "$(TOKEN= http_status /api/events -H "Cookie: other=1; chronicle_token_$SERVER_PORT=$TOKEN")" 200
expect_eq "cookie: /metrics" "$(TOKEN= http_status /metrics -H "$C")" 200
expect_eq "cookie: /ws" "$("$WSCLIENT" -t 300 -H "$C" "$SERVER_PORT" | tail -n1)" "END 0"
expect_eq "another port's cookie is not ours" "$(TOKEN= http_status /api/events -H "Cookie: chronicle_token_1=$TOKEN")" 401
expect_eq "a wrong cookie -> 401" "$(TOKEN= http_status /api/events -H "Cookie: chronicle_token_$SERVER_PORT=x$TOKEN")" 401
page=$(TOKEN= http /)
expect_eq "no token: / is the sign-in page (401 HTML)" "$(printf '%s\n' "$page" | tail -n1)" "HTTP 401"
if printf '%s' "$page" | grep -q '<pre>chronicle open</pre>'; then pass "sign-in page says: chronicle open"; else fail "sign-in page says: chronicle open" "$page"; fi
if printf '%s' "$page" | grep -qiE '<script|style='; then fail "sign-in page has no script or style"; else pass "sign-in page has no script or style"; fi
expect_eq "sign-in page CSP" "$(TOKEN= http_body / -D - -o /dev/null | tr -d '\r' | sed -n 's/^Content-Security-Policy: //p')" \
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
page=$(TOKEN= http "/?token=not-it")
if printf '%s' "$page" | grep -q "not this server's" && [ "$(printf '%s\n' "$page" | tail -n1)" = "HTTP 401" ]; then
    pass "a wrong ?token= says so"; else fail "a wrong ?token= says so" "$page"; fi
expect_eq "assets need no token (no data)" "$(TOKEN= http_status /assets/app.css)" 200
expect_eq "HEAD / without a token -> 401" "$(TOKEN= http_status / -I)" 401

# --- restarts keep the token; a removed file gives a new one ---------------------
old=$TOKEN
stop_server || fail "server exit status"
start_server || { fail "restart"; exit 1; }
expect_eq "restart keeps the token" "$TOKEN" "$old"
stop_server
rm -f "$TOKEN_FILE"
start_server || { fail "start after removing server.token"; exit 1; }
if [ -n "$TOKEN" ] && [ "$TOKEN" != "$old" ]; then pass "a removed server.token is made anew"; else fail "a removed server.token is made anew"; fi
expect_eq "... and the old token no longer works" "$(TOKEN=$old http_status /api/events)" 401
stop_server

# --- a token file that cannot be trusted: the server refuses to start ------------
refuses() { # refuses NAME WANT-IN-MESSAGE
    local out rc
    out=$(timeout 5 "$SERVER" --port "$(free_port)" 2>&1); rc=$?  # (a server that starts is stopped)
    expect_eq "$1: refused (exit 2)" "$rc" 2
    if printf '%s' "$out" | grep -qF "$2"; then pass "$1: says why"; else fail "$1: says why" "$out"; fi
}
chmod 0644 "$TOKEN_FILE"
refuses "group/other-readable server.token" "$TOKEN_FILE may be read by other users (mode 0644)"
chmod 0600 "$TOKEN_FILE"
mv "$TOKEN_FILE" "$CHRONICLE_HOME/elsewhere"
ln -s "$CHRONICLE_HOME/elsewhere" "$TOKEN_FILE"
refuses "symlinked server.token" "$TOKEN_FILE is a symbolic link; not followed"
rm -f "$TOKEN_FILE"
mkfifo "$TOKEN_FILE"
refuses "a FIFO as server.token" "$TOKEN_FILE is not a regular file"
rm -f "$TOKEN_FILE"
if [ "$(id -u)" -eq 0 ]; then
    printf '0123456789abcdef\n' >"$TOKEN_FILE"; chmod 0600 "$TOKEN_FILE"; chown nobody "$TOKEN_FILE"
    refuses "server.token of another user" "$TOKEN_FILE belongs to uid $(id -u nobody)"
    rm -f "$TOKEN_FILE"
fi
CHRONICLE_TOKEN='two words' refuses "CHRONICLE_TOKEN with a space" "CHRONICLE_TOKEN must be 1 to 255 visible ASCII characters"
# The home the token goes into: made private when merely too open, refused
# when another user's.
other=$CHRONICLE_HOME/other-home
mkdir -m 0755 "$other"
CHRONICLE_HOME=$other timeout 2 "$SERVER" --port 0 >/dev/null 2>&1
expect_eq "a 0755 home is made private" "$(stat -c %a "$other")" 700
if [ "$(id -u)" -eq 0 ]; then
    rm -rf "$other"; mkdir -m 0700 "$other"; chown nobody "$other"
    CHRONICLE_HOME=$other refuses "a home of another user" "belongs to uid $(id -u nobody)"
fi

# --- CHRONICLE_TOKEN overrides the file -------------------------------------------
rm -f "$TOKEN_FILE"
CHRONICLE_TOKEN=env-token-1 start_server || { fail "start with CHRONICLE_TOKEN"; exit 1; }
expect_eq "CHRONICLE_TOKEN: used" "$(http_status /api/events)" 200
expect_eq "CHRONICLE_TOKEN: no server.token made" "$(test -e "$TOKEN_FILE" && echo made || echo none)" none
# A CORS preflight carries no credentials; it is answered without the token.
stop_server
CHRONICLE_CORS_ORIGIN=http://dash.example start_server || { fail "start with CORS"; exit 1; }
expect_eq "CORS preflight without the token -> 204" "$(TOKEN= http_status /api/events -X OPTIONS -H 'Origin: http://dash.example' -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization')" 204
stop_server

# --- --no-token: the explicit opt-out, loud --------------------------------------
start_server --no-token || { fail "start with --no-token"; exit 1; }
expect_eq "--no-token: the API without a token" "$(TOKEN= http_status /api/events)" 200
expect_eq "--no-token: the dashboard without a token" "$(TOKEN= http_status /)" 200
if grep -q 'warn: --no-token: no token required; every user of this machine can read' "$CHRONICLE_HOME/server.log"; then
    pass "--no-token logs a warning"; else fail "--no-token logs a warning" "$(tail -n 5 "$CHRONICLE_HOME/server.log")"; fi
stop_server || fail "server exit status"
