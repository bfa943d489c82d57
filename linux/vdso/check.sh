#!/bin/sh
# Checks a built vDSO before it is embedded in the kernel: the properties
# the kernel's mapping and libc's lookup rely on (docs/vdso.md). Prints
# what is wrong and exits 1, or exits 0 silently.
#   - a 64-bit x86-64 shared object (ET_DYN);
#   - one PT_LOAD, at file offset 0 and address 0, nothing zero-filled
#     (memory size = file size), readable and executable, not writable,
#     at most MAX_PAGES pages: the file is the memory image;
#   - PT_DYNAMIC with DT_HASH (musl needs it), DT_GNU_HASH, DT_SYMTAB,
#     DT_STRTAB, DT_VERSYM and DT_VERDEF;
#   - no relocations of any kind and no undefined symbols: nobody would
#     process them;
#   - every function libc looks up, defined, as FUNC, version LINUX_2.6.
# Usage: check.sh VDSO.so
set -u
so=$1
MAX_PAGES=2
fail() { echo "$so: $*" >&2; exit 1; }

hdr=$(readelf -h -W "$so") || fail "not an ELF file"
echo "$hdr" | grep -Eq 'Class:[[:space:]]+ELF64' || fail "not ELF64"
echo "$hdr" | grep -Eq 'Type:[[:space:]]+DYN' || fail "not a shared object (ET_DYN)"
echo "$hdr" | grep -Eq 'Machine:[[:space:]]+Advanced Micro Devices X86-64' || fail "not x86-64"

loads=$(readelf -l -W "$so" | awk '$1 == "LOAD"')
[ "$(echo "$loads" | grep -c .)" = 1 ] || fail "wants exactly one PT_LOAD"
set -- $loads
[ $(($2)) = 0 ] && [ $(($3)) = 0 ] || fail "PT_LOAD not at offset 0, address 0"
[ $(($5)) = $(($6)) ] || fail "PT_LOAD has zero-filled memory (bss)"
[ $(($6)) -le $((MAX_PAGES * 4096)) ] || fail "image of $(($6)) bytes exceeds $MAX_PAGES pages"
[ "$7 $8" = "R E" ] || fail "PT_LOAD flags are '$7 $8', want 'R E'"
readelf -l -W "$so" | grep -Eq '^[[:space:]]+DYNAMIC[[:space:]]' || fail "no PT_DYNAMIC"

dyn=$(readelf -d -W "$so")
for tag in HASH GNU_HASH SYMTAB STRTAB VERSYM VERDEF; do
	echo "$dyn" | grep -Eq "\($tag\)" || fail "no DT_$tag"
done
for tag in REL RELA RELR JMPREL TEXTREL NEEDED; do
	echo "$dyn" | grep -Eq "\($tag\)" && fail "has DT_$tag"
done
readelf -r -W "$so" | grep -q 'There are no relocations in this file' || fail "has relocations"

syms=$(readelf --dyn-syms -W "$so" | awk '$1 ~ /^[0-9]+:$/ && $1 != "0:"')
echo "$syms" | awk '$7 == "UND"' | grep -q . && fail "undefined symbols: $(echo "$syms" | awk '$7 == "UND" { print $8 }')"
for f in __vdso_clock_gettime __vdso_gettimeofday __vdso_time __vdso_clock_getres __vdso_getcpu; do
	echo "$syms" | awk -v want="$f@@LINUX_2.6" '$4 == "FUNC" && $5 == "GLOBAL" && $8 == want' |
		grep -q . || fail "no FUNC $f@@LINUX_2.6"
done
exit 0
