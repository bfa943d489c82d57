#!/bin/sh
# Turns `nm -n --defined-only kernel.elf` output (file or "-" for stdin)
# into an assembly file holding the kernel's text symbols, sorted by
# address: ksyms_count, ksyms_addrs[] (the low 32 bits of each address:
# the kernel's text, _text to _etext, lies in one 4 GiB-aligned window,
# checked here, so the high half is _text's and need not be stored 1,700
# times), ksyms_name_offsets[], ksyms_names. Only symbols in that text are
# kept: the boot stubs below it are never looked up. Given /dev/null it
# emits an empty table for the first link.
set -eu
input=${1:--}
awk 'BEGIN { n = 0 }

$3 == "_text" { text = 1; high = substr($1, 1, 8) }
text && $2 ~ /^[tT]$/ && $3 !~ /^\./ {
	if (length($1) != 16 || substr($1, 1, 8) != high) {
		print "ksyms: " $3 " at " $1 " is outside _text'"'"'s 4 GiB window" > "/dev/stderr"
		exit 1
	}
	# Link-time optimization renames file-local functions NAME.lto_priv.N;
	# backtraces show NAME, as they would without it.
	addr[n] = substr($1, 9); name[n] = $3; sub(/\.lto_priv\.[0-9]+$/, "", name[n]); n++
}
$3 == "_etext" { text = 0 }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addrs, ksyms_name_offsets, ksyms_names"
	print "ksyms_count:\n\t.quad " n + 0
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\t.long 0x" addr[i]
	print "ksyms_name_offsets:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}' "$input"
