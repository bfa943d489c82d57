#!/bin/sh
# Turns `nm -n --defined-only kernel.elf` output (file or "-" for stdin)
# into an assembly file holding the kernel's text symbols, sorted by
# address: ksyms_count, ksyms_addrs[], ksyms_name_offsets[], ksyms_names.
# Given /dev/null it emits an empty table for the first link.
set -eu
input=${1:--}
awk 'BEGIN { n = 0 }

$2 ~ /^[tT]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addrs, ksyms_name_offsets, ksyms_names"
	print "ksyms_count:\n\t.quad " n + 0
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksyms_name_offsets:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}' "$input"
