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
# Network servers and load generators for tests/net and bench/net (in images and in the
# Linux guest); they must never start as services on this host (see policy-rc.d below).
packages="$packages nginx-light redis-server redis-tools wrk curl"
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
# policy-rc.d answering 101 ("action forbidden") stops maintainer scripts from starting the
# services (nginx, redis) they install; ours is removed however the install ends (one that
# was already there, as in Docker images, is left as it was).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
	trap 'exit 130' INT TERM
fi
apt-get install -y -qq --no-install-recommends $missing
