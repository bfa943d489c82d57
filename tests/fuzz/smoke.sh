#!/bin/bash
# A short run of one fuzz target (the million-run ones are `make fuzz-elf`,
# `make fuzz-bundle`): 20,000 executions from its seed corpus, no crash,
# within 120 seconds (generous: a busy host runs it 20 times slower; a hang
# still fails). Usage: tests/fuzz/smoke.sh elf|bundle|deps|image|path|net
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
name=${1:?usage: smoke.sh elf|bundle|deps|image|path|net}
F=$BUILD/fuzz/fuzz-$name S=$BUILD/fuzz/seeds-$name
[ -x "$F" ] && [ -d "$S" ] || { echo "FAIL fuzz-$name smoke: $F or $S missing (make $F)"; exit 1; }
# The corpus directory holds nothing but the run's own finds: with the log
# in it too, libFuzzer read whatever of the log had been written as an input,
# and the run stopped being reproducible.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir "$T/corpus" "$T/artifacts"
start=$(date +%s)
timeout 120 "$F" -runs=20000 -seed=1 -print_final_stats=1 -artifact_prefix="$T/artifacts/" \
	"$T/corpus" "$S" >"$T/log" 2>&1
rc=$? secs=$(( $(date +%s) - start ))
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/log")
if [ $rc = 0 ] && [ "${runs:-0}" -ge 20000 ]; then
	echo "PASS fuzz-$name smoke: $runs executions in ${secs}s"
else
	echo "FAIL fuzz-$name smoke: status $rc after ${secs}s, ${runs:-0} executions"
	grep -E 'ERROR|SUMMARY|runtime error|assert|#[0-9]+ 0x' "$T/log" | head -12 | sed 's/^/    | /'
	# Keep what it found, to reproduce with: $F FILE
	kept=$BUILD/fuzz/failed-$name
	rm -rf "$kept" && mkdir -p "$kept" && cp "$T/log" "$T"/artifacts/* "$kept/" 2>/dev/null
	echo "    | log and crashing input kept in $kept"
	exit 1
fi
