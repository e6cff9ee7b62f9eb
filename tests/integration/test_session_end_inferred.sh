#!/usr/bin/env bash
# SessionEnd does not always fire: a session whose Claude Code process
# (CLAUDE_PID) is gone is reported as ended, marked as inferred.
source "$(dirname "$0")/lib.sh"
start_collector || { fail collector_starts; exit 1; }
start_server || { fail server_starts; exit 1; }
sleep 60 &
claude=$!
_bg_pids+=("$claude")
echo '{"session_id":"inf","hook_event_name":"UserPromptSubmit","prompt":"hi","cwd":"/w"}' | CLAUDE_PID=$claude "$SEND"
s=$(http /api/sessions/inf)
expect_eq alive_session_active "$(json_get "$s" status)" active
kill -KILL "$claude"; wait "$claude" 2>/dev/null
s=$(http /api/sessions/inf)
expect_eq dead_claude_ended "$(json_get "$s" status)" ended
expect_eq marked_inferred "$(json_get "$s" ended_inferred)" true
l=$(http /api/sessions)
printf '%s' "$l" | grep -q '"session_id":"inf","status":"ended"' && pass list_shows_ended || fail list_shows_ended "$l"
stop_server
stop_collector
