#!/usr/bin/env bash
# Full-text search (GET /api/search) through the real collector and server:
# real hook payloads sent with chronicle-send (a prompt, a Bash command and
# its output, a Read path, a failure's error) and an assistant reply read
# from a transcript are found by a word, a phrase and a prefix, with the
# right field and highlighted snippets; filters and cursor paging; bad query
# syntax is a 400 with SQLite's message; a secret the collector redacted is
# not findable; retention removes the hits of the events it deletes; and an
# old database is backfilled by the migration.
source "$(dirname "$0")/lib.sh"
export CHRONICLE_RETENTION_DAYS=30 CHRONICLE_RETENTION_CHECK_S=1
make -s "$BIN/tools/make_frame" "$BIN/tools/rawsock" >/dev/null || { fail tools_build; exit 1; }
start_collector || { fail collector_starts; exit 1; }
start_server || { fail server_starts; exit 1; }
SID=7d0b6a4e-2f1c-4c59-9a53-3b1e6c2f9d10

# search QUERY [PARAMS...]: the JSON answer (q URL-encoded; extra k=v pairs as they are).
search() {
    local q=$1; shift
    local extra=()
    for kv in "$@"; do extra+=(--data-urlencode "$kv"); done
    http_body /api/search --get --data-urlencode "q=$q" "${extra[@]}"
}
status() {
    local q=$1; shift
    local extra=()
    for kv in "$@"; do extra+=(--data-urlencode "$kv"); done
    http_status /api/search --get --data-urlencode "q=$q" "${extra[@]}"
}
jqr() { jq -r "$1" 2>/dev/null; }

send "$FIXTURES/UserPromptSubmit.json"
send "$FIXTURES/PreToolUse.json"
send "$FIXTURES/PostToolUse.json"
send "$FIXTURES/PostToolUseFailure.json"
printf '{"session_id":"%s","hook_event_name":"PreToolUse","tool_name":"Read","tool_use_id":"toolu_read1","cwd":"/home/dev/shop","tool_input":{"file_path":"/home/dev/shop/src/zanzibar_settings.py"}}' "$SID" | "$SEND"
# A secret in a command: the collector redacts it before storing, so it is not indexed.
printf '{"session_id":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_aws1","cwd":"/home/dev/shop","tool_input":{"command":"aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE --profile ketchup"}}' "$SID" | "$SEND"
# An assistant reply, read from the session's transcript (with a secret in it too).
T=$CHRONICLE_HOME/transcript.jsonl
printf '%s\n' \
  '{"type":"user","sessionId":"sess-t","uuid":"u1","timestamp":"2026-11-27T04:51:55.000Z","message":{"role":"user","content":"why does it fail?"}}' \
  '{"type":"assistant","sessionId":"sess-t","uuid":"a1","timestamp":"2026-11-27T04:52:00.000Z","requestId":"req1","message":{"id":"msg_T1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"text","text":"The quixotic backoff loop never resets; key ghp_1234567890abcdefghijklmnopqrstuvwxyz12 was leaked."}],"usage":{"input_tokens":3,"output_tokens":5}}}' \
  '{"type":"assistant","sessionId":"sess-t","uuid":"a2","timestamp":"2026-11-27T04:52:01.000Z","requestId":"req1","message":{"id":"msg_T1","model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"tool_use","id":"toolu_x","name":"Bash","input":{"command":"nothingtofindhere"}}],"usage":{"input_tokens":3,"output_tokens":5}}}' \
  >"$T"
printf '{"session_id":"sess-t","hook_event_name":"Stop","cwd":"/home/dev/other","transcript_path":"%s"}' "$T" | "$SEND"
wait_sql 10 "SELECT count(*) FROM replies" 1 && pass reply_stored || fail reply_stored "$(sql 'SELECT count(*) FROM replies')"

r=$(search webhook)
expect_eq word_finds_prompt_and_command "$(printf '%s' "$r" | jqr '[.results[].field] | sort | join(",")')" "command,prompt"
expect_eq prompt_hit_snippet "$(printf '%s' "$r" | jqr '.results[] | select(.field=="prompt") | .snippet[1]')" "webhook"
expect_eq prompt_hit_event_type "$(printf '%s' "$r" | jqr '.results[] | select(.field=="prompt") | .event_type')" "UserPromptSubmit"
expect_eq hit_has_times "$(printf '%s' "$r" | jqr '.results[0] | (.ts | test("^20")) and (.ts_ms > 0) and (.event_id > 0)')" "true"
expect_eq hit_project "$(printf '%s' "$r" | jqr '.results[0].project')" "/home/dev/shop"
expect_eq snippet_starts_plain "$(printf '%s' "$r" | jqr '.results[] | select(.field=="prompt") | .snippet[0]')" "Add a retry to the payment "
r=$(search '"1 failed, 2 passed"')
expect_eq phrase_finds_output "$(printf '%s' "$r" | jqr '[.results[] | .field + ":" + .event_type + ":" + .tool_name] | join(",")')" "tool_output:PostToolUse:Bash"
expect_eq phrase_highlight "$(printf '%s' "$r" | jqr '.results[0].snippet[1]')" "1 failed, 2 passed"
expect_eq post_does_not_repeat_command "$(search pytest | jqr '[.results[].event_type] | join(",")')" "PreToolUse"
expect_eq prefix_query "$(search 'zanzib*' | jqr '[.results[] | .field + ":" + .tool_name] | join(",")')" "file_path:Read"
expect_eq path_phrase "$(search '"src/zanzibar_settings.py"' | jqr '.count')" "1"
expect_eq failure_error "$(search 'lint AND rule' | jqr '[.results[] | .field + ":" + .event_type] | join(",")')" "error:PostToolUseFailure"
r=$(search quixotic)
expect_eq reply_found "$(printf '%s' "$r" | jqr '[.results[] | .kind + ":" + .field + ":" + .session_id + ":" + (.event_id|tostring)] | join(",")')" "reply:reply:sess-t:null"
expect_eq reply_time "$(printf '%s' "$r" | jqr '.results[0].ts')" "2026-11-27T04:52:00.000Z"
expect_eq reply_tool_use_not_indexed "$(search nothingtofindhere | jqr '.count')" "0"
# Redacted secrets: neither the key nor its pieces are in the index; the
# rest of the command is.
expect_eq command_rest_found "$(search ketchup | jqr '.count')" "1"
expect_eq aws_key_not_found "$(search AKIAIOSFODNN7EXAMPLE | jqr '.count')" "0"
expect_eq aws_key_prefix_not_found "$(search 'AKIAIOSF*' | jqr '.count')" "0"
expect_eq reply_secret_not_found "$(search 'ghp_1234567890abcdefghijklmnopqrstuvwxyz12' | jqr '.count')" "0"
expect_eq reply_secret_prefix_not_found "$(search 'ghp_12345*' | jqr '.count')" "0"
expect_eq redaction_marker_shown "$(search ketchup | jqr '.results[0].snippet | join("") | test("REDACTED")')" "true"

# Filters.
expect_eq filter_session "$(search webhook "session_id=sess-t" | jqr '.count')" "0"
expect_eq filter_session_match "$(search webhook "session_id=$SID" | jqr '.count')" "2"
expect_eq filter_event_type "$(search webhook "event_type=UserPromptSubmit" | jqr '[.results[].field] | join(",")')" "prompt"
expect_eq filter_event_type_excludes_replies "$(search quixotic "event_type=Stop" | jqr '.count')" "0"
expect_eq filter_project "$(search 'webhook OR quixotic' "project=/home/dev/other" | jqr '[.results[].kind] | join(",")')" "reply"
expect_eq filter_until "$(search 'webhook OR quixotic' "until=2026-11-28" | jqr '[.results[].kind] | join(",")')" "reply"
expect_eq filter_since "$(search 'webhook OR quixotic' "since=2026-11-28" | jqr '[.results[].kind] | join(",")')" "event,event"

# Paging: 5 hits, 2 a page, newest first, each once.
for i in 1 2 3 4 5; do
    printf '{"session_id":"pages","hook_event_name":"UserPromptSubmit","prompt":"pagingword number %s"}' "$i" | "$SEND"
done
wait_sql 10 "SELECT count(*) FROM events WHERE session_id='pages'" 5
seen= cursor= pages=0
while :; do
    if [ -n "$cursor" ]; then r=$(search pagingword limit=2 "before=$cursor"); else r=$(search pagingword limit=2); fi
    seen="$seen$(printf '%s' "$r" | jqr '[.results[].snippet[2] | ltrimstr(" number ")] | join("")')"
    pages=$((pages + 1))
    cursor=$(printf '%s' "$r" | jqr '.next_before // empty')
    [ -z "$cursor" ] || [ $pages -ge 5 ] && break
done
expect_eq paging_order_once "$seen" "54321"
expect_eq paging_pages "$pages" "3"
# The same within one session (its events drive the query: api_search.c).
r=$(search pagingword limit=2 session_id=pages)
expect_eq session_page1 "$(printf '%s' "$r" | jqr '[.results[].snippet[2] | ltrimstr(" number ")] | join("")')" "54"
r=$(search pagingword limit=2 session_id=pages "before=$(printf '%s' "$r" | jqr '.next_before')")
expect_eq session_page2 "$(printf '%s' "$r" | jqr '[.results[].snippet[2] | ltrimstr(" number ")] | join("")')" "32"

# Bad input: 400 with a message, never 500.
r=$(http /api/search --get --data-urlencode 'q="unterminated')
expect_eq bad_syntax_400 "$(printf '%s' "$r" | tail -n1)" "HTTP 400"
expect_eq bad_syntax_code "$(printf '%s' "$r" | head -n -1 | jqr '.error.code // .code // .error')" "bad_query"
printf '%s' "$r" | grep -q 'unterminated string' && pass bad_syntax_message || fail bad_syntax_message "$r"
expect_eq bad_column_400 "$(status 'nosuchcolumn: word')" "400"
expect_eq bad_paren_400 "$(status '(webhook')" "400"
expect_eq missing_q_400 "$(http_status /api/search)" "400"
expect_eq blank_q_400 "$(status '   ')" "400"
expect_eq bad_cursor_400 "$(status webhook before=12)" "400"
expect_eq bad_limit_400 "$(status webhook limit=201)" "400"
expect_eq unknown_param_400 "$(status webhook sort=rank)" "400"
expect_eq long_q_400 "$(status "$(head -c 1100 /dev/zero | tr '\0' a)")" "400"
expect_eq column_filter_ok "$(search 'command: ketchup' | jqr '.count')" "1"
expect_eq column_filter_reply "$(search 'reply: quixotic' | jqr '[.results[].kind] | join(",")')" "reply"
expect_eq column_filter_other_field "$(search 'prompt: ketchup' | jqr '.count')" "0"
expect_eq needs_token "$(TOKEN= http_status '/api/search?q=webhook')" "401"

# Retention: expired events' hits go, in the same pass as the events; recent stay.
now=$(date +%s%N)
old=$((now - 40 * 86400 * 1000000000))
"$BIN/tools/make_frame" "$old" 40 oldsess "rm -rf obsoletezebra" | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" --expect 40 >/dev/null
"$BIN/tools/make_frame" "$now" 4 newsess "rm -rf freshzebra" | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" --expect 4 >/dev/null
wait_sql 30 "SELECT count(*) FROM events WHERE session_id='oldsess'" 0 && pass old_events_expired || fail old_events_expired
expect_eq expired_not_found "$(search obsoletezebra | jqr '.count')" "0"
expect_eq expired_index_rows_gone "$(sql "SELECT count(*) FROM search_events WHERE search_events MATCH 'obsoletezebra'")" "0"
expect_eq recent_found "$(search freshzebra | jqr '.count')" "2" # the 2 PreToolUse
expect_eq index_integrity "$(sqlite3 "$DB" "INSERT INTO search_replies(search_replies) VALUES('integrity-check')" 2>&1)" ""
stop_server
stop_collector && pass clean_exit || fail clean_exit

# Shipping configured, chronicle-ship never ran: nothing expires, and what
# is kept stays searchable.
rm -f "$DB" "$DB-wal" "$DB-shm"
CHRONICLE_SHIP_TO="postgresql:///team?host=/nonexistent" start_collector || { fail ship_collector_starts; exit 1; }
"$BIN/tools/make_frame" "$old" 6 shipold "echo unshippedyak" | "$BIN/tools/rawsock" "$CHRONICLE_HOME/collector.sock" --expect 6 >/dev/null
sleep 2.5
start_server || { fail ship_server_starts; exit 1; }
# (3: the PostToolUse of each call does not index tool_input again.)
expect_eq unshipped_kept_searchable "$(search unshippedyak | jqr '.count')" "3"
stop_server
stop_collector

# Upgrade: a database of schema 1 gets its index from the migration.
rm -f "$DB" "$DB-wal" "$DB-shm"
sqlite3 "$DB" <"$ROOT/tests/fixtures/db/schema-v1.sql" || { fail v1_database_loads; exit 1; }
CHRONICLE_RETENTION_DAYS=0 start_collector || { fail v1_collector_starts; exit 1; }
start_server || { fail v1_server_starts; exit 1; }
expect_eq backfill_indexed "$(sql "SELECT count(*) > 0 FROM search_events WHERE search_events MATCH 'permission'")" 1
r=$(search '"needs your permission"')
expect_eq backfill_found "$(printf '%s' "$r" | jqr '[.results[].event_type] | unique | join(",")')" "Notification"
expect_eq backfill_claude_md "$(search 'CLAUDE' | jqr '[.results[] | select(.event_type=="InstructionsLoaded") | .field] | unique | join(",")')" "file_path"
stop_server
stop_collector && pass v1_clean_exit || fail v1_clean_exit

# Upgrade from schema 4 with a transcript read already: migration 5 rewinds
# it and the reader indexes the replies of the history (token counts unchanged).
rm -f "$DB" "$DB-wal" "$DB-shm"
start_collector || { fail v4_collector_starts; exit 1; }
printf '{"session_id":"sess-t","hook_event_name":"Stop","transcript_path":"%s"}' "$T" | "$SEND"
wait_sql 10 "SELECT count(*) FROM replies" 1 || fail v4_reply_stored
tokens=$(sql "SELECT sum(input_tokens) || '/' || sum(output_tokens) FROM usage")
stop_collector
# What migrations 5 and later created goes, so the file is a schema-4 one.
sqlite3 "$DB" "DROP TRIGGER search_events_delete; DROP TRIGGER search_replies_delete;
    DROP TABLE search_events; DROP TABLE search_replies; DROP VIEW search_events_src;
    DROP TABLE replies; DROP TABLE transcript_lines; DROP TABLE transcript_files;
    DROP INDEX events_prompt_submit; DROP TABLE alert_deliveries; DROP TABLE alerts;
    PRAGMA user_version = 4;"
expect_eq v4_offset_at_end "$(sql "SELECT offset FROM transcripts")" "$(stat -c %s "$T")"
start_collector || { fail v4_upgrade_starts; exit 1; }
wait_sql 10 "SELECT count(*) FROM replies" 1 && pass v4_replies_backfilled || fail v4_replies_backfilled
expect_eq v4_reply_indexed "$(sql "SELECT count(*) FROM search_replies WHERE search_replies MATCH 'quixotic'")" 1
expect_eq v4_tokens_unchanged "$(sql "SELECT sum(input_tokens) || '/' || sum(output_tokens) FROM usage")" "$tokens"
stop_collector && pass v4_clean_exit || fail v4_clean_exit
