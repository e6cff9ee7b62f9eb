#!/usr/bin/env bash
# test_server_collector.sh - chronicle-server against the real collector fed
# by the real chronicle-send: fixtures appear through REST with the right
# fields and live on a WebSocket; the server is killed and restarted during a
# flood and a client resuming with ?after= sees every event exactly once.
. "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_server_tools; exit 1; }

ids_of() { grep -o '"type":"event","data":{"id":[0-9]*' "$1" | grep -o '[0-9]*$'; }

start_collector || { fail collector_starts; exit 1; }
start_server || { fail server_starts; exit 1; }
pass server_starts

# --- fixtures: live on the WebSocket and through REST --------------------------
n=$(ls "$FIXTURES"/*.json | wc -l)
ws=$CHRONICLE_HOME/ws.out
wsclient -t 8000 -e -n "$n" "$SERVER_PORT" >"$ws" &
wsp=$!
sleep 0.3
for f in "$FIXTURES"/*.json; do send "$f" || fail "send $(basename "$f")"; done
wait "$wsp"
expect_eq "ws: every fixture live" "$(ids_of "$ws" | wc -l)" "$n"
expect_eq "ws: live ids are the stored ids" "$(ids_of "$ws" | tr '\n' ' ')" "$(sql 'SELECT id FROM events ORDER BY id' | tr '\n' ' ')"
want_types=$(for f in "$FIXTURES"/*.json; do sqlite3 :memory: "SELECT json_extract(readfile('$f'),'$.hook_event_name')"; done | tr '\n' ' ')
expect_eq "ws: event types in send order" "$(grep -o '"type":"event","data":{[^}]*' "$ws" | grep -o '"session_id":[^,]*,"type":"[A-Za-z]*"' | sed 's/.*"type":"//; s/"$//' | tr '\n' ' ')" "$want_types"

out=$(http "/api/events?limit=1000")
expect_eq "rest: every fixture" "$(json_get "$out" count)" "$n"
pre=$FIXTURES/PreToolUse.json
id=$(sql "SELECT id FROM events WHERE payload = CAST(readfile('$pre') AS TEXT)")
out=$(http "/api/events/$id")
expect_eq "rest: event type" "$(json_get "$out" type)" PreToolUse
expect_eq "rest: session_id" "$(json_get "$out" session_id)" "$(sqlite3 :memory: "SELECT json_extract(readfile('$pre'),'$.session_id')")"
expect_eq "rest: tool_name" "$(json_get "$out" tool_name)" Bash
expect_eq "rest: tool_use_id" "$(json_get "$out" tool_use_id)" "$(sqlite3 :memory: "SELECT json_extract(readfile('$pre'),'$.tool_use_id')")"
expect_eq "rest: cwd" "$(json_get "$out" cwd)" "$(sqlite3 :memory: "SELECT json_extract(readfile('$pre'),'$.cwd')")"
expect_eq "rest: uid is the stored event_uid" "$(json_get "$out" uid)" "$(sql "SELECT lower(hex(event_uid)) FROM events WHERE id = $id")"
# The payload is served as the hook sent it (spliced, not re-serialised):
# compare values, not spacing.
expect_eq "rest: full payload" "$(printf '%s' "$out" | sed '$d' | jq -r .payload.tool_input.command)" "pytest -q tests/test_webhook.py"
expect_eq "rest: payload equals the file" "$(printf '%s' "$out" | sed '$d' | jq -cS .payload)" "$(jq -cS . "$pre")"
sid=$(sqlite3 :memory: "SELECT json_extract(readfile('$pre'),'$.session_id')")
out=$(http "/api/sessions/$sid")
expect_eq "rest: session" "$(json_get "$out" session_id)" "$sid"
expect_eq "rest: session event count" "$(json_get "$out" events)" "$(sql "SELECT COUNT(*) FROM events WHERE session_id = '$sid'")"
out=$(http /health)
expect_eq "health ok with a live collector" "$(json_get "$out" status)" ok
metrics=$(http_body /metrics)
if printf '%s\n' "$metrics" | promtool check metrics >/dev/null 2>&1; then pass "promtool with the collector's counters"; else fail "promtool with the collector's counters" "$(printf '%s\n' "$metrics" | promtool check metrics 2>&1 | head -5)"; fi

# --- restart during a flood: resume with ?after= -------------------------------
start=$(sql 'SELECT MAX(id) FROM events')
a=$CHRONICLE_HOME/a.out b=$CHRONICLE_HOME/b.out
wsclient -t 30000 -p "/ws?after=$start" "$SERVER_PORT" >"$a" &
ap=$!
sleep 0.3
FLOOD=500
( for i in $(seq 1 $FLOOD); do send "$FIXTURES/PostToolUse.json" || exit 1; done ) &
flood=$!
_bg_pids+=("$flood")
seen_some() { [ "$(ids_of "$a" | wc -l)" -gt 20 ]; }
wait_for 10 seen_some
kill9_server
wait "$ap"
got_a=$(ids_of "$a" | wc -l)
start_server || fail server_restarts
last=$(ids_of "$a" | tail -n1)
wsclient -t 30000 -e -n $((FLOOD - got_a)) -p "/ws?after=${last:-$start}" "$SERVER_PORT" >"$b" &
bp=$!
wait "$flood"; flood_rc=$?
expect_eq "flood sent" "$flood_rc" 0
wait "$bp"
if [ "$got_a" -gt 0 ] && [ "$got_a" -lt "$FLOOD" ]; then pass "server killed mid-flood ($got_a of $FLOOD seen before)"; else fail "server killed mid-flood" "client saw $got_a of $FLOOD before the kill"; fi
expect_eq "flood stored" "$(sql "SELECT COUNT(*) FROM events WHERE id > $start")" "$FLOOD"
expect_eq "resume: no event twice" "$(cat <(ids_of "$a") <(ids_of "$b") | sort -n | uniq -d | wc -l)" 0
expect_eq "resume: every event once" "$(cat <(ids_of "$a") <(ids_of "$b") | sort -n | tr '\n' ' ')" "$(sql "SELECT id FROM events WHERE id > $start ORDER BY id" | tr '\n' ' ')"
# --- resuming while events arrive: the catch-up read on connect is part of
# the replay, never delivered twice.  Racy by nature, so many tries: each
# client connects mid-flood, asks for the last few events, and must not see
# any id twice.
( for i in $(seq 1 2000); do send "$FIXTURES/PostToolUse.json" || exit 1; done ) &
flood=$!
_bg_pids+=("$flood")
dups=0 tries=0
while kill -0 "$flood" 2>/dev/null && [ "$tries" -lt 40 ]; do
    tries=$((tries + 1))
    from=$(( $(sql 'SELECT MAX(id) FROM events') - 3 ))
    out=$CHRONICLE_HOME/race.out
    wsclient -t 250 -p "/ws?after=$from" "$SERVER_PORT" >"$out"
    d=$(ids_of "$out" | sort -n | uniq -d | wc -l)
    dups=$((dups + d))
done
wait "$flood"
expect_eq "resume mid-flood ($tries clients): no event twice" "$dups" 0

stop_server || fail "server exit status"
stop_collector
