#!/usr/bin/env bash
# The collector and the sender under valgrind memcheck: no invalid access,
# no uninitialised read, no leak, through normal events, a spooled event,
# invalid input and garbage frames.
source "$(dirname "$0")/lib.sh"
# ASan and valgrind cannot watch the same process: the asan run skips this.
if nm "$COLLECTOR" 2>/dev/null | grep -q __asan_init; then echo "N/A valgrind: not in the ASan build (the plain run has it)"; exit 0; fi
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
[ -x "$BIN/tools/rawsock" ] || { fail rawsock_built; exit 1; }

# The sender (dynamic build: valgrind cannot follow a static binary's libc
# as well): valid, invalid, and spooling with no collector.
$VG "$BIN/bench/chronicle-send-dynamic" <"$FIXTURES/PreToolUse.json" 2>"$CHRONICLE_HOME/vg-send.log" \
    && pass sender_clean_spooling || { fail sender_clean_spooling; cat "$CHRONICLE_HOME/vg-send.log" >&2; }

$VG "$COLLECTOR" 2>"$CHRONICLE_HOME/vg-collector.log" &
COLLECTOR_PID=$!
wait_for 30 "$SEND" --check || { fail collector_starts_under_valgrind; cat "$CHRONICLE_HOME/vg-collector.log" >&2; exit 1; }
pass collector_starts_under_valgrind
for f in "$FIXTURES"/*.json; do "$SEND" <"$f"; done
printf 'not json' | $VG "$BIN/bench/chronicle-send-dynamic" Stop 2>>"$CHRONICLE_HOME/vg-send.log" \
    && pass sender_clean_invalid || fail sender_clean_invalid
head -c 200 /dev/urandom | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" >/dev/null
printf '\x81\xa1v\x07' | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" >/dev/null
wait_spool_empty 20 && pass spool_drained || fail spool_drained
n=$(ls "$FIXTURES"/*.json | wc -l)
wait_sql 20 "SELECT count(*) FROM events" $((n + 2)) && pass events_stored || fail events_stored "$(sql 'SELECT count(*) FROM events')"
kill -TERM "$COLLECTOR_PID"
wait "$COLLECTOR_PID"
rc=$?
COLLECTOR_PID=
if [ $rc -eq 0 ]; then pass collector_valgrind_clean; else
    fail collector_valgrind_clean "exit $rc"; tail -40 "$CHRONICLE_HOME/vg-collector.log" >&2; fi
