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
