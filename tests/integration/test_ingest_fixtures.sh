#!/usr/bin/env bash
# Every fixture payload through the real chronicle-send into the real
# collector, read back with SQL, fields asserted against the payload itself.
source "$(dirname "$0")/lib.sh"

start_collector || { fail collector_starts; exit 1; }
pass collector_starts

n=0
for f in "$FIXTURES"/*.json; do
    out=$("$SEND" <"$f")
    rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] || fail "send_silent_$(basename "$f")" "rc=$rc stdout='$out'"
    n=$((n + 1))
done
pass send_exits_0_and_prints_nothing
expect_eq all_fixtures_stored "$(sql 'SELECT count(*) FROM events')" "$n"
expect_eq nothing_spooled "$(spool_count)" 0

# Each stored row matches its payload: type, session, tool, ids, cwd.
mismatch=0
for f in "$FIXTURES"/*.json; do
    want=$(sqlite3 :memory: "SELECT json_extract(readfile('$f'),'$.hook_event_name')||'|'||
        json_extract(readfile('$f'),'$.session_id')||'|'||
        coalesce(json_extract(readfile('$f'),'$.tool_name'),'')||'|'||
        coalesce(json_extract(readfile('$f'),'$.tool_use_id'),'')||'|'||
        coalesce(json_extract(readfile('$f'),'$.agent_id'),'')||'|'||
        coalesce(json_extract(readfile('$f'),'$.cwd'),'')")
    got=$(sql "SELECT event_type||'|'||session_id||'|'||coalesce(tool_name,'')||'|'||
        coalesce(tool_use_id,'')||'|'||coalesce(agent_id,'')||'|'||coalesce(cwd,'')
        FROM events WHERE payload = CAST(readfile('$f') AS TEXT)")
    if [ "$got" != "$want" ]; then
        fail "fields_$(basename "$f")" "got '$got', want '$want'"
        mismatch=1
    fi
done
[ $mismatch -eq 0 ] && pass stored_fields_match_payloads
# The payload is stored byte for byte (no secrets in the fixtures).
expect_eq payloads_verbatim "$(sql "SELECT count(*) FROM events WHERE flags=0")" "$n"

expect_eq duration_from_payload \
    "$(sql "SELECT duration_ms FROM events WHERE event_type='PostToolUse'")" 812
expect_eq tool_call_paired \
    "$(sql "SELECT status||' '||duration_ms FROM tool_calls WHERE tool_use_id='toolu_01ABCdefGHIjklMNOpqrSTU1'")" "ok 812"
expect_eq subagent_attributed \
    "$(sql "SELECT agent_type FROM events WHERE tool_name='Grep'")" Explore
expect_eq session_row \
    "$(sql "SELECT count(*)||' '||event_count||' '||model||' '||source FROM sessions")" \
    "1 $n claude-opus-4-5 startup"
expect_eq envelope_uid "$(sql "SELECT count(*) FROM events WHERE uid=$(id -u) AND pid>0 AND host!=''")" "$n"
expect_eq event_ids_unique "$(sql "SELECT count(DISTINCT event_uid) FROM events WHERE length(event_uid)=16")" "$n"

# The EVENT argument names events whose payload lacks hook_event_name.
echo '{"session_id":"argsess","cwd":"/x"}' | "$SEND" TeammateIdle
expect_eq event_arg_used "$(sql "SELECT event_type FROM events WHERE session_id='argsess'")" TeammateIdle
# Unknown event types are stored as sent.
echo '{"session_id":"u","hook_event_name":"BrandNewEvent2027","x":{"y":[1,2]}}' | "$SEND"
expect_eq unknown_event_stored "$(sql "SELECT count(*) FROM events WHERE event_type='BrandNewEvent2027'")" 1

# Faithful storage: big integers, escaped NUL, raw UTF-8, deep nesting.
payload='{"session_id":"faith","hook_event_name":"PostToolUse","n":123456789012345678901234567890,"z":"a\u0000b","u":"日本語 é 😀"}'
printf '%s' "$payload" | "$SEND"
expect_eq big_int_and_utf8_verbatim "$(sql "SELECT payload FROM events WHERE session_id='faith'")" "$payload"
deep=$(printf '%.0s[' $(seq 1 3000))$(printf '%.0s]' $(seq 1 3000))
deep_doc='{"session_id":"deep","hook_event_name":"Stop","d":'$deep'}'
printf '%s' "$deep_doc" | "$SEND"
expect_eq deep_nesting_stored "$(sql "SELECT length(payload) FROM events WHERE session_id='deep'")" \
    "${#deep_doc}"

# Redaction before storage, flagged.
echo '{"session_id":"r","hook_event_name":"UserPromptSubmit","prompt":"deploy with api_key=sk-ant-api03-ZZZZZZZZZZZZZZZZZZZZZZZZ please"}' | "$SEND"
expect_eq secret_not_stored "$(sql "SELECT count(*) FROM events WHERE payload LIKE '%ZZZZZZ%'")" 0
expect_eq redacted_flag "$(sql "SELECT flags & 4 FROM events WHERE session_id='r'")" 4

stop_collector && pass collector_exits_0_on_sigterm || fail collector_exits_0_on_sigterm

# --verbose logs each client connection (and nothing of it without).
grep -q 'connection from pid' "$CHRONICLE_HOME/collector.log" && fail quiet_without_verbose || pass quiet_without_verbose
start_collector --verbose || exit 1
echo '{"session_id":"v","hook_event_name":"Stop"}' | "$SEND"
stop_collector
if grep -q 'debug: connection from pid [0-9]* closed after 1 frame(s), 0 awaiting commit' "$CHRONICLE_HOME/collector.log"; then
    pass verbose_logs_connections; else fail verbose_logs_connections "$(cat "$CHRONICLE_HOME/collector.log")"; fi
