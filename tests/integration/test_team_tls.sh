#!/usr/bin/env bash
# Team mode over TLS: ship_to's sslmode is honoured by chronicle-ship (and
# `chronicle team init`).  The throwaway cluster also listens on 127.0.0.1
# with a self-signed certificate and accepts TCP only over TLS: verify-full
# with the right root certificate ships; with another root, or with TLS
# disabled, the connection is refused and the error says why.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
command -v openssl >/dev/null || { skip team_tls "openssl not installed (scripts/deps.sh test)"; exit 0; }
# TCP this time: a port nothing listens on (parallel runs must not meet).
for _ in $(seq 50); do
    PG_PORT=$((20000 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null || break
done
pg_start || { pg_skip_or_fail team_tls; exit 0; }
TLS=$PG_DIR/tls
mkdir -p "$TLS"
gen() { # NAME CN
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2" -keyout "$TLS/$1.key" -out "$TLS/$1.crt" >/dev/null 2>&1
}
gen server localhost && gen other localhost || { fail tls_certificates; exit 1; }
chmod 0600 "$TLS"/*.key
[ -n "$PG_USER" ] && chown -R "$PG_USER" "$TLS"
cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = '$TLS/server.crt'
ssl_key_file = '$TLS/server.key'
EOF
# TCP only over TLS (initdb's plain "host" lines go), the socket as before.
{ echo "hostssl all all 127.0.0.1/32 trust"; grep '^local' "$PG_DIR/data/pg_hba.conf"; } >"$TLS/hba"
cat "$TLS/hba" >"$PG_DIR/data/pg_hba.conf"
pg_stop && pg_restart || { fail tls_server_starts "$(tail -n 5 "$PG_DIR/server.log")"; exit 1; }
tcp="postgresql://$PG_ADMIN@localhost:$PG_PORT/postgres"
"$BIN/chronicle" team init "$tcp?sslmode=verify-full&sslrootcert=$TLS/server.crt" >/dev/null 2>"$CHRONICLE_HOME/init.err" \
    && pass init_over_tls || fail init_over_tls "$(cat "$CHRONICLE_HOME/init.err")"
start_collector || { fail collector_starts; exit 1; }
for f in "$FIXTURES"/*.json; do send "$f"; done
CHRONICLE_SHIP_TO="$tcp?sslmode=verify-full&sslrootcert=$TLS/server.crt" "$SHIP" --once 2>"$CHRONICLE_HOME/ok.log" \
    && pass ship_verify_full || fail ship_verify_full "$(tail -n 2 "$CHRONICLE_HOME/ok.log")"
expect_eq shipped_over_tls "$(pg_sql "SELECT count(*) FROM chronicle.events")" "$(sql "SELECT count(*) FROM events")"
CHRONICLE_SHIP_TO="$tcp?sslmode=verify-full&sslrootcert=$TLS/other.crt" "$SHIP" --once 2>"$CHRONICLE_HOME/bad.log"
[ $? -ne 0 ] && grep -qi "certificate verify failed" "$CHRONICLE_HOME/bad.log" && pass wrong_root_refused \
    || fail wrong_root_refused "$(tail -n 2 "$CHRONICLE_HOME/bad.log")"
CHRONICLE_SHIP_TO="$tcp?sslmode=disable" "$SHIP" --once 2>"$CHRONICLE_HOME/plain.log"
[ $? -ne 0 ] && grep -q "no pg_hba.conf entry" "$CHRONICLE_HOME/plain.log" && pass plaintext_refused \
    || fail plaintext_refused "$(tail -n 2 "$CHRONICLE_HOME/plain.log")"
# A running shipper's session is encrypted.
CHRONICLE_SHIP_TO="$tcp?sslmode=verify-full&sslrootcert=$TLS/server.crt" ship_start
wait_for 10 grep -q '^phase=idle' "$CHRONICLE_HOME/ship.state"
expect_eq session_is_tls "$(pg_sql "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'chronicle-ship' AND s.ssl")" 1
ship_stop && pass ship_clean_exit || fail ship_clean_exit
stop_collector
