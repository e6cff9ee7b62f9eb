#!/usr/bin/env bash
# Desktop notifications: with a desktop session (DISPLAY set) and notify-send
# on PATH, an alert runs it once with the summary (a stand-in notify-send
# records its arguments); without a desktop session it is never run.
source "$(dirname "$0")/lib.sh"
H=$CHRONICLE_HOME
mkdir -p "$H/bin"
cat >"$H/bin/notify-send" <<EOS
#!/bin/sh
printf '%s\n' "\$*" >>"$H/notified"
EOS
chmod +x "$H/bin/notify-send"
export CHRONICLE_ALERT_TOOL_ERRORS=2 CHRONICLE_DESKTOP_NOTIFY=1
fail2() { # two tool errors in session $1: a 'failed' alert
    for _ in 1 2; do
        printf '{"session_id":"%s","hook_event_name":"PostToolUseFailure","tool_name":"Bash","cwd":"/w/shop"}' "$1" | "$SEND"
    done
}
# No desktop session: nothing is run, no delivery is queued.
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
export PATH=$H/bin:$PATH
start_collector || { fail collector_starts; exit 1; }
fail2 nodesk
wait_sql 5 "SELECT count(*) FROM alerts" 1 || fail alert_fired
sleep 0.5
[ -e "$H/notified" ] && fail no_desktop_no_notify "$(cat "$H/notified")" || pass no_desktop_no_notify
expect_eq no_desktop_no_delivery "$(sql "SELECT count(*) FROM alert_deliveries")" 0
stop_collector
# With one: notify-send runs once for the alert, and once for its resolution.
export DISPLAY=:99
start_collector || { fail collector_restarts; exit 1; }
fail2 desk
wait_for 5 test -s "$H/notified" && pass desktop_notified || fail desktop_notified
sleep 0.5
expect_eq desktop_once "$(grep -c 'Chronicle: failed' "$H/notified")" 1
grep -q -- '--app-name=Chronicle -- Chronicle: failed .*2 tool errors in 60 s' "$H/notified" \
    && pass desktop_text || fail desktop_text "$(cat "$H/notified")"
expect_eq desktop_delivery_recorded "$(sql "SELECT target||' '||attempts||' '||(delivered_ns IS NOT NULL) FROM alert_deliveries WHERE kind='fired' AND alert_id=(SELECT id FROM alerts WHERE session_id='desk')")" "desktop 1 1"
stop_collector
