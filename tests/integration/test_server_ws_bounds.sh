#!/usr/bin/env bash
# test_server_ws_bounds.sh - no WebSocket client grows the server without
# bound.  Everything queued for a client (wslay's queue and the socket's
# output buffer) counts against its cap before more of its input is read:
#   - a client that floods pings and never reads: the server's peak RSS
#     stays under 64 MB (it grew ~108 MB/s: a pong per ping, queued outside
#     every cap);
#   - the same with heartbeat messages (a reply each);
#   - 50 clients that never read during a 20,000-event flood: peak RSS under
#     the total WebSocket cap plus 16 MB;
# and the server serves others throughout.  Peak RSS is VmHWM of a fresh
# server per case.  (Under AddressSanitizer RSS says nothing: not measured.)
. "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_server_tools; exit 1; }
"$SEED" "$DB" 10 2 60 || { fail seed; exit 1; }
asan=; ldd "$SERVER" | grep -q libasan && asan=1

hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
# rss_bound NAME LIMIT_KB: the server's peak against the limit.
rss_bound() {
    local peak; peak=$(hwm_kb)
    if [ -n "$asan" ]; then pass "$1 (not measured under ASan)"
    elif [ "${peak:-999999999}" -lt "$2" ]; then pass "$1 (peak ${peak} kB < $2 kB)"
    else fail "$1" "peak ${peak} kB, limit $2 kB"; fi
}
still_serves() { # still_serves NAME: REST and a fresh WebSocket client answer
    expect_eq "$1: REST still answers" "$(http_status /api/sessions)" 200
    expect_eq "$1: a fresh WebSocket client is served" \
        "$(wsclient -t 3000 -n 1 -s '{"type":"heartbeat"}' "$SERVER_PORT" | head -n1)" 'MSG {"type":"heartbeat"}'
}

# --- a ping flooder that never reads --------------------------------------------
start_server || { fail start_server; exit 1; }
out=$(wsclient -F 4000 "$SERVER_PORT")
sent=${out#FLOOD }
rss_bound "ping flooder: server RSS under 64 MB (client sent $((sent / 1000000)) MB)" 65536
# The server stopped reading it: what was sent is what the kernel holds, and
# the rest was refused by TCP flow control (the client could not write more).
if [ "${sent:-0}" -lt $((200 * 1000000)) ]; then pass "ping flooder: held back by flow control (${sent} bytes in 4 s)"
else fail "ping flooder: held back by flow control" "${sent} bytes in 4 s"; fi
still_serves "ping flooder"
stop_server || fail "server exit status"

# --- a heartbeat-message flooder that never reads --------------------------------
start_server || { fail start_server; exit 1; }
out=$(wsclient -F 4000 -s '{"type":"heartbeat"}' "$SERVER_PORT")
rss_bound "heartbeat flooder: server RSS under 64 MB (client sent $(( ${out#FLOOD } / 1000000 )) MB)" 65536
still_serves "heartbeat flooder"
stop_server || fail "server exit status"

# --- 50 clients that never read, 20,000 events -------------------------------------
start_server || { fail start_server; exit 1; }
stalled=()
# ("$WSCLIENT" itself, not the wsclient function: $! must be the client's
# pid, or killing it would leave the client running.)
for i in $(seq 1 50); do "$WSCLIENT" -H "Authorization: Bearer $TOKEN" -S 60000 "$SERVER_PORT" >/dev/null & stalled+=($!); done
_bg_pids+=("${stalled[@]}")
fifty() { [ "$(json_get "$(TOKEN= http /health)" websocket_clients)" = 50 ]; }
wait_for 10 fifty && pass "50 stalled clients connected" || fail "50 stalled clients connected" "$(TOKEN= http /health)"
N=20000
reader=$CHRONICLE_HOME/reader.out
"$WSCLIENT" -H "Authorization: Bearer $TOKEN" -t 120000 "$SERVER_PORT" >"$reader" &
rp=$!
_bg_pids+=("$rp")
sleep 0.3
# ~1 KB an event on the wire: 20 MB for each client, beyond what the kernel's
# socket buffers hold, so every stalled client's backlog reaches its cap.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
     INSERT INTO events (event_uid, session_id, event_type, ts_ns, stored_ns, cwd, payload_size)
     SELECT randomblob(16), 'sess-flood', 'PreToolUse', i, i, printf('%.700c', 'x'), 0 FROM n;"
last=$(sql "SELECT MAX(id) FROM events")
# A reading client beside them is fed up to the last event (or told of a gap
# up to it, on a machine too busy for it to keep up).
caught_up() { grep -qE "\"data\":\{\"id\":$last,|\"to\":$last," "$reader"; }
if wait_for 90 caught_up; then pass "a reading client beside them is fed to the end ($(grep -c '"type":"event"' "$reader") events)"
else fail "a reading client beside them is fed to the end" "$(tail -c 300 "$reader")"; fi
kill "$rp" 2>/dev/null
queued=$(http_body /metrics | awk '/^chronicle_websocket_queued_bytes/ {print $2}')
total=$((64 << 20))
if [ "${queued:-999999999999}" -le $((total + 51 * 65536)) ]; then pass "queued output within the total cap (${queued} bytes)"
else fail "queued output within the total cap" "${queued} bytes"; fi
rss_bound "50 stalled clients: server RSS under the 64 MiB total cap + 16 MB" $(( (total + 16000000) / 1024 ))
still_serves "50 stalled clients"
kill "${stalled[@]}" 2>/dev/null; wait "${stalled[@]}" 2>/dev/null
stop_server || fail "server exit status"
