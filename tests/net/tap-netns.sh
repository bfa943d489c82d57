#!/bin/bash
# tests/net/tap-netns.sh: a tap interface for `mote run --net tap`, inside a network
# namespace so that nothing touches the host's own interfaces or routes. Needs root
# (or CAP_NET_ADMIN), `ip` (iproute2) and /dev/net/tun. docs/cli.md "Networking" shows
# the same commands.
#
# Usage: tap-netns.sh up        make namespace mote-net with tap mote0 = 192.168.77.1/24
#        tap-netns.sh run CMD...   run CMD inside the namespace (after up)
#        tap-netns.sh down      remove the namespace (the tap goes with it)
#        tap-netns.sh check     up, open the tap with QEMU briefly, down; PASS/FAIL
#        tap-netns.sh linux     up, nginx in the Linux guest on the tap (bench/linux/
#                               run-server.sh -T) fetched with curl from the namespace, down
# NETNS, TAP, HOST_IP and PREFIX override mote-net, mote0, 192.168.77.1 and 24. The guest
# then takes e.g. --net tap:mote0 --ip 192.168.77.2/24,gw=192.168.77.1.
set -u
ns=${NETNS:-mote-net} tap=${TAP:-mote0} host_ip=${HOST_IP:-192.168.77.1} prefix=${PREFIX:-24}
die() { echo "tap-netns: $*" >&2; exit 1; }

up() {
	command -v ip >/dev/null || die "ip missing (apt-get install iproute2)"
	[ -c /dev/net/tun ] || die "/dev/net/tun missing (modprobe tun)"
	ip netns add "$ns" || die "cannot add namespace $ns (root needed; does it exist already?)"
	ip netns exec "$ns" ip link set lo up &&
		ip netns exec "$ns" ip tuntap add dev "$tap" mode tap &&
		ip netns exec "$ns" ip addr add "$host_ip/$prefix" dev "$tap" &&
		ip netns exec "$ns" ip link set "$tap" up ||
		{ ip netns del "$ns"; die "cannot set up $tap in $ns"; }
}

down() {
	ip netns del "$ns" 2>/dev/null || die "no namespace $ns"
}

case ${1-} in
up) up; echo "tap-netns: $tap ($host_ip/$prefix) in namespace $ns" ;;
down) down ;;
run) shift; [ $# -gt 0 ] || die "run needs a command"; exec ip netns exec "$ns" "$@" ;;
check)
	# QEMU opens the tap (script=no: it is already configured) and is stopped after 3 s
	# of running a kernel that waits; an error opening it ends QEMU at once.
	up
	root=$(cd "$(dirname "$0")/../.." && pwd)
	out=$(ip netns exec "$ns" "$root/build/mote" run --net "tap:$tap" --timeout 3 \
		--kernel "${CHECK_KERNEL:-$root/build/kernel.elf}" --cmdline "${CHECK_CMDLINE:-}" 2>&1)
	rc=$?
	state=$(ip netns exec "$ns" ip -o link show "$tap")
	down
	case $out in
	*"could not configure /dev/net/tun"*|*"qemu exited with status"*)
		echo "FAIL tap-netns: QEMU could not open $tap: $(grep -m1 qemu <<<"$out")"; exit 1 ;;
	esac
	echo "PASS tap-netns: QEMU opened $tap in $ns (mote exit $rc); $(awk '{print $2, $3}' <<<"$state")" ;;
linux)
	up
	root=$(cd "$(dirname "$0")/../.." && pwd)
	guest=${host_ip%.*}.2
	log=$(mktemp "${TMPDIR:-/tmp}/tap-netns.XXXXXX")
	ip netns exec "$ns" "$root/bench/linux/run-server.sh" -t 300 -T "$tap" \
		-I "$guest/$prefix,$host_ip" nginx >"$log" 2>&1 &
	vm=$!
	code="" t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 90 ] && kill -0 $vm 2>/dev/null; do
		code=$(ip netns exec "$ns" curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$guest/")
		[ "$code" = 200 ] && break
		sleep 0.5
	done
	kill $vm 2>/dev/null; wait $vm 2>/dev/null
	down
	if [ "$code" = 200 ]; then
		echo "PASS tap-netns-linux: nginx in the Linux guest served http://$guest/ over $tap"
		rm -f "$log"
	else
		echo "FAIL tap-netns-linux: no page from http://$guest/ (curl said '$code'); log $log"
		exit 1
	fi ;;
*) echo "usage: tap-netns.sh up|down|check|linux|run CMD..." >&2; exit 2 ;;
esac
