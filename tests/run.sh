#!/bin/bash
# Runs every test suite and totals them. A suite prints `PASS name` and
# `FAIL name: why` lines; a suite that exits nonzero without printing a
# FAIL line counts as one failure, so a crash is never lost. Ends with
# `N passed, N failed` and exits nonzero on any failure.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 failed=0

suite() {
	local name=$1 status
	shift
	echo "== $name"
	"$@" >"$log" 2>&1
	status=$?
	grep -E '^(PASS|FAIL) |^    \||^  ' "$log"
	# Kernel self-tests report as "ktest: PASS name"; count them too.
	local p f
	p=$(grep -cE '^(ktest: )?PASS ' "$log")
	f=$(grep -cE '^(ktest: )?FAIL ' "$log")
	if [[ $status != 0 && $f == 0 ]]; then
		echo "FAIL $name: exited with status $status"
		tail -20 "$log" | sed 's/^/    | /'
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in $(make -s --no-print-directory print-unit-tests); do
	suite "unit: ${t##*/}" "$t"
done
suite "kernel self-tests" "$BUILD/mote" run --kernel "$BUILD/kernel-test.elf" --timeout 60 --cmdline --selftest
suite "fuzz: lib/elf smoke" tests/fuzz/smoke.sh elf
suite "fuzz: lib/bundle smoke" tests/fuzz/smoke.sh bundle
suite "fuzz: deps smoke" tests/fuzz/smoke.sh deps
suite "fuzz: lib/image smoke" tests/fuzz/smoke.sh image
suite "fuzz: path lookup smoke" tests/fuzz/smoke.sh path
suite "fuzz: packet path (lwIP) smoke" tests/fuzz/smoke.sh net
suite "docs" tests/docs-current.sh
suite "cli" tests/cli/test-cli.sh
suite "firecracker fixture" tests/boot/fcfixture/test-fixture.sh
suite "boot" tests/boot/test-boot.sh
suite "debian programs" tests/debian/run.sh
# Real servers in mote, reached from the host through `mote run -p` (tests/net/).
suite "network servers" tests/net/servers-test.sh
# The same host-side clients against the echo server in the Linux guest (the
# reference, on Debian's kernel) and in mote: every check must pass on both.
suite "network protocol check" tests/net/protocol-check.sh --target linux --target mote
# The compatibility suite (the definition of done of running Linux programs):
# every case natively and under mote on microvm, outputs compared byte for
# byte; a cross-section on q35. `make compat-native` checks the cases'
# own determinism.
suite "compat: microvm" tests/compat/run.sh
# Four virtual CPUs on this two-core host, two VMs at once: threads, futexes, signals, pipes,
# epoll and TCP over loopback with the network thread running beside the program.
suite "compat: 4 CPUs" tests/compat/run.sh --smp 4 musl/pthread_ musl/futex musl/signal_thread \
	musl/pipe_threads glibc/epoll_sockets musl/inet_limits glibc/inet_tcp musl/eventfd go/goroutines
suite "compat: q35" tests/compat/run.sh --hv q35 musl/stdio_printf glibc/pthread_cond musl/signal_segv \
	glibc/epoll musl/file_io glibc/exit_segv go/goroutines

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
