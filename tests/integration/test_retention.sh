#!/usr/bin/env bash
# Retention (CHRONICLE_RETENTION_DAYS) deletes exactly the expired events,
# their tool-call rows and sessions left without events, in small chunks,
# while the collector keeps ingesting new events.
source "$(dirname "$0")/lib.sh"
MF=$BIN/tools/make_frame
RAWSOCK=$BIN/tools/rawsock
export CHRONICLE_RETENTION_DAYS=30 CHRONICLE_RETENTION_CHECK_S=1
start_collector || { fail collector_starts; exit 1; }
now=$(date +%s%N)
old=$((now - 40 * 86400 * 1000000000))
recent=$((now - 2 * 86400 * 1000000000))

# 2000 expired events, 500 recent ones, then 100 expired ones again (late,
# from a spool: old timestamps behind higher ids), over single connections.
"$MF" "$old" 2000 oldsess | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 2000 | grep -c '^ok' >"$CHRONICLE_HOME/acks1"
"$MF" "$recent" 500 newsess | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 500 | grep -c '^ok' >"$CHRONICLE_HOME/acks2"
"$MF" "$old" 100 latesess | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 100 | grep -c '^ok' >"$CHRONICLE_HOME/acks3"
expect_eq all_acked "$(cat "$CHRONICLE_HOME"/acks1) $(cat "$CHRONICLE_HOME"/acks2) $(cat "$CHRONICLE_HOME"/acks3)" "2000 500 100"

# Keep ingesting while the expiry runs.
( for i in $(seq 1 150); do
      printf '{"session_id":"live","hook_event_name":"Stop","n":%s}' "$i" | "$SEND"
  done ) &
live=$!
wait_sql 30 "SELECT count(*) FROM events WHERE ts_ns < $((now - 30 * 86400 * 1000000000))" 0 \
    && pass expired_events_deleted || fail expired_events_deleted "$(sql "SELECT count(*) FROM events WHERE ts_ns < $((now - 30 * 86400 * 1000000000))")"
wait $live
wait_sql 10 "SELECT count(*) FROM events WHERE session_id='live'" 150 && pass ingest_during_expiry || fail ingest_during_expiry
expect_eq recent_kept "$(sql "SELECT count(*) FROM events WHERE session_id='newsess'")" 500
expect_eq expired_sessions_deleted "$(sql "SELECT group_concat(session_id) FROM (SELECT session_id FROM sessions ORDER BY 1)")" "live,newsess"
expect_eq expired_tool_calls_deleted "$(sql "SELECT count(*) FROM tool_calls WHERE session_id IN ('oldsess','latesess')")" 0
expect_eq recent_tool_calls_kept "$(sql "SELECT count(*) FROM tool_calls WHERE session_id='newsess'")" 250
expect_eq expired_counts_deleted "$(sql "SELECT count(*) FROM event_counts WHERE bucket < $((now - 30 * 86400 * 1000000000)) / 10000000000")" 0
expect_eq recent_counts_kept "$(sql "SELECT sum(count) FROM event_counts WHERE bucket >= $((now - 30 * 86400 * 1000000000)) / 10000000000")" 650
wait_sql 5 "SELECT value FROM collector_stats WHERE name='events_expired_total'" 2100 && pass expiry_counted || fail expiry_counted
stop_collector && pass clean_exit || fail clean_exit

# ---- with shipping configured (ship_to): nothing chronicle-ship has not
# committed to PostgreSQL expires by age; only the size cap deletes it, loudly.
export CHRONICLE_SHIP_TO="postgresql:///team?host=/nonexistent"
rm -f "$DB" "$DB-wal" "$DB-shm" "$CHRONICLE_HOME/collector.log"
start_collector || { fail ship_collector_starts; exit 1; }
"$MF" "$old" 1000 shipold | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 1000 | grep -c '^ok' >"$CHRONICLE_HOME/acks4"
expect_eq ship_all_acked "$(cat "$CHRONICLE_HOME/acks4")" 1000
# No ship.cursor: chronicle-ship never ran.  Several passes (1 s apart) later
# every expired event is still there.
sleep 3.5
expect_eq ship_no_cursor_keeps_all "$(sql "SELECT count(*) FROM events")" 1000
# A cursor at the 600th event (written as chronicle-ship would): the 599 below it expire, the rest stays (the
# event the cursor names too, so that its id is never reused).
cut_id=$(sql "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 599")
printf 'last_id=%s\n' "$cut_id" >"$CHRONICLE_HOME/ship.cursor"
wait_sql 15 "SELECT count(*) FROM events" 401 && pass ship_cursor_limits_expiry \
    || fail ship_cursor_limits_expiry "$(sql "SELECT count(*) FROM events") left"
expect_eq ship_kept_from_cursor "$(sql "SELECT min(id) FROM events")" "$cut_id"
# The tool calls of the kept events stay with them.
expect_eq ship_kept_tool_calls "$(sql "SELECT count(*) FROM (SELECT DISTINCT tool_use_id FROM events) e
    LEFT JOIN tool_calls t USING (tool_use_id) WHERE t.tool_use_id IS NULL")" 0
stop_collector && pass ship_clean_exit || fail ship_clean_exit

# The size cap still wins over an unshipped backlog, and says so: a counter
# (events_deleted_unshipped_total) and a log line.  The newest event stays.
export CHRONICLE_RETENTION_MAX_MB=1 CHRONICLE_RETENTION_DAYS=0
rm -f "$DB" "$DB-wal" "$DB-shm" "$CHRONICLE_HOME/ship.cursor"
start_collector || { fail cap_collector_starts; exit 1; }
"$MF" "$recent" 20000 capsess | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 20000 | grep -c '^ok' >"$CHRONICLE_HOME/acks5"
expect_eq cap_all_acked "$(cat "$CHRONICLE_HOME/acks5")" 20000
last_id=$(sql "SELECT max(id) FROM events")
wait_for 20 sh -c "[ \"\$(sqlite3 '$DB' \"SELECT coalesce(sum(value),0) FROM collector_stats WHERE name='events_deleted_unshipped_total'\")\" -gt 0 ]" \
    && pass cap_counts_unshipped || fail cap_counts_unshipped
wait_for 10 grep -q "had not shipped" "$CHRONICLE_HOME/collector.log" && pass cap_logs_unshipped || fail cap_logs_unshipped
expect_eq cap_keeps_newest "$(sql "SELECT count(*) FROM events WHERE id = $last_id")" 1
stop_collector && pass cap_clean_exit || fail cap_clean_exit
