#!/usr/bin/env bash
# Team mode under failures: while hook events flood in through chronicle-send,
# PostgreSQL is crash-stopped (pg_ctl stop -m immediate) and started again,
# chronicle-ship is kill -9'd at random points and restarted, and so is the
# collector.  At the end every event is in PostgreSQL exactly once, nothing
# is left behind (PostgreSQL's cursor is the newest local event), and the
# derived tables equal the local ones (no batch counted twice).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_crash; exit 0; }
LOOPS=3
PER=${TEAM_CRASH_EVENTS:-1000}
export CHRONICLE_SHIP_TO="$PG_URL"
"$BIN/chronicle" team init "$PG_URL" >/dev/null 2>&1 || fail team_init
start_collector || { fail collector_starts; exit 1; }
ship_start

# Each loop is one session: prompts, then Pre/Post pairs, a Stop now and then.
sender() { # LOOP
    local l=$1 i type extra
    for i in $(seq 1 "$PER"); do
        case $((i % 10)) in
        1) type=UserPromptSubmit extra=',"prompt":"go"' ;;
        0) type=Stop extra='' ;;
        *) if [ $((i % 2)) -eq 0 ]; then type=PreToolUse; else type=PostToolUse; fi
           extra=",\"tool_name\":\"Bash\",\"tool_use_id\":\"t$l-$((i / 2))\"" ;;
        esac
        printf '{"session_id":"crash-%s","hook_event_name":"%s","k":"%s-%s","cwd":"/w"%s}' \
            "$l" "$type" "$l" "$i" "$extra" | "$SEND"
    done
}
pids=()
for l in $(seq 1 $LOOPS); do
    sender "$l" &
    pids+=($!)
done

# Chaos while they run.  Each pause is random; the order of the blows too.
nap() { sleep "0.$((RANDOM % 6 + 2))"; }
blows=(ship ship pg ship collector ship pg ship)
for b in $(printf '%s\n' "${blows[@]}" | shuf); do
    nap
    case $b in
    ship) ship_kill9; nap; ship_start ;;
    pg) pg_stop_immediate; nap; pg_restart || fail pg_restarts ;;
    collector) kill9_collector; nap; start_collector || fail collector_restarts ;;
    esac
done
for p in "${pids[@]}"; do wait "$p"; done
pass senders_done
[ -n "$COLLECTOR_PID" ] || start_collector
[ -n "$SHIP_PID" ] || ship_start
TOTAL=$((LOOPS * PER))
wait_spool_empty 30 && pass spool_drained || fail spool_drained "$(spool_count) left"
wait_sql 30 "SELECT count(*) FROM events" "$TOTAL" && pass all_local || fail all_local "$(sql "SELECT count(*) FROM events") of $TOTAL"
wait_pg 90 "SELECT count(*) FROM chronicle.events" "$TOTAL" && pass all_in_postgres \
    || fail all_in_postgres "$(pg_sql "SELECT count(*) FROM chronicle.events") of $TOTAL"
expect_eq exactly_once "$(pg_sql "SELECT count(DISTINCT event_uid) || '/' || count(DISTINCT payload->>'k') FROM chronicle.events")" "$TOTAL/$TOTAL"
wait_pg 10 "SELECT last_local_id FROM chronicle.ship_cursors" "$(sql "SELECT max(id) FROM events")" \
    && pass nothing_left_behind || fail nothing_left_behind
wait_for 10 grep -q '^lag_events=0' "$CHRONICLE_HOME/ship.state" && pass lag_zero || fail lag_zero
expect_eq session_counts "$(pg_sql "SELECT sum(event_count) FROM chronicle.sessions")" "$TOTAL"
compare_derived after_chaos
ship_stop && pass ship_clean_exit || fail ship_clean_exit
stop_collector && pass collector_clean_exit || fail collector_clean_exit
