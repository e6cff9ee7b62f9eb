#!/usr/bin/env bash
# Secrets never reach the database: JSON payloads through chronicle-send
# (escaped token prefixes, numeric secrets, JSON inside a string), raw
# payloads the sender flagged invalid, and frames the sender did not flag but
# whose payload is not valid UTF-8 JSON (stored raw, flagged invalid,
# redacted).  Read back with SQL from the real collector's database.
source "$(dirname "$0")/lib.sh"
MF=$BIN/tools/make_frame
RAWSOCK=$BIN/tools/rawsock
start_collector || { fail collector_starts; exit 1; }

# no_secret NAME SQL_EXPR WHERE: the expression (a column, raw as text) holds
# none of the test secrets.
no_secret() {
    local got
    got=$(sql "SELECT count(*) FROM events WHERE $3 AND ($2 LIKE '%hunter2pw%' OR $2 LIKE '%aaaaaaaaaaaaaaaa%'
               OR $2 LIKE '%987123%' OR $2 LIKE '%Eby8vdM02xNO%' OR $2 LIKE '%deeptok3n%' OR $2 LIKE '%s3cretpw%')")
    expect_eq "$1" "$got" 0
}

# A JSON payload through the sender.
printf '%s' '{"session_id":"red-json","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1",
 "tool_input":{"command":"curl -u admin:hunter2pw https://x.test && echo \u0067hp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
 "pin":987123,"conn":"AccountName=a;AccountKey=Eby8vdM02xNOcqFlqUwJPLlm==;EndpointSuffix=core.windows.net"},
 "tool_response":"{\"password\":\"s3cretpw\",\"nested\":\"{\\\"token\\\":\\\"deeptok3n\\\"}\"}"}' | "$SEND"
w="session_id='red-json'"
expect_eq json_stored "$(sql "SELECT count(*) FROM events WHERE $w")" 1
expect_eq json_flagged_redacted "$(sql "SELECT flags FROM events WHERE $w")" 4
expect_eq json_still_valid "$(sql "SELECT json_valid(payload) FROM events WHERE $w")" 1
no_secret json_secrets_gone payload "$w"
no_secret json_decoded_secrets_gone "json_extract(payload,'\$.tool_input.command')||json_extract(payload,'\$.tool_response')" "$w"
expect_eq json_numeric_secret "$(sql "SELECT json_type(payload,'\$.tool_input.pin')||' '||json_extract(payload,'\$.tool_input.pin') FROM events WHERE $w")" "text [REDACTED]"
expect_eq json_columns_kept "$(sql "SELECT tool_name||' '||tool_use_id FROM events WHERE $w")" "Bash t1"
expect_eq json_text_around_kept "$(sql "SELECT json_extract(payload,'\$.tool_input.command') FROM events WHERE $w")" \
    "curl -u admin:[REDACTED:password] https://x.test && echo [REDACTED:github_token]"

# Invalid JSON the sender flags itself: raw bytes, redacted.
printf '{"session_id":"red-raw","note":"DB_PASSWORD=hunter2pw \\n\\u0067hp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1' | "$SEND" Notification
w="CAST(raw AS TEXT) LIKE '%red-raw%'"
expect_eq sender_invalid_flags "$(sql "SELECT flags||' '||(payload IS NULL) FROM events WHERE $w")" "6 1"
no_secret sender_invalid_secrets_gone "CAST(raw AS TEXT)" "$w"

# A frame not flagged invalid whose payload is not JSON: flagged invalid,
# stored raw, redacted, no columns from it.
printf '{"session_id":"red-frame","prompt":"sshpass -p s3cretpw ssh h; echo \\u0067hp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"} trailing' \
    >"$CHRONICLE_HOME/frame1"
reply=$("$MF" --payload "$CHRONICLE_HOME/frame1" 0 | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 1)
id=${reply#ok }
case "$reply" in "ok "*) pass unflagged_invalid_acked ;; *) fail unflagged_invalid_acked "$reply" ;; esac
w="lower(hex(event_uid))='$id'"
expect_eq unflagged_invalid_flags "$(sql "SELECT flags||' '||(payload IS NULL)||' '||coalesce(session_id,'-') FROM events WHERE $w")" "6 1 -"
no_secret unflagged_invalid_secrets_gone "CAST(raw AS TEXT)" "$w"
expect_eq unflagged_invalid_rest_kept "$(sql "SELECT CAST(raw AS TEXT) LIKE '%red-frame%trailing' FROM events WHERE $w")" 1

# Invalid UTF-8 inside a string, not flagged: raw, flagged invalid, bytes kept.
printf '{"session_id":"\xff\xfe","hook_event_name":"Stop"}' >"$CHRONICLE_HOME/frame2"
reply=$("$MF" --payload "$CHRONICLE_HOME/frame2" | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 1)
id=${reply#ok }
expect_eq invalid_utf8_flags "$(sql "SELECT flags||' '||(hex(raw) LIKE '%FFFE%') FROM events WHERE lower(hex(event_uid))='$id'")" "2 1"
stop_collector && pass clean_exit || fail clean_exit

# With redaction off, such a frame is still flagged invalid and kept as sent.
CHRONICLE_REDACT=0 start_collector || { fail collector_restarts; exit 1; }
reply=$("$MF" --payload "$CHRONICLE_HOME/frame1" | "$RAWSOCK" "$CHRONICLE_HOME/collector.sock" --expect 1)
id=${reply#ok }
expect_eq redaction_off_invalid_flags "$(sql "SELECT flags||' '||(CAST(raw AS TEXT) LIKE '%s3cretpw%') FROM events WHERE lower(hex(event_uid))='$id'")" "2 1"
stop_collector && pass clean_exit_off || fail clean_exit_off
