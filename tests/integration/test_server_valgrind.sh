#!/usr/bin/env bash
# test_server_valgrind.sh - chronicle-server under valgrind memcheck through
# the paths of its security work: the token file made, bearer and cookie
# requests and refusals, the ?token= exchange, bytes that are not UTF-8, a
# ping flooder held back at its cap, idle connections counted from their
# accept, a trickled request cut by the deadline, and a shutdown with a
# stalled WebSocket and connections still open.  No invalid access, no
# uninitialised read, no leak.
. "$(dirname "$0")/lib.sh"
# ASan and valgrind cannot watch the same process: the asan run skips this.
if nm "$SERVER" 2>/dev/null | grep -q __asan_init; then echo "N/A server valgrind: not in the ASan build (the plain run has it)"; exit 0; fi
build_server_tools || { fail build_server_tools; exit 1; }
HOLD=$BIN/tools/tcp_hold
[ -x "$HOLD" ] || { fail "tcp_hold built (make tests-build)"; exit 1; }
"$SEED" "$DB" 200 4 60 || { fail seed; exit 1; }

SERVER_PORT=$(free_port)
CHRONICLE_HTTP_TIMEOUT_S=2 valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect "$SERVER" --port "$SERVER_PORT" 2>"$CHRONICLE_HOME/vg-server.log" &
SERVER_PID=$!
if wait_for 30 curl -s -o /dev/null "http://127.0.0.1:$SERVER_PORT/health"; then pass server_starts_under_valgrind
else fail server_starts_under_valgrind; cat "$CHRONICLE_HOME/vg-server.log" >&2; exit 1; fi
TOKEN=$(cat "$CHRONICLE_HOME/server.token")

expect_eq "bearer" "$(http_status "/api/events?payload=1")" 200
expect_eq "no token" "$(TOKEN= http_status /api/sessions)" 401
expect_eq "?token= exchanged" "$(TOKEN= http_status "/?token=$TOKEN&type=Stop")" 303
expect_eq "cookie" "$(TOKEN= http_status / -H "Cookie: chronicle_token_$SERVER_PORT=$TOKEN")" 200
expect_eq "sign-in page" "$(TOKEN= http_status "/?token=wrong")" 401
expect_eq "not UTF-8" "$(http_status "/api/sessions?status=%ff")" 400
expect_eq "ping flooder held back" "$(wsclient -F 1500 "$SERVER_PORT" | cut -d' ' -f1)" FLOOD
expect_eq "heartbeat after the flood" "$(wsclient -t 3000 -n 1 -s '{"type":"heartbeat"}' "$SERVER_PORT" | head -n1)" 'MSG {"type":"heartbeat"}'
expect_eq "idle connections" "$("$HOLD" hold "$SERVER_PORT" 50 500 | cut -d' ' -f1)" HELD
expect_eq "trickled request cut" "$("$HOLD" trickle "$SERVER_PORT" 300 0 'GET /health HTTP/1.1\r\nHost: x\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' | head -n1 | cut -d' ' -f1)" CLOSED
"$WSCLIENT" -H "Authorization: Bearer $TOKEN" -S 5000 "$SERVER_PORT" >/dev/null &
_bg_pids+=($!)
exec 7<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
sleep 1
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
exec 7>&-
if [ "$rc" -eq 0 ]; then pass server_valgrind_clean; else
    fail server_valgrind_clean "exit $rc"; tail -40 "$CHRONICLE_HOME/vg-server.log" >&2; fi
