#!/usr/bin/env bash
# bench_ship.sh - team mode (chronicle-ship) against a PostgreSQL started
# here, each figure beside a floor measured in the same run:
#   1. shipping throughput vs a plain COPY of the same rows into the same
#      chronicle.events table (interleaved rounds, medians);
#   2. lag from local commit to PostgreSQL commit at 1,000 events/s (p50, p99);
#   3. local ingest with chronicle-ship running and PostgreSQL down, and with
#      it shipping live, as ratios of ingest with no shipper (interleaved);
#   4. catch-up of a backlog of BENCH_SHIP_BACKLOG (1,000,000) events.
# Run by tests/bench/run.sh (make bench); docs/PERFORMANCE.md has results.
#
#   BENCH_SHIP_EVENTS (200000), BENCH_SHIP_ROUNDS (3), BENCH_SHIP_BACKLOG (1000000)
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib.sh
source tests/integration/pg_lib.sh
# A home of its own name: minutes of benchmark outlive other runs' clean-ups
# of /tmp/chr.* on a shared machine.
rmdir "$CHRONICLE_HOME" 2>/dev/null
CHRONICLE_HOME=$(mktemp -d /tmp/chrship.XXXXXX)
DB=$CHRONICLE_HOME/chronicle.db
export CHRONICLE_HOME
N=${BENCH_SHIP_EVENTS:-200000}
ROUNDS=${BENCH_SHIP_ROUNDS:-3}
BACKLOG=${BENCH_SHIP_BACKLOG:-1000000}
LOAD=$BIN/bench/ingest_load
PACE=$BIN/bench/ship_pace
pg_start || { echo "bench_ship: SKIP: $PG_WHY"; exit 0; }
export CHRONICLE_SHIP_TO="$PG_URL"
"$BIN/chronicle" team init "$PG_URL" >/dev/null 2>&1 || { echo "bench_ship: team init failed"; exit 1; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
now_ns() { date +%s%N; }
fresh_home() { stop_collector; rm -f "$DB" "$DB-wal" "$DB-shm" "$CHRONICLE_HOME"/ship.*; start_collector; }
truncate_pg() {
    pg_sql "TRUNCATE chronicle.events, chronicle.sessions, chronicle.tool_calls, chronicle.tool_stats,
            chronicle.event_counts, chronicle.event_counts_10m, chronicle.ship_cursors, chronicle.usage,
            chronicle.machine_stats; CHECKPOINT" >/dev/null
}
start_collector || exit 1

echo "== shipping throughput: $N events, chronicle-ship vs COPY of the same rows ($ROUNDS rounds)"
"$LOAD" "$CHRONICLE_HOME/collector.sock" "$N" 4 1024 >/dev/null
M=$(machine=$(cat "$CHRONICLE_HOME/machine-id" 2>/dev/null); echo "${machine:-00000000-0000-4000-8000-000000000000}")
cols="event_uid, machine_id, local_id, session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload, payload_size, host, uid, pid, ppid, claude_pid, project_dir"
sqlite3 -csv "$DB" "SELECT lower(hex(event_uid)), '$M', id, session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload, payload_size, host, uid, pid, ppid, claude_pid, project_dir FROM events ORDER BY id" >"$CHRONICLE_HOME/rows.csv"
floor=() ours=()
for r in $(seq 1 "$ROUNDS"); do
    truncate_pg
    t0=$(now_ns)
    psql -X -q -d "$PG_URL" -c "\\copy chronicle.events ($cols) FROM '$CHRONICLE_HOME/rows.csv' CSV" >/dev/null
    t1=$(now_ns)
    floor+=("$(awk -v n="$N" -v ns="$((t1 - t0))" 'BEGIN {printf "%.0f", n / (ns / 1e9)}')")
    truncate_pg
    rm -f "$CHRONICLE_HOME"/ship.cursor
    t0=$(now_ns)
    "$SHIP" --once 2>>"$CHRONICLE_HOME/ship.log"
    t1=$(now_ns)
    got=$(pg_sql "SELECT count(*) FROM chronicle.events")
    [ "$got" = "$N" ] || echo "bench_ship: shipped $got of $N"
    ours+=("$(awk -v n="$N" -v ns="$((t1 - t0))" 'BEGIN {printf "%.0f", n / (ns / 1e9)}')")
    echo "round $r: COPY ${floor[-1]} events/s, chronicle-ship ${ours[-1]} events/s"
done
f=$(printf '%s\n' "${floor[@]}" | median)
o=$(printf '%s\n' "${ours[@]}" | median)
echo "COPY floor (events only, no derived rows): $f events/s (median)"
echo "chronicle-ship (events + sessions, tool calls, counts, cursor): $o events/s (median)"
awk -v a="$o" -v b="$f" 'BEGIN {printf "shipping ratio (chronicle-ship / COPY floor): %.2f\n", a / b}'
batches=$(sed -n 's/^batches_total=//p' "$CHRONICLE_HOME/ship.state")
echo "events per transaction: $((N / (batches > 0 ? batches : 1))) on average"

echo "== lag, local commit -> PostgreSQL commit, at 1000 events/s for 20 s"
ship_start
wait_for 30 grep -q '^phase=idle' "$CHRONICLE_HOME/ship.state"
ship_stop
ship_start    # a new process: its histogram holds only the paced events
wait_for 30 grep -q '^phase=idle' "$CHRONICLE_HOME/ship.state"
"$PACE" "$CHRONICLE_HOME/collector.sock" 1000 20
want=$(sql "SELECT max(id) FROM events")
wait_pg 60 "SELECT last_local_id FROM chronicle.ship_cursors" "$want" || echo "bench_ship: lag run did not catch up"
sleep 1.2 # one report period
p50=$(sed -n 's/^lag_p50_us=//p' "$CHRONICLE_HOME/ship.state")
p99=$(sed -n 's/^lag_p99_us=//p' "$CHRONICLE_HOME/ship.state")
b=$(sed -n 's/^batches_total=//p' "$CHRONICLE_HOME/ship.state")
awk -v a="$p50" -v b="$p99" -v n="$b" 'BEGIN {printf "lag: p50 %.1f ms, p99 %.1f ms (%d transactions for 20000 events)\n", a / 1e3, b / 1e3, n}'
ship_stop

echo "== local ingest of $N events: no shipper / PostgreSQL down / shipping live ($ROUNDS rounds)"
base=() down=() live=()
rate() { "$LOAD" "$CHRONICLE_HOME/collector.sock" "$N" 4 1024 | awk '{for (i = 1; i <= NF; i++) if ($i == "=") print $(i + 1)}'; }
for r in $(seq 1 "$ROUNDS"); do
    fresh_home
    base+=("$(rate)")
    fresh_home
    pg_stop_immediate
    ship_start
    down+=("$(rate)")
    ship_stop
    pg_restart
    truncate_pg
    fresh_home
    ship_start
    live+=("$(rate)")
    ship_stop
    echo "round $r: no shipper ${base[-1]}, PostgreSQL down ${down[-1]}, shipping live ${live[-1]} events/s"
done
b=$(printf '%s\n' "${base[@]}" | median)
d=$(printf '%s\n' "${down[@]}" | median)
l=$(printf '%s\n' "${live[@]}" | median)
awk -v a="$d" -v b="$b" 'BEGIN {printf "ingest ratio, PostgreSQL down / no shipper: %.2f  (goal: 1.0)\n", a / b}'
awk -v a="$l" -v b="$b" 'BEGIN {printf "ingest ratio, shipping live / no shipper: %.2f  (both on the same 2 cores)\n", a / b}'

echo "== catch-up of a $BACKLOG-event backlog"
truncate_pg
fresh_home
"$LOAD" "$CHRONICLE_HOME/collector.sock" "$BACKLOG" 4 1024 >/dev/null
stop_collector
t0=$(now_ns)
"$SHIP" --once 2>>"$CHRONICLE_HOME/ship.log"
t1=$(now_ns)
got=$(pg_sql "SELECT count(*) FROM chronicle.events")
awk -v n="$got" -v ns="$((t1 - t0))" 'BEGIN {printf "catch-up: %d events in %.1f s = %.0f events/s\n", n, ns / 1e9, n / (ns / 1e9)}'
echo "PostgreSQL size after it: $(pg_sql "SELECT pg_size_pretty(pg_database_size('postgres'))")"
