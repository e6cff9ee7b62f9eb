#!/usr/bin/env bash
# test_server_ws.sh - RFC 6455 details of /ws that a browser or Autobahn
# would exercise (fragmentation, control frames, close handshake), the
# heartbeat, and the connection and client caps.  Frames are written raw by
# server_wsclient -r (client frames masked with a zero key: payload as is).
. "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_server_tools; exit 1; }
"$SEED" "$DB" 10 2 60 || { fail seed; exit 1; }
CHRONICLE_HEARTBEAT_S=1 CHRONICLE_WS_MAX_CLIENTS=3 CHRONICLE_MAX_CONNECTIONS=6 start_server || { fail start_server; exit 1; }
ws() { wsclient -t 1500 -r "$1" "$SERVER_PORT"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# masked frame with a zero key: frame OPCODE_BYTE TEXT
frame() { printf '%s%02x00000000%s' "$1" $((0x80 | ${#2})) "$(hex "$2")"; }

out=$(ws "$(frame 01 '{"type":')$(frame 80 '"heartbeat"}')")
expect_eq "fragmented text message" "$(printf '%s\n' "$out" | head -n1)" 'MSG {"type":"heartbeat"}'
out=$(ws "$(frame 01 '{"type":')$(frame 89 'mid')$(frame 80 '"heartbeat"}')")
expect_eq "ping inside a fragmented message" "$(printf '%s\n' "$out" | head -n2 | tr '\n' '|')" 'PONG mid|MSG {"type":"heartbeat"}|'
expect_eq "ping answered with its payload" "$(ws "$(frame 89 'hello')" | head -n1)" "PONG hello"
# One pong outstanding at a time: frames behind a ping wait in the input
# until its pong has left, then are all answered, in order.
pings=; for i in $(seq 1 40); do pings=$pings$(frame 89 "p$i"); done
expect_eq "40 pings in one write: 40 pongs in order" "$(ws "$pings$(frame 81 '{"type":"heartbeat"}')" | grep -E '^(PONG|MSG)' | head -n 41 | tr '\n' ' ')" \
    "$(for i in $(seq 1 40); do printf 'PONG p%s ' "$i"; done)MSG {\"type\":\"heartbeat\"} "
expect_eq "close handshake echoed" "$(ws 88820000000003e8 | head -n1 | cut -d' ' -f1-2)" "CLOSE 1000"
expect_eq "close code 3000 echoed" "$(ws 8882000000000bb8 | head -n1 | cut -d' ' -f1-2)" "CLOSE 3000"
expect_eq "invalid close code 999 -> 1002" "$(ws 88820000000003e7 | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "reserved close code 1005 -> 1002" "$(ws 88820000000003ed | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "close reason not UTF-8 -> 1007" "$(ws 88840000000003e8ffff | head -n1 | cut -d' ' -f1-2)" "CLOSE 1007"
expect_eq "unsolicited pong ignored" "$(wsclient -t 1000 -n 1 -r 8a8000000000 -s '{"type":"heartbeat"}' "$SERVER_PORT" | head -n1)" 'MSG {"type":"heartbeat"}'
expect_eq "continuation without a start -> 1002" "$(ws "$(frame 80 'x')" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "fragmented control frame -> 1002" "$(ws "$(frame 09 'x')" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
long=$(printf 'a%.0s' $(seq 1 126))
expect_eq "control frame over 125 bytes -> 1002" "$(ws "89fe007e00000000$(hex "$long")" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "reserved bit set -> 1002" "$(ws "$(frame c1 'x')" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "new message inside a fragmented one -> 1002" "$(ws "$(frame 01 'a')$(frame 81 'b')" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
# "é" (c3 a9) split between two fragments.
expect_eq "UTF-8 split across fragments is fine" "$(ws "$(frame 01 '{"type":"heartbeat","x":"')008100000000c3808300000000a9227d" | head -n1)" 'MSG {"type":"heartbeat"}'

out=$(wsclient -t 2500 "$SERVER_PORT")
if printf '%s\n' "$out" | grep -q '^PING' && printf '%s\n' "$out" | grep -q '^MSG {"type":"heartbeat","ts_ms":[0-9]*}'; then
    pass "heartbeat message and ping"; else fail "heartbeat message and ping" "$out"; fi

# Client cap: 3 clients held, the 4th refused with 503.
capped=()
for i in 1 2 3; do wsclient -t 3000 "$SERVER_PORT" >/dev/null & capped+=($!); done
sleep 0.5
expect_eq "WebSocket client cap" "$(wsclient -t 500 "$SERVER_PORT" | head -n1)" "HTTP HTTP/1.1 503 Service Unavailable"
# Connection cap: 3 WebSockets + 3 keep-alive HTTP connections = 6; one more is refused.
exec 6<>"/dev/tcp/127.0.0.1/$SERVER_PORT" 7<>"/dev/tcp/127.0.0.1/$SERVER_PORT" 8<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
for fd in 6 7 8; do printf 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n' >&$fd; done
sleep 0.3
expect_eq "connection cap" "$(http_status /health)" 503
exec 6>&- 7>&- 8>&-
sleep 0.3
expect_eq "connections counted down on close" "$(http_status /health)" 200
wait "${capped[@]}"
metrics=$(http_body /metrics)
if printf '%s\n' "$metrics" | grep -q '^chronicle_websocket_rejected_total [1-9]' &&
   printf '%s\n' "$metrics" | grep -q '^chronicle_http_connections_rejected_total [1-9]'; then
    pass "caps counted in metrics"; else fail "caps counted in metrics"; fi
stop_server || fail "server exit status"
