#!/usr/bin/env bash
# Team server latency (make bench; docs/PERFORMANCE.md): chronicle-server
# --database on a throwaway PostgreSQL holding BENCH_TEAM_EVENTS (1,000,000)
# events of two machines and 1,000 sessions, REST p50/p99 over one
# connection (wrk), against a floor measured in the same run: the same
# server's 404 answer (no database work).  The rows are generated in SQL
# (INSERT ... SELECT generate_series) with the shipper's schema: this
# measures the reads, bench_ship.sh measures the shipping.
#
#   BENCH_TEAM_EVENTS (1000000), BENCH_TEAM_SECS (5)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD
N=${BENCH_TEAM_EVENTS:-1000000}
SECS=${BENCH_TEAM_SECS:-5}
source tests/integration/pg_lib.sh
work=$(mktemp -d /tmp/chrbt.XXXXXX)
export CHRONICLE_HOME=$work/home
mkdir -p "$CHRONICLE_HOME"
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; pg_cleanup; rm -rf "$work"' EXIT
pg_start || { echo "bench_team_server: SKIP: $PG_WHY"; exit 0; }
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; pg_cleanup; rm -rf "$work"' EXIT
"$BUILD/chronicle" team init "$PG_URL" >"$work/roles.sql" 2>/dev/null || { echo "bench_team_server: team init failed"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$work/roles.sql" >/dev/null 2>&1 || { echo "bench_team_server: roles failed"; exit 1; }

echo "== team server: $N events, 1000 sessions, 2 machines in PostgreSQL $(pg_sql 'SHOW server_version')"
t0=$(date +%s%N)
ts=$(( $(date +%s) * 1000000000 - N * 1000000 ))
pg_sql "INSERT INTO chronicle.events (event_uid, machine_id, local_id, session_id, event_type, ts_ns,
          stored_ns, tool_name, tool_use_id, cwd, flags, payload, payload_size, host, username)
        SELECT gen_random_uuid(),
          CASE WHEN g % 2 = 0 THEN '00000000-0000-4000-8000-00000000000a'::uuid
               ELSE '00000000-0000-4000-8000-00000000000b'::uuid END,
          g, 'sess-' || lpad((g % 1000)::text, 6, '0'),
          (ARRAY['PreToolUse','PostToolUse','UserPromptSubmit','Stop'])[g % 4 + 1],
          $ts + g * 1000000::bigint, $ts + g * 1000000::bigint + 500, 'Bash', 'tu-' || g,
          '/work/project-' || (g % 10), 0,
          jsonb_build_object('session_id', 'sess-' || lpad((g % 1000)::text, 6, '0'),
                             'tool_name', 'Bash', 'tool_input', jsonb_build_object('command', 'ls -la /tmp/' || g)),
          120, 'host-' || (g % 2), 'user' || (g % 2)
        FROM generate_series(1, $N) g" >/dev/null
pg_sql "INSERT INTO chronicle.sessions (machine_id, session_id, host, username, first_seen_ns, last_seen_ns,
          cwd, project, last_event_type, last_event_id, state, event_count)
        SELECT machine_id, session_id, min(host), min(username), min(ts_ns), max(ts_ns), min(cwd), min(cwd),
          'Stop', max(id), 'working', count(*) FROM chronicle.events GROUP BY 1, 2" >/dev/null
# For the alert engine: 100 sessions waiting on a permission, bursts of
# tool errors in 100 others, and 20,000 priced messages today (the team
# budget's sums read them every tick: CHRONICLE_ALERT_BUDGET_CHECK_S=1).
now_ns=$(( $(date +%s) * 1000000000 ))
pg_sql "UPDATE chronicle.sessions SET state = 'awaiting_input', awaiting_reason = 'permission',
          state_since_ns = $((now_ns - 120 * 1000000000))
        WHERE session_id IN (SELECT DISTINCT session_id FROM chronicle.sessions ORDER BY 1 LIMIT 100)" >/dev/null
pg_sql "INSERT INTO chronicle.events (event_uid, machine_id, local_id, session_id, event_type, ts_ns,
          stored_ns, tool_name, payload_size)
        SELECT gen_random_uuid(), '00000000-0000-4000-8000-00000000000a'::uuid, $((N + 100)) + g,
          'sess-' || lpad((500 + g % 100)::text, 6, '0'), 'PostToolUseFailure',
          $now_ns + g * 1000, $now_ns + g * 1000, 'Bash', 0
        FROM generate_series(1, 1000) g" >/dev/null
pg_sql "INSERT INTO chronicle.usage (message_id, request_id, machine_id, session_id, model, ts_ns,
          input_tokens, output_tokens)
        SELECT 'msg-' || g, 'r', CASE WHEN g % 2 = 0 THEN '00000000-0000-4000-8000-00000000000a'::uuid
          ELSE '00000000-0000-4000-8000-00000000000b'::uuid END, 'sess-' || lpad((g % 1000)::text, 6, '0'),
          'claude-opus-4-5', $now_ns - g * 1000000::bigint, 1000, 100
        FROM generate_series(1, 20000) g" >/dev/null
pg_sql "ANALYZE" >/dev/null
echo "loaded in $(( ($(date +%s%N) - t0) / 1000000 )) ms; database $(pg_sql "SELECT pg_size_pretty(pg_database_size('postgres'))")"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CHRONICLE_BUDGET_DAILY_USD=1000000 CHRONICLE_BUDGET_MONTHLY_USD=1000000 CHRONICLE_ALERT_BUDGET_CHECK_S=1 \
    CHRONICLE_PRICING=share/pricing.tsv "$BUILD/chronicle-server" --port "$port" \
    --database "postgresql:///postgres?host=$PG_SOCK&port=$PG_PORT&user=chronicle_team_server" \
    2>"$work/server.log" &
spid=$!
for _ in $(seq 200); do curl -s "http://127.0.0.1:$port/health" | grep -q '"status": *"ok"' && break; sleep 0.05; done
auth="Authorization: Bearer $(cat "$CHRONICLE_HOME/server.token")"
pct_ms() { awk -v p="$1%" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
           if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v; exit }'; }
latency() {
    wrk -t1 -c1 -d"${SECS}s" --latency -H "$auth" "http://127.0.0.1:$port$1" >"$work/wrk.txt" 2>&1
    echo "$(pct_ms 50 <"$work/wrk.txt") $(pct_ms 99 <"$work/wrk.txt")"
}
echo "== REST latency, 1 connection, ${SECS}s each (p50 / p99 ms; ratio = p50 / floor p50; goal p99 < 20 ms)"
read -r f50 f99 <<<"$(latency /floor-404)"
printf '%-52s %8s %8s\n' "floor: 404 answer" "$f50" "$f99"
for path in /api/sessions "/api/events?session_id=sess-000500" /api/events \
            "/api/events?machine=00000000-0000-4000-8000-00000000000a" "/api/sessions?user=user1" \
            "/api/events?session_id=sess-000500&payload=1" /health; do
    read -r p50 p99 <<<"$(latency "$path")"
    printf '%-52s %8s %8s   x%s\n' "$path" "$p50" "$p99" "$(awk -v a="$p50" -v b="$f50" 'BEGIN { printf "%.1f", a / b }')"
done

# The alert engine (its own thread and connection) ran all along; its
# evaluations in a quiet 5 s (Prometheus summary: sum and count).
tick() { curl -s -H "$auth" "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
s0=$(tick chronicle_team_alerts_tick_seconds_sum); c0=$(tick chronicle_team_alerts_tick_seconds_count)
sleep 5
s1=$(tick chronicle_team_alerts_tick_seconds_sum); c1=$(tick chronicle_team_alerts_tick_seconds_count)
fired=$(pg_sql "SELECT count(*) FROM chronicle.alerts")
echo "== alert engine: one evaluation of every rule (100 waiting sessions, tool-error bursts, team budgets over 20,000 messages today; $fired alerts recorded)"
awk -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v f="$f50" -v mx="$(tick chronicle_team_alerts_tick_max_seconds)" 'BEGIN {
    if (c1 - c0 <= 0) { print "no evaluations measured"; exit }
    m = (s1 - s0) / (c1 - c0) * 1000
    printf "%d evaluations in 5 s, mean %.2f ms (x%.1f the 404 floor p50), longest so far %.1f ms (the first, which fires)\n", c1 - c0, m, m / f, mx * 1000 }'

echo "== live feed: poll-based, commit -> WebSocket receipt (20 events, one at a time)"
# Each round: a client waits for one event (-n 1 -e); the event is committed
# in PostgreSQL; the time until the client has it and exits is the latency
# (an upper bound: it includes the client's exit).
lat=()
for i in $(seq 20); do
    "$BUILD/bench/server_wsclient" -t 5000 -n 1 -e -q -H "$auth" "$port" >"$work/ws.out" 2>&1 &
    wpid=$!
    sleep 0.3
    t0=$(date +%s%N)
    pg_sql "INSERT INTO chronicle.events (event_uid, machine_id, local_id, session_id, event_type, ts_ns, stored_ns, payload_size)
            VALUES (gen_random_uuid(), '00000000-0000-4000-8000-00000000000a', $((N + i)), 'sess-live', 'Stop', $t0, $t0, 0)" >/dev/null
    wait $wpid
    grep -q 'END 1' "$work/ws.out" && lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
p50=$(echo "$sorted" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
p99=$(echo "$sorted" | tail -n 1)
echo "received ${#lat[@]} of 20; commit -> receipt p50 ${p50} ms, max ${p99} ms (poll period 100 ms; psql's own exit is in the figure)"
kill -TERM $spid; wait $spid 2>/dev/null; spid=
