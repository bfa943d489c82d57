#!/bin/bash
# Seeds for the lib/bundle fuzz target: bundles `mote run --dry-run` writes
# (and keeps) for a few programs and options, plus a version 1 header.
# Usage: tests/fuzz/seeds-bundle.sh DIR
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
printf 'hello\n' >"$T/data.txt"
# A tiny static program keeps the seeds small (the fuzzer's speed depends on it).
printf '.globl _start\n_start: mov $60, %%eax\n xor %%edi, %%edi\n syscall\n' >"$T/tiny.S"
gcc -nostdlib -static -s -Wl,-N,--build-id=none -o "$T/tiny" "$T/tiny.S"
n=0
seed() {
	TMPDIR=$T "$BUILD/mote" run --dry-run --qemu /bin/true "$@" >/dev/null 2>"$T/err"
	for b in "$T"/mote-bundle.*; do
		[ -e "$b" ] || continue
		mv "$b" "$out/bundle-$n"
		n=$((n + 1))
	done
}
seed "$T/tiny"
seed "$T/tiny" -e A=1 -e B= --file "$T/data.txt:/etc/data" -- one "two words" ''
seed "$T/tiny" --file "$T/data.txt:/a/b/c" --file "$T/tiny:/bin/t" -- x
printf 'MOTEBNDL\x01\x00\x00\x00\x18\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00' >"$out/v1-empty"
[ $n -ge 3 ] || { echo "seeds-bundle: mote wrote $n bundles: $(cat "$T/err")" >&2; exit 1; }
