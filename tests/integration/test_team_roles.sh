#!/usr/bin/env bash
# Team mode's least-privilege roles, as `chronicle team init` prints them:
# each machine's login role ships only its own machine's rows (row-level
# security), the team server's role only reads, an unregistered role is
# told what to do, and a password comes from PGPASSFILE and never shows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
pg_start || { pg_skip_or_fail team_roles; exit 0; }
ADMIN=$BIN/chronicle
url_as() { echo "postgresql:///postgres?host=$PG_SOCK&port=$PG_PORT&user=$1"; }

"$ADMIN" team init "$PG_URL" >"$CHRONICLE_HOME/roles.sql" 2>/dev/null || fail team_init
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$CHRONICLE_HOME/roles.sql" >/dev/null 2>"$CHRONICLE_HOME/psql.err" \
    && pass role_sql_runs || fail role_sql_runs "$(head -n 3 "$CHRONICLE_HOME/psql.err")"
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$CHRONICLE_HOME/roles.sql" >/dev/null 2>&1 \
    && pass role_sql_idempotent || fail role_sql_idempotent
ROLE_A=$(sed -n 's/^    CREATE ROLE \(chronicle_ship_[a-z0-9_]*\) LOGIN;$/\1/p' "$CHRONICLE_HOME/roles.sql")
[ -n "$ROLE_A" ] && pass machine_role_named || fail machine_role_named
A=$(cat "$CHRONICLE_HOME/machine-id")
expect_eq machine_registered "$(pg_sql "SELECT role_name FROM chronicle.machines WHERE machine_id = '$A'")" "$ROLE_A"

# Machine A ships as its own role.
start_collector || { fail collector_starts; exit 1; }
for f in "$FIXTURES"/*.json; do send "$f"; done
CHRONICLE_SHIP_TO=$(url_as "$ROLE_A") "$SHIP" --once 2>"$CHRONICLE_HOME/ship_a.log" \
    && pass ship_as_machine_role || fail ship_as_machine_role "$(tail -n 2 "$CHRONICLE_HOME/ship_a.log")"
N_A=$(sql "SELECT count(*) FROM events")
expect_eq a_shipped "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE machine_id = '$A'")" "$N_A"
before=$(pg_sql "SELECT md5(string_agg(s::text, ',' ORDER BY session_id)) FROM chronicle.sessions s")

# Machine B: its own home, id and role (renamed: same host name here).
HOME_B=$(mktemp -d /tmp/chr.XXXXXX)
trap 'pg_cleanup; rm -rf "$HOME_B"; cleanup' EXIT
CHRONICLE_HOME=$HOME_B "$ADMIN" team sql 2>/dev/null | sed "s/$ROLE_A/chronicle_ship_b/g" >"$HOME_B/roles.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -f "$HOME_B/roles.sql" >/dev/null 2>&1 && pass role_b_created || fail role_b_created
B=$(cat "$HOME_B/machine-id")
as_b() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(url_as chronicle_ship_b)" -c "$1" 2>&1; }
refused() { # NAME OUTPUT: PASS when PostgreSQL refused
    echo "$1: $2" >&2
    case "$2" in *ERROR*) pass "$1" ;; *) fail "$1" "accepted: $2" ;; esac
}
refused b_cannot_insert_as_a "$(as_b "INSERT INTO chronicle.events (event_uid, machine_id, local_id, event_type, ts_ns, stored_ns, payload_size) VALUES (gen_random_uuid(), '$A', 1, 'Stop', 1, 1, 0)")"
refused b_cannot_upsert_a_session "$(as_b "INSERT INTO chronicle.sessions (machine_id, session_id, first_seen_ns, last_seen_ns) VALUES ('$A', 'x', 1, 1)")"
refused b_cannot_ship_as_a "$(as_b "SELECT chronicle.ship_events('$A', 'h', 'u', 1, gen_random_uuid(), '{1}', ARRAY[gen_random_uuid()], '{s}', '{Stop}', '{1}', '{1}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{0}', '{NULL}', '{NULL}', '{NULL}', '{0}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{0}', '{NULL}', '{f}', '{f}', '{f}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}')")"
refused b_cannot_move_a_cursor "$(as_b "INSERT INTO chronicle.ship_cursors (machine_id, last_local_id) VALUES ('$A', 0) ON CONFLICT (machine_id) DO UPDATE SET last_local_id = 0")"
refused b_cannot_delete "$(as_b "DELETE FROM chronicle.events")"
refused b_cannot_register "$(as_b "INSERT INTO chronicle.machines (machine_id, role_name) VALUES (gen_random_uuid(), 'chronicle_ship_b')")"
refused b_cannot_truncate "$(as_b "TRUNCATE chronicle.sessions")"
expect_eq b_updates_nothing_of_a "$(as_b "UPDATE chronicle.sessions SET event_count = 0 WHERE machine_id = '$A' RETURNING 1" | grep -c 1)" 0
expect_eq b_sees_nothing_of_a "$(as_b "SELECT count(*) FROM chronicle.events WHERE machine_id = '$A'")" 0
expect_eq a_untouched "$(pg_sql "SELECT md5(string_agg(s::text, ',' ORDER BY session_id)) FROM chronicle.sessions s")" "$before"
expect_eq a_cursor_untouched "$(pg_sql "SELECT last_local_id FROM chronicle.ship_cursors WHERE machine_id = '$A'")" "$(sql "SELECT max(id) FROM events")"

# B ships its own events, with a password from PGPASSFILE (scram over the socket).
{ echo "local all chronicle_ship_b scram-sha-256"; cat "$PG_DIR/data/pg_hba.conf"; } >"$HOME_B/hba"
cat "$HOME_B/hba" >"$PG_DIR/data/pg_hba.conf"
pg_sql "ALTER ROLE chronicle_ship_b PASSWORD 'b-Secret-42'; SELECT pg_reload_conf()" >/dev/null
CHRONICLE_HOME=$HOME_B "$COLLECTOR" 2>>"$HOME_B/collector.log" &
B_COLLECTOR=$!
_bg_pids+=("$B_COLLECTOR")
wait_for 10 test -S "$HOME_B/collector.sock" || fail collector_b_starts
for f in "$FIXTURES"/PreToolUse.json "$FIXTURES"/PostToolUse.json; do CHRONICLE_HOME=$HOME_B "$SEND" <"$f"; done
CHRONICLE_HOME=$HOME_B CHRONICLE_SHIP_TO=$(url_as chronicle_ship_b) PGPASSFILE=/nonexistent "$SHIP" --once 2>"$HOME_B/ship_nopw.log"
[ $? -ne 0 ] && grep -q "password" "$HOME_B/ship_nopw.log" && pass password_required || fail password_required "$(cat "$HOME_B/ship_nopw.log")"
printf '*:*:*:chronicle_ship_b:b-Secret-42\n' >"$HOME_B/pgpass"
chmod 0600 "$HOME_B/pgpass"
CHRONICLE_HOME=$HOME_B CHRONICLE_SHIP_TO=$(url_as chronicle_ship_b) PGPASSFILE=$HOME_B/pgpass "$SHIP" --once 2>"$HOME_B/ship.log" \
    && pass b_ships_with_pgpass || fail b_ships_with_pgpass "$(tail -n 2 "$HOME_B/ship.log")"
expect_eq b_shipped "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE machine_id = '$B'")" 2
grep -rq "b-Secret-42" "$HOME_B"/ship*.log "$HOME_B/ship.state" && fail password_never_shown || pass password_never_shown
expect_eq a_still_intact "$(pg_sql "SELECT count(*) FROM chronicle.events WHERE machine_id = '$A'")" "$N_A"

# The team server's role reads everything and writes nothing.
expect_eq reader_reads_all "$(psql -X -A -t -d "$(url_as chronicle_team_server)" -c "SELECT count(*) FROM chronicle.events")" "$((N_A + 2))"
refused reader_cannot_write "$(psql -X -A -t -v ON_ERROR_STOP=1 -d "$(url_as chronicle_team_server)" -c "UPDATE chronicle.sessions SET state = 'x'" 2>&1)"
refused reader_cannot_delete_events "$(psql -X -A -t -v ON_ERROR_STOP=1 -d "$(url_as chronicle_team_server)" -c "DELETE FROM chronicle.events" 2>&1)"
# ... but its alerts (team schema 4: what its alert engine records), and
# nothing there is visible to a machine's role.
expect_eq team_server_writes_alerts "$(psql -X -A -t -v ON_ERROR_STOP=1 -d "$(url_as chronicle_team_server)" -c "INSERT INTO chronicle.alerts (alert_key, rule, fired_ns, version) VALUES ('k', 'budget', 1, nextval('chronicle.alert_version')) RETURNING rule" 2>&1 | head -1)" budget
expect_eq shipper_cannot_read_alerts "$(PGPASSFILE=$HOME_B/pgpass psql -X -A -t -d "$(url_as chronicle_ship_b)" -c "SELECT count(*) FROM chronicle.alerts" 2>&1 | grep -c 'permission denied')" 1
refused shipper_cannot_write_alerts "$(PGPASSFILE=$HOME_B/pgpass psql -X -A -t -v ON_ERROR_STOP=1 -d "$(url_as chronicle_ship_b)" -c "UPDATE chronicle.alerts SET rule = 'x'" 2>&1)"

# A shipper role nobody registered a machine for is told what to run.
pg_sql "CREATE ROLE chronicle_ship_c LOGIN IN ROLE chronicle_shipper" >/dev/null
CHRONICLE_HOME=$HOME_B CHRONICLE_SHIP_TO=$(url_as chronicle_ship_c) "$SHIP" --once 2>"$HOME_B/ship_c.log"
[ $? -ne 0 ] && pass unregistered_fails || fail unregistered_fails
grep -q "not registered for the role chronicle_ship_c" "$HOME_B/ship.state" && pass unregistered_says_why \
    || fail unregistered_says_why "$(grep ^last_error "$HOME_B/ship.state")"
# A machine role cannot create or migrate the schema: it says who must.
pg_sql "CREATE DATABASE other" >/dev/null
CHRONICLE_HOME=$HOME_B CHRONICLE_SHIP_TO="postgresql:///other?host=$PG_SOCK&port=$PG_PORT&user=chronicle_ship_c" "$SHIP" --once 2>"$HOME_B/ship_c2.log"
grep -q "team schema is missing.*chronicle team init" "$HOME_B/ship.state" && pass no_schema_says_init \
    || fail no_schema_says_init "$(grep ^last_error "$HOME_B/ship.state")"
kill -TERM "$B_COLLECTOR"; wait "$B_COLLECTOR"
stop_collector && pass collector_clean_exit || fail collector_clean_exit
