#!/usr/bin/env bash
# test_admin_db.sh - `chronicle status`, `backup` and `export` against a real
# database filled by the real collector through the real chronicle-send,
# including a backup taken while events keep arriving.
. "$(dirname "$0")/lib.sh"

CHR=$BIN/chronicle
T=$(mktemp -d /tmp/chr-db.XXXXXX)
trap 'cleanup; rm -rf "$T"' EXIT
export HOME=$T/home
mkdir -p "$HOME"

# No database yet: clear errors.
"$CHR" backup "$T/none.db" >"$T/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "no database" "$T/out"; then pass backup_without_db; else fail backup_without_db "rc=$rc"; fi
"$CHR" status --timeout 200 >"$T/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "collector  DOWN" "$T/out"; then pass status_down; else fail status_down "rc=$rc"; fi

start_collector || { fail collector_starts; exit 1; }
n=0
for f in "$FIXTURES"/*.json; do send "$f"; n=$((n + 1)); done
# A second session, to filter on.
for f in SessionStart UserPromptSubmit Stop; do
    jq '.session_id = "other-session"' "$FIXTURES/$f.json" >"$T/$f.json"
    send "$T/$f.json"; n=$((n + 1))
done
expect_eq events_stored "$(sql 'SELECT count(*) FROM events')" "$n"

# status: collector up, today's events, spool, dropped.
out=$("$CHR" status --timeout 1000 --server 127.0.0.1:1 2>&1); rc=$?
expect_eq status_exit_up $rc 0
grep -q "^collector  up " <<<"$out" && pass status_collector_up || fail status_collector_up "$out"
grep -q "^events     $n today" <<<"$out" && pass status_events_today || fail status_events_today "$out"
grep -q "^server     DOWN" <<<"$out" && pass status_server_down || fail status_server_down "$out"
grep -q "^spool      0 file" <<<"$out" && pass status_spool || fail status_spool "$out"
printf 'x\ny\n' >>"$CHRONICLE_HOME/dropped"
"$CHR" status --timeout 1000 | grep -q "^dropped    2 event" && pass status_dropped || fail status_dropped

# backup: consistent, self-contained, checked, never over an existing file.
"$CHR" backup "$T/b.db" >"$T/out" 2>&1
expect_eq backup_exit $? 0
expect_eq backup_rows "$(sqlite3 "$T/b.db" 'SELECT count(*) FROM events')" "$n"
expect_eq backup_integrity "$(sqlite3 "$T/b.db" 'PRAGMA integrity_check')" ok
expect_eq backup_not_wal "$(sqlite3 "$T/b.db" 'PRAGMA journal_mode')" delete
expect_eq backup_mode "$(stat -c %a "$T/b.db")" 600
expect_eq backup_same_payloads "$(sqlite3 "$T/b.db" 'SELECT group_concat(payload) FROM (SELECT payload FROM events ORDER BY id)' | md5sum)" \
    "$(sql 'SELECT group_concat(payload) FROM (SELECT payload FROM events ORDER BY id)' | md5sum)"
"$CHR" backup "$T/b.db" >"$T/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "exists" "$T/out"; then pass backup_refuses_overwrite; else fail backup_refuses_overwrite "rc=$rc"; fi
"$CHR" backup --force "$T/b.db" >/dev/null 2>&1; expect_eq backup_force $? 0
mkdir "$T/dir"
"$CHR" backup "$T/dir" >/dev/null 2>&1
expect_eq backup_into_directory "$(ls "$T/dir" | grep -c '^chronicle-.*Z\.db$')" 1

# Backup while a writer keeps sending: the copy is whole and consistent.
( for i in $(seq 1 150); do send "$FIXTURES/PostToolUse.json"; done ) &
writer=$!
_bg_pids+=("$writer")
sleep 0.2
"$CHR" backup "$T/live.db" >/dev/null 2>&1; rc=$?
wait "$writer"
expect_eq live_backup_exit $rc 0
expect_eq live_backup_integrity "$(sqlite3 "$T/live.db" 'PRAGMA integrity_check')" ok
live=$(sqlite3 "$T/live.db" 'SELECT count(*) FROM events')
total=$(sql 'SELECT count(*) FROM events')
if [ "$live" -ge "$n" ] && [ "$live" -le "$total" ]; then pass live_backup_snapshot
else fail live_backup_snapshot "live=$live n=$n total=$total"; fi
# Every event in the copy is an event of the live database, same content.
expect_eq live_backup_is_prefix \
    "$(sqlite3 "$T/live.db" 'SELECT group_concat(hex(event_uid)) FROM (SELECT event_uid FROM events ORDER BY id)' | md5sum)" \
    "$(sql "SELECT group_concat(hex(event_uid)) FROM (SELECT event_uid FROM events ORDER BY id LIMIT $live)" | md5sum)"
n=$total

# export NDJSON: one valid JSON object per event, payloads intact.
"$CHR" export >"$T/all.ndjson" 2>"$T/err"
expect_eq export_exit $? 0
expect_eq export_lines "$(wc -l <"$T/all.ndjson")" "$n"
expect_eq export_valid_json "$(jq -c . "$T/all.ndjson" 2>/dev/null | wc -l)" "$n"
expect_eq export_payload_exact \
    "$(jq -S -c '.payload' "$T/all.ndjson" | md5sum)" \
    "$(sql 'SELECT payload FROM events ORDER BY ts_ns, id' | jq -S -c . | md5sum)"
expect_eq export_fields "$(head -1 "$T/all.ndjson" | jq -r 'keys_unsorted | join(",")')" \
    "id,event_uid,session_id,event_type,time,ts_ns,stored_ns,tool_name,tool_use_id,agent_id,agent_type,prompt_id,cwd,duration_ms,flags,payload_size,host,uid,pid,ppid,claude_pid,project_dir,payload,raw_base64"
expect_eq export_time_matches_ts \
    "$(head -1 "$T/all.ndjson" | jq -r '(.time | sub("\\.[0-9]+Z$"; "Z") | fromdate) == (.ts_ns / 1e9 | floor)')" true
"$CHR" export --session other-session >"$T/other.ndjson"
expect_eq export_session "$(jq -r .event_type "$T/other.ndjson" | tr '\n' ' ')" "SessionStart UserPromptSubmit Stop "
expect_eq export_since_future "$("$CHR" export --since 2200-01-01T00:00:00Z | wc -l)" 0
expect_eq export_since_hour "$("$CHR" export --since 1h | wc -l)" "$n"
expect_eq export_until_past "$("$CHR" export --until 2000-01-01 | wc -l)" 0
mid=$(sql "SELECT ts_ns FROM events ORDER BY ts_ns, id LIMIT 1 OFFSET 10")
expect_eq export_range "$("$CHR" export --since "@$((mid / 1000000000))" --until "@$((mid / 1000000000 + 1))" | wc -l)" \
    "$(sql "SELECT count(*) FROM events WHERE ts_ns >= $((mid / 1000000000))000000000 AND ts_ns < $((mid / 1000000000 + 1))000000000")"

# export CSV: RFC 4180, read back by sqlite3 to the same payloads.
"$CHR" export --format csv --output "$T/all.csv" 2>"$T/err"
expect_eq export_csv_exit $? 0
sqlite3 "$T/csv.db" ".import --csv $T/all.csv ev"
expect_eq export_csv_rows "$(sqlite3 "$T/csv.db" 'SELECT count(*) FROM ev')" "$n"
expect_eq export_csv_payload_exact \
    "$(sqlite3 "$T/csv.db" 'SELECT group_concat(payload, x'"'"'0a'"'"') FROM ev' | md5sum)" \
    "$(sql 'SELECT group_concat(payload, x'"'"'0a'"'"') FROM (SELECT payload FROM events ORDER BY ts_ns, id)' | md5sum)"
expect_eq export_csv_mode "$(stat -c %a "$T/all.csv")" 600
"$CHR" export --format csv --output "$T/all.csv" >/dev/null 2>&1; expect_eq export_refuses_overwrite $? 1

# Bad arguments: clear errors, exit 2.
"$CHR" export --since yesterday-ish >/dev/null 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "cannot read 'yesterday-ish' as a time" "$T/err"; then pass export_bad_time
else fail export_bad_time "rc=$rc"; fi
"$CHR" export --format xml >/dev/null 2>&1; expect_eq export_bad_format $? 2
"$CHR" export --since 2026-01-02 --until 2026-01-01 >/dev/null 2>&1; expect_eq export_empty_range $? 2
"$CHR" export --since 2999-01-01 >/dev/null 2>&1; expect_eq export_year_out_of_range $? 2
"$CHR" backup >/dev/null 2>&1; expect_eq backup_needs_dest $? 2

# A database file that is not SQLite: refused with a clear message.
stop_collector
cp "$DB" "$T/keep.db"; rm -f "$DB"-wal "$DB"-shm
echo "not a database" >"$DB"
"$CHR" export >/dev/null 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "not a database" "$T/err"; then pass export_not_sqlite; else fail export_not_sqlite "rc=$rc $(cat "$T/err")"; fi
