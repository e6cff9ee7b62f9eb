#!/usr/bin/env bash
# units-render.sh - writes systemd/*.socket and *.service with their
# placeholders filled, each file atomically, mode 0644:
#   @BINDIR@          the directory of the installed binaries
#   @CHRONICLE_HOME@  the data directory the daemons and the socket use
#
#   scripts/units-render.sh BINDIR HOME OUTDIR
#
# HOME is an absolute path or a systemd specifier path such as
# %h/.claude/chronicle (kept as is).  An absolute path under $HOME is written
# as %h/..., other '%' are doubled (systemd would expand them).  Paths with
# white space, quotes or backslashes are refused: unit files would need
# quoting that not every directive accepts.
set -u
[ $# -eq 3 ] || { echo "usage: scripts/units-render.sh BINDIR HOME OUTDIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bindir=$1 home=$2 out=$3
for v in "$bindir" "$home"; do
    case "$v" in
    *[[:space:]\"\'\\]*) echo "units-render.sh: '$v': white space, quotes and backslashes are not supported in unit paths" >&2; exit 1 ;;
    /*|%h/*) ;;
    *) echo "units-render.sh: '$v' is not an absolute path" >&2; exit 1 ;;
    esac
done
case "$home" in
%h/*) ;;
"${HOME:-/nonexistent}"/*) home="%h/$(printf '%s' "${home#"$HOME"/}" | sed 's/%/%%/g')" ;;
*) home=$(printf '%s' "$home" | sed 's/%/%%/g') ;;
esac
bindir=$(printf '%s' "$bindir" | sed 's/%/%%/g')
# sed replacement text: escape its own specials (& and the | delimiter).
sed_escape() { printf '%s' "$1" | sed 's/[&|]/\\&/g'; }
install -d "$out" || exit 1
for u in "$ROOT"/systemd/*.socket "$ROOT"/systemd/*.service; do
    dst=$out/$(basename "$u")
    sed -e "s|@BINDIR@|$(sed_escape "$bindir")|g" -e "s|@CHRONICLE_HOME@|$(sed_escape "$home")|g" \
        "$u" >"$dst.tmp" && chmod 0644 "$dst.tmp" && mv "$dst.tmp" "$dst" || { rm -f "$dst.tmp"; exit 1; }
    echo "installed $dst"
done
