#!/usr/bin/env bash
# Team mode with PostgreSQL down for the whole flood: the collector acks
# every event as usual (its speed against a PostgreSQL-free run is measured
# by `make bench`, tests/bench/bench_ship.sh), the backlog waits in SQLite,
# chronicle-ship backs off and says why in ship.state, `chronicle status`
# and /metrics; retention keeps the unshipped events; once PostgreSQL is
# back the backlog is shipped, once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_pg_down; exit 0; }
MF=$BIN/tools/make_frame
RAWSOCK=$BIN/tools/rawsock
N=${TEAM_FLOOD:-20000}
export CHRONICLE_SHIP_TO="$PG_URL"
"$BIN/chronicle" team init "$PG_URL" >/dev/null 2>&1 || fail team_init
pg_stop_immediate
# Old events (40 days) under a 30-day retention: only shipping holds them.
export CHRONICLE_RETENTION_DAYS=30 CHRONICLE_RETENTION_CHECK_S=1
start_collector || { fail collector_starts; exit 1; }
ship_start
old=$(( $(date +%s%N) - 40 * 86400 * 1000000000 ))
floods=()
for part in 1 2; do
    "$MF" "$((old + part * 1000000000))" "$((N / 2))" "down-$part" |
        "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect "$((N / 2))" | grep -c '^ok' >"$CHRONICLE_HOME/acks.$part" &
    floods+=($!)
done
wait "${floods[@]}"
expect_eq all_acked_locally "$(cat "$CHRONICLE_HOME"/acks.* | awk '{s += $1} END {print s}')" "$N"
expect_eq all_stored_locally "$(sql "SELECT count(*) FROM events")" "$N"
wait_for 10 grep -q '^phase=backoff' "$CHRONICLE_HOME/ship.state" && pass ship_backs_off || fail ship_backs_off "$(grep ^phase "$CHRONICLE_HOME/ship.state")"
grep -q '^last_error=.*cannot connect' "$CHRONICLE_HOME/ship.state" && pass state_says_why || fail state_says_why
wait_for 10 grep -q "^lag_events=$N\$" "$CHRONICLE_HOME/ship.state" && pass state_shows_backlog || fail state_shows_backlog "$(grep ^lag_events "$CHRONICLE_HOME/ship.state")"
"$BIN/chronicle" status >"$CHRONICLE_HOME/status.txt" 2>&1
grep -q "last error.*cannot connect" "$CHRONICLE_HOME/status.txt" && pass status_shows_error || fail status_shows_error "$(grep -A4 ^shipping "$CHRONICLE_HOME/status.txt")"
grep -q "lag $N event(s)" "$CHRONICLE_HOME/status.txt" && pass status_shows_lag || fail status_shows_lag
start_server || { fail server_starts; exit 1; }
http /metrics | grep -q "^chronicle_ship_lag_events $N" && pass metrics_show_lag || fail metrics_show_lag
# Several retention passes: the expired but unshipped events stay.
sleep 3
expect_eq retention_holds_backlog "$(sql "SELECT count(*) FROM events")" "$N"

pg_restart || fail pg_restarts
wait_pg 90 "SELECT count(*) FROM chronicle.events" "$N" && pass backlog_shipped \
    || fail backlog_shipped "$(pg_sql "SELECT count(*) FROM chronicle.events") of $N"
expect_eq shipped_once "$(pg_sql "SELECT count(DISTINCT event_uid) FROM chronicle.events")" "$N"
# (The local derived rows of these 40-day-old events expired by age; only
# the events were held for shipping.  PostgreSQL has them all, once.)
expect_eq derived_once "$(pg_sql "SELECT (SELECT sum(event_count) FROM chronicle.sessions) || '/' || (SELECT count(*) FROM chronicle.tool_calls WHERE status = 'ok') || '/' || (SELECT sum(count) FROM chronicle.event_counts)")" "$N/$((N / 2))/$N"
wait_for 10 grep -q '^lag_events=0' "$CHRONICLE_HOME/ship.state" && pass lag_back_to_zero || fail lag_back_to_zero
# Shipped now, so retention may take them (all are 40 days old) -- except
# the event at the cursor, which stays.
wait_sql 30 "SELECT count(*) FROM events" 1 && pass retention_after_shipping || fail retention_after_shipping "$(sql "SELECT count(*) FROM events") left"
ship_stop && pass ship_clean_exit || fail ship_clean_exit
stop_collector && pass collector_clean_exit || fail collector_clean_exit
