#!/bin/bash
# bench/net: nginx and redis served by mote against the same servers in a Linux guest
# (Debian's kernel), on the same QEMU with the same networking: microvm, the same -smp
# and -m, a virtio-net NIC (`mote run IMAGE` for mote, bench/linux/run-server.sh for
# Linux; both from tests/net/servers.sh) on one of two networks:
#   tap   (the default when root with /dev/net/tun and ip): a tap device in a network
#         namespace of the run's own (tests/net/tap-netns.sh), host 192.168.78.1, guest
#         192.168.78.2; the clients run in the namespace and reach the guest directly.
#   user  QEMU user networking with a host port forwarded to the guest's. Its listener
#         has a backlog of 1: a burst of connects loses handshakes, the clients retry
#         together with growing back-off, about two get through per round, and
#         redis-benchmark's 16 connects took over a minute on some runs (on both sides).
# For each run and side: boot the server, wait until it answers (an HTTP 200, a
# redis PONG; not merely an accepted connection, which slirp gives at once), load it,
# stop it. The sides alternate (mote first on odd runs, Linux first on even ones) so
# host drift hits both alike.
#   nginx: wrk -t1 -c16 -dDURs --latency http://HOST:PORT/   (the 612-byte page)
#   redis: redis-benchmark -h HOST -p PORT -t get,set -n N -c CLIENTS --csv  (CLIENTS 16)
# Prints the medians of requests/s, p50 and p99 latency (ms) per side, the ratio
# mote/linux, and one PASS/FAIL line per server against the target: mote reaches
# 1.3x Linux's requests/s. Then nginx's memory floor on each side: the smallest -m
# (bisection, 1 MiB steps) at which the page is served.
# A side whose server never answers is reported ("mote: server did not answer within
# 60 s"), is not tried again, and the other side's column is still printed.
#
# Usage: build/bench-net [-n RUNS] [-d SECONDS] [-r REQUESTS] [-c CLIENTS] [-m MEM] [--smp N]
#                        [--only nginx|redis] [--sides mote,linux] [--net tap|user]
#                        [--no-memfloor]
# Exit 0 only if every target is met.
set -u
here=$(dirname "$(readlink -f "$0")")
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
export BUILD
mote=${MOTE:-$BUILD/mote}
runs=3 dur=10 reqs=20000 clients=16 mem=256M smp=1 only="nginx redis" sides="mote linux" memfloor=1
answer_s=60 target=1.3 net=""
usage="usage: bench-net [-n RUNS] [-d SECONDS] [-r REQUESTS] [-c CLIENTS] [-m MEM] [--smp N] [--only nginx|redis] [--sides mote,linux] [--net tap|user] [--no-memfloor]"
while [ $# -gt 0 ]; do
	case $1 in
	-n) runs=$2; shift 2 ;;
	-d) dur=$2; shift 2 ;;
	-r) reqs=$2; shift 2 ;;
	-c) clients=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--only) only=${2//,/ }; shift 2 ;;
	--sides) sides=${2//,/ }; shift 2 ;;
	--net) net=$2; shift 2 ;;
	--no-memfloor) memfloor=""; shift ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-net: -n wants a positive number" >&2; exit 2; }
for tool in wrk redis-benchmark redis-cli curl python3; do
	command -v $tool >/dev/null || { echo "FAIL bench-net: $tool missing (make deps)"; exit 1; }
done
. "$root/tests/net/servers.sh"

# The network: tap in a namespace of our own when we can make one, else user.
tap_ok() { [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; }
if [ -z "$net" ]; then
	net=user
	tap_ok && net=tap
fi
# A namespace per run, so that runs side by side keep apart (the tap lives inside it).
export NETNS=mote-bench-$$ TAP=mbench0 HOST_IP=192.168.78.1 PREFIX=24
guest_ip=192.168.78.2
inns=()		# the prefix that runs a client where it reaches the guest
case $net in
tap)
	tap_ok || { echo "bench-net: --net tap needs root, /dev/net/tun and ip" >&2; exit 2; }
	"$root/tests/net/tap-netns.sh" up >/dev/null || exit 1
	inns=(ip netns exec "$NETNS") ;;
user) ;;
*) echo "$usage" >&2; exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-net.XXXXXX")
vm_pid=""
cleanup() { stop_vm; rm -rf "$tmp"; [ "$net" = tap ] && ip netns del "$NETNS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_vm SIDE NAME PORT MEM: boots the server in the background (its console in
# $tmp/console); sets host and port, where the clients reach it.
start_vm() {
	local side=$1 name=$2 m=$4
	server_def "$name"
	if [ "$net" = tap ]; then
		host=$guest_ip port=$srv_port
		# Each guest has a MAC of its own: forget the last one's.
		"${inns[@]}" ip neigh flush dev "$TAP"
	else
		host=127.0.0.1 port=$3
	fi
	if [ "$side" = mote ]; then
		local netargs=(-p "$port:$srv_port")
		[ "$net" = tap ] && netargs=(--net "tap:$TAP" --ip "$guest_ip/$PREFIX,gw=$HOST_IP")
		"${inns[@]}" "$mote" run "$BUILD/net/$name.img" "${netargs[@]}" -m "$m" --smp "$smp" \
			--timeout 3600 >"$tmp/console" 2>&1 </dev/null &
	else
		local netargs=(-p "$port")
		[ "$net" = tap ] && netargs=(-T "$TAP" -I "$guest_ip/$PREFIX,$HOST_IP")
		"${inns[@]}" "$root/bench/linux/run-server.sh" -m "$m" -s "$smp" -t 3600 "${netargs[@]}" \
			"$name" >"$tmp/console" 2>&1 </dev/null &
	fi
	vm_pid=$!
}

stop_vm() {
	[ -n "$vm_pid" ] || return 0
	kill "$vm_pid" 2>/dev/null
	wait "$vm_pid" 2>/dev/null
	vm_pid=""
}

answers() {	# PROBE
	case $1 in
	http) [ "$("${inns[@]}" curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$host:$port/")" = 200 ] ;;
	redis) [ "$("${inns[@]}" redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = PONG ] ;;
	esac
}

# wait_answer PROBE LIMIT_S: 0 once the server answers; 1 if it does not in time
# or its VM ends first.
wait_answer() {
	local t0=$SECONDS
	while [ $((SECONDS - t0)) -lt "$2" ]; do
		answers "$1" && return 0
		kill -0 "$vm_pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

to_ms() {	# wrk's "2.35ms", "812.00us", "1.02s" in ms
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'
}

# load SIDE NAME: appends "METRIC VALUE" lines to $tmp/SIDE.NAME.METRIC.
record() { echo "$4" >> "$tmp/$1.$2.$3"; }
load() {
	local side=$1 name=$2 out
	case $name in
	nginx)
		out=$(timeout $((dur + 60)) "${inns[@]}" wrk -t1 -c16 -d"${dur}s" --latency "http://$host:$port/" 2>&1)
		local rps p50 p99
		rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
		p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
		p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
		if [ -z "$rps" ] || [ -z "$p99" ]; then
			echo "bench-net: $side nginx: cannot read wrk's output: $out" >&2
			return 1
		fi
		if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
			echo "bench-net: $side nginx: wrk saw errors: $(grep 'Non-2xx\|Socket errors' <<<"$out")" >&2
		fi
		record "$side" nginx rps "$rps"
		record "$side" nginx p50 "$(to_ms "$p50")"
		record "$side" nginx p99 "$(to_ms "$p99")" ;;
	redis)
		out=$(timeout 120 "${inns[@]}" redis-benchmark -h "$host" -p "$port" -t get,set -n "$reqs" -c "$clients" --csv 2>&1)
		[ $? = 124 ] && out="redis-benchmark did not finish within 120 s (connections stalled)"
		local test
		for test in SET GET; do
			local row
			row=$(grep "^\"$test\"," <<<"$out" | tr -d '"')
			if [ -z "$row" ]; then
				echo "bench-net: $side redis: no $test row in: $out" >&2
				return 1
			fi
			local t=${test,,}
			record "$side" redis "$t-rps" "$(cut -d, -f2 <<<"$row")"
			record "$side" redis "$t-p50" "$(cut -d, -f5 <<<"$row")"
			record "$side" redis "$t-p99" "$(cut -d, -f7 <<<"$row")"
		done ;;
	esac
}

median() {	# FILE: the median of its numbers, or n/a
	[ -s "$1" ] || { echo n/a; return; }
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

declare -A dead	# dead[side.name]: its server never answered; not tried again
one_run() {	# SIDE NAME
	local side=$1 name=$2
	[ -z "${dead[$side.$name]-}" ] || return 0
	server_def "$name"
	start_vm "$side" "$name" "$(free_port)" "$mem"
	if ! wait_answer "$srv_probe" "$answer_s"; then
		if kill -0 "$vm_pid" 2>/dev/null; then
			echo "$side: server did not answer within $answer_s s ($name)"
		else
			echo "$side: server VM ended before answering ($name)"
		fi
		echo "bench-net: $side $name console tail:" >&2
		tr -d '\r' < "$tmp/console" | grep -av '^\[ *[0-9]*\.[0-9]*\]' | tail -n 8 >&2
		dead[$side.$name]=1
		stop_vm
		return 0
	fi
	load "$side" "$name" || echo "bench-net: $side $name run failed (not counted)" >&2
	stop_vm
}

for side in $sides; do
	if [ "$side" = mote ]; then
		for name in $only; do
			[ -f "$BUILD/net/$name.img" ] || "$root/tests/net/make-images.sh" "$name" >/dev/null ||
				{ echo "mote: cannot build $BUILD/net/$name.img"; dead[mote.$name]=1; }
		done
	fi
done

status=0
for name in $only; do
	for ((r = 1; r <= runs; r++)); do
		echo "bench-net: $name run $r of $runs" >&2
		order=$sides
		[ $((r % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$sides" | tac | tr '\n' ' ')
		for side in $order; do one_run "$side" "$name"; done
	done
done

echo
echo "network: $net"
printf '%-20s %12s %12s %10s\n' "median of $runs" mote linux mote/linux
row() {	# NAME METRIC LABEL
	local m l ratio=n/a
	m=$(median "$tmp/mote.$1.$2") l=$(median "$tmp/linux.$1.$2")
	[ "$m" != n/a ] && [ "$l" != n/a ] && ratio=$(awk -v a="$m" -v b="$l" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')
	printf '%-20s %12s %12s %10s\n' "$3" "$m" "$l" "$ratio"
}
verdict() {	# NAME METRIC
	local m l
	m=$(median "$tmp/mote.$1.$2") l=$(median "$tmp/linux.$1.$2")
	if [ "$m" = n/a ]; then
		echo "FAIL bench-net-$1: mote served nothing (target: reach ${target}x Linux's requests/s, Linux $l)"
		status=1
	elif [ "$l" = n/a ]; then
		echo "FAIL bench-net-$1: no Linux figure to compare with (mote $m requests/s)"
		status=1
	elif awk -v a="$m" -v b="$l" -v t="$target" 'BEGIN { exit !(a >= t * b) }'; then
		echo "PASS bench-net-$1: mote $m requests/s, $(awk -v a="$m" -v b="$l" 'BEGIN { printf "%.2f", a / b }')x Linux's $l (target: reach ${target}x)"
	else
		echo "FAIL bench-net-$1: mote $m requests/s, $(awk -v a="$m" -v b="$l" 'BEGIN { printf "%.2f", a / b }')x Linux's $l (target: reach ${target}x)"
		status=1
	fi
}
for name in $only; do
	case $name in
	nginx)
		row nginx rps "nginx requests/s"
		row nginx p50 "nginx p50 ms"
		row nginx p99 "nginx p99 ms" ;;
	redis)
		row redis set-rps "redis SET req/s"
		row redis set-p50 "redis SET p50 ms"
		row redis set-p99 "redis SET p99 ms"
		row redis get-rps "redis GET req/s"
		row redis get-p50 "redis GET p50 ms"
		row redis get-p99 "redis GET p99 ms" ;;
	esac
done
for name in $only; do
	case $name in nginx) verdict nginx rps ;; redis) verdict redis get-rps ;; esac
done

# nginx's memory floor: the page served at -m HI; bisect down to 1 MiB.
serves_at() {	# SIDE MIB
	local ok=1
	start_vm "$1" nginx "$(free_port)" "${2}M"
	wait_answer http "$answer_s" && ok=0
	stop_vm
	return $ok
}
if [ -n "$memfloor" ] && [[ " $only " == *" nginx "* ]]; then
	echo
	printf '%-20s %12s\n' "nginx memory floor" "-m (MiB)"
	for side in $sides; do
		lo=8 hi=256	# invariant: hi serves; lo does not, or is untested
		if [ -n "${dead[$side.nginx]-}" ] || ! serves_at "$side" $hi; then
			printf '%-20s %12s\n' "$side" "n/a"
			echo "$side: nginx not served even with -m ${hi}M" >&2
			continue
		fi
		serves_at "$side" $lo && hi=$lo
		while [ $((hi - lo)) -gt 1 ]; do
			mid=$(((lo + hi) / 2))
			if serves_at "$side" $mid; then hi=$mid; else lo=$mid; fi
		done
		printf '%-20s %12s\n' "$side" "$hi"
	done
fi
exit $status
