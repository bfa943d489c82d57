#!/bin/sh
# Installs the Debian packages mote needs to build, run and test, if missing.
# Run as root on Debian 12 (make deps / make run / make test call it).
set -eu
# e2fsprogs, squashfs-tools and kmod (depmod) make the Linux guest's disks for bench/fs.
packages="gcc make binutils qemu-system-x86 musl-tools gdb clang libclang-rt-14-dev golang-go
	e2fsprogs squashfs-tools kmod"
# Real Debian programs the tests run (tests/debian, tests/unit/test_deps.c): dynamic ones
# `mote build` collects libraries for, and a static one.
packages="$packages python3 sqlite3 lua5.4 busybox-static"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "mote: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "mote: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
