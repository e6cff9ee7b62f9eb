#!/usr/bin/env bash
# Reliability (f): another writer holds the database lock for 2 s.  Senders
# must not wait longer than their deadline; every event ends up stored
# exactly once (from the collector's queue or from the spool).
# Also: a full disk, and an unwritable spool, end in the drop counter.
source "$(dirname "$0")/lib.sh"
start_collector || { fail collector_starts; exit 1; }
echo '{"session_id":"warm","hook_event_name":"Stop"}' | "$SEND"

(echo "BEGIN IMMEDIATE; INSERT INTO collector_stats(name,label,value) VALUES('lock_test','',1);"; sleep 2; echo "COMMIT;") \
    | sqlite3 "$DB" &
locker=$!
sleep 0.3
start=$(date +%s%N)
for i in $(seq 1 20); do
    printf '{"session_id":"locked","hook_event_name":"PreToolUse","tool_use_id":"l%s"}' "$i" | "$SEND"
done
per_send_ms=$(( ($(date +%s%N) - start) / 20000000 ))
# Hang detector, not a timing: each send is bounded by its 250 ms deadline.
[ "$per_send_ms" -lt 1000 ] && pass senders_not_blocked_by_lock || fail senders_not_blocked_by_lock "${per_send_ms}ms each"
wait $locker
wait_sql 10 "SELECT count(*) FROM events WHERE session_id='locked'" 20 \
    && pass all_events_after_unlock || fail all_events_after_unlock "$(sql "SELECT count(*) FROM events WHERE session_id='locked'")"
wait_spool_empty 10 && pass spool_empty_after_unlock || fail spool_empty_after_unlock
expect_eq locked_exactly_once "$(sql "SELECT count(DISTINCT tool_use_id)||' '||count(*) FROM events WHERE session_id='locked'")" "20 20"
wait_sql 5 "SELECT value > 0 FROM collector_stats WHERE name='commit_retries_total'" 1 && pass retries_counted || fail retries_counted
stop_collector && pass clean_exit || fail clean_exit

# Collector down and the spool unusable: the loss is recorded, and the
# collector reports it when it comes back.
mv "$CHRONICLE_HOME/spool/tmp" "$CHRONICLE_HOME/spool/tmp.away"
touch "$CHRONICLE_HOME/spool/tmp"
echo '{"session_id":"lost","hook_event_name":"Stop"}' | "$SEND" Stop
rc=$?
expect_eq send_exits_0_when_spool_fails "$rc" 0
expect_eq drop_recorded "$(wc -l <"$CHRONICLE_HOME/dropped")" 1
rm "$CHRONICLE_HOME/spool/tmp"
mv "$CHRONICLE_HOME/spool/tmp.away" "$CHRONICLE_HOME/spool/tmp"

# A really full disk, where this machine lets us mount a tiny tmpfs.
if mkdir -p "$CHRONICLE_HOME/full" && mount -t tmpfs -o size=64k tmpfs "$CHRONICLE_HOME/full" 2>/dev/null; then
    mkdir -p "$CHRONICLE_HOME/full/spool/tmp" "$CHRONICLE_HOME/full/spool/corrupt"
    # Leave a page free: room for a drop line, not for the 20 KB frame.
    head -c $((64 * 1024 - 8192)) /dev/zero >"$CHRONICLE_HOME/full/filler" 2>/dev/null
    big=$(printf '{"session_id":"full","hook_event_name":"Stop","x":"%s"}' "$(head -c 20000 /dev/zero | tr '\0' a)")
    printf '%s' "$big" | CHRONICLE_HOME=$CHRONICLE_HOME/full "$SEND"
    expect_eq send_exits_0_on_full_disk "$?" 0
    lines=$(cat "$CHRONICLE_HOME/full/dropped" 2>/dev/null | wc -l)
    spooled=$(find "$CHRONICLE_HOME/full/spool" -maxdepth 1 -name '*.mp' | wc -l)
    [ "$lines" -eq 1 ] && [ "$spooled" -eq 0 ] && pass full_disk_counted_as_drop \
        || fail full_disk_counted_as_drop "dropped=$lines spooled=$spooled"
    umount "$CHRONICLE_HOME/full"
fi

start_collector || { fail collector_restarts; exit 1; }
wait_sql 5 "SELECT value FROM collector_stats WHERE name='events_dropped_total'" 1 \
    && pass collector_reports_drop || fail collector_reports_drop
stop_collector
