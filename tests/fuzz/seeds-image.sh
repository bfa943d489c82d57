#!/bin/bash
# Seeds for the lib/image fuzz target: small images `mote build` writes of a
# tiny static program with files, a directory tree, symlinks, an environment
# and (once) LZ4 blocks. Usage: tests/fuzz/seeds-image.sh DIR
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# A tiny static program keeps the seeds small (the fuzzer's speed depends on it).
printf '.globl _start\n_start: mov $60, %%eax\n xor %%edi, %%edi\n syscall\n' >"$T/tiny.S"
gcc -nostdlib -static -s -Wl,-N,--build-id=none,--no-warn-rwx-segments -o "$T/tiny" "$T/tiny.S"
mkdir -p "$T/tree/sub/deeper"
printf 'hello\n' >"$T/tree/a.txt"
printf 'more\n' >"$T/tree/sub/b"
ln -s a.txt "$T/tree/link"
ln -s /srv/tree/sub "$T/tree/sub/deeper/up"
seq 1 3000 >"$T/tree/numbers"	# three blocks that compress
export SOURCE_DATE_EPOCH=1
"$BUILD/mote" build --quiet -o "$out/plain.img" "$T/tiny"
"$BUILD/mote" build --quiet -o "$out/tree.img" "$T/tiny" --dir "$T/tree:/srv/tree" -e A=1 \
	--cwd /srv -- one "two words"
"$BUILD/mote" build --quiet --lz4 -o "$out/lz4.img" "$T/tiny" --file "$T/tree/numbers:/n" \
	--cmd '/app/tiny x'
