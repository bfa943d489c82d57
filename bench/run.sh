#!/bin/sh
# Run every benchmark. Each bench/NAME/ builds $(BUILD)/bench-NAME (see
# bench/build.mk), which prints a side-by-side table and one PASS or FAIL line
# per target, and exits 0 only if every target is met. Arguments are passed
# to every benchmark (bench/run.sh -n 5 for a quick look).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
status=0
for dir in bench/*/; do
	name=$(basename "$dir")
	prog=$BUILD/bench-$name
	echo "== bench/$name"
	if [ ! -x "$prog" ]; then
		echo "FAIL bench-$name: $prog missing (run make)"
		status=1
		continue
	fi
	"$prog" "$@" || status=1
done
exit $status
