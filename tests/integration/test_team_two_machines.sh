#!/usr/bin/env bash
# Team mode, two machines (two CHRONICLE_HOMEs, two collectors, two
# chronicle-ships) flooding at once into one PostgreSQL, with the same
# session id and the same tool_use_ids on both (and, within each, the same
# tool_use_ids again from three connections): every event arrives once,
# each session and tool call is attributed to its own machine, and each
# machine's rows equal its local database.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_two_machines; exit 0; }
MF=$BIN/tools/make_frame
RAWSOCK=$BIN/tools/rawsock
N=${TEAM_FLOOD:-6000}
export CHRONICLE_SHIP_TO="$PG_URL"
"$BIN/chronicle" team init "$PG_URL" >/dev/null 2>&1 || fail team_init

HOME_A=$CHRONICLE_HOME
HOME_B=$(mktemp -d /tmp/chr.XXXXXX)
B_COLLECTOR=
trap 'pg_cleanup; kill -KILL $B_COLLECTOR 2>/dev/null; rm -rf "$HOME_B"; cleanup' EXIT
start_collector || { fail collector_a_starts; exit 1; }
CHRONICLE_HOME=$HOME_B "$COLLECTOR" 2>>"$HOME_B/collector.log" &
B_COLLECTOR=$!
wait_for 10 test -S "$HOME_B/collector.sock" || { fail collector_b_starts; exit 1; }
ship_start
SHIP_A=$SHIP_PID
CHRONICLE_HOME=$HOME_B ship_start
SHIP_B=$SHIP_PID

# Both floods at once, over several connections each, same session id.
ts=$(date +%s%N)
flood() { # HOME PART
    "$MF" "$((ts + $2 * 1000000))" "$((N / 3))" shared | "$RAWSOCK" "$1/collector.sock" --expect "$((N / 3))" | grep -c '^ok'
}
for part in 1 2 3; do
    flood "$HOME_A" "$part" >"$HOME_A/acks.$part" &
    flood "$HOME_B" "$part" >"$HOME_B/acks.$part" &
done
wait_for 60 sh -c "[ \$(cat '$HOME_A'/acks.* '$HOME_B'/acks.* 2>/dev/null | awk '{s+=\$1} END {print s+0}') -eq $((2 * N)) ]" \
    && pass both_floods_acked || fail both_floods_acked "$(cat "$HOME_A"/acks.* "$HOME_B"/acks.* | tr '\n' ' ')"

wait_pg 60 "SELECT count(*) FROM chronicle.events" "$((2 * N))" && pass every_event_arrived \
    || fail every_event_arrived "$(pg_sql "SELECT count(*) FROM chronicle.events") of $((2 * N))"
expect_eq each_once "$(pg_sql "SELECT count(DISTINCT event_uid) FROM chronicle.events")" "$((2 * N))"
A=$(cat "$HOME_A/machine-id")
B=$(cat "$HOME_B/machine-id")
[ "$A" != "$B" ] && pass machine_ids_differ || fail machine_ids_differ
expect_eq per_machine "$(pg_sql "SELECT string_agg(n::text, ',' ORDER BY n) FROM (SELECT count(*) n FROM chronicle.events GROUP BY machine_id) x")" "$N,$N"
expect_eq shared_session_twice "$(pg_sql "SELECT count(*) FROM chronicle.sessions WHERE session_id = 'shared'")" 2
expect_eq session_a "$(pg_sql "SELECT event_count FROM chronicle.sessions WHERE session_id = 'shared' AND machine_id = '$A'")" "$N"
expect_eq session_b "$(pg_sql "SELECT event_count FROM chronicle.sessions WHERE session_id = 'shared' AND machine_id = '$B'")" "$N"
expect_eq tool_calls_per_machine "$(pg_sql "SELECT string_agg(n::text, ',') FROM (SELECT count(*) n FROM chronicle.tool_calls GROUP BY machine_id) x")" "$((N / 6)),$((N / 6))"
expect_eq machines_registered "$(pg_sql "SELECT count(*) FROM chronicle.machines")" 2
compare_derived machine_a "$A"
DB=$HOME_B/chronicle.db compare_derived machine_b "$B"

SHIP_PID=$SHIP_A ship_stop && pass ship_a_clean_exit || fail ship_a_clean_exit
SHIP_PID=$SHIP_B ship_stop && pass ship_b_clean_exit || fail ship_b_clean_exit
kill -TERM "$B_COLLECTOR"; wait "$B_COLLECTOR" && pass collector_b_clean_exit || fail collector_b_clean_exit
B_COLLECTOR=
stop_collector && pass collector_a_clean_exit || fail collector_a_clean_exit
