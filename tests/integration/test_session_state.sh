#!/usr/bin/env bash
# Session state with a reason (issue 11): real fixture payloads through
# chronicle-send into the real collector, read back through the real API.
# Every state and reason, since, detail, titles, the state filter and
# counts, a wait that outlives idle_after_s, a Claude Code process that
# vanished, the events project filter, and /api/cost against a transcript.
source "$(dirname "$0")/lib.sh"
unset CLAUDE_PID CLAUDE_PROJECT_DIR
FIX_SID=7d0b6a4e-2f1c-4c59-9a53-3b1e6c2f9d10

# ev SESSION FIXTURE: sends a fixture payload as session SESSION.
ev() { sed "s/$FIX_SID/$1/" "$FIXTURES/$2.json" | "$SEND" || fail "send_$1_$2"; }
# ts_ms SESSION TYPE: when the (last) event of that type was read, epoch ms.
ts_ms() { sql "SELECT max(ts_ns) / 1000000 FROM events WHERE session_id='$1' AND event_type='$2'"; }
# field SESSION KEY: a top-level scalar of GET /api/sessions/SESSION.
field() { json_get "$(http "/api/sessions/$1")" "$2"; }
# detail SESSION: the session's state_detail object text.
detail() { http "/api/sessions/$1" | grep -o '"state_detail":\({[^}]*}\|null\)'; }

start_collector || { fail collector_starts; exit 1; }
BUDGET_DAILY=10 # dollars
CHRONICLE_BUDGET_DAILY_USD=$BUDGET_DAILY start_server || { fail server_starts; exit 1; }

ev s-work SessionStart; ev s-work UserPromptSubmit; ev s-work PreToolUse
ev s-perm UserPromptSubmit; ev s-perm PreToolUse; ev s-perm PermissionRequest; ev s-perm Notification
ev s-idle UserPromptSubmit; ev s-idle Stop; ev s-idle Notification_idle
ev s-done UserPromptSubmit; ev s-done PreToolUse; ev s-done Stop
ev s-fail UserPromptSubmit; ev s-fail StopFailure
ev s-end UserPromptSubmit; ev s-end Stop; ev s-end SessionEnd
ev s-sub UserPromptSubmit; ev s-sub Stop; ev s-sub PreToolUse_in_subagent; ev s-sub SubagentStop
ev s-back UserPromptSubmit; ev s-back Stop; ev s-back UserPromptSubmit
echo '{"session_id":"s-elic","hook_event_name":"UserPromptSubmit","prompt":"open an issue","cwd":"/home/dev/shop"}' | "$SEND"
echo '{"session_id":"s-elic","hook_event_name":"Elicitation","mcp_server_name":"github","message":"Which repository?","cwd":"/home/dev/shop"}' | "$SEND"

expect_eq working "$(field s-work state)" working
expect_eq working_no_reason "$(field s-work awaiting_reason)" null
expect_eq working_since_first_activity "$(field s-work state_since_ms)" "$(ts_ms s-work SessionStart)"
expect_eq title_from_prompt "$(field s-work title)" \
    "Add a retry to the payment webhook handler and write a test for it"
expect_eq title_source_prompt "$(field s-work title_source)" prompt

expect_eq permission_state "$(field s-perm state)" awaiting_input
expect_eq permission_reason "$(field s-perm awaiting_reason)" permission
expect_eq permission_since_request "$(field s-perm state_since_ms)" "$(ts_ms s-perm PermissionRequest)"
expect_eq permission_detail "$(detail s-perm)" \
    '"state_detail":{"tool_name":"Bash","tool_input":"git push origin main","message":"Claude needs your permission to use Bash"}'
expect_eq old_status_field "$(field s-perm status)" awaiting_input

expect_eq idle_prompt_reason "$(field s-idle awaiting_reason)" idle_prompt
expect_eq idle_prompt_since_stop "$(field s-idle state_since_ms)" "$(ts_ms s-idle Stop)"
expect_eq turn_done_reason "$(field s-done awaiting_reason)" turn_done
expect_eq turn_done_detail "$(detail s-done)" \
    '"state_detail":{"message":"I added a retry with exponential backoff and a test; all tests pass."}'
expect_eq elicitation_reason "$(field s-elic awaiting_reason)" elicitation
expect_eq elicitation_detail "$(detail s-elic)" \
    '"state_detail":{"tool_name":"github","message":"Which repository?"}'
expect_eq failed_state "$(field s-fail state)" failed
expect_eq failed_no_reason "$(field s-fail awaiting_reason)" null
expect_eq failed_detail "$(detail s-fail)" \
    '"state_detail":{"message":"429 Too Many Requests","error":"rate_limit"}'
expect_eq ended_state "$(field s-end state)" ended
expect_eq ended_since "$(field s-end state_since_ms)" "$(ts_ms s-end SessionEnd)"
expect_eq subagent_stop_not_main_stop "$(field s-sub awaiting_reason)" turn_done
expect_eq subagent_keeps_since "$(field s-sub state_since_ms)" "$(ts_ms s-sub Stop)"
expect_eq next_prompt_works "$(field s-back state)" working

# Claude Code's own title replaces the prompt's, never the reverse.
echo '{"session_id":"s-work","hook_event_name":"SessionStart","source":"resume","session_title":"Payment retries","cwd":"/home/dev/shop"}' | "$SEND"
expect_eq claude_title "$(field s-work title)" "Payment retries"
expect_eq claude_title_source "$(field s-work title_source)" claude
echo '{"session_id":"s-work","hook_event_name":"UserPromptSubmit","prompt":"something else","cwd":"/home/dev/shop"}' | "$SEND"
expect_eq prompt_does_not_replace_claude_title "$(field s-work title)" "Payment retries"
# ... and a title line in the transcript (summary), redacted like a payload.
T=$CHRONICLE_HOME/transcripts
mkdir -p "$T"
printf '%s\n' '{"type":"summary","summary":"Rotate ghp_abcdefghijklmnopqrstuvwxyz0123456789 and retry","leafUuid":"x"}' >"$T/s-tt.jsonl"
printf '{"session_id":"s-tt","hook_event_name":"UserPromptSubmit","prompt":"first words","cwd":"/home/dev/shop","transcript_path":"%s"}' "$T/s-tt.jsonl" | "$SEND"
wait_sql 10 "SELECT title_source FROM sessions WHERE session_id='s-tt'" claude \
    && pass transcript_title || fail transcript_title "$(sql "SELECT title, title_source FROM sessions WHERE session_id='s-tt'")"
t=$(field s-tt title)
case "$t" in *ghp_abcdef*) fail transcript_title_redacted "$t" ;; Rotate*retry) pass transcript_title_redacted ;; *) fail transcript_title_redacted "$t" ;; esac

# The state filter, sort=waiting and state_counts.
l=$(http "/api/sessions?state=awaiting_input&sort=waiting")
expect_eq filter_awaiting_count "$(json_get "$l" count)" 5
expect_eq waiting_sorted_oldest_first "$(json_get "$l" session_id)" s-perm
l=$(http "/api/sessions?state=failed,ended")
expect_eq filter_list_count "$(json_get "$l" count)" 2
counts=$(printf '%s' "$l" | grep -o '"state_counts":{.*}}')
expect_eq counts_ignore_state_filter "$(json_get "$counts" awaiting_input)" 5
expect_eq counts_working "$(json_get "$counts" working)" 3
expect_eq counts_failed "$(json_get "$counts" failed)" 1
expect_eq counts_reason_turn_done "$(json_get "$counts" turn_done)" 2
expect_eq counts_reason_permission "$(json_get "$counts" permission)" 1
expect_eq counts_follow_other_filters \
    "$(json_get "$(http "/api/sessions?project=/nowhere")" working)" 0
expect_eq bad_state_400 "$(http_status "/api/sessions?state=busy")" 400
http "/api/sessions?state=busy" | grep -q "parameter 'state' must be working, idle, awaiting_input, failed or ended" \
    && pass bad_state_message || fail bad_state_message
expect_eq bad_sort_400 "$(http_status "/api/sessions?sort=oldest")" 400

# GET /api/events?project=
e=$(http "/api/events?project=/home/dev/shop&session_id=s-perm")
expect_eq events_project_filter "$(printf '%s' "$e" | grep -o '"session_id":"s-perm"' | wc -l)" 4
e=$(http "/api/events?project=/nowhere,/elsewhere")
expect_eq events_project_none "$(printf '%s' "$e" | grep -c '"session_id"')" 0

# The Claude Code process is gone: the collector records the end.
sleep 60 &
claude=$!
_bg_pids+=("$claude")
echo '{"session_id":"s-gone","hook_event_name":"UserPromptSubmit","prompt":"hi","cwd":"/w"}' | CLAUDE_PID=$claude "$SEND"
expect_eq alive_working "$(field s-gone state)" working
# A live client hears of the end though no event came (the session message
# carries the same session JSON).
build_server_tools || fail build_ws_client
"$WSCLIENT" -H "Authorization: Bearer $TOKEN" -t 15000 -p "/ws?session_id=s-gone" "$SERVER_PORT" \
    >"$CHRONICLE_HOME/ws.out" 2>&1 &
wspid=$!
_bg_pids+=("$wspid")
sleep 0.5
kill -KILL "$claude"; wait "$claude" 2>/dev/null
wait_sql 15 "SELECT state || '/' || end_reason FROM sessions WHERE session_id='s-gone'" ended/process_gone \
    && pass collector_ends_gone_process || fail collector_ends_gone_process "$(sql "SELECT state, end_reason FROM sessions WHERE session_id='s-gone'")"
expect_eq gone_api_state "$(field s-gone state)" ended
expect_eq gone_api_inferred "$(field s-gone ended_inferred)" true
detail s-gone | grep -q "pid $claude) is gone" && pass gone_detail || fail gone_detail "$(detail s-gone)"
wait_for 5 grep -q '"type":"session".*"session_id":"s-gone".*"state":"ended"' "$CHRONICLE_HOME/ws.out" \
    && pass ws_session_ended || fail ws_session_ended "$(cat "$CHRONICLE_HOME/ws.out")"
grep -q '"awaiting_reason":null,"state_since":"[^"]*","state_since_ms":[0-9]*,"state_detail":{"message"' \
    "$CHRONICLE_HOME/ws.out" && pass ws_session_fields || fail ws_session_fields
kill "$wspid" 2>/dev/null; wait "$wspid" 2>/dev/null

# /api/cost from a transcript with usage: today, 3 and 20 days ago.
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.000Z; }
line() { # ID WHEN MODEL IN OUT
    printf '{"type":"assistant","sessionId":"s-cost","message":{"id":"%s","model":"%s","usage":{"input_tokens":%s,"output_tokens":%s,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"r-%s","timestamp":"%s"}\n' \
        "$1" "$3" "$4" "$5" "$1" "$(iso "$2")"
}
{
    line m1 now claude-opus-4-5 200000 40000        # $1.00 + $1.00
    line m2 "-3 days" claude-sonnet-4-5 1000000 0   # $3.00
    line m3 "-20 days" claude-opus-4-5 0 100000     # $2.50
    line m4 now claude-experimental-9 100 23        # unpriced
} >"$T/s-cost.jsonl"
printf '{"session_id":"s-cost","hook_event_name":"Stop","cwd":"/w/cost","transcript_path":"%s"}' "$T/s-cost.jsonl" | "$SEND"
wait_sql 10 "SELECT count(*) FROM usage WHERE session_id='s-cost'" 4 && pass cost_usage_read || fail cost_usage_read
c=$(http /api/cost)
money() { printf '%.4f' "$(json_get "$(printf '%s' "$c" | grep -o "\"$1\":{[^}]*}")" "$2")"; }
expect_eq cost_today "$(money today cost_usd)" 2.0000
expect_eq cost_today_unpriced "$(json_get "$(printf '%s' "$c" | grep -o '"today":{[^}]*}')" unpriced_tokens)" 123
expect_eq cost_7d "$(money last_7d cost_usd)" 5.0000
expect_eq cost_30d "$(money last_30d cost_usd)" 7.5000
today_start=$(date -d "$(date +%F) 00:00:00" +%s)000
expect_eq cost_today_since_local_midnight "$(json_get "$(printf '%s' "$c" | grep -o '"today":{[^}]*}')" since_ms)" "$today_start"
p=$(printf '%s' "$c" | grep -o '{"project":"/w/cost"[^}]*}')
expect_eq cost_by_project_30d "$(printf '%.4f' "$(json_get "$p" last_30d_usd)")" 7.5000
expect_eq cost_by_project_today "$(printf '%.4f' "$(json_get "$p" today_usd)")" 2.0000
m=$(printf '%s' "$c" | grep -o '{"model":"claude-sonnet-4-5"[^}]*}')
expect_eq cost_by_model_7d "$(printf '%.4f' "$(json_get "$m" last_7d_usd)")" 3.0000
expect_eq cost_by_model_today "$(printf '%.4f' "$(json_get "$m" today_usd)")" 0.0000
b=$(printf '%s' "$c" | grep -o '"budget":{[^}]*}')
expect_eq budget_daily "$(printf '%.2f' "$(json_get "$b" daily_usd)")" 10.00
expect_eq budget_monthly_unset "$(json_get "$b" monthly_usd)" null
mtd=2.00
[ "$(date -d '-3 days' +%Y%m)" = "$(date +%Y%m)" ] && mtd=$(awk -v a=$mtd 'BEGIN {printf "%.2f", a + 3}')
[ "$(date -d '-20 days' +%Y%m)" = "$(date +%Y%m)" ] && mtd=$(awk -v a=$mtd 'BEGIN {printf "%.2f", a + 2.5}')
expect_eq budget_month_to_date "$(printf '%.2f' "$(json_get "$b" month_to_date_usd)")" "$mtd"
expect_eq cost_no_params "$(http_status "/api/cost?days=3")" 400
stop_server

# A wait outlives idle_after_s; only working decays to idle.
CHRONICLE_IDLE_AFTER_S=2 start_server || { fail server_restarts; exit 1; }
echo '{"session_id":"s-quiet","hook_event_name":"PreToolUse","tool_name":"Bash","cwd":"/w"}' | "$SEND"
expect_eq fresh_working "$(field s-quiet state)" working
sleep 3
expect_eq working_decays_to_idle "$(field s-quiet state)" idle
expect_eq idle_status "$(field s-quiet status)" idle
expect_eq permission_still_awaiting "$(field s-perm state)" awaiting_input
expect_eq permission_still_reason "$(field s-perm awaiting_reason)" permission
expect_eq failed_does_not_decay "$(field s-fail state)" failed
l=$(http "/api/sessions?state=idle")
printf '%s' "$l" | grep -q '"session_id":"s-quiet"' && pass idle_filter || fail idle_filter
printf '%s' "$l" | grep -q '"session_id":"s-perm"' && fail idle_filter_excludes_waits || pass idle_filter_excludes_waits
stop_server
stop_collector
