#!/bin/bash
# bench/memfloor: the smallest guest memory (-m) at which `mote run` boots
# the kernel and powers off cleanly (status 0), found by bisection at 64 KiB
# granularity between 1 MiB and 64 MiB, on each hypervisor. A boot that
# hangs (QEMU's own firmware needs some memory) counts as a failure after
# --timeout. Prints one row per hypervisor and a PASS/FAIL line against the
# target (2 MiB for the bare kernel).
# Usage: build/bench-memfloor [--hv LIST] [--cmdline TEXT] [--target KIB]
set -u
here=$(dirname "$(readlink -f "$0")")
BUILD=${BUILD:-$here}
mote=${MOTE:-$BUILD/mote}
hvs=microvm,q35
cmdline=""
target=2048
while [ $# -gt 0 ]; do
	case $1 in
	--hv) hvs=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--target) target=$2; shift 2 ;;
	-n) shift 2 ;;	# bench/run.sh passes run counts; bisection needs none
	*) echo "bench-memfloor: unknown option $1" >&2; exit 2 ;;
	esac
done

boots() {	# boots HV KIB: true when the kernel itself reports a clean power-off
	"$mote" run --hv "$1" -m "${2}K" --timeout 10 --cmdline "$cmdline" 2>&1 |
		grep -q '^mote: power off, status 0$'
}

status=0
printf '%-10s %14s %12s\n' hv "floor (KiB)" "target (KiB)"
for hv in ${hvs//,/ }; do
	lo=1024 hi=65536	# invariant: hi boots; lo is below the floor or untested
	if ! boots "$hv" $hi; then
		echo "$hv: does not boot even with $hi KiB" >&2
		status=1
		continue
	fi
	boots "$hv" $lo && hi=$lo
	while [ $((hi - lo)) -gt 64 ]; do
		mid=$(( (lo + hi) / 2 / 64 * 64 ))
		if boots "$hv" $mid; then hi=$mid; else lo=$mid; fi
	done
	printf '%-10s %14d %12d\n' "$hv" $hi $target
	if [ $hi -le $target ]; then
		echo "PASS memfloor-$hv: boots in $hi KiB (target $target KiB)"
	else
		echo "FAIL memfloor-$hv: needs $hi KiB (target $target KiB)"
		status=1
	fi
done
exit $status
