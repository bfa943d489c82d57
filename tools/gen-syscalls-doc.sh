#!/bin/bash
# Writes docs/syscalls.md, the system-call support matrix, from the table
# linux/syscalls.def (the one source of truth: dispatch, --strace names
# and this page all come from it). `make docs` runs it; the test suite
# checks the committed page is current (tests/docs-current.sh).
set -eu
cd "$(dirname "$0")/.."
def=linux/syscalls.def
impl=$(grep -c '^SC(' "$def")
total=$(grep -cE '^(SC|NO)\(' "$def")
{
	echo "# System calls"
	echo
	echo "Generated from \`linux/syscalls.def\` by \`tools/gen-syscalls-doc.sh\`; do not edit."
	echo
	echo "mote implements $impl of the $total x86-64 Linux system calls. An unimplemented"
	echo "call returns -ENOSYS and logs one warning naming it (once per call); \`mote run"
	echo "--strace\` shows every call with its decoded arguments. How each behaves where it"
	echo "differs from Linux is in docs/linux.md."
	echo
	echo "| nr | name | status |"
	echo "|---:|------|--------|"
	sed -nE 's/^SC\(([0-9]+), ([a-z0-9_]+),.*/| \1 | \2 | implemented |/p; s/^NO\(([0-9]+), ([a-z0-9_]+)\).*/| \1 | \2 | -ENOSYS |/p' "$def"
} > docs/syscalls.md
