#!/usr/bin/env bash
# Token usage from transcripts (tests/fixtures/transcripts/README.md has the
# hand-computed totals): repeated rows and resumed sessions counted once,
# subagents split out, a partial last line read once completed, unknown
# rows and invalid lines skipped, a replaced file read again without
# double counting, a missing file harmless.
source "$(dirname "$0")/lib.sh"
T=$CHRONICLE_HOME/transcripts
mkdir -p "$T"
cp "$ROOT"/tests/fixtures/transcripts/*.jsonl "$T/"
start_collector || { fail collector_starts; exit 1; }

hook() { # hook EVENT SESSION TRANSCRIPT [AGENT_ID AGENT_TRANSCRIPT]
    if [ -n "${4:-}" ]; then
        printf '{"session_id":"%s","hook_event_name":"%s","transcript_path":"%s","agent_id":"%s","agent_transcript_path":"%s"}' \
            "$2" "$1" "$3" "$4" "$5" | "$SEND"
    else
        printf '{"session_id":"%s","hook_event_name":"%s","transcript_path":"%s"}' "$2" "$1" "$3" | "$SEND"
    fi
}
tot() { # tot WHERE -> in/out/cw/cr
    sql "SELECT coalesce(sum(input_tokens),0)||'/'||coalesce(sum(output_tokens),0)||'/'||coalesce(sum(cache_creation_input_tokens),0)||'/'||coalesce(sum(cache_read_input_tokens),0) FROM usage WHERE $1"
}

hook Stop sess-a "$T/session-a.jsonl"
wait_sql 10 "SELECT count(*) FROM usage" 3 && pass usage_rows_read || fail usage_rows_read "$(sql 'SELECT count(*) FROM usage')"
expect_eq repeated_rows_once "$(tot "message_id='msg_A1'")" "10/50/100/200"
expect_eq session_main_totals "$(tot "session_id='sess-a' AND agent_id IS NULL")" "20/140/100/500"
expect_eq prompt_p1 "$(tot "prompt_id='p1'")" "13/70/100/500"
expect_eq prompt_p2 "$(tot "prompt_id='p2'")" "7/70/0/0"
expect_eq unknown_model_kept "$(sql "SELECT model FROM usage WHERE message_id='msg_A3'")" "claude-experimental-9"
expect_eq partial_line_not_read "$(sql "SELECT count(*) FROM usage WHERE message_id='msg_A4'")" 0

hook SubagentStop sess-a "$T/session-a.jsonl" agx "$T/agent-agx.jsonl"
wait_sql 10 "SELECT count(*) FROM usage WHERE agent_id='agx'" 1 && pass subagent_read || fail subagent_read
expect_eq subagent_totals "$(tot "agent_id='agx'")" "100/30/0/0"
expect_eq session_with_subagents "$(tot "session_id='sess-a'")" "120/170/100/500"

# A resumed session repeats sess-a's rows: they are not counted again.
hook SessionStart sess-b "$T/session-b.jsonl"
wait_sql 10 "SELECT count(*) FROM usage WHERE session_id='sess-b'" 1 && pass resumed_read || fail resumed_read
expect_eq resumed_not_double "$(tot "session_id='sess-a'")" "120/170/100/500"
expect_eq resumed_own_rows "$(tot "session_id='sess-b'")" "1/10/0/50"
expect_eq prompt_p3 "$(tot "prompt_id='p3'")" "1/10/0/50"
wait_sql 5 "SELECT value FROM collector_stats WHERE name='transcript_lines_invalid_total'" 1 \
    && pass invalid_line_counted || fail invalid_line_counted

# The partial line completes: read incrementally, once.
cat "$ROOT/tests/fixtures/transcripts/session-a.tail" >>"$T/session-a.jsonl"
hook Stop sess-a "$T/session-a.jsonl"
wait_sql 10 "SELECT count(*) FROM usage WHERE message_id='msg_A4'" 1 && pass appended_row_read || fail appended_row_read
expect_eq main_after_append "$(tot "session_id='sess-a' AND agent_id IS NULL")" "22/144/100/540"
expect_eq offset_at_end "$(sql "SELECT offset FROM transcripts WHERE path='$T/session-a.jsonl'")" "$(stat -c %s "$T/session-a.jsonl")"

# Replaced by a shorter file (a new inode): read from the start, nothing doubled.
head -n 3 "$ROOT/tests/fixtures/transcripts/session-a.jsonl" >"$T/new.jsonl"
mv "$T/new.jsonl" "$T/session-a.jsonl"
hook Stop sess-a "$T/session-a.jsonl"
wait_sql 10 "SELECT offset FROM transcripts WHERE path='$T/session-a.jsonl'" "$(stat -c %s "$T/session-a.jsonl")" \
    && pass replaced_file_reread || fail replaced_file_reread
expect_eq replaced_not_double "$(tot "session_id='sess-a' AND agent_id IS NULL")" "22/144/100/540"

# Through the API: tokens and dollars per session, subagent, turn and model
# (prices from share/pricing.tsv; msg_A3's model is unpriced).
start_server || { fail server_starts; exit 1; }
s=$(http /api/sessions/sess-a)
usage=$(printf '%s' "$s" | grep -o '"usage":.*')
total=$(printf '%s' "$usage" | grep -o '"total":{[^}]*}')
main=$(printf '%s' "$usage" | grep -o '"main":{[^}]*}')
expect_eq api_session_total_tokens "$(json_get "$total" input_tokens)/$(json_get "$total" output_tokens)" "122/174"
expect_eq api_session_main_cost "$(json_get "$main" cost_usd)" "0.00282"
expect_eq api_session_main_unpriced "$(json_get "$main" unpriced_tokens)" 77
expect_eq api_session_total_cost "$(json_get "$total" cost_usd)" "0.00307"
printf '%s' "$usage" | grep -q '"agent_id":"agx"' && pass api_subagent_split || fail api_subagent_split "$usage"
printf '%s' "$usage" | grep -q '"prompt_id":"p1"' && pass api_turns || fail api_turns
l=$(http "/api/sessions?usage=1")
printf '%s' "$l" | grep -q '"session_id":"sess-a"[^{]*.*"usage":{"tokens":936,"cost_usd":0.00307}' \
    && pass api_session_list_usage || fail api_session_list_usage "$(printf '%s' "$l" | grep -o '"usage":{[^}]*}' | head -3)"
u=$(http "/api/usage?since=2026-01-01")
expect_eq api_usage_total_output "$(json_get "$(printf '%s' "$u" | grep -o '"totals":{[^}]*}')" output_tokens)" 184
printf '%s' "$u" | grep -q '"day":"2026-11-27"' && pass api_usage_by_day || fail api_usage_by_day "$u"
printf '%s' "$u" | grep -q '"model":"claude-experimental-9"' && pass api_usage_unknown_model_listed || fail api_usage_unknown_model_listed
m=$(http /metrics)
printf '%s' "$m" | grep -q 'chronicle_tokens_total{model="claude-opus-4-5",kind="output"} 74' \
    && pass metrics_tokens || fail metrics_tokens "$(printf '%s' "$m" | grep chronicle_tokens_total | head -3)"
printf '%s' "$m" | grep -q '^chronicle_cost_usd_total{model="claude-haiku-4-5"} 0.000250' \
    && pass metrics_cost || fail metrics_cost "$(printf '%s' "$m" | grep chronicle_cost | head -3)"
printf '%s' "$m" | grep -q 'chronicle_cost_usd_total{model="claude-experimental-9"}' \
    && fail metrics_unknown_model_unpriced || pass metrics_unknown_model_unpriced
stop_server

# A transcript that does not exist (yet) changes nothing and breaks nothing.
hook Stop sess-c "$T/missing.jsonl"
expect_eq missing_file_harmless "$(sql "SELECT count(*) FROM events WHERE session_id='sess-c'")" 1
# Offsets survive a restart: nothing is read twice.
stop_collector && pass clean_exit || fail clean_exit
start_collector
hook Stop sess-a "$T/session-a.jsonl"
hook Stop sess-b "$T/session-b.jsonl"
sleep 0.5
expect_eq no_double_after_restart "$(tot "1")" "$(( 22 + 1 + 100 ))/$(( 144 + 10 + 30 ))/100/$(( 540 + 50 ))"
stop_collector
