#!/usr/bin/env bash
# test_admin_units_static.sh - scripts/check-units.sh inside `make test`:
# `systemd-analyze --user verify` silent on every unit, exposure reported
# and within the goal.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
exec scripts/check-units.sh "$BUILD"
