#!/usr/bin/env bash
# test_admin_units_static.sh - scripts/check-units.sh inside `make test`:
# `systemd-analyze --user verify` silent on every unit, exposure reported
# and within the goal; then the home that scripts/units-render.sh and
# `make install-units` write into the units.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
scripts/check-units.sh "$BUILD"
. tests/integration/lib.sh
T=$CHRONICLE_HOME

# unit_line DIR FILE KEY: the value of KEY= in a rendered unit.
unit_line() { sed -n "s|^$3=||p" "$1/$2"; }

HOME=/home/u scripts/units-render.sh /opt/b%in /home/u/data%x "$T/r1" >/dev/null
expect_eq render_home_under_home_is_specifier "$(unit_line "$T/r1" chronicle-collector.socket ListenStream)" "%h/data%%x/collector.sock"
expect_eq render_bindir_percent_escaped "$(unit_line "$T/r1" chronicle-server.service ExecStart)" "/opt/b%%in/chronicle-server"
HOME=/home/u scripts/units-render.sh /opt/bin /srv/chr "$T/r2" >/dev/null
expect_eq render_home_elsewhere_absolute "$(unit_line "$T/r2" chronicle-collector.service ReadWritePaths)" "/srv/chr"
expect_eq render_refuses_white_space "$(scripts/units-render.sh /opt/bin '/srv/a b' "$T/r3" >/dev/null 2>&1; echo $?; ls "$T/r3" 2>/dev/null)" 1

# make install-units, per user: the home chronicle resolves from the config
# file.  No user systemd is reachable here (no runtime dir, no bus), so
# nothing is enabled on the machine running the test.
mkdir -p "$T/home"
printf 'home = %s/data\n' "$T" >"$T/config"
out=$(env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS -u CHRONICLE_HOME HOME="$T/home" CHRONICLE_CONFIG="$T/config" \
      make --no-print-directory -s install-units BUILD="$BUILD" PREFIX="$T/home/.local" 2>&1)
units=$T/home/.config/systemd/user
expect_eq install_units_home_from_config "$(unit_line "$units" chronicle-collector.socket ListenStream 2>/dev/null)" "$T/data/collector.sock"
expect_eq install_units_env_home "$(unit_line "$units" chronicle-server.service Environment 2>/dev/null)" "CHRONICLE_HOME=$T/data"
if grep -q "No user systemd is reachable" <<<"$out"; then pass install_units_not_enabled_without_systemd
else fail install_units_not_enabled_without_systemd "$out"; fi
# CHRONICLE_HOME wins over the file, as for the daemons.
env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS HOME="$T/home" CHRONICLE_CONFIG="$T/config" CHRONICLE_HOME="$T/env" \
    make --no-print-directory -s install-units BUILD="$BUILD" PREFIX="$T/home/.local" >/dev/null 2>&1
expect_eq install_units_env_over_config "$(unit_line "$units" chronicle-collector.service ReadWritePaths 2>/dev/null)" "$T/env"
# Staged (DESTDIR): every user's default, not the installing user's.
env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS HOME="$T/home" CHRONICLE_CONFIG="$T/config" \
    make --no-print-directory -s install-units BUILD="$BUILD" PREFIX="$T/home/.local" DESTDIR="$T/stage" >/dev/null 2>&1
expect_eq install_units_staged_default_home "$(unit_line "$T/stage$units" chronicle-collector.socket ListenStream 2>/dev/null)" "%h/.claude/chronicle/collector.sock"
