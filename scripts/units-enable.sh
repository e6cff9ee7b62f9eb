#!/usr/bin/env bash
# units-enable.sh - after `make install-units`: enable and start Chronicle's
# user units when a user systemd is reachable, else say what to do instead.
#
#   scripts/units-enable.sh DESTDIR    (non-empty DESTDIR: staging, do nothing)
set -u
if [ -n "${1:-}" ]; then
    echo "DESTDIR is set: units staged, not enabled."
    exit 0
fi
# Team mode: chronicle-ship.service only when the config file sets ship_to
# (docs/TEAM.md); otherwise it is installed but left disabled.
units="chronicle-collector.socket chronicle-server.service"
conf=${CHRONICLE_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/chronicle/config}
if [ -f "$conf" ] && grep -Eq '^[[:space:]]*ship_to[[:space:]]*=[[:space:]]*[^[:space:]#]' "$conf"; then
    units="$units chronicle-ship.service"
fi
state=$(systemctl --user is-system-running 2>/dev/null)
case "$state" in
running|degraded|starting)
    if systemctl --user daemon-reload &&
       systemctl --user enable --now $units; then
        echo "enabled and started: $units"
        echo "they start at login; to run them without a login session too:"
        echo "    loginctl enable-linger $(id -un)"
        exit 0
    fi
    echo "could not enable the units (see above)." >&2
    exit 1 ;;
esac
cat <<'MSG'
No user systemd is reachable here (no session bus / XDG_RUNTIME_DIR).  Either
  - in a login session:  systemctl --user daemon-reload
                          systemctl --user enable --now chronicle-collector.socket chronicle-server.service
  - or without systemd:  make run   (collector + server in the foreground), or run
                          chronicle-collector and chronicle-server directly.
MSG
exit 0
