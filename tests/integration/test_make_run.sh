#!/usr/bin/env bash
# test_make_run.sh - scripts/run.sh as `make run` runs it, on a real terminal
# (tmux): the URL only once GET /health answers, Ctrl-C typed into the
# terminal ends make quietly with status 0 and the terminal's settings back;
# a port in use ends it with the server's error, a non-zero status and the
# collector stopped; SIGTERM without a terminal exits 0; a daemon that dies
# takes the other down with it.
#
# make runs a one-rule Makefile calling scripts/run.sh, as the real `run`
# target does, so the test never rebuilds the binaries of this BUILD.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { fail make_run_tmux "tmux missing (scripts/deps.sh test installs it)"; exit 1; }
TM="tmux -S $CHRONICLE_HOME/tmux.sock"
MK=$CHRONICLE_HOME/run.mk
printf 'run:\n\t@BUILD=%s %s/scripts/run.sh\n' "$BIN" "$ROOT" >"$MK"
# Daemons a broken run.sh would leave behind: found by the home in their
# environment, which only this test's runs have.
leftovers() {
    local e
    for e in /proc/[0-9]*/environ; do
        { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -q "^CHRONICLE_HOME=$CHRONICLE_HOME/" &&
            { e=${e#/proc/}; echo "${e%/environ}"; }
    done
}
finish() {
    $TM kill-server 2>/dev/null
    for p in $(leftovers); do [ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null; done
    cleanup
}
trap finish EXIT

# pane_run NAME PORT: make run in a new tmux window NAME (its shell stays for
# `stty -a` afterwards); the pane's output goes to $CHRONICLE_HOME/NAME.out.
# make starts as from a user's shell, not as a sub-make of `make test`.
pane_run() {
    local home=$CHRONICLE_HOME/$1
    $TM new-window -d -n "$1" "cd '$ROOT' && CHRONICLE_HOME='$home' CHRONICLE_PORT=$2 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f '$MK' run; echo \"EXIT=\$?\"; stty -a; sleep 600"
    $TM pipe-pane -t "$1" "cat >>'$CHRONICLE_HOME/$1.out'"
}
out_of() { tr -d '\r' <"$CHRONICLE_HOME/$1.out" 2>/dev/null; }
has() { out_of "$1" | grep -q -- "$2"; }
wait_out() { wait_for "$1" has "$2" "$3"; }

# reap SECONDS PID: waits for PID (a child) at most SECONDS; its status, or
# 124 after killing it when it would not end.
reap() {
    if wait_for "$1" sh -c "! kill -0 $2 2>/dev/null"; then wait "$2"; return; fi
    kill -KILL "$2" 2>/dev/null
    wait "$2" 2>/dev/null
    return 124
}

$TM new-session -d -s t -x 200 -y 50 "sleep 600" || { fail make_run_tmux "tmux would not start"; exit 1; }

# --- normal run, then Ctrl-C ---------------------------------------------------
PORT=$(free_port)
pane_run ok "$PORT"
if wait_out 30 ok "dashboard:  http://127.0.0.1:$PORT/"; then pass make_run_prints_url
else fail make_run_prints_url "$(out_of ok | tail -5)"; fi
# The URL came after /health answered: it answers now, without retrying.
expect_eq make_run_health_before_url "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" 200
url=$(out_of ok | sed -n 's/^ *dashboard: *//p' | head -n1)
# -L and a cookie jar: a token in the URL may be traded for a cookie.
if curl -sfL -c "$CHRONICLE_HOME/jar" -b "$CHRONICLE_HOME/jar" "$url" | grep -qi '<html'; then pass make_run_dashboard_served; else fail make_run_dashboard_served "$url"; fi
expect_eq make_run_data_line "$(out_of ok | sed -n 's/^ *data: *//p' | head -n1)" "$CHRONICLE_HOME/ok"
CHRONICLE_HOME=$CHRONICLE_HOME/ok "$SEND" <"$FIXTURES/SessionStart.json"
wait_for 10 sh -c "[ \"\$(sqlite3 -batch '$CHRONICLE_HOME/ok/chronicle.db' 'SELECT count(*) FROM events' 2>/dev/null)\" = 1 ]" &&
    pass make_run_stores_event || fail make_run_stores_event
$TM send-keys -t ok C-c
if wait_out 30 ok "^EXIT="; then
    expect_eq make_run_ctrl_c_status "$(out_of ok | sed -n 's/^EXIT=//p')" 0
else
    fail make_run_ctrl_c_status "no exit after Ctrl-C: $(out_of ok | tail -5)"
fi
if has ok "Interrupt" || has ok "Error"; then fail make_run_ctrl_c_quiet "$(out_of ok | tail -8)"
else pass make_run_ctrl_c_quiet; fi
expect_eq make_run_last_line "$(out_of ok | sed -n '/^EXIT=/q;p' | grep -v '^$' | tail -n1)" "Chronicle stopped."
after=$(out_of ok | sed -n '/^EXIT=/,$p')
if grep -Eq '(^| )isig( |$)' <<<"$after" && grep -Eq '(^| )icanon( |$)' <<<"$after" && grep -Eq '(^| )echo( |$)' <<<"$after"; then
    pass make_run_terminal_restored; else fail make_run_terminal_restored "$after"; fi
if curl -s -o /dev/null "http://127.0.0.1:$PORT/health" || CHRONICLE_HOME=$CHRONICLE_HOME/ok "$SEND" --check >/dev/null 2>&1
then fail make_run_daemons_stopped; else pass make_run_daemons_stopped; fi

# --- the port is taken ---------------------------------------------------------
start_server || { fail make_run_busy_setup; exit 1; }
pane_run busy "$SERVER_PORT"
if wait_out 30 busy "^EXIT="; then
    rc=$(out_of busy | sed -n 's/^EXIT=//p')
    if [ "$rc" != 0 ]; then pass make_run_busy_port_fails; else fail make_run_busy_port_fails "exit 0"; fi
else
    fail make_run_busy_port_fails "still running: $(out_of busy | tail -5)"
fi
if has busy "run.sh: chronicle-server exited (status 1): .*Address already in use"; then pass make_run_busy_port_error_shown
else fail make_run_busy_port_error_shown "$(out_of busy | tail -8)"; fi
if has busy "dashboard:"; then fail make_run_busy_no_url; else pass make_run_busy_no_url; fi
if CHRONICLE_HOME=$CHRONICLE_HOME/busy "$SEND" --check >/dev/null 2>&1; then fail make_run_busy_collector_stopped
else pass make_run_busy_collector_stopped; fi
stop_server

# --- no terminal: SIGTERM ends it with 0 -----------------------------------------
PORT=$(free_port)
CHRONICLE_HOME=$CHRONICLE_HOME/term CHRONICLE_PORT=$PORT BUILD=$BIN "$ROOT/scripts/run.sh" \
    </dev/null >"$CHRONICLE_HOME/term.out" 2>&1 &
rpid=$!
_bg_pids+=("$rpid")
wait_for 30 grep -q "dashboard:" "$CHRONICLE_HOME/term.out" || fail make_run_no_tty_started "$(tail -5 "$CHRONICLE_HOME/term.out")"
kill -TERM "$rpid"
reap 20 "$rpid"
expect_eq make_run_no_tty_sigterm_status $? 0

# --- a daemon dies: the other is stopped, status 1 ---------------------------------
PORT=$(free_port)
CHRONICLE_HOME=$CHRONICLE_HOME/die CHRONICLE_PORT=$PORT BUILD=$BIN "$ROOT/scripts/run.sh" \
    </dev/null >"$CHRONICLE_HOME/die.out" 2>&1 &
rpid=$!
_bg_pids+=("$rpid")
wait_for 30 grep -q "dashboard:" "$CHRONICLE_HOME/die.out"
spid=$(ps -o pid= --ppid "$rpid" -o comm= | awk '$2 == "chronicle-serve" {print $1}')
if [ -n "$spid" ]; then
    kill -KILL "$spid"
    reap 20 "$rpid"
    expect_eq make_run_server_died_status $? 1
    if grep -q "run.sh: chronicle-server exited (status 137)" "$CHRONICLE_HOME/die.out"; then pass make_run_server_died_said
    else fail make_run_server_died_said "$(tail -5 "$CHRONICLE_HOME/die.out")"; fi
    if CHRONICLE_HOME=$CHRONICLE_HOME/die "$SEND" --check >/dev/null 2>&1; then fail make_run_server_died_collector_stopped
    else pass make_run_server_died_collector_stopped; fi
else
    fail make_run_server_died_status "no chronicle-server child of run.sh: $(ps -o pid=,comm= --ppid "$rpid")"
fi
