#!/usr/bin/env bash
# A full disk: nothing can be committed, so the backlog waits in the
# collector's memory.  It must stay visible without the database: the ping
# reply (chronicle-send --check) and collector.state (preallocated,
# rewritten in place) say how much waits, since when, and that commits
# fail; once there is room again every waiting event is committed.
source "$(dirname "$0")/lib.sh"
state() { awk -v k="$1" '$1 == k { print $2 }' "$FULL/collector.state"; }

FULL=$CHRONICLE_HOME/full
mkdir -p "$FULL"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$FULL" 2>/dev/null; then
    echo "SKIP full_disk: cannot mount a small tmpfs here (needs root and mount rights)"
    exit 0
fi
_cleanup_mount() { umount -l "$FULL" 2>/dev/null; }
trap '_cleanup_mount; cleanup' EXIT
CHRONICLE_HOME=$FULL
DB=$FULL/chronicle.db
start_collector || exit 1
echo '{"session_id":"before","hook_event_name":"Stop"}' | "$SEND"
wait_sql 5 "SELECT count(*) FROM events" 1 || fail "first event stored"

# Fill the disk to the last block.
head -c 4m /dev/zero >"$FULL/filler" 2>/dev/null
big=$(head -c 30000 /dev/zero | tr '\0' x)
for i in 1 2 3 4 5; do
    printf '{"session_id":"full-%d","hook_event_name":"Stop","x":"%s"}' "$i" "$big" | "$SEND"
done
sleep 1.5 # a state rewrite (every second) and some failed retries
out=$("$SEND" --check)
printf '%s' "$out" | grep -q 'commits:   FAILING for [0-9]* s; the oldest waiting event is [0-9]* s old' \
    && pass "--check says commits fail, and how old the backlog is" || fail "--check says commits fail" "$out"
printf '%s' "$out" | grep -q '5 queued' && pass "--check counts the waiting events" || fail "--check counts the waiting events" "$out"
expect_eq "collector.state: pending" "$(state pending)" 5
[ "$(state commit_failing_since_ns)" -gt 0 ] && pass "collector.state: commits failing since" \
    || fail "collector.state: commits failing since" "$(cat "$FULL/collector.state")"
[ "$(state oldest_pending_ns)" -gt 0 ] && pass "collector.state: oldest pending" || fail "collector.state: oldest pending"
expect_eq "collector.state keeps its preallocated size" "$(stat -c %s "$FULL/collector.state")" 4096

# Room again: the backlog drains, nothing lost.
rm -f "$FULL/filler"
wait_sql 15 "SELECT count(*) FROM events WHERE session_id LIKE 'full-%'" 5 \
    && pass "every waiting event committed once there is room" || fail "every waiting event committed once there is room"
sleep 1.2
expect_eq "collector.state: nothing pending" "$(state pending)" 0
expect_eq "collector.state: commits work" "$(state commit_failing_since_ns)" 0
"$SEND" --check | grep -q FAILING && fail "--check no longer says FAILING" || pass "--check no longer says FAILING"
stop_collector
