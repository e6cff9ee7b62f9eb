# pg_lib.sh - a throwaway PostgreSQL cluster for the team-mode tests and
# benchmarks: initdb + pg_ctl in a temporary directory, listening only on a
# Unix socket inside it (listen_addresses = ''), trust authentication for
# that socket.  Never touches a system cluster (Debian's postgresql service
# may or may not be running; nothing here uses it).  Source it after lib.sh
# (or on its own: it needs only bash).
#
#   pg_start || { pg_skip_or_fail NAME; exit 0; }   # sets PG_DIR PG_SOCK PG_URL PG_ADMIN
#   pg_sql "SELECT 1"            # psql as the cluster's superuser, unaligned, '|' separated
#   pg_stop_immediate; pg_restart # crash-stop (pg_ctl stop -m immediate) and start again
#   pg_stop                       # also run by pg_cleanup, which pg_start adds to the EXIT trap
#
# As root (PostgreSQL refuses to run as root) the server runs as a dedicated
# system user, chronicle-pgtest, created when missing.  The cluster directory
# is owned by it; the tests (root) reach the socket anyway.
PG_DIR=
PG_SOCK=
PG_URL=
PG_ADMIN=chronicle_admin
PG_PORT=${PG_PORT:-54329}
PG_USER=
PG_WHY=

# The newest PostgreSQL server binaries Debian installed, else PATH.
pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    d=$(dirname "$(command -v initdb 2>/dev/null)" 2>/dev/null)
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    return 1
}

# _pg_as CMD...: runs CMD as the cluster's owner.
_pg_as() {
    if [ -n "$PG_USER" ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

_pg_user() {
    [ "$(id -u)" -ne 0 ] && { PG_USER=; return 0; }
    PG_USER=chronicle-pgtest
    if ! getent passwd "$PG_USER" >/dev/null; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$PG_USER" 2>/dev/null || { PG_WHY="cannot create user $PG_USER"; return 1; }
    fi
}

# pg_start: a new cluster, started.  Returns 1 with PG_WHY set when
# PostgreSQL is not installed or cannot run here.
pg_start() {
    local bin
    bin=$(pg_bindir) || { PG_WHY="PostgreSQL server binaries not found (scripts/deps.sh installs postgresql)"; return 1; }
    PG_BIN=$bin
    _pg_user || return 1
    PG_DIR=$(mktemp -d /tmp/chrpg.XXXXXX) || { PG_WHY="mktemp failed"; return 1; }
    chmod 0700 "$PG_DIR"
    [ -n "$PG_USER" ] && chown "$PG_USER" "$PG_DIR"
    PG_SOCK=$PG_DIR
    if ! _pg_as "$bin/initdb" -D "$PG_DIR/data" -U "$PG_ADMIN" --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 &&
       ! _pg_as "$bin/initdb" -D "$PG_DIR/data" -U "$PG_ADMIN" --auth=trust -E UTF8 \
            --no-locale >"$PG_DIR/initdb.log" 2>&1; then
        PG_WHY="initdb failed: $(tail -n 3 "$PG_DIR/initdb.log" | tr '\n' ' ')"
        return 1
    fi
    # Small and quick: fsync stays on (the crash tests need real durability).
    cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
shared_buffers = 64MB
max_connections = 40
log_min_messages = warning
log_min_error_statement = panic
EOF
    PG_URL="postgresql:///postgres?host=$PG_SOCK&port=$PG_PORT&user=$PG_ADMIN"
    # Stop it on every path: with lib.sh's cleanup when that is loaded.
    if declare -F cleanup >/dev/null; then trap 'pg_cleanup; cleanup' EXIT; else trap pg_cleanup EXIT; fi
    pg_restart || { PG_WHY="pg_ctl start failed: $(tail -n 5 "$PG_DIR/server.log" 2>/dev/null | tr '\n' ' ')"; return 1; }
}

# pg_restart: starts the cluster (after pg_stop_immediate) and waits for it.
pg_restart() {
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null 2>&1
}

pg_stop_immediate() {
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
}

pg_stop() {
    [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
        _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    return 0
}

pg_cleanup() {
    pg_stop
    [ -n "$PG_DIR" ] && [ -z "${KEEP_HOME:-}" ] && rm -rf "$PG_DIR"
    return 0
}

# pg_sql SQL [psql args...]: as the superuser, on database postgres.
pg_sql() {
    local q=$1; shift
    psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_ADMIN" -d postgres "$@" -c "$q"
}

# pg_sql_as ROLE SQL: the same, logged in as ROLE (trust: no password).
pg_sql_as() {
    local role=$1 q=$2; shift 2
    psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U "$role" -d postgres "$@" -c "$q"
}

# pg_skip_or_fail NAME: says "SKIP NAME: why" when PostgreSQL cannot run here
# for an environmental reason; tests/run.sh counts it, and under
# CHRONICLE_TEST_NO_SKIP=1 (CI, where it must run) fails it.
pg_skip_or_fail() {
    if declare -F skip >/dev/null; then
        skip "$1" "$PG_WHY"
    else
        echo "SKIP $1: $PG_WHY"
    fi
}

# ---- chronicle-ship helpers (need lib.sh) ---------------------------------
SHIP=${BIN:-build}/chronicle-ship
SHIP_PID=

# ship_start [ARGS...]: chronicle-ship for $CHRONICLE_HOME in the background
# (SHIP_PID), logging to $CHRONICLE_HOME/ship.log.
ship_start() {
    "$SHIP" "$@" 2>>"$CHRONICLE_HOME/ship.log" &
    SHIP_PID=$!
    _bg_pids+=("$SHIP_PID")
}

ship_stop() {
    [ -n "$SHIP_PID" ] || return 0
    kill -TERM "$SHIP_PID" 2>/dev/null
    wait "$SHIP_PID"
    local rc=$?
    SHIP_PID=
    return $rc
}

ship_kill9() {
    [ -n "$SHIP_PID" ] || return 0
    kill -KILL "$SHIP_PID" 2>/dev/null
    wait "$SHIP_PID" 2>/dev/null
    SHIP_PID=
}

# wait_pg SECONDS SQL WANT: polls PostgreSQL until SQL yields WANT.
wait_pg() {
    local limit=$1 q=$2 want=$3
    local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    while [ "$(pg_sql "$q" 2>/dev/null)" != "$want" ]; do
        [ "$(date +%s%N)" -gt "$deadline" ] && return 1
        sleep 0.1
    done
}

# _same NAME LOCAL_SQL PG_SQL: PASS when both answer the same rows.
_same() {
    local a b
    a=$(sql "$2")
    b=$(pg_sql "$3")
    if [ "$a" = "$b" ]; then
        pass "$1"
    else
        fail "$1" "local and PostgreSQL differ: $(diff <(echo "$a") <(echo "$b") | head -n 6 | tr '\n' ' ')"
    fi
}

# _same_soon NAME LOCAL_SQL PG_SQL: as _same, for what ships a moment after
# the events (the session state columns, collector/ship/session_sync.h).
_same_soon() {
    local deadline=$(( $(date +%s%N) + 10000000000 ))
    while [ "$(sql "$2")" != "$(pg_sql "$3")" ] && [ "$(date +%s%N)" -lt "$deadline" ]; do
        sleep 0.1
    done
    _same "$@"
}

# compare_derived PREFIX [MACHINE_ID]: every table chronicle-ship fills holds
# in PostgreSQL (for this machine) what the collector's own rules put in the
# local database: events, sessions (and their state columns), tool calls,
# tool_stats, event counts.
# Event ids are compared through local_id; an event without a host gets the
# shipping machine's; a local ended_ns of 0 (what an
# update leaves for "not ended") is NULL in PostgreSQL.
compare_derived() {
    local p=$1 m=${2:-$(cat "$CHRONICLE_HOME/machine-id")}
    local w="machine_id = '$m'"
    _same "${p}_events" \
        "SELECT id, hex(event_uid), session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload_size, coalesce(host, '$(hostname)'), uid, pid, ppid, claude_pid, project_dir FROM events ORDER BY id" \
        "SELECT local_id, upper(encode(uuid_send(event_uid), 'hex')), session_id, event_type, ts_ns, stored_ns, tool_name, tool_use_id, agent_id, agent_type, prompt_id, cwd, duration_ms, flags, payload_size, host, uid, pid, ppid, claude_pid, project_dir FROM chronicle.events WHERE $w ORDER BY local_id"
    _same "${p}_sessions" \
        "SELECT session_id, first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode, transcript_path, end_reason, nullif(ended_ns, 0), last_event_type, (SELECT hex(event_uid) FROM events e WHERE e.id = s.last_event_id), state, claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count FROM sessions s ORDER BY 1" \
        "SELECT session_id, first_seen_ns, last_seen_ns, cwd, project, model, source, permission_mode, transcript_path, end_reason, ended_ns, last_event_type, (SELECT upper(encode(uuid_send(event_uid), 'hex')) FROM chronicle.events e WHERE e.id = s.last_event_id), state, claude_pid, event_count, tool_call_count, error_count, prompt_count, subagent_count FROM chronicle.sessions s WHERE $w ORDER BY 1"
    _same_soon "${p}_session_state" \
        "SELECT session_id, state, awaiting_reason, state_since_ns, state_detail, title, title_source FROM sessions WHERE session_id <> '' ORDER BY 1" \
        "SELECT session_id, state, awaiting_reason, state_since_ns, state_detail, title, title_source FROM chronicle.sessions WHERE $w ORDER BY 1"
    _same "${p}_tool_calls" \
        "SELECT tool_use_id, session_id, agent_id, tool_name, pre_event_id, post_event_id, started_ns, ended_ns, duration_ms, status FROM tool_calls ORDER BY 1" \
        "SELECT tool_use_id, session_id, agent_id, tool_name, (SELECT local_id FROM chronicle.events e WHERE e.id = t.pre_event_id), (SELECT local_id FROM chronicle.events e WHERE e.id = t.post_event_id), started_ns, ended_ns, duration_ms, status FROM chronicle.tool_calls t WHERE $w ORDER BY 1"
    _same "${p}_tool_stats" "SELECT bucket, tool_name, le, count, errors FROM tool_stats ORDER BY 1, 2, 3" \
        "SELECT bucket, tool_name, le, count, errors FROM chronicle.tool_stats WHERE $w ORDER BY 1, 2, 3"
    _same "${p}_event_counts" "SELECT bucket, event_type, count FROM event_counts ORDER BY 1, 2" \
        "SELECT bucket, event_type, count FROM chronicle.event_counts WHERE $w ORDER BY 1, 2"
    _same "${p}_event_counts_10m" "SELECT bucket, event_type, count FROM event_counts_10m ORDER BY 1, 2" \
        "SELECT bucket, event_type, count FROM chronicle.event_counts_10m WHERE $w ORDER BY 1, 2"
}
