#!/usr/bin/env bash
# test_server.sh - chronicle-server against a database written directly (the
# collector's schema via tests/bench/server_seed, then rows inserted with the
# sqlite3 CLI standing in for the collector): REST fields, pagination under
# concurrent inserts, errors, security defaults, /metrics under promtool,
# the WebSocket feed (live, resume, replay bound, protocol errors) and the
# graceful 1001 close.  tests/integration/test_server_collector.sh does the
# same against the real collector.
. "$(dirname "$0")/lib.sh"
build_server_tools || { fail build_server_tools; exit 1; }

insert_events() { # insert_events N SESSION TYPE: N rows, one transaction each
    local i
    for i in $(seq 1 "$1"); do
        sql "INSERT INTO events (event_uid, session_id, event_type, ts_ns, stored_ns, payload, payload_size)
             VALUES (randomblob(16), '$2', '$3', CAST(strftime('%s','now') AS INTEGER) * 1000000000,
                     CAST(strftime('%s','now') AS INTEGER) * 1000000000, '{\"n\":$i}', 7);" || return 1
    done
}
max_id() { sql "SELECT MAX(id) FROM events"; }

# --- waiting for the database ----------------------------------------------
export CHRONICLE_WS_REPLAY_MAX=100
start_server || { fail start_server; exit 1; }
expect_eq "health 503 before the database exists" "$(http_status /health)" 503
out=$(http /api/sessions)
expect_eq "api 503 before the database exists" "$(json_get "$out" code)" database_unavailable
"$SEED" "$DB" 1200 12 3600 || { fail seed; exit 1; }
health_ok() { [ "$(http_status /health)" = 200 ]; }
if wait_for 5 health_ok; then pass "health 200 once the database appears"; else fail "health 200 once the database appears" "$(http /health)"; fi

# --- REST fields --------------------------------------------------------------
out=$(http "/api/sessions?limit=1000")
expect_eq "sessions count" "$(json_get "$out" count)" 12
expect_eq "sessions newest first" "$(json_get "$out" session_id)" "$(sql "SELECT session_id FROM sessions ORDER BY last_seen_ns DESC LIMIT 1")"
expect_eq "sessions status active" "$(json_get "$out" status)" active
out=$(http "/api/sessions?status=idle")
expect_eq "sessions status filter" "$(json_get "$out" count)" 0
sql "UPDATE sessions SET state = 'ended' WHERE session_id = 'sess-000003'"
out=$(http "/api/sessions?status=ended")
expect_eq "sessions ended filter" "$(json_get "$out" session_id)" sess-000003
out=$(http /api/sessions/sess-000005)
expect_eq "session detail id" "$(json_get "$out" session_id)" sess-000005
expect_eq "session detail counts" "$(json_get "$out" events)" 100
if printf '%s' "$out" | grep -q '"tools":\[{"name":"'; then pass "session detail tools"; else fail "session detail tools" "$out"; fi
expect_eq "session 404" "$(http_status /api/sessions/nope)" 404
expect_eq "session id percent-decoded" "$(http_status /api/sessions/sess%2D000001)" 200

out=$(http "/api/events?limit=5")
expect_eq "events limit" "$(json_get "$out" count)" 5
expect_eq "events newest first" "$(json_get "$out" id)" "$(max_id)"
expect_eq "events uid is 32 hex" "$(json_get "$out" uid | grep -cE '^[0-9a-f]{32}$')" 1
if printf '%s' "$out" | grep -qE '"ts":"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","ts_ms":[0-9]{13}'; then
    pass "events ISO 8601 ms + epoch ms"; else fail "events ISO 8601 ms + epoch ms" "$out"; fi
out=$(http "/api/events?session_id=sess-000002,sess-000004&event_type=PostToolUse&limit=1000")
expect_eq "events filters" "$(json_get "$out" count)" "$(sql "SELECT COUNT(*) FROM events WHERE session_id IN ('sess-000002','sess-000004') AND event_type='PostToolUse'")"
out=$(http "/api/sessions/sess-000002/events?limit=1000")
expect_eq "session events" "$(json_get "$out" count)" 100
first=$(sql "SELECT id FROM events ORDER BY id LIMIT 1")
out=$(http "/api/events/$first")
if printf '%s' "$out" | grep -q '"payload":{"session_id"'; then pass "event detail payload"; else fail "event detail payload" "$out"; fi
expect_eq "event 404" "$(http_status /api/events/999999999)" 404
since=$(( $(date +%s) * 1000 - 600000 ))
out=$(http "/api/events?since=$since&limit=1000")
expect_eq "events since (epoch ms)" "$(json_get "$out" count)" "$(sql "SELECT COUNT(*) FROM events WHERE ts_ns >= $since * 1000000")"
iso=$(date -u -d "@$((since / 1000))" +%Y-%m-%dT%H:%M:%SZ)
out2=$(http "/api/events?since=$iso&limit=1000")
expect_eq "events since (ISO 8601)" "$(json_get "$out2" count)" "$(json_get "$out" count)"

# Walking back with 'before' visits every event once.
before=; seen=0; pages=0
while :; do
    out=$(http "/api/events?limit=100${before:+&before=$before}")
    n=$(json_get "$out" count); seen=$((seen + n)); pages=$((pages + 1))
    before=$(json_get "$out" next_before)
    [ "$before" = null ] && break
    [ "$pages" -gt 50 ] && break
done
expect_eq "before-pagination visits every event" "$seen" "$(sql "SELECT COUNT(*) FROM events")"

out=$(http "/api/stats?window=2h")
expect_eq "stats totals" "$(json_get "$out" events)" 1200
expect_eq "stats totals over 24h (10 min counts)" "$(json_get "$(http "/api/stats?window=24h")" events)" 1200
if printf '%s' "$out" | grep -q '"Bash":{"calls":[0-9]*,"errors":[0-9]*,"error_rate":[0-9.]*,"p50_ms":[0-9]*,"p95_ms":[0-9]*,"p99_ms":[0-9]*[,}]'; then
    pass "stats per tool"; else fail "stats per tool" "$out"; fi
if printf '%s' "$out" | grep -q '"timeline":{"bucket_s":300,"buckets":\[{"t":"'; then pass "stats timeline"; else fail "stats timeline" "$(printf '%s' "$out" | head -c 300)"; fi

# --- pagination under concurrent inserts ------------------------------------
after=$(max_id)
start_after=$after
insert_events 300 sess-conc PreToolUse &
writer=$!
_bg_pids+=("$writer")
ids=$(mktemp)
for i in $(seq 1 400); do
    out=$(http "/api/events?after=$after&limit=7")
    printf '%s' "$out" | grep -o '"id":[0-9]*' | cut -d: -f2 >>"$ids"
    after=$(json_get "$out" next_after)
    if ! kill -0 "$writer" 2>/dev/null && [ "$(json_get "$out" count)" = 0 ]; then break; fi
done
wait "$writer"
out=$(http "/api/events?after=$after&limit=1000")
printf '%s' "$out" | grep -o '"id":[0-9]*' | cut -d: -f2 >>"$ids"
expect_eq "after-pagination under inserts: no repeats" "$(sort -n "$ids" | uniq -d | wc -l)" 0
expect_eq "after-pagination under inserts: nothing skipped" "$(sort -n "$ids" | tr '\n' ' ')" "$(sql "SELECT id FROM events WHERE id > $start_after ORDER BY id" | tr '\n' ' ')"
rm -f "$ids"

# --- errors -----------------------------------------------------------------
out=$(http "/api/events?limit=5000")
if printf '%s' "$out" | grep -q '"code":"bad_parameter","message":"parameter .limit. must be'; then pass "400 names the parameter"; else fail "400 names the parameter" "$out"; fi
expect_eq "400 unknown parameter" "$(http_status "/api/events?sesion_id=x")" 400
expect_eq "400 bad time" "$(http_status "/api/events?since=yesterday")" 400
expect_eq "400 bad escape" "$(http_status "/api/events?session_id=%zz")" 400
expect_eq "400 bad status" "$(http_status "/api/sessions?status=sleeping")" 400
expect_eq "400 bad sort" "$(http_status "/api/sessions?sort=session_id;DROP")" 400
expect_eq "400 bad window" "$(http_status "/api/stats?window=forever")" 400
expect_eq "400 bucket under 10 s" "$(http_status "/api/stats?window=10m&bucket=5s")" 400
expect_eq "404 unknown route" "$(http_status /api/nothing)" 404
expect_eq "405 POST" "$(http_status /api/events -X POST)" 405
expect_eq "405 DELETE" "$(http_status /api/events/1 -X DELETE)" 405
expect_eq "414 long URI" "$(http_status "/api/events?x=$(head -c 9000 /dev/zero | tr '\0' a)")" 414
head -c 10000 /dev/zero >"$CHRONICLE_HOME/body"
expect_eq "413 oversized body" "$(http_status /api/events -X POST --data-binary @"$CHRONICLE_HOME/body")" 413
expect_eq "oversized headers refused" "$(http_status /health -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)")" 400
raw() { printf "$1" | curl -s --max-time 2 telnet://127.0.0.1:"$SERVER_PORT" | head -n1 | tr -d '\r'; }
expect_eq "garbage request line -> 400" "$(raw 'garbage\r\n\r\n')" "HTTP/1.1 400 Bad Request"
expect_eq "binary garbage -> 400" "$(raw '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n')" "HTTP/1.1 400 Bad Request"
expect_eq "server alive after garbage" "$(http_status /health)" 200
# Bytes that are not UTF-8 (in a parameter, the path, a header) or a message
# cut inside a character: 400/404/403 naming the culprit, never 500.
out=$(http "/api/sessions?status=%ff%fe")
expect_eq "invalid UTF-8 value -> 400 naming it" "$(printf '%s' "$out" | sed '$d' | jq -r '.error.code + ": " + .error.message')" \
    "bad_parameter: query parameter 'status' is not valid UTF-8"
expect_eq "truncated UTF-8 value -> 400" "$(http_status "/api/events?session_id=%c3")" 400
expect_eq "invalid UTF-8 name -> 400" "$(http_status "/api/events?%ff=1")" 400
expect_eq "invalid UTF-8 in the path -> 404" "$(http_status "/api/sessions/%ff%fe")" 404
expect_eq "invalid UTF-8 on /ws -> 400" "$(http_status "/ws?session_id=%ff")" 400
long=a$(printf '%%C3%%A9%.0s' $(seq 1 150))
expect_eq "message cut inside a character -> valid JSON 400" "$(http "/api/sessions?status=$long" | sed '$d' | jq -r .error.code)" bad_parameter
raw_answer() { printf "$1" | curl -s --max-time 2 telnet://127.0.0.1:"$SERVER_PORT" | tr -d '\r'; }
out=$(raw_answer "GET /api/\\xff\\xfe HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer $TOKEN\\r\\nConnection: close\\r\\n\\r\\n")
expect_eq "raw non-UTF-8 path -> 404 JSON" "$(printf '%s\n' "$out" | head -n1) $(printf '%s\n' "$out" | tail -n1 | jq -r .error.code)" "HTTP/1.1 404 Not Found not_found"
out=$(raw_answer "GET /ws HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer $TOKEN\\r\\nOrigin: http://\\xff\\r\\nConnection: close\\r\\n\\r\\n")
expect_eq "raw non-UTF-8 Origin -> 403 JSON" "$(printf '%s\n' "$out" | head -n1) $(printf '%s\n' "$out" | tail -n1 | jq -r .error.code)" "HTTP/1.1 403 Forbidden forbidden_origin"
# Request smuggling: two Content-Length headers that disagree -> 400 and the
# connection closed, so the "body" is never read as a second request.
out=$(raw_answer 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 29\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n')
expect_eq "differing Content-Length -> 400, one answer" "$(printf '%s\n' "$out" | grep -c '^HTTP/1.1') $(printf '%s\n' "$out" | head -n1) $(printf '%s\n' "$out" | tail -n1 | jq -r .error.code)" \
    "1 HTTP/1.1 400 Bad Request conflicting_content_length"
expect_eq "equal Content-Length twice is one" "$(raw_answer 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' | head -n1)" "HTTP/1.1 200 OK"
out=$(http /api/events -X PUT)
if printf '%s' "$out" | grep -q '^{"error":{"code":"method_not_allowed"'; then pass "errors are JSON"; else fail "errors are JSON" "$out"; fi

# --- security defaults ------------------------------------------------------
expect_eq "bad Host refused" "$(http_status /health -H 'Host: evil.example')" 403
expect_eq "rebinding Host refused" "$(http_status /api/sessions -H 'Host: attacker.com:18500')" 403
expect_eq "missing Host refused" "$(http_status /health -H 'Host:')" 400
expect_eq "localhost Host ok" "$(http_status /health -H 'Host: localhost:8510')" 200
expect_eq "[::1] Host ok" "$(http_status /health -H 'Host: [::1]:8510')" 200
if curl -s -D - -o /dev/null -H 'Origin: http://evil.example' "http://127.0.0.1:$SERVER_PORT/health" | grep -qi '^access-control'; then
    fail "no CORS headers by default"; else pass "no CORS headers by default"; fi
out=$("$SERVER" --no-token --bind 0.0.0.0 --port "$(free_port)" 2>&1); rc=$?
expect_eq "non-loopback bind without a token refused" "$rc" 2
if printf '%s' "$out" | grep -q -- '--no-token with --bind 0.0.0.0 (not loopback): refused'; then pass "refusal says why"; else fail "refusal says why" "$out"; fi
TPORT=$(free_port)
CHRONICLE_TOKEN=s3cret CHRONICLE_CORS_ORIGIN=http://dash.example "$SERVER" --port "$TPORT" 2>>"$CHRONICLE_HOME/server2.log" &
TPID=$!; _bg_pids+=("$TPID")
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$TPORT/health"
expect_eq "token required" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/api/sessions")" 401
expect_eq "wrong token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "http://127.0.0.1:$TPORT/api/sessions")" 401
expect_eq "right token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$TPORT/api/sessions")" 200
expect_eq "REST ignores access_token" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/api/sessions?access_token=s3cret")" 401
expect_eq "WebSocket token in query" "$("$WSCLIENT" -t 300 -p '/ws?access_token=s3cret' "$TPORT" | tail -n1)" "END 0"
expect_eq "WebSocket without token" "$("$WSCLIENT" -t 300 "$TPORT" | head -n1)" "HTTP HTTP/1.1 401 Unauthorized"
if curl -s -D - -o /dev/null -H 'Authorization: Bearer s3cret' -H 'Origin: http://dash.example' "http://127.0.0.1:$TPORT/health" | grep -qi '^access-control-allow-origin: http://dash.example'; then
    pass "CORS for the configured origin"; else fail "CORS for the configured origin"; fi
kill -TERM "$TPID"; wait "$TPID" 2>/dev/null

# --- /metrics ---------------------------------------------------------------
http_status /metrics >/dev/null
metrics=$(http_body /metrics)
if command -v promtool >/dev/null; then
    if out=$(printf '%s\n' "$metrics" | promtool check metrics 2>&1); then pass "promtool check metrics"; else fail "promtool check metrics" "$out"; fi
else
    fail "promtool check metrics" "promtool not installed (scripts/deps.sh test puts it in build/deps/bin)"
fi
if printf '%s' "$metrics" | grep -q '^chronicle_events_processed_total{type="PreToolUse"} [0-9]'; then pass "metrics: collector counters"; else fail "metrics: collector counters"; fi
if printf '%s' "$metrics" | grep -q '^chronicle_http_requests_total{route="events",code="400"} [1-9]'; then pass "metrics: requests by route and status"; else fail "metrics: requests by route and status"; fi

# --- WebSocket --------------------------------------------------------------
ws=$CHRONICLE_HOME/ws.out
wsclient -t 4000 -n 3 "$SERVER_PORT" >"$ws" &
wsp=$!
sleep 0.3
base=$(max_id)
insert_events 3 sess-live Stop
wait "$wsp"
expect_eq "ws: live events" "$(grep -c '^MSG {"type":"event","data":{"id":' "$ws")" 3
expect_eq "ws: live ids in order" "$(grep -o '"data":{"id":[0-9]*' "$ws" | cut -d: -f3 | tr '\n' ' ')" "$((base + 1)) $((base + 2)) $((base + 3)) "
wsclient -t 1000 -p "/ws?after=$base" "$SERVER_PORT" >"$ws"
expect_eq "ws: resume replays the missed events" "$(grep -o '"data":{"id":[0-9]*' "$ws" | cut -d: -f3 | tr '\n' ' ')" "$((base + 1)) $((base + 2)) $((base + 3)) "
wsclient -t 1000 -p "/ws?after=0" "$SERVER_PORT" >"$ws"
expect_eq "ws: replay bounded" "$(grep -c '"type":"event"' "$ws")" 100
if grep -q '^MSG {"type":"gap","data":{"from":[0-9]*,"to":'"$(max_id)"',"reason":"replay_limit"}}' "$ws"; then pass "ws: gap beyond the bound"; else fail "ws: gap beyond the bound" "$(grep -v '"event"' "$ws")"; fi
wsclient -t 3000 -n 2 -p "/ws?event_type=Notification" -s '{"type":"subscribe","filters":{"session_ids":["sess-f"]}}' "$SERVER_PORT" >"$ws" &
wsp=$!
sleep 0.3
insert_events 1 sess-other Stop; insert_events 1 sess-f Stop
wait "$wsp"
if grep -q '^MSG {"type":"subscribed"}' "$ws" && grep -q '"session_id":"sess-f"' "$ws" && ! grep -q sess-other "$ws"; then
    pass "ws: subscribe filters"; else fail "ws: subscribe filters" "$(cat "$ws")"; fi
expect_eq "ws: heartbeat echo" "$(wsclient -t 1000 -n 1 -s '{"type":"heartbeat"}' "$SERVER_PORT" | head -n1)" 'MSG {"type":"heartbeat"}'
out=$(wsclient -t 1000 -n 1 -s '{"type":"nope"}' "$SERVER_PORT" | head -n1)
if printf '%s' "$out" | grep -q '^MSG {"type":"error","error":{"code":"bad_message"'; then pass "ws: bad message error"; else fail "ws: bad message error" "$out"; fi
expect_eq "ws: unmasked frame -> 1002" "$(wsclient -t 1000 -r 81026869 "$SERVER_PORT" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
expect_eq "ws: binary -> 1003" "$(wsclient -t 1000 -r 8282000000006869 "$SERVER_PORT" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1003"
expect_eq "ws: bad UTF-8 -> 1007" "$(wsclient -t 1000 -r 818100000000ff "$SERVER_PORT" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1007"
expect_eq "ws: reserved opcode -> 1002" "$(wsclient -t 1000 -r 838000000000 "$SERVER_PORT" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1002"
# 70000-byte text message (over the 64 KiB limit): header 81 FF + 8-byte length + mask.
big=$(printf '81ff%016x00000000%0200d' 70000 0)
expect_eq "ws: oversized message -> 1009" "$(wsclient -t 1000 -r "$big" "$SERVER_PORT" | head -n1 | cut -d' ' -f1-2)" "CLOSE 1009"
expect_eq "ws: foreign Origin refused" "$(wsclient -t 500 -H 'Origin: http://evil.example' "$SERVER_PORT" | head -n1)" "HTTP HTTP/1.1 403 Forbidden"
out=$(printf 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n' "$TOKEN" | curl -s --max-time 2 telnet://127.0.0.1:"$SERVER_PORT" | head -n1 | tr -d '\r')
expect_eq "ws: bad key -> 400" "$out" "HTTP/1.1 400 Bad Request"
expect_eq "ws: plain GET -> 426" "$(http_status /ws)" 426

# --- /api/meta: the table of what each hook event means ----------------------
meta=$(http /api/meta)
expect_eq "meta: 200" "$(printf '%s' "$meta" | tail -n1)" "HTTP 200"
if printf '%s' "$meta" | grep -q '{"name":"PostToolUseFailure","flags":\["tool_end","tool_failure","error","activity"\]}' &&
   printf '%s' "$meta" | grep -q '"permission_prompt":"permission"'; then
    pass "meta: event types with flags"; else fail "meta: event types with flags" "$meta"; fi
expect_eq "meta: no parameters" "$(http_status '/api/meta?x=1')" 400

# --- graceful shutdown --------------------------------------------------------
wsclient -t 5000 "$SERVER_PORT" >"$ws" &
wsp=$!
# HEAD: the GET's headers and no body, so a kept-alive connection stays in step.
two=$(printf 'HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' |
      timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SERVER_PORT; cat >&3; cat <&3")
expect_eq "HEAD sends no body (two answers, one body)" "$(printf '%s' "$two" | grep -c '^HTTP/1.1 ') $(printf '%s' "$two" | grep -c '"status"')" "2 1"
sleep 0.3
stop_server; rc=$?
wait "$wsp"
expect_eq "SIGTERM exit status" "$rc" 0
expect_eq "SIGTERM closes WebSockets with 1001" "$(grep '^CLOSE' "$ws" | cut -d' ' -f1-2)" "CLOSE 1001"
