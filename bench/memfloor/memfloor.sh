#!/bin/bash
# bench/memfloor: the smallest guest memory (-m) at which `mote run` boots
# the kernel and powers off cleanly (status 0), found by bisection at 64 KiB
# granularity between 1 MiB and 64 MiB, on each hypervisor. A boot that
# hangs (QEMU's own firmware needs some memory) counts as a failure after
# --timeout. Prints one row per hypervisor and a PASS/FAIL line against the
# target (2 MiB for the bare kernel). Then the same for `mote run` of the
# static hello world (bench/boot/hello.c), whose floor is the kernel plus
# the program's pages: it passes when the program prints "hello" and exits
# 0 (target 4 MiB).
# Usage: build/bench-memfloor [--hv LIST] [--cmdline TEXT] [--target KIB]
#                             [--hello-target KIB] [--hello PATH]
set -u
here=$(dirname "$(readlink -f "$0")")
BUILD=${BUILD:-$here}
mote=${MOTE:-$BUILD/mote}
hvs=microvm,q35
cmdline=""
target=2048
hello=$BUILD/bench/hello hello_target=4096
while [ $# -gt 0 ]; do
	case $1 in
	--hv) hvs=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--target) target=$2; shift 2 ;;
	--hello) hello=$2; shift 2 ;;
	--hello-target) hello_target=$2; shift 2 ;;
	-n) shift 2 ;;	# bench/run.sh passes run counts; bisection needs none
	*) echo "bench-memfloor: unknown option $1" >&2; exit 2 ;;
	esac
done

kernel_boots() {	# HV KIB: true when the kernel itself reports a clean power-off
	"$mote" run --hv "$1" -m "${2}K" --timeout 10 --cmdline "$cmdline" 2>&1 |
		grep -q '^mote: power off, status 0$'
}

hello_runs() {	# HV KIB: true when the hello world prints its line and exits 0
	[ "$("$mote" run --hv "$1" -m "${2}K" --timeout 10 "$hello" 2>/dev/null)" = hello ]
}

status=0
printf '%-16s %14s %12s\n' what "floor (KiB)" "target (KiB)"
floor() {	# NAME PROBE TARGET: bisects each hypervisor's floor for PROBE
	local name=$1 probe=$2 want=$3 hv lo hi mid
	for hv in ${hvs//,/ }; do
		lo=1024 hi=65536	# invariant: hi works; lo is below the floor or untested
		if ! $probe "$hv" $hi; then
			echo "$name-$hv: does not work even with $hi KiB" >&2
			status=1
			continue
		fi
		$probe "$hv" $lo && hi=$lo
		while [ $((hi - lo)) -gt 64 ]; do
			mid=$(( (lo + hi) / 2 / 64 * 64 ))
			if $probe "$hv" $mid; then hi=$mid; else lo=$mid; fi
		done
		printf '%-16s %14d %12d\n' "$name-$hv" $hi $want
		if [ $hi -le $want ]; then
			echo "PASS memfloor-$name-$hv: works in $hi KiB (target $want KiB)"
		else
			echo "FAIL memfloor-$name-$hv: needs $hi KiB (target $want KiB)"
			status=1
		fi
	done
}

floor kernel kernel_boots $target
floor hello hello_runs $hello_target
exit $status
