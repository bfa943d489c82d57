#!/bin/bash
# bench/boot/make-python.sh MOTE OUT: the images of bench/boot's python row,
# made once in the directory OUT (build/bench/python when build/bench-boot
# runs it):
#
#   python3.img        mote build /usr/bin/python3 --dir /usr/lib/python3.X
#                      (the interpreter's own version): python3, its ld.so and
#                      shared libraries, the standard library, /etc basics
#   python3-lz4.img    the same with --lz4 (sizes only)
#   tree/              the same files as a host tree, from `mote inspect` of
#                      python3.img: each entry made at its path, regular files
#                      copied from the same host path (every file of the image
#                      is one, but the /etc files mote build generates: for
#                      those the host's own, a few hundred bytes), symlinks
#                      and mount points (/proc, /dev, /sys, /tmp) as listed:
#                      1,569 entries on both sides with Debian's python3.11
#   python3.sqfs       mksquashfs tree with its defaults (gzip, 128 KiB blocks)
#   python3-lz4.sqfs   the same with -comp lz4 (sizes only; skipped if this
#                      mksquashfs has no lz4)
#
# Done again when MOTE is newer than the last run. Exit 0 on success, 1 on
# failure (with a line on stderr).
set -eu
fail() { echo "make-python: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: make-python.sh MOTE OUT"
mote=$1 out=$2
[ -x "$mote" ] || fail "$mote missing (run make)"
[ -f "$out/stamp" ] && [ ! "$mote" -nt "$out/stamp" ] && exit 0

export PATH="$PATH:/usr/sbin:/sbin"
command -v mksquashfs >/dev/null || fail "mksquashfs missing (apt-get install squashfs-tools)"
[ -x /usr/bin/python3 ] || fail "/usr/bin/python3 missing (tools/install-deps.sh)"
ver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') ||
	fail "/usr/bin/python3 does not run"
lib=/usr/lib/python$ver
rm -rf "$out/tree" "$out"/*.img "$out"/*.sqfs "$out/stamp"
mkdir -p "$out"
for lz4 in "" --lz4; do
	"$mote" build -o "$out/python3${lz4:+-lz4}.img" /usr/bin/python3 --dir "$lib:$lib" \
		--quiet $lz4 || fail "mote build $lz4 failed"
done

# `mote inspect` lines: MODE UID GID SIZE DATE TIME PATH [-> TARGET] [  [lz4]],
# after a header that starts with no mode letter.
"$mote" inspect "$out/python3.img" > "$out/inspect.txt" || fail "mote inspect failed"
while read -r mode _ _ _ _ _ rest; do
	path=${rest%% -> *}
	dest=$out/tree$path
	case $mode in
	d*) mkdir -p "$dest" ;;
	l*) ln -s "${rest#* -> }" "$dest" ;;
	-*) cp -p "$path" "$dest" || fail "cannot copy $path" ;;
	esac
done < <(grep -E '^[-dl][-rwxsStT]{9} ' "$out/inspect.txt")
mkdir -p "$out/tree/proc" "$out/tree/dev"	# pyinit.c mounts on them; mote build makes them

mksquashfs "$out/tree" "$out/python3.sqfs" -noappend -all-root -quiet -no-progress \
	-mkfs-time 0 -all-time 0 >/dev/null || fail "mksquashfs failed"
if mksquashfs 2>&1 | grep -qw lz4; then
	mksquashfs "$out/tree" "$out/python3-lz4.sqfs" -comp lz4 -noappend -all-root -quiet \
		-no-progress -mkfs-time 0 -all-time 0 >/dev/null || fail "mksquashfs -comp lz4 failed"
fi
touch "$out/stamp"
