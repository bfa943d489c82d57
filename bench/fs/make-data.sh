#!/bin/sh
# bench/fs/make-data.sh PROG OUT: the test tree of bench/fs and the Linux
# guest's two disks holding it, made once in the directory OUT
# (build/bench/fs when build/bench-fs runs it):
#
#   data/          `PROG --make data`: big (64 MiB) and files/D/NNNN (10,000
#                  files of 5 bytes, 1,000 per directory); deterministic
#   ext4.img       mkfs.ext4 -d data (e2fsprogs), 4 KiB blocks as on any
#                  real ext4 (mke2fs would pick 1 KiB for an image this small)
#   squashfs.img   mksquashfs data (squashfs-tools) with its defaults (gzip,
#                  128 KiB blocks): big's content is incompressible, so its
#                  blocks are stored as they are and reading them inflates
#                  nothing; the metadata is compressed, as squashfs's always is
#
# Done again when PROG is newer than the last run (its --make is what
# defines the content). Prints nothing; exit 0 on success, 1 on failure.
set -eu
fail() { echo "make-data: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: make-data.sh PROG OUT"
prog=$1 out=$2
[ -x "$prog" ] || fail "$prog missing (run make)"
[ -f "$out/stamp" ] && [ ! "$prog" -nt "$out/stamp" ] && exit 0

export PATH="$PATH:/usr/sbin:/sbin"
command -v mkfs.ext4 >/dev/null || fail "mkfs.ext4 missing (apt-get install e2fsprogs)"
command -v mksquashfs >/dev/null || fail "mksquashfs missing (apt-get install squashfs-tools)"
rm -rf "$out/data" "$out/ext4.img" "$out/squashfs.img" "$out/stamp"
mkdir -p "$out"
"$prog" --make "$out/data" >/dev/null || fail "$prog --make failed"

# 64 MiB of data and 10,000 one-block files: 160 MiB leaves ext4 room for its
# journal and metadata; -N gives every file an inode. A fixed UUID and hash
# seed make the image the same every time.
mkfs.ext4 -q -F -b 4096 -N 16384 -L benchfs -U 6d6f7465-6265-6e63-6866-730000000001 \
	-E root_owner=0:0,hash_seed=6d6f7465-6265-6e63-6866-730000000002 \
	-d "$out/data" "$out/ext4.img" 160M >/dev/null || fail "mkfs.ext4 failed"
mksquashfs "$out/data" "$out/squashfs.img" -noappend -all-root -quiet -no-progress \
	-mkfs-time 0 -all-time 0 >/dev/null || fail "mksquashfs failed"
touch "$out/stamp"
