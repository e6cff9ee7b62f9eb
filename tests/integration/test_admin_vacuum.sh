#!/usr/bin/env bash
# chronicle vacuum: shrinks the file after events were deleted, keeps every
# remaining row, and works while the collector runs.
source "$(dirname "$0")/lib.sh"
CHRONICLE=$BIN/chronicle
# The events are deleted the supported way, by retention (by hand in the
# sqlite3 shell the search index's trigger needs Chronicle's SQL function:
# docs/OPERATIONS.md).
export CHRONICLE_RETENTION_DAYS=30 CHRONICLE_RETENTION_CHECK_S=1
start_collector || { fail collector_starts; exit 1; }
"$BIN/tools/make_frame" "$(( $(date +%s%N) - 40 * 86400 * 1000000000 ))" 4000 bulk | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" --expect 4000 >/dev/null
send "$FIXTURES/Stop.json"
wait_sql 30 "SELECT count(*) FROM events WHERE session_id='bulk'" 0 || fail bulk_expired
# The pages live in the -wal until a checkpoint moves them into the file; a
# checkpoint while the collector writes can come back busy (first column 1)
# and leave the file at one page, so retry until it completes.
for _ in $(seq 1 50); do
    ck=$(sqlite3 "$DB" "PRAGMA busy_timeout=5000; PRAGMA wal_checkpoint(TRUNCATE);" | tail -n1)
    [ "${ck%%|*}" = 0 ] && break
    sleep 0.1
done
before=$(stat -c %s "$DB")
out=$("$CHRONICLE" vacuum)
rc=$?
expect_eq vacuum_exit_0 "$rc" 0
after=$(stat -c %s "$DB")
[ "$after" -lt "$before" ] && pass file_shrinks || fail file_shrinks "$before -> $after ($out)"
expect_eq rows_kept "$(sql "SELECT count(*) FROM events")" 1
send "$FIXTURES/Stop.json"
expect_eq collector_still_writes "$(sql "SELECT count(*) FROM events")" 2
"$CHRONICLE" vacuum --bogus >/dev/null 2>&1; expect_eq bad_option_exit_2 "$?" 2
stop_collector && pass clean_exit || fail clean_exit
