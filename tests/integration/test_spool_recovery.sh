#!/usr/bin/env bash
# Reliability (a) and (b): a dead collector loses nothing; a collector killed
# with SIGKILL during a flood from parallel senders loses nothing and stores
# nothing twice once restarted.
source "$(dirname "$0")/lib.sh"

payload() { # payload SESSION N
    printf '{"session_id":"%s","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t%s","tool_input":{"command":"echo %s"},"cwd":"/w"}' "$1" "$2" "$2"
}

# (a) Collector down: every event spooled, then taken exactly once.
for i in $(seq 1 50); do payload down "$i" | "$SEND"; done
expect_eq spooled_while_down "$(spool_count)" 50
start_collector || { fail collector_starts; exit 1; }
wait_spool_empty 10 && pass spool_drained || fail spool_drained "$(spool_count) left"
expect_eq spooled_events_once "$(sql "SELECT count(*)||' '||count(DISTINCT tool_use_id) FROM events WHERE session_id='down'")" "50 50"
wait_sql 5 "SELECT value FROM collector_stats WHERE name='events_from_spool_total'" 50 && pass from_spool_counter || fail from_spool_counter

# (b) SIGKILL during a flood from 8 parallel senders, then restart.
N=600
seq 1 $N | xargs -P 8 -I{} bash -c 'printf "{\"session_id\":\"flood\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\",\"tool_use_id\":\"f{}\"}" | "$0"' "$SEND" &
flood=$!
sleep 0.4
kill9_collector
pass collector_killed_during_flood
sleep 0.3
start_collector || { fail collector_restarts; exit 1; }
wait $flood
# Every sender has exited: every event must be stored or spooled.
wait_spool_empty 20 && pass spool_drained_after_kill || fail spool_drained_after_kill "$(spool_count) left"
expect_eq flood_exactly_once "$(sql "SELECT count(*)||' '||count(DISTINCT tool_use_id) FROM events WHERE session_id='flood'")" "$N $N"
expect_eq flood_session_count "$(sql "SELECT event_count FROM sessions WHERE session_id='flood'")" "$N"
expect_eq no_corrupt_spool "$(ls "$CHRONICLE_HOME/spool/corrupt" | wc -l)" 0
stop_collector && pass clean_exit || fail clean_exit
