# lib.sh - shared by the integration tests: a temporary CHRONICLE_HOME, the
# real binaries started and stopped, SQL read-back, and PASS/FAIL lines that
# tests/run.sh counts.  Source it; do not run it.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN=$BUILD ;; *) BIN=$ROOT/$BUILD ;; esac
# The shared fixtures when the checkout sits beside them, else the copy.
if [ -d "$ROOT/../shared/fixtures/hooks" ]; then
    FIXTURES=$ROOT/../shared/fixtures/hooks
else
    FIXTURES=$ROOT/tests/fixtures/hooks
fi
SEND=$BIN/chronicle-send
COLLECTOR=$BIN/chronicle-collector
SERVER=$BIN/chronicle-server

# Short temp path: a Unix socket path must fit in 107 bytes.
CHRONICLE_HOME=$(mktemp -d /tmp/chr.XXXXXX)
export CHRONICLE_HOME
# Tests never read the developer's own ~/.config/chronicle/config.
export CHRONICLE_CONFIG=/dev/null
DB=$CHRONICLE_HOME/chronicle.db
COLLECTOR_PID=
SERVER_PID=
_bg_pids=()

cleanup() {
    for p in "${_bg_pids[@]}" $COLLECTOR_PID $SERVER_PID; do
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [ -n "${KEEP_HOME:-}" ]; then
        echo "kept $CHRONICLE_HOME" >&2
    else
        chmod -R u+w "$CHRONICLE_HOME" 2>/dev/null
        rm -rf "$CHRONICLE_HOME"
    fi
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; echo "FAIL $1${2:+: $2}" >&2; }

# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# wait_for SECONDS CMD...: polls CMD every 20 ms until it succeeds.
wait_for() {
    local limit=$1; shift
    local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.02
    done
}

start_collector() {
    "$COLLECTOR" "$@" 2>>"$CHRONICLE_HOME/collector.log" &
    COLLECTOR_PID=$!
    if ! wait_for 10 test -S "$CHRONICLE_HOME/collector.sock"; then
        echo "collector did not start; log:" >&2
        cat "$CHRONICLE_HOME/collector.log" >&2
        return 1
    fi
    # The socket exists before the database is migrated only for an instant;
    # a ping answers once the loop runs.
    wait_for 10 "$SEND" --check
}

stop_collector() {
    [ -n "$COLLECTOR_PID" ] || return 0
    kill -TERM "$COLLECTOR_PID" 2>/dev/null
    wait "$COLLECTOR_PID"
    local rc=$?
    COLLECTOR_PID=
    return $rc
}

kill9_collector() {
    [ -n "$COLLECTOR_PID" ] || return 0
    kill -KILL "$COLLECTOR_PID" 2>/dev/null
    wait "$COLLECTOR_PID" 2>/dev/null
    COLLECTOR_PID=
}

# sql QUERY: one query against the test database, list mode, '|' separated.
sql() { sqlite3 -batch "$DB" "$1"; }

# send FILE [EVENT]
send() { "$SEND" ${2:+"$2"} <"$1"; }

spool_count() { find "$CHRONICLE_HOME/spool" -maxdepth 1 -name '*.mp' | wc -l; }

# wait_sql SECONDS SQL WANT: polls the database until SQL yields WANT.
# (wait_for would expand a $(...) argument only once.)
wait_sql() {
    local limit=$1 q=$2 want=$3
    local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    while [ "$(sql "$q" 2>/dev/null)" != "$want" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}

# wait_spool_empty SECONDS
wait_spool_empty() {
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
    while [ "$(spool_count)" -ne 0 ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.05
    done
}

# ---- chronicle-server helpers -------------------------------------------
# free_port: prints a port from 18500-18599 that nothing listens on.  Random
# start so parallel tests rarely race for the same one.
free_port() {
    local start=$((RANDOM % 100)) i p
    for i in $(seq 0 99); do
        p=$((18500 + (start + i) % 100))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# start_server [ARGS...]: starts chronicle-server on a free port (SERVER_PORT)
# and waits until it answers /health (any status).  TOKEN is then the token
# it asks for: CHRONICLE_TOKEN, else the server.token it made on start-up.
TOKEN=
start_server() {
    SERVER_PORT=${SERVER_PORT:-$(free_port)}
    "$SERVER" --port "$SERVER_PORT" "$@" 2>>"$CHRONICLE_HOME/server.log" &
    SERVER_PID=$!
    if ! wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$SERVER_PORT/health"; then
        echo "server did not start; log:" >&2
        cat "$CHRONICLE_HOME/server.log" >&2
        return 1
    fi
    TOKEN=${CHRONICLE_TOKEN:-$(cat "$CHRONICLE_HOME/server.token" 2>/dev/null)}
    return 0
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    local rc=$?
    SERVER_PID=
    return $rc
}

kill9_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}

# http PATH [CURL ARGS...]: body on stdout, then a last line "HTTP <status>".
# Both send 'Authorization: Bearer $TOKEN': `TOKEN= http ...` sends none,
# `TOKEN=wrong http ...` a wrong one.
http() {
    local path=$1; shift
    curl -s -w '\nHTTP %{http_code}\n' ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@" \
        "http://127.0.0.1:$SERVER_PORT$path"
}

# http_status PATH [CURL ARGS...]: the status code only.
http_status() {
    local path=$1; shift
    curl -s -o /dev/null -w '%{http_code}' ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@" \
        "http://127.0.0.1:$SERVER_PORT$path"
}

# http_body PATH [CURL ARGS...]: the body only (for /metrics and the like).
http_body() {
    local path=$1; shift
    curl -s ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@" "http://127.0.0.1:$SERVER_PORT$path"
}

# json_get JSON KEY: the first scalar value of "KEY" in JSON text (enough for
# flat checks; nested structures are checked with grep).
json_get() {
    printf '%s' "$1" | grep -o "\"$2\":[^,}]*" | head -n1 | sed -e "s/^\"$2\"://" -e 's/^"//' -e 's/"$//'
}

WSCLIENT=$BIN/bench/server_wsclient
# wsclient ARGS...: server_wsclient with the bearer token, as http() sends it.
# (In the background $! is then a subshell's pid: to kill a client later, run
# "$WSCLIENT" -H "Authorization: Bearer $TOKEN" ... & instead.)
wsclient() { "$WSCLIENT" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@"; }
SEED=$BIN/bench/server_seed
# build_server_tools: the WebSocket client and the database seeder, compiled
# directly from their few sources (not through libchronicle.a, so a module
# being edited elsewhere in the tree cannot stop the server's tests), with the
# sanitizers when SAN=1 as in `make asan`.
build_server_tools() {
    local flags="-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -I$ROOT/include"
    [ "${SAN:-}" = 1 ] && flags="$flags -fsanitize=address,undefined -fno-omit-frame-pointer"
    mkdir -p "$BIN/bench" || return 1
    if [ ! -x "$WSCLIENT" ] || [ "$ROOT/tests/bench/server_wsclient.c" -nt "$WSCLIENT" ]; then
        cc $flags -o "$WSCLIENT" "$ROOT/tests/bench/server_wsclient.c" || return 1
    fi
    if [ ! -x "$SEED" ] || [ "$ROOT/tests/bench/server_seed.c" -nt "$SEED" ] ||
       [ "$ROOT/common/schema.c" -nt "$SEED" ] || [ "$ROOT/common/tool_hist.c" -nt "$SEED" ] ||
       [ "$ROOT/common/search_text.c" -nt "$SEED" ]; then
        cc $flags -o "$SEED" "$ROOT/tests/bench/server_seed.c" "$ROOT/common/schema.c" \
            "$ROOT/common/clock.c" "$ROOT/common/tool_hist.c" "$ROOT/common/search_text.c" \
            "$ROOT/common/buf.c" "$ROOT/common/json_scan.c" -lsqlite3 || return 1
    fi
}

# ---- features of the machine ----------------------------------------------
# skip NAME REASON: this machine lacks what the check needs (a kernel
# feature, not a package: missing packages are failures).  tests/run.sh counts
# SKIP lines, and fails them under CHRONICLE_TEST_NO_SKIP=1 (CI).
skip() { echo "SKIP $1: $2"; echo "SKIP $1: $2" >&2; }

# Each probe tries the feature itself, with util-linux's unshare; on failure
# it prints why on stdout (for skip's REASON) and returns 1.
_probe() {
    local what=$1 out; shift
    if out=$("$@" 2>&1); then return 0; fi
    echo "$what: ${out:-exit status $?}" | head -n 1
    return 1
}
# A user namespace: what systemd's PrivateUsers= needs (a chroot refuses it).
have_userns() { _probe "no user namespace (unshare -U)" unshare -U true; }
# A mount namespace with private propagation: a chroot whose root is not a
# mount point refuses it ("cannot change root filesystem propagation").
have_mountns() { _probe "no private mount namespace (unshare -m)" unshare -m --propagation private true; }
# Root, and a systemd that can run a user manager.
have_systemd_user() {
    [ "$(id -u)" -eq 0 ] || { echo "not root: a private user manager needs a mount namespace"; return 1; }
    [ -x /lib/systemd/systemd ] || { echo "no /lib/systemd/systemd (Debian package systemd)"; return 1; }
}
