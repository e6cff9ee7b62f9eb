#!/usr/bin/env bash
# test_fresh.sh (make test-fresh) - the newcomer's path on a fresh machine:
# a clean Debian 12 root (debootstrap --variant=minbase with git, make and
# ca-certificates, nothing else), entered in a private mount and pid
# namespace with pivot_root (tests/fresh/enter.sh), where a clone of this
# commit runs the README's `make run` on a real terminal (tmux).  Checked:
# only the build packages get installed, quietly, with no network service
# among them; the dashboard URL appears and serves the dashboard; one event
# sent with the root's chronicle-send comes back through the API;
# `chronicle status` finds the server; Ctrl-C ends make with status 0.
#
# Needs root and the package mirror the host's apt uses (FRESH_MIRROR
# overrides it).  The bootstrapped base is kept as $BUILD/fresh/base.tar for
# FRESH_BASE_DAYS days (default 7; 0 bootstraps anew); each run unpacks it
# into a new root and deletes that root afterwards.  Only the committed HEAD
# is tested: a clone has no uncommitted changes.
. "$(dirname "$0")/../integration/lib.sh"
WORK=$BIN/fresh
TM="tmux -S $CHRONICLE_HOME/tmux.sock"
R=$WORK/root
pane_pid=
finish() {
    $TM kill-server 2>/dev/null
    # The namespace dies with unshare (--kill-child), its mounts with it.
    [ -n "$pane_pid" ] && wait_for 20 sh -c "! kill -0 $pane_pid 2>/dev/null"
    [ -n "${KEEP_ROOT:-}" ] || rm -rf "$R"
    cleanup
}
trap finish EXIT

why=
if [ "$(id -u)" -ne 0 ]; then why="needs root (debootstrap, mount and pid namespaces)"
elif ! why=$(have_mountns); then :
elif ! unshare -p -f --mount-proc true 2>/dev/null; then why="no pid namespace (unshare -p)"
else why=; fi
[ -z "$why" ] || { skip fresh_machine "$why"; exit 0; }
for c in debootstrap tmux curl nsenter pivot_root git tar; do
    command -v "$c" >/dev/null || { fail fresh_tools "$c missing (scripts/deps.sh fresh)"; exit 1; }
done

# The host's Debian mirror for bookworm (deb822 .sources or sources.list).
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ && /(^|\n)Components:[^\n]*main/ {
                 for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); print u[2]; exit } }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && awk '$1 == "deb" && $3 == "bookworm" { print $2 }' "$f"
    done
}
MIRROR=${FRESH_MIRROR:-$(host_mirror | grep -v '[-]security' | head -n 1)}
[ -n "$MIRROR" ] || { fail fresh_mirror "no bookworm mirror in the host's apt sources; set FRESH_MIRROR"; exit 1; }

# --- the clean root -----------------------------------------------------------
mkdir -p "$WORK"
t0=$(date +%s)
if [ -f "$WORK/base.tar" ] && [ -n "$(find "$WORK/base.tar" -mtime -"${FRESH_BASE_DAYS:-7}" 2>/dev/null)" ]; then
    echo "NOTE fresh: reusing $WORK/base.tar (bootstrapped $(date -r "$WORK/base.tar" '+%F %T'))"
else
    rm -rf "$WORK/base"
    if debootstrap --variant=minbase --include=git,make,ca-certificates bookworm "$WORK/base" "$MIRROR" \
           >"$WORK/debootstrap.log" 2>&1 &&
       tar -C "$WORK/base" -cf "$WORK/base.tar.tmp" . && mv "$WORK/base.tar.tmp" "$WORK/base.tar"; then
        echo "NOTE fresh: debootstrap --variant=minbase bookworm from $MIRROR: $(( $(date +%s) - t0 )) s"
    else
        fail fresh_debootstrap "$(tail -n 5 "$WORK/debootstrap.log")"; exit 1
    fi
    rm -rf "$WORK/base"
fi
rm -rf "$R" && mkdir -p "$R" && tar -C "$R" -xf "$WORK/base.tar" || { fail fresh_unpack; exit 1; }
for p in git make ca-certificates; do
    grep -q "^Package: $p\$" "$R/var/lib/dpkg/status" || { fail fresh_base "no $p in the root"; exit 1; }
done
for p in gcc pkg-config sqlite3 curl sudo; do
    if grep -q "^Package: $p\$" "$R/var/lib/dpkg/status"; then fail fresh_base_is_minimal "$p is already there"; fi
done
# The clone's source: this commit's history as a bundle.
git -C "$ROOT" bundle create "$R/root/chronicle.bundle" HEAD >/dev/null 2>&1 || { fail fresh_bundle; exit 1; }
commit=$(git -C "$ROOT" rev-parse --short HEAD)
echo "NOTE fresh: testing commit $commit"

# --- make run, as the README says --------------------------------------------------
PORT=$(free_port)
$TM new-session -d -s fresh -x 200 -y 50 "sleep 3600" || { fail fresh_tmux; exit 1; }
$TM set-option -g remain-on-exit on
OUT=$CHRONICLE_HOME/make-run.out
$TM new-window -d -n run "while [ ! -e '$CHRONICLE_HOME/go' ]; do sleep 0.1; done;
    exec unshare --mount --pid --fork --kill-child --propagation private -- '$ROOT/tests/fresh/enter.sh' '$R' \
    bash -c 'cd /root && git -c advice.detachedHead=false clone -q chronicle.bundle chronicle && cd chronicle && CHRONICLE_PORT=$PORT make run'"
$TM pipe-pane -t run "cat >>'$OUT'"
pane_pid=$($TM display -p -t run '#{pane_pid}')
touch "$CHRONICLE_HOME/go"
t1=$(date +%s)
out() { tr -d '\r' <"$OUT" 2>/dev/null; }
# Dead.  tmux marks a pane dead when its process ends, but under load it
# has been seen to leave that process a zombie for a minute, its exit status
# not collected yet (pane_dead_status empty): the status is read apart.
dead() { [ "$($TM display -p -t run '#{pane_dead}')" = 1 ]; }
exit_status() { $TM display -p -t run 'status=#{pane_dead_status} signal=#{pane_dead_signal}'; }
url=
until url=$(out | sed -n 's/^ *dashboard: *//p' | head -n 1); [ -n "$url" ]; do
    dead && break
    [ $(( $(date +%s) - t1 )) -gt 1200 ] && break
    sleep 1
done
if [ -n "$url" ]; then
    pass fresh_make_run_url
    echo "NOTE fresh: make run printed the URL after $(( $(date +%s) - t1 )) s"
else
    fail fresh_make_run_url "$(out | tail -n 15)"; exit 1
fi
before=$(out | sed -n '/dashboard:/q;p' | grep -vc '^$')
echo "NOTE fresh: $before lines before the URL"
out | grep '^deps.sh:' | sed "s/^/NOTE fresh: /"
if [ "$before" -le 25 ]; then pass fresh_make_run_quiet; else fail fresh_make_run_quiet "$before lines before the URL"; fi
if out | grep -q '^deps.sh: installing .* to build and run Chronicle ([0-9]* packages'; then pass fresh_install_line_says_what_and_why
else fail fresh_install_line_says_what_and_why "$(out | grep deps.sh)"; fi

# Only what building and running need: no test or bench tool, no server.
extra=
for p in prometheus chromium clang valgrind wrk hyperfine nodejs sqlite3 curl systemd; do
    grep -q "^Package: $p\$" "$R/var/lib/dpkg/status" && extra="$extra $p"
done
expect_eq fresh_only_build_packages "${extra# }" ""
# Listening TCP ports (state 0A), from the kernel's tables.
listening() {
    local _sl addr _rem st _rest
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _sl addr _rem st _rest; do
        [ "$st" = 0A ] && echo $((16#${addr##*:}))
    done
}
if listening | grep -qx 9090; then fail fresh_no_prometheus_port "something listens on 9090"; else pass fresh_no_prometheus_port; fi

# --- the dashboard and one event through the API ---------------------------------
token=$(printf '%s' "$url" | sed -n 's/.*[?&]token=\([^&]*\).*/\1/p')
auth=()
[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
# -L and a cookie jar: the server may trade the URL's token for a cookie.
if curl -sfL -c "$CHRONICLE_HOME/cookies" -b "$CHRONICLE_HOME/cookies" "$url" | grep -qi '<title>'; then pass fresh_dashboard_served
else fail fresh_dashboard_served "$url: $(curl -s -o /dev/null -w '%{http_code}' "$url")"; fi
inside() { nsenter -t "$pane_pid" -m -- env -i HOME=/root PATH=/usr/bin:/bin "$@"; }
inside /root/chronicle/build/chronicle-send <"$R/root/chronicle/tests/fixtures/hooks/SessionStart.json"
sid=$(sed -n 's/.*"session_id": *"\([^"]*\)".*/\1/p' "$R/root/chronicle/tests/fixtures/hooks/SessionStart.json")
events() { curl -s "${auth[@]}" "http://127.0.0.1:$PORT/api/events?event_type=SessionStart"; }
has_event() { events | grep -q "\"session_id\":\"$sid\""; }
if [ -n "$sid" ] && wait_for 10 has_event; then
    pass fresh_event_through_api
else
    fail fresh_event_through_api "$(events | head -c 300)"
fi
# The same shell's settings as make run's: CHRONICLE_PORT.
st=$(inside CHRONICLE_PORT="$PORT" /root/chronicle/build/chronicle status 2>&1)
if grep -q "^server     up      http://127.0.0.1:$PORT/" <<<"$st" && grep -q "^collector  up" <<<"$st"; then
    pass fresh_status_finds_server; else fail fresh_status_finds_server "$st"; fi

# --- Ctrl-C -------------------------------------------------------------------------
# What still runs in make run's pid namespace, for a stop that hangs.
# The pane's process is unshare, outside the namespace: its child is the
# namespace's first process, and what runs beside it is what did not stop
# (with each one's state and what it waits in).
still_running() {
    local init p
    init=$(pgrep -P "$pane_pid" | head -n 1)
    [ -n "$init" ] || { echo "(no process left under the pane; the pane's own $pane_pid: state=$(awk '{print $3}' /proc/$pane_pid/stat 2>/dev/null || echo gone), tmux: $($TM display -p -t run 'dead=#{pane_dead} status=#{pane_dead_status}' 2>&1))"; return; }
    for p in $(pgrep --ns "$init" --nslist pid 2>/dev/null | head -n 12); do
        printf '%s %s state=%s wchan=%s; ' "$p" "$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-80)" \
            "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" "$(cat /proc/$p/wchan 2>/dev/null)"
    done
}
t2=$(date +%s)
$TM send-keys -t run C-c
# 60 s: a stop is quick (a second or two) on an idle machine; CI's shared
# one has taken over 30 s once after the ASan suite.  A slow stop is a NOTE
# with what was still running at 30 s; a stop that never comes fails.
if wait_for 30 dead || { slow=$(still_running); wait_for 30 dead; }; then
    [ -n "${slow:-}" ] && echo "NOTE fresh: slow stop; at 30 s still running: $slow"
    echo "NOTE fresh: Ctrl-C stopped make run in $(( $(date +%s) - t2 )) s"
    wait_for 5 sh -c "$TM display -p -t run '#{pane_dead_status}#{pane_dead_signal}' | grep -q ."
    st=$(exit_status)
    if [ "$st" = "status= signal=" ] && out | grep -q '^Chronicle stopped\.' && ! out | grep -q 'make: \*\*\*'; then
        # Not collected by tmux yet: run.sh says it stopped cleanly and make
        # reported no failure, which is what status 0 means here.
        echo "NOTE fresh: tmux has not collected the exit status; run.sh printed 'Chronicle stopped.'"
        st="status=0 signal="
    fi
    expect_eq fresh_ctrl_c_status "$st" "status=0 signal="
else
    fail fresh_ctrl_c_status "still running after 60 s: $(still_running) output: $(out | tail -n 5)"
fi
if out | grep -q 'Interrupt\|Error'; then fail fresh_ctrl_c_quiet "$(out | tail -n 6)"; else pass fresh_ctrl_c_quiet; fi
echo "NOTE fresh: $(( $(date +%s) - t0 )) s in all"
