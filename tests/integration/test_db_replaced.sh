#!/usr/bin/env bash
# An acknowledged event is on disk, in the file the server reads: the
# database deleted (rm chronicle.db*) or replaced by another file while the
# collector runs under a flood.  The collector notices (after every commit,
# and once a second when idle), acknowledges nothing that went into the
# lost file, opens the path again, and every event acknowledged after the
# deletion or replacement is in the file at the path, exactly once; so is
# every event chronicle-send delivered or spooled after it.  (What was
# acknowledged before is gone with the file the user removed.)
source "$(dirname "$0")/lib.sh"
MF=$BIN/tools/make_frame
RAW=$BIN/tools/rawsock
MARGIN=0.05 # s: an ack can leave a few microseconds after its check
start_collector || exit 1

# flood PHASE: frames over raw connections, each ack written with the time it
# arrived ($EPOCHREALTIME: no fork per line); chronicle-send in parallel,
# each send's start time noted.
flood() {
    local phase=$1
    for b in $(seq 1 30); do
        "$MF" "$(date +%s%N)" 50 "raw-$phase-$b" | "$RAW" "$CHRONICLE_HOME/collector.sock" --expect 50 |
            while read -r a id; do
                [ "$a" = ok ] && [ "$id" != pong ] && echo "$EPOCHREALTIME $id"
            done >>"$CHRONICLE_HOME/acks-$phase"
    done &
    local raw=$!
    for i in $(seq 1 150); do
        echo "$EPOCHREALTIME send-$phase-$i" >>"$CHRONICLE_HOME/sends-$phase"
        printf '{"session_id":"send-%s-%d","hook_event_name":"Stop"}' "$phase" "$i" | "$SEND"
    done
    wait "$raw"
}

# check PHASE T: acks and sends later than T must be in the database.
check() {
    local phase=$1 t=$2 stored=$CHRONICLE_HOME/stored
    sql "SELECT lower(hex(event_uid)) FROM events" | sort >"$stored"
    awk -v t="$t" -v m="$MARGIN" '$1 > t + m { print $2 }' "$CHRONICLE_HOME/acks-$phase" | sort -u >"$stored.want"
    local n
    n=$(wc -l <"$stored.want")
    [ "$n" -gt 100 ] && pass "$phase: frames acknowledged afterwards ($n)" || fail "$phase: frames acknowledged afterwards" "$n"
    expect_eq "$phase: every event acknowledged afterwards is in the database" \
        "$(comm -23 "$stored.want" "$stored" | wc -l)" 0
    awk -v t="$t" -v m="$MARGIN" '$1 > t + m { print $2 }' "$CHRONICLE_HOME/sends-$phase" | sort >"$stored.sends"
    expect_eq "$phase: every chronicle-send event sent afterwards is stored (acked or spooled)" \
        "$(sql "SELECT DISTINCT session_id FROM events WHERE session_id LIKE 'send-$phase-%'" | sort |
           comm -23 "$stored.sends" - | wc -l)" 0
}

# --- deleted -------------------------------------------------------------------
flood deleted & f=$!
_bg_pids+=("$f")
wait_sql 20 "SELECT count(*) > 300 FROM events" 1 || fail "deleted: flood started"
t_rm=$EPOCHREALTIME
rm -f "$DB" "$DB-wal" "$DB-shm"
wait "$f"
grep -q 'is gone\|was deleted' "$CHRONICLE_HOME/collector.log" && pass "deletion logged" \
    || fail "deletion logged" "$(tail -5 "$CHRONICLE_HOME/collector.log")"
test -f "$DB" && pass "a deleted database is created again" || fail "a deleted database is created again"
wait_spool_empty 20 || fail "deleted: spool drained" "$(spool_count) files left"
check deleted "$t_rm"

# --- replaced ------------------------------------------------------------------
sqlite3 "$CHRONICLE_HOME/other.db" "CREATE TABLE unrelated(x); INSERT INTO unrelated VALUES (1);"
flood replaced & f=$!
_bg_pids+=("$f")
wait_sql 20 "SELECT count(*) > 300 FROM events WHERE session_id LIKE '%-replaced-%'" 1 || fail "replaced: flood started"
t_mv=$EPOCHREALTIME
mv "$CHRONICLE_HOME/other.db" "$DB"
wait "$f"
grep -q 'replaced by another file' "$CHRONICLE_HOME/collector.log" && pass "replacement logged" \
    || fail "replacement logged" "$(tail -5 "$CHRONICLE_HOME/collector.log")"
wait_spool_empty 20 || fail "replaced: spool drained" "$(spool_count) files left"
expect_eq "the new file keeps its own tables (migrated, not overwritten by the old WAL)" \
    "$(sql "SELECT count(*) FROM unrelated")" 1
expect_eq "the new file is private" "$(stat -c %a "$DB")" 600
check replaced "$t_mv"
expect_eq "integrity of the new file" "$(sql "PRAGMA integrity_check")" ok

# --- and after a restart ---------------------------------------------------------
stop_collector
start_collector || exit 1
check replaced "$t_mv"
expect_eq "no event stored twice" "$(sql "SELECT count(*) - count(DISTINCT event_uid) FROM events")" 0
[ "$(sql "SELECT value FROM collector_stats WHERE name='database_replaced_total'")" -ge 2 ] \
    && pass "replacements counted" || fail "replacements counted"
stop_collector
