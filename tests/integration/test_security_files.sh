#!/usr/bin/env bash
# Only the owner reads, writes or redirects what Chronicle keeps on disk
# (docs/SECURITY.md): the home and spool are ours and private, the database
# files 0600, no symlink followed, and a spool file planted by another user
# is never ingested.  The other user is `nobody`, through runuser (root).
source "$(dirname "$0")/lib.sh"
MF=$BIN/tools/make_frame
mode() { stat -c %a "$1"; }
as_nobody() { runuser -u nobody -- "$@"; }

if [ "$(id -u)" -ne 0 ] || ! command -v runuser >/dev/null || ! id nobody >/dev/null 2>&1; then
    echo "SKIP security_files: needs root, runuser and a 'nobody' user to act as another user"
    exit 0
fi
# /tmp/chr.* is 0700: let nobody reach the home so that only its own modes
# protect it, as a home under a readable $HOME would be.
chmod 0755 "$CHRONICLE_HOME"

# --- a home that is merely too open is tightened, once, and logged ----------
mkdir -p "$CHRONICLE_HOME/spool"
chmod 0755 "$CHRONICLE_HOME/spool"
start_collector || exit 1
expect_eq "home tightened to 0700" "$(mode "$CHRONICLE_HOME")" 700
expect_eq "spool tightened to 0700" "$(mode "$CHRONICLE_HOME/spool")" 700
grep -q "$CHRONICLE_HOME (0755 -> 0700).*made private" "$CHRONICLE_HOME/collector.log" \
    && pass "tightening logged" || fail "tightening logged" "$(cat "$CHRONICLE_HOME/collector.log")"
echo '{"session_id":"sec","hook_event_name":"UserPromptSubmit","prompt":"my secret prompt"}' | "$SEND"
wait_sql 5 "SELECT count(*) FROM events WHERE session_id='sec'" 1 || fail "event stored"
for f in chronicle.db chronicle.db-wal chronicle.db-shm collector.sock collector.lock; do
    expect_eq "$f is 0600" "$(mode "$CHRONICLE_HOME/$f")" 600
done
# Even with the home opened up again by hand, nobody cannot read the files.
chmod 0755 "$CHRONICLE_HOME"
if as_nobody grep -qa 'my secret prompt' "$DB-wal" "$DB" 2>/dev/null; then
    fail "another user cannot read the database"; else pass "another user cannot read the database"; fi
stop_collector
chmod 0700 "$CHRONICLE_HOME"
start_collector || exit 1
expect_eq "no tightening logged when nothing was open" "$(grep -c 'made private' "$CHRONICLE_HOME/collector.log")" 2
stop_collector
chmod 0755 "$CHRONICLE_HOME"

# --- existing files 0644 are made 0600 --------------------------------------
chmod 0644 "$DB"
touch "$CHRONICLE_HOME/dropped" && chmod 0666 "$CHRONICLE_HOME/dropped"
start_collector || exit 1
expect_eq "existing database made 0600" "$(mode "$DB")" 600
expect_eq "existing drop file made 0600" "$(mode "$CHRONICLE_HOME/dropped")" 600

# --- a spool file planted by another user is moved aside, never ingested ----
"$MF" "$(date +%s%N)" 1 planted >"$CHRONICLE_HOME/planted.tmp"
chown nobody "$CHRONICLE_HOME/planted.tmp"
mv "$CHRONICLE_HOME/planted.tmp" "$CHRONICLE_HOME/spool/00000000000000000001-1-planted.mp"
wait_for 10 test -f "$CHRONICLE_HOME/spool/corrupt/00000000000000000001-1-planted.mp" \
    && pass "planted spool file moved aside" || fail "planted spool file moved aside"
wait_sql 5 "SELECT value FROM collector_stats WHERE name='spool_foreign_total'" 1 \
    && pass "planted spool file counted" || fail "planted spool file counted"
expect_eq "planted event not ingested" "$(sql "SELECT count(*) FROM events WHERE session_id='planted'")" 0
# A symlink in the spool: not followed.
"$MF" "$(date +%s%N)" 1 linked >"$CHRONICLE_HOME/linked.mp"
# (made beside and moved in: a rename wakes the collector at once, a plain
# creation waits for its periodic rescan)
ln -s "$CHRONICLE_HOME/linked.mp" "$CHRONICLE_HOME/link.tmp"
mv "$CHRONICLE_HOME/link.tmp" "$CHRONICLE_HOME/spool/00000000000000000002-1-link.mp"
wait_for 10 test -L "$CHRONICLE_HOME/spool/corrupt/00000000000000000002-1-link.mp" \
    && pass "symlinked spool file moved aside" || fail "symlinked spool file moved aside"
expect_eq "symlinked event not ingested" "$(sql "SELECT count(*) FROM events WHERE session_id='linked'")" 0
stop_collector

# --- the sender never follows a symlinked spool/ or dropped ----------------
victim=$(mktemp -d /tmp/chr-victim.XXXXXX)
mkdir "$victim/tmp"
mv "$CHRONICLE_HOME/spool" "$CHRONICLE_HOME/spool.real"
ln -s "$victim" "$CHRONICLE_HOME/spool"
echo '{"session_id":"redirect","hook_event_name":"Stop"}' | "$SEND"
expect_eq "sender wrote nothing through a symlinked spool" "$(find "$victim" -type f | wc -l)" 0
grep -q "Not a directory\|Too many levels" "$CHRONICLE_HOME/dropped" \
    && pass "the loss is recorded instead" || fail "the loss is recorded instead" "$(cat "$CHRONICLE_HOME/dropped")"
rm "$CHRONICLE_HOME/spool"
mv "$CHRONICLE_HOME/spool.real" "$CHRONICLE_HOME/spool"
chmod 0777 "$CHRONICLE_HOME/spool"
echo '{"session_id":"open-spool","hook_event_name":"Stop"}' | "$SEND"
expect_eq "sender refuses a spool others may write" "$(find "$CHRONICLE_HOME/spool" -maxdepth 1 -name '*.mp' | wc -l)" 0
chmod 0700 "$CHRONICLE_HOME/spool"
echo "victim's own line" >"$victim/notes"
rm -f "$CHRONICLE_HOME/dropped"
ln -s "$victim/notes" "$CHRONICLE_HOME/dropped"
mv "$CHRONICLE_HOME/spool" "$CHRONICLE_HOME/spool.real"
ln -s "$victim" "$CHRONICLE_HOME/spool"
echo '{"session_id":"drop-redirect","hook_event_name":"Stop"}' | "$SEND"
expect_eq "sender never appends through a symlinked drop file" "$(cat "$victim/notes")" "victim's own line"
rm "$CHRONICLE_HOME/spool" "$CHRONICLE_HOME/dropped"
mv "$CHRONICLE_HOME/spool.real" "$CHRONICLE_HOME/spool"
rm -rf "$victim"

# --- the collector refuses what it must not use ----------------------------
mv "$DB" "$DB.real"
ln -s "$DB.real" "$DB"
"$COLLECTOR" 2>"$CHRONICLE_HOME/refuse.log"
rc=$?
[ "$rc" -ne 0 ] && grep -q "chronicle.db is a symbolic link" "$CHRONICLE_HOME/refuse.log" \
    && pass "symlinked database refused" || fail "symlinked database refused" "rc=$rc $(cat "$CHRONICLE_HOME/refuse.log")"
rm "$DB"
mv "$DB.real" "$DB"
chown nobody "$CHRONICLE_HOME/spool"
"$COLLECTOR" 2>"$CHRONICLE_HOME/refuse.log"
rc=$?
[ "$rc" -ne 0 ] && grep -q "spool belongs to uid 65534, not to you" "$CHRONICLE_HOME/refuse.log" \
    && pass "foreign spool refused, naming it" || fail "foreign spool refused, naming it" "rc=$rc $(cat "$CHRONICLE_HOME/refuse.log")"
chown root "$CHRONICLE_HOME/spool"
chown nobody "$CHRONICLE_HOME"
"$COLLECTOR" 2>"$CHRONICLE_HOME/refuse.log"
rc=$?
chown root "$CHRONICLE_HOME"
[ "$rc" -ne 0 ] && grep -q "$CHRONICLE_HOME belongs to uid 65534, not to you.*CHRONICLE_HOME" "$CHRONICLE_HOME/refuse.log" \
    && pass "foreign home refused, naming the fix" || fail "foreign home refused, naming the fix" "rc=$rc $(cat "$CHRONICLE_HOME/refuse.log")"
start_collector && pass "starts again once fixed" || fail "starts again once fixed"
stop_collector
