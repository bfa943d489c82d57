#!/bin/bash
# bench/linux/test-guest.sh: self-check of the Linux-guest harness. Builds
# bench/linux/hello.c static with musl-gcc, boots it as /init of the Linux
# guest (run-guest.sh, which fetches the kernel on first use) with two
# arguments, and checks its greeting, its arguments and its exit status.
# Prints `PASS linux-guest-hello` or `FAIL linux-guest-hello: why`, plus the
# guest's boot time to /init (its CLOCK_BOOTTIME on entry) and the wall time
# of the whole run. Exit 0 on PASS, 1 on FAIL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=${BUILD:-$here/../../build}/linux
fail() { echo "FAIL linux-guest-hello: $*"; exit 1; }
mkdir -p "$dir"
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$dir/hello" "$here/hello.c" ||
	fail "musl-gcc could not build hello.c (is musl-tools installed?)"
t0=$(date +%s%N)
out=$("$here/run-guest.sh" -t 120 "$dir/hello" one two)
status=$?
t1=$(date +%s%N)
[ $status -eq 0 ] || fail "run-guest.sh exited with status $status"
grep -qx 'hello from the linux guest: one two' <<<"$out" || fail "no greeting in: $out"
boot=$(sed -n 's/^guest: boottime_ms //p' <<<"$out")
echo "linux-guest: $(cat "$dir/version"), boot to /init ${boot:-?} ms, wall $(((t1 - t0) / 1000000)) ms"
echo "PASS linux-guest-hello"
