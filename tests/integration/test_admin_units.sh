#!/usr/bin/env bash
# test_admin_units.sh - the systemd user units for real, in a private user
# manager: the socket is created 0600 by systemd, the first event activates
# the collector (Type=notify: active only after its READY=1), events sent
# while the collector restarts or is killed all arrive, the server answers
# /health, and the sandbox is in force (no_new_privs, seccomp, own mount
# namespace).  A failing hardening option would fail the unit's start.
#
# Needs root (a mount namespace where /run/systemd/system exists, which is
# what `systemd --user` checks), a private mount namespace and a user
# namespace (PrivateUsers=): each is probed, and where the machine lacks one
# (a chroot, a container) the test says SKIP with the reason.  A check that
# fails does not stop the others.
if [ -z "${CHRONICLE_IN_NS:-}" ]; then
    . "$(dirname "$0")/lib.sh"
    why=
    if [ "$(id -u)" -ne 0 ]; then why="needs root for a private mount namespace and user manager"
    elif ! why=$(have_mountns); then :
    elif ! why=$(have_userns); then why="$why; the units' PrivateUsers= needs it"
    elif ! why=$(have_systemd_user); then :
    else why=; fi
    if [ -n "$why" ]; then
        skip test_admin_units "$why"
        exit 0
    fi
    cleanup
    trap - EXIT
    exec unshare -m --propagation private env CHRONICLE_IN_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

MANAGER_PID=
T=
finish() {
    [ -n "$MANAGER_PID" ] && { systemctl --user exit >/dev/null 2>&1; sleep 0.5; kill -KILL "$MANAGER_PID" 2>/dev/null; }
    [ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
    CHRONICLE_HOME=$LIB_HOME cleanup
    [ -n "$T" ] && rm -rf "$T"
}
LIB_HOME=$CHRONICLE_HOME
trap finish EXIT
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system /run/user/0 && chmod 700 /run/user/0 ||
    { fail units_namespace "cannot prepare /run"; exit 1; }
# PrivateTmp hides /tmp (and /var/tmp) from the services, and a checkout may
# well live there (CI clones anywhere): the services' binaries and home go
# under this namespace's private /run instead.
T=/run/chronicle-units
UNIT_BIN=$T/bin
mkdir -p "$UNIT_BIN" && cp "$BIN/chronicle-collector" "$BIN/chronicle-server" "$UNIT_BIN/" ||
    { fail units_namespace "cannot copy the binaries"; exit 1; }
export XDG_RUNTIME_DIR=/run/user/0 HOME=$T/home
# The units set CHRONICLE_HOME themselves (the default under %h).
unset CHRONICLE_HOME DBUS_SESSION_BUS_ADDRESS
CH=$HOME/.claude/chronicle
DB=$CH/chronicle.db
UNITS=$HOME/.config/systemd/user
mkdir -p "$UNITS/chronicle-server.service.d"
"$ROOT/scripts/units-render.sh" "$UNIT_BIN" '%h/.claude/chronicle' "$UNITS" >/dev/null ||
    { fail units_render; exit 1; }
# Not 8510: other checkouts' tests may use it.
PORT=$(( 20000 + RANDOM % 20000 ))
printf '[Service]\nEnvironment=CHRONICLE_PORT=%s\n' "$PORT" >"$UNITS/chronicle-server.service.d/port.conf"
# An alert webhook on loopback: the sandboxed collector must reach it.
"$BIN/tools/http_sink" "$T/sink.port" "$T/sink.log" & SINK_PID=$!
wait_for 5 test -s "$T/sink.port" || { fail units_sink; exit 1; }
mkdir -p "$UNITS/chronicle-collector.service.d"
printf '[Service]\nEnvironment=CHRONICLE_WEBHOOK_URL=http://127.0.0.1:%s/alerts\nEnvironment=CHRONICLE_ALERT_TOOL_ERRORS=2\n' \
    "$(cat "$T/sink.port")" >"$UNITS/chronicle-collector.service.d/webhook.conf"

/lib/systemd/systemd --user >"$T/manager.log" 2>&1 &
MANAGER_PID=$!
if wait_for 10 sh -c 'systemctl --user is-system-running | grep -Eq "running|degraded"'; then
    pass units_manager_up
else
    # The features were there (probed above): a user manager that still
    # cannot start is this machine's (cgroups, a container's limits).
    skip test_admin_units "systemd --user did not start: $(grep -v '^$' "$T/manager.log" | tail -n 1)"
    exit 0
fi
sctl() { systemctl --user "$@"; }
active() { [ "$(sctl is-active "$1")" = active ]; }
status_of() { sctl status --no-pager -l "$1" 2>&1 | tail -15; }
sendev() { CHRONICLE_HOME=$CH "$SEND" "$@"; }
count() { sqlite3 -batch "$DB" 'SELECT count(*) FROM events' 2>/dev/null || echo 0; }
wait_count() { wait_for "$1" sh -c "[ \"\$(sqlite3 -batch '$DB' 'SELECT count(*) FROM events' 2>/dev/null)\" = $2 ]"; }
# main_pid UNIT: its MainPID, or nothing when it has none (0: "kill -KILL 0"
# would kill this test's whole process group, make included).
main_pid() {
    local pid
    pid=$(sctl show -p MainPID --value "$1")
    case "$pid" in ''|0|*[!0-9]*) return 1 ;; esac
    echo "$pid"
}
sent=0

# First event: socket activation; READY=1 makes the service active.
collector_activation() {
    sctl start chronicle-collector.socket
    expect_eq socket_mode "$(stat -c '%A' "$CH/collector.sock" 2>/dev/null)" "srw-------"
    expect_eq home_mode "$(stat -c '%a' "$CH" 2>/dev/null)" 700
    if active chronicle-collector.service; then fail collector_lazy "started before any event"; else pass collector_lazy; fi
    sendev <"$FIXTURES/SessionStart.json"; sent=1
    if wait_for 10 active chronicle-collector.service; then pass collector_activated
    else fail collector_activated "$(status_of chronicle-collector.service)"; fi
    wait_count 10 1
    expect_eq first_event_stored "$(count)" 1
    expect_eq collector_notify_type "$(sctl show -p Type --value chronicle-collector.service)" notify
}

collector_sandbox() {
    local pid
    pid=$(main_pid chronicle-collector.service) || { fail sandbox_collector_running "no MainPID"; return; }
    expect_eq sandbox_no_new_privs "$(awk '/^NoNewPrivs/ {print $2}' /proc/"$pid"/status)" 1
    expect_eq sandbox_seccomp "$(awk '/^Seccomp:/ {print $2}' /proc/"$pid"/status)" 2
    # Its own mount and user namespaces; the host's network, for alert
    # webhooks (docs/SECURITY.md, "Network egress").
    if [ "$(readlink /proc/"$pid"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] &&
       [ "$(readlink /proc/"$pid"/ns/user)" != "$(readlink /proc/self/ns/user)" ]; then
        pass sandbox_namespaces
    else
        fail sandbox_namespaces
    fi
    expect_eq sandbox_address_families \
        "$(sctl show -p RestrictAddressFamilies --value chronicle-collector.service)" \
        "AF_INET AF_INET6 AF_UNIX"
}

# The sandbox leaves the network to webhooks: two tool errors in one session
# fire an alert whose POST reaches the receiver on loopback.
collector_webhook() {
    local i
    for i in 1 2; do
        printf '{"session_id":"wh","hook_event_name":"PostToolUseFailure","tool_name":"Bash","cwd":"/w"}' | sendev
    done
    sent=$((sent + 2))
    if wait_for 10 grep -q '"rule":"failed"' "$T/sink.log"; then pass sandbox_webhook_delivered
    else fail sandbox_webhook_delivered "$(status_of chronicle-collector.service)"; fi
}

# Events keep coming while the collector restarts: the socket stays open,
# nothing is lost.
collector_restart() {
    ( for i in $(seq 1 60); do sendev <"$FIXTURES/PostToolUse.json"; sleep 0.01; done ) &
    local writer=$!
    sleep 0.1
    sctl restart chronicle-collector.service
    wait "$writer"
    sent=$((sent + 60))
    if wait_for 10 active chronicle-collector.service; then pass collector_restarted
    else fail collector_restarted "$(status_of chronicle-collector.service)"; fi
    # Spooled events (if a sender timed out during the restart) are drained.
    wait_count 15 "$sent"
    expect_eq events_across_restart "$(count)" "$sent"
}

# ... and after it is killed: systemd restarts it.
collector_killed() {
    local pid
    pid=$(main_pid chronicle-collector.service) || { fail collector_has_main_pid "no MainPID"; return; }
    kill -KILL "$pid"
    sendev <"$FIXTURES/Stop.json"; sent=$((sent + 1))
    if wait_for 15 sh -c "[ \"\$(systemctl --user show -p MainPID --value chronicle-collector.service)\" != $pid ] && [ \"\$(systemctl --user is-active chronicle-collector.service)\" = active ]"
    then pass collector_restart_on_failure; else fail collector_restart_on_failure "$(status_of chronicle-collector.service)"; fi
    wait_count 15 "$sent"
    expect_eq events_across_kill "$(count)" "$sent"
    expect_eq nothing_dropped "$(cat "$CH/dropped" 2>/dev/null | wc -l)" 0
}

# The server, sandboxed, reads the database and answers; chronicle status
# finds it on the port the unit's environment gives it.
server_unit() {
    sctl start chronicle-server.service
    if wait_for 10 curl -sf "http://127.0.0.1:$PORT/health"; then pass server_health
    else fail server_health "$(status_of chronicle-server.service)"; fi
    local out
    out=$(CHRONICLE_HOME=$CH CHRONICLE_PORT=$PORT "$BIN/chronicle" status 2>&1)
    if grep -q "^collector  up" <<<"$out" && grep -q "^server     up" <<<"$out"; then pass status_with_units
    else fail status_with_units "$out"; fi
}

# Stopping the socket removes the socket file: senders then spool at once.
units_stop() {
    sctl stop chronicle-collector.socket chronicle-collector.service chronicle-server.service
    if [ -e "$CH/collector.sock" ]; then fail socket_removed_on_stop; else pass socket_removed_on_stop; fi
}

collector_activation
collector_sandbox
collector_webhook
collector_restart
collector_killed
server_unit
units_stop
