#!/usr/bin/env bash
# enter.sh - runs a command as root of a bootstrapped Debian tree the way a
# machine booted on it would see it: inside `unshare --mount --pid --fork
# --propagation private` (test_fresh.sh starts it so), the tree becomes the
# namespace's root by pivot_root, not chroot, so mount namespaces, /proc and
# the rest work inside as on a machine; fresh /proc, /sys (read-only), /dev
# (the usual nodes, a private devpts), /run and /dev/shm; the host's
# resolv.conf for the package mirror.  Everything mounted here vanishes with
# the namespace.
#
#   enter.sh ROOT COMMAND...     (as pid 1 of a new pid namespace)
set -eu
R=$1; shift
[ -d "$R/etc" ] || { echo "enter.sh: $R is not a root file system" >&2; exit 1; }
mount --bind "$R" "$R"             # pivot_root needs the new root to be a mount point
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o nosuid,mode=0755,size=1m dev "$R/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<<"$n"
    mknod -m 0666 "$R/dev/$name" c "$major" "$minor"
done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
for i in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${i%%:*}" "$R/dev/${i#*:}"; done
mount -t tmpfs -o nosuid,nodev shm "$R/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=0755 run "$R/run"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/.old-root"
cd "$R"
pivot_root . .old-root
cd /
umount -l /.old-root
rmdir /.old-root
exec env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM="${TERM:-xterm}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
