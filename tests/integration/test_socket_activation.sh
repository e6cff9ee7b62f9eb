#!/usr/bin/env bash
# Socket activation the way systemd does it (LISTEN_FDS/LISTEN_PID on fd 3,
# readiness over NOTIFY_SOCKET): the collector takes the inherited socket,
# says READY=1, and when it is killed and restarted mid-stream the senders'
# connections wait in the backlog (in-flight ones spool): every event arrives once.
# Also: a corrupt spool file is moved aside and reported, never deleted.
source "$(dirname "$0")/lib.sh"
ACT=$BIN/tools/socket_activate
"$ACT" "$CHRONICLE_HOME/collector.sock" "$CHRONICLE_HOME/notify.sock" -- "$COLLECTOR" \
    >"$CHRONICLE_HOME/activate.log" 2>>"$CHRONICLE_HOME/collector.log" &
act=$!
_bg_pids+=("$act")
wait_for 10 grep -q 'notify READY=1' "$CHRONICLE_HOME/activate.log" \
    && pass ready_notified || { fail ready_notified; cat "$CHRONICLE_HOME/activate.log" >&2; }
grep -q 'socket activation' "$CHRONICLE_HOME/collector.log" && pass inherited_socket_used || fail inherited_socket_used

send_seq() { # send_seq FROM TO
    for i in $(seq "$1" "$2"); do
        printf '{"session_id":"act","hook_event_name":"PreToolUse","tool_use_id":"a%s"}' "$i" | "$SEND"
    done
}
send_seq 1 50
# SIGKILL the collector: the socket stays open (it belongs to the activator),
# the next collector takes the backlog.
pid=$(awk '/^started/ {p=$2} END {print p}' "$CHRONICLE_HOME/activate.log")
case "$pid" in ''|0|*[!0-9]*) fail collector_pid_known "pid='$pid'"; exit 1 ;; esac
send_seq 51 150 &
sender=$!
sleep 0.1
kill -KILL "$pid"
wait $sender
send_seq 151 200
wait_for 10 test "$(grep -c '^started' "$CHRONICLE_HOME/activate.log")" -ge 2 && pass collector_restarted || fail collector_restarted
wait_spool_empty 10
wait_sql 10 "SELECT count(DISTINCT tool_use_id)||' '||count(*) FROM events WHERE session_id='act'" "200 200" \
    && pass all_events_once_across_restart \
    || fail all_events_once_across_restart "$(sql "SELECT count(DISTINCT tool_use_id)||' '||count(*) FROM events WHERE session_id='act'")"
[ -S "$CHRONICLE_HOME/collector.sock" ] && pass socket_survives_restart || fail socket_survives_restart

# A corrupt spool file: moved to spool/corrupt, counted, logged.
printf '\x81\xa1v\x01garbage-tail' >"$CHRONICLE_HOME/spool/00000000000000000001-1-bad.mp"
wait_for 15 test -f "$CHRONICLE_HOME/spool/corrupt/00000000000000000001-1-bad.mp" \
    && pass corrupt_spool_moved_aside || fail corrupt_spool_moved_aside
wait_sql 10 "SELECT value FROM collector_stats WHERE name='spool_corrupt_total'" 1 \
    && pass corrupt_spool_counted || fail corrupt_spool_counted
grep -q 'unreadable' "$CHRONICLE_HOME/collector.log" && pass corrupt_spool_logged || fail corrupt_spool_logged

kill -TERM "$act"
wait "$act"
grep -q '^exited 0' "$CHRONICLE_HOME/activate.log" && pass clean_exit_under_activation || fail clean_exit_under_activation
