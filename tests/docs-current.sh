#!/bin/bash
# Checks that the generated docs match their sources (docs/syscalls.md from linux/syscalls.def).
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp docs/syscalls.md "$tmp/committed.md"
tools/gen-syscalls-doc.sh
if cmp -s docs/syscalls.md "$tmp/committed.md"; then
	echo "PASS docs: syscalls.md matches linux/syscalls.def"
else
	echo "FAIL docs: syscalls.md is stale: run make docs and commit it"
	cp "$tmp/committed.md" docs/syscalls.md
fi
