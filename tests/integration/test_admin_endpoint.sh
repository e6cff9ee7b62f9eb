#!/usr/bin/env bash
# test_admin_endpoint.sh - `chronicle status`, `chronicle open` and
# `chronicle endpoint` find the server where the daemons put it: the config
# file, then the environment, then --server; the token from CHRONICLE_TOKEN,
# else $CHRONICLE_HOME/server.token; the bearer token sent to the server.
. "$(dirname "$0")/lib.sh"
CHRONICLE=$BIN/chronicle
CONF=$CHRONICLE_HOME/config

start_collector || { fail collector_start; exit 1; }
# The server finds its port in the environment, not in a flag.
PORT=$(free_port)
CHRONICLE_PORT=$PORT "$SERVER" 2>>"$CHRONICLE_HOME/server.log" &
SERVER_PID=$!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$PORT/health" || { fail server_start "$(cat "$CHRONICLE_HOME/server.log")"; exit 1; }

# A server that keeps a token in $CHRONICLE_HOME/server.token: the URL and
# the token's origin carry it; one that has none: neither does.
TOKEN_FILE=$CHRONICLE_HOME/server.token
if [ -f "$TOKEN_FILE" ]; then
    SUFFIX="?token=$(cat "$TOKEN_FILE")"; ORIGIN=$TOKEN_FILE
    cp -p "$TOKEN_FILE" "$CHRONICLE_HOME/server.token.orig"
else
    SUFFIX=; ORIGIN=none
fi
restore_token() {
    rm -f "$TOKEN_FILE"
    [ -f "$CHRONICLE_HOME/server.token.orig" ] && cp -p "$CHRONICLE_HOME/server.token.orig" "$TOKEN_FILE"
    return 0
}

out=$(CHRONICLE_PORT=$PORT "$CHRONICLE" status 2>&1)
if grep -q "^server     up      http://127.0.0.1:$PORT/" <<<"$out"; then pass status_port_from_environment
else fail status_port_from_environment "$out"; fi

printf 'port = %s\n' "$PORT" >"$CONF"
out=$(CHRONICLE_CONFIG=$CONF "$CHRONICLE" status 2>&1)
if grep -q "^server     up      http://127.0.0.1:$PORT/" <<<"$out"; then pass status_port_from_config_file
else fail status_port_from_config_file "$out"; fi

# The environment wins over the file, a flag over both.
other=$(free_port)
out=$(CHRONICLE_CONFIG=$CONF CHRONICLE_PORT=$other "$CHRONICLE" status 2>&1)
if grep -q "^server     DOWN    127.0.0.1:$other:" <<<"$out"; then pass status_environment_over_file
else fail status_environment_over_file "$out"; fi
out=$(CHRONICLE_PORT=$other "$CHRONICLE" status --server "127.0.0.1:$PORT" 2>&1)
if grep -q "^server     up      http://127.0.0.1:$PORT/" <<<"$out"; then pass status_flag_over_environment
else fail status_flag_over_environment "$out"; fi
expect_eq status_bad_flag "$("$CHRONICLE" status --server localhost:1 >/dev/null 2>&1; echo $?)" 2

expect_eq endpoint_port "$(CHRONICLE_CONFIG=$CONF "$CHRONICLE" endpoint port)" "$PORT"
expect_eq endpoint_home "$("$CHRONICLE" endpoint home)" "$CHRONICLE_HOME"
expect_eq endpoint_all "$(CHRONICLE_PORT=$PORT "$CHRONICLE" endpoint)" "home=$CHRONICLE_HOME
host=127.0.0.1
port=$PORT
server=127.0.0.1:$PORT
token=$ORIGIN"
expect_eq endpoint_bad_field "$("$CHRONICLE" endpoint nope >/dev/null 2>&1; echo $?)" 2

expect_eq open_url "$(CHRONICLE_PORT=$PORT "$CHRONICLE" open)" "http://127.0.0.1:$PORT/$SUFFIX"
out=$(CHRONICLE_PORT=$other "$CHRONICLE" open 2>"$CHRONICLE_HOME/open.err"); rc=$?
expect_eq open_down_exit "$rc" 1
expect_eq open_down_stdout_empty "$out" ""
if grep -q "does not answer on 127.0.0.1:$other" "$CHRONICLE_HOME/open.err"; then pass open_down_says_where
else fail open_down_says_where "$(cat "$CHRONICLE_HOME/open.err")"; fi

# The token file the server keeps: used when no token is configured.
rm -f "$TOKEN_FILE"
printf 'f1le-t0ken\n' >"$CHRONICLE_HOME/server.token"
chmod 600 "$CHRONICLE_HOME/server.token"
expect_eq open_token_from_file "$(CHRONICLE_PORT=$PORT "$CHRONICLE" open)" "http://127.0.0.1:$PORT/?token=f1le-t0ken"
expect_eq endpoint_token_origin "$("$CHRONICLE" endpoint token)" "$CHRONICLE_HOME/server.token"
# A configured token is the server's token: a bad one is refused, not
# replaced by the file's.
expect_eq open_bad_configured_token "$(CHRONICLE_PORT=$PORT CHRONICLE_TOKEN='a b' "$CHRONICLE" open 2>&1; echo "rc=$?")" \
    "chronicle: warning: CHRONICLE_TOKEN (or the config file's token) is not a token: visible ASCII characters only
http://127.0.0.1:$PORT/
rc=0"
expect_eq open_env_token "$(CHRONICLE_PORT=$PORT CHRONICLE_TOKEN=e/nv "$CHRONICLE" open)" "http://127.0.0.1:$PORT/?token=e%2Fnv"
rm "$CHRONICLE_HOME/server.token"
ln -s "$CONF" "$CHRONICLE_HOME/server.token"
out=$(CHRONICLE_PORT=$PORT "$CHRONICLE" open 2>"$CHRONICLE_HOME/open.err")
expect_eq open_symlinked_token_not_used "$out" "http://127.0.0.1:$PORT/"
if grep -q "symbolic link" "$CHRONICLE_HOME/open.err"; then pass open_symlinked_token_warned
else fail open_symlinked_token_warned "$(cat "$CHRONICLE_HOME/open.err")"; fi
out=$(CHRONICLE_PORT=$PORT "$CHRONICLE" status 2>&1)
if grep -q "WARNING: .*server.token is a symbolic link" <<<"$out"; then pass status_symlinked_token_warned
else fail status_symlinked_token_warned "$out"; fi
restore_token
stop_server

# The bearer token reaches the server: a stand-in that records the request.
if command -v node >/dev/null; then
    rec=$CHRONICLE_HOME/request.txt
    node -e '
      const fs = require("fs");
      const s = require("http").createServer((q, r) => {
        fs.writeFileSync(process.argv[1], q.method + " " + q.url + "\nhost " + q.headers.host +
                         "\nauthorization " + (q.headers.authorization || "-") + "\n");
        r.end("{}");
      });
      s.listen(+process.argv[2], "127.0.0.1");
      setTimeout(() => process.exit(0), 20000);' "$rec" "$PORT" &
    _bg_pids+=($!)
    wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$PORT/"
    CHRONICLE_PORT=$PORT CHRONICLE_TOKEN=s3cret "$CHRONICLE" status >/dev/null 2>&1
    expect_eq status_sends_bearer "$(cat "$rec" 2>/dev/null)" "GET /health
host 127.0.0.1:$PORT
authorization Bearer s3cret"
    rm -f "$rec"
    CHRONICLE_PORT=$PORT "$CHRONICLE" open >/dev/null 2>&1
    want="authorization -"
    [ -f "$TOKEN_FILE" ] && want="authorization Bearer $(cat "$TOKEN_FILE")"
    expect_eq open_sends_the_token_file_or_none "$(sed -n 3p "$rec" 2>/dev/null)" "$want"
else
    fail status_sends_bearer "node is missing (scripts/deps.sh test installs nodejs)"
fi
