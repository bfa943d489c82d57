#!/bin/bash
# Seeds for the path lookup fuzz target (tests/fuzz/fuzz_path.c), written by
# hand in its input encoding: an op byte (0 lookup, 1 open, 2 mkdir, 3 unlink,
# 4 rename, 5 symlink, 6 link, 7 readlink, 8 hold, 9 getpath, 10 fail an
# allocation), a context byte (bits 0-1: the starting directory slot, then
# flags), an open-flags byte for open, and paths: a header (0x40 | n: "/"
# then n tokens; n: n tokens; 0x80 | n: n raw bytes), tokens being indices
# into its component table (a=00 b=01 c=02 d=03 mnt=04 x=05 z=07 k=08 f=09
# h=0b rel=0c abs=0d dangling=0f self=10 l1=11 top=16 c0=19 c1=1a c40=1d
# far=1e near=1f .=20 ..=21 n=22 o=23 p=24 q=25) or specials (f0 "/",
# f1 one raw byte, f2 a 255-byte name, f3 a 256-byte one, f4 double the
# path, f5 slashes up to 4090 bytes). Usage: tests/fuzz/seeds-path.sh DIR
set -eu
out=$1
seed() {
	local name=$1 hex
	shift
	hex=$(echo "$*" | sed 's/\([0-9a-f][0-9a-f]\) */\\x\1/g')
	printf "$hex" >"$out/$name"
}
# 40 links resolve, 41 are -ELOOP, also when the chain is entered across mounts.
seed loops 00 00 42 08 1a  00 00 42 08 19  00 00 43 03 05 1e  00 00 43 03 05 1f \
	00 00 42 00 10  00 00 42 00 11  00 04 42 00 10  07 0c 42 08 1d  00 00 42 00 0c
# ".." across the two mounts from a held /d/mnt/z; getpath of it; rename across mounts.
seed mounts 08 00 44 03 04 07  00 01 03 21 21 21  09 0d  00 01 02 16 02 \
	04 00 44 03 04 07 0b 42 00 0b  00 01 02 21 21  04 00 42 03 05 42 00 22
# mkdir, a held directory moved then removed, link, unlink, O_CREAT|O_EXCL.
seed names 02 00 42 00 22  05 00 01 22 42 00 23  08 04 42 00 22 \
	04 00 42 00 22 43 00 01 24  09 0e  03 04 43 00 01 24  09 0e  00 02 01 20 \
	02 02 01 25  06 00 42 00 09 42 00 25  03 00 42 00 09  01 00 0d 42 00 09
# Lengths: 4091 and 4096 bytes, a 255- and a 256-byte name, a doubled path.
seed long 00 00 02 f5 00  00 00 07 f5 00 f0 f0 f0 f0 f0  00 00 06 f5 00 f0 f0 f0 f0 \
	00 00 42 00 f2  00 00 42 00 f3  02 00 42 00 f2  00 00 0c 00 f0 20 f0 f4 f4 f4 f4 f4 f4 f4 f4
# Raw bytes: a NUL inside, runs of slashes, dots, trailing slashes.
seed raw 00 00 86 2f 61 00 62 63 64  00 00 8e 2f 2f 61 2f 2f 62 2f 2e 2f 2e 2e 2f 62 2f \
	02 00 84 61 2f 6e 2f  03 04 84 61 2f 6e 2f
# open: O_CREAT with a trailing slash, through a dangling link, O_NOFOLLOW, O_PATH.
seed open 01 00 05 43 00 22 f0  01 00 05 42 00 0f  01 00 30 42 00 0c  01 00 23 42 00 10 \
	01 00 41 42 00 09  01 00 10 42 00 0d
# Allocation failures in the middle of symlink-heavy walks and creations.
seed nomem 0a 10  00 00 42 08 1a  0a 04  02 00 42 00 22  0a 08  05 00 01 22 42 00 23 \
	0a 0c  04 00 42 00 01 42 00 24
