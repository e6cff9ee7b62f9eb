#!/usr/bin/env bash
# Reliability (c), (d), (e): stdin that never closes, a 5 MB payload, empty,
# invalid and binary stdin, and garbage written straight to the socket.
source "$(dirname "$0")/lib.sh"
RAWSOCK=$BIN/tools/rawsock
start_collector || { fail collector_starts; exit 1; }

# (c) stdin never closed and never complete: the deadline ends the read.
# (The bound checked here is a hang detector, 5x the deadline, not a timing.)
mkfifo "$CHRONICLE_HOME/fifo"
exec 7<>"$CHRONICLE_HOME/fifo"
printf '{"session_id":"hang","hook_event_name":"Stop"' >&7
start=$(date +%s%N)
CHRONICLE_STDIN_TIMEOUT_MS=300 timeout 5 "$SEND" <"$CHRONICLE_HOME/fifo"
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 0 ] && pass open_stdin_returns || fail open_stdin_returns "rc=$rc after ${elapsed_ms}ms"
expect_eq open_stdin_event_flagged_invalid "$(sql "SELECT flags & 2 FROM events WHERE CAST(raw AS TEXT) LIKE '%hang%'")" 2
# A complete value on a pipe that stays open: delivered at once, as valid JSON.
printf '{"session_id":"open-but-complete","hook_event_name":"Stop"}' >&7
timeout 5 "$SEND" <"$CHRONICLE_HOME/fifo"
expect_eq complete_value_on_open_pipe "$(sql "SELECT flags FROM events WHERE session_id='open-but-complete'")" 0
exec 7>&-

# (d) a 5 MB payload: stored, flagged truncated, under the limit, shape kept.
big=$CHRONICLE_HOME/big.json
{
    printf '{"session_id":"big","hook_event_name":"PreToolUse","tool_name":"Write","tool_use_id":"w1","tool_input":{"file_path":"/w/a.txt","content":"'
    head -c 3900000 /dev/zero | tr '\0' 'x'
    printf '"},"tool_response":"'
    head -c 1300000 /dev/zero | tr '\0' 'y'
    printf '"}'
} >"$big"
"$SEND" <"$big"
expect_eq big_stored_truncated "$(sql "SELECT flags FROM events WHERE session_id='big'")" 1
expect_eq big_under_limit "$(sql "SELECT length(payload) <= 1048576 AND length(payload) > 1000000 FROM events WHERE session_id='big'")" 1
expect_eq big_original_size "$(sql "SELECT payload_size FROM events WHERE session_id='big'")" "$(stat -c %s "$big")"
expect_eq big_shape_kept "$(sql "SELECT json_extract(payload,'$.tool_input.file_path')||' '||json_valid(payload) FROM events WHERE session_id='big'")" "/w/a.txt 1"
expect_eq big_marker "$(sql "SELECT json_extract(payload,'$.tool_input.content') LIKE '%[chronicle: truncated from 3900000 bytes]' FROM events WHERE session_id='big'")" 1

# (e) empty, invalid and binary stdin: delivered, flagged invalid, raw kept.
"$SEND" Stop </dev/null
printf '{"session_id": "bad", oops' | "$SEND" Notification
head -c 2000 /dev/urandom >"$CHRONICLE_HOME/bin"
"$SEND" PreToolUse <"$CHRONICLE_HOME/bin"
expect_eq empty_stdin_stored "$(sql "SELECT event_type||' '||flags||' '||coalesce(length(raw),0) FROM events WHERE payload_size=0")" "Stop 2 0"
expect_eq invalid_json_stored "$(sql "SELECT event_type||' '||flags FROM events WHERE CAST(raw AS TEXT) LIKE '%oops%'")" "Notification 2"
expect_eq binary_stored "$(sql "SELECT count(*) FROM events WHERE event_type='PreToolUse' AND flags=2 AND payload_size=2000")" 1
# Invalid UTF-8 inside a string is not valid JSON either.
printf '{"session_id":"\xff\xfe"}' | "$SEND"
expect_eq invalid_utf8_flagged "$(sql "SELECT count(*) FROM events WHERE flags & 2 AND event_type = 'Unknown' AND hex(raw) LIKE '%22FFFE22%'")" 1

# Garbage straight to the socket: an error reply, the connection closed,
# a counter, and the collector carries on.
reply=$(head -c 300 /dev/urandom | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --half-close)
case "$reply" in error*) pass garbage_gets_error ;; *) fail garbage_gets_error "$reply" ;; esac
reply=$(printf '\x81\xa1v\x02' | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock")
case "$reply" in *"unsupported protocol version"*) pass wrong_version_named ;; *) fail wrong_version_named "$reply" ;; esac
reply=$(printf '\x93\x01\x02\x03' | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock")
case "$reply" in *"not a map"*) pass non_map_rejected ;; *) fail non_map_rejected "$reply" ;; esac
# A frame that announces 100 MB is refused before it is buffered.
reply=$( { printf '\x81\xa1p\xdb\x06\x00\x00\x00'; head -c 20000000 /dev/zero; } | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock")
case "$reply" in *"larger than"*) pass oversize_rejected ;; *) fail oversize_rejected "$reply" ;; esac
# A frame cut short (the peer half-closes inside it): an error, not silence.
reply=$(printf '\x82\xa1k\xda\x10\x00abc' | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --half-close)
case "$reply" in error*"ended inside a frame"*) pass truncated_frame_gets_error ;; *) fail truncated_frame_gets_error "$reply" ;; esac
# A map announcing 4 billion keys (msgpack-c would allocate 128 GB for it).
reply=$(printf '\xdf\xff\xff\xff\xff' | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock")
case "$reply" in *"too many keys"*) pass huge_map_rejected ;; *) fail huge_map_rejected "$reply" ;; esac
reply=$(printf '\x81\xa1p\xdd\xff\xff\xff\xff' | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock")
case "$reply" in *"scalars"*) pass nested_array_rejected ;; *) fail nested_array_rejected "$reply" ;; esac
echo '{"session_id":"flush-counters","hook_event_name":"Stop"}' | "$SEND"
wait_sql 5 "SELECT sum(value) >= 6 FROM collector_stats WHERE name='events_rejected_total'" 1 \
    && pass rejections_counted || fail rejections_counted "$(sql "SELECT * FROM collector_stats WHERE name='events_rejected_total'")"
echo '{"session_id":"after-garbage","hook_event_name":"Stop"}' | "$SEND"
expect_eq collector_still_ingests "$(sql "SELECT count(*) FROM events WHERE session_id='after-garbage'")" 1
kill -0 "$COLLECTOR_PID" && pass collector_alive || fail collector_alive
expect_eq nothing_spooled "$(spool_count)" 0
stop_collector && pass clean_exit || fail clean_exit
