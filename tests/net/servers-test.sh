#!/bin/bash
# tests/net/servers-test.sh: real Debian servers, unmodified, in mote, reached from the host
# through `mote run -p` (QEMU user networking), then stopped. Part of `make test`.
#   nginx     the 612-byte page over HTTP, byte for byte; 200 requests from 8 clients (wrk)
#   redis     redis-cli SET and GET; redis-benchmark SET/GET (2,000 requests, 16 clients)
#   pyhttp    python3 -m http.server: the same page
# (tests/net/echo-server.c is the protocol check's server: tests/net/protocol-check.sh.)
# Each server is stopped by ending `mote run` (SIGTERM): the run must end within 10 s.
# Prints PASS/FAIL lines. Usage: servers-test.sh [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
mote=$BUILD/mote
. "$here/servers.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/servers-test.XXXXXX")
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap 'stop; rm -rf "$tmp"' EXIT
fail() { echo "FAIL $name: $*"; tr -d '\r' <"$tmp/console" | tail -n 6 | sed 's/^/    | /'; }

# Starts image NAME with host port $port forwarded to guest port $2; waits until `probe` works.
start() {
	"$mote" run "$BUILD/net/$name.img" -p "$port:$1" ${2:+-p "$port:$1/udp"} --timeout 300 \
		>"$tmp/console" 2>&1 &
	pid=$!
	local t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 60 ]; do
		kill -0 "$pid" 2>/dev/null || { fail "the VM ended before the server answered"; pid=""; return 1; }
		probe && return 0
		sleep 0.3
	done
	fail "no answer within 60 s"
	return 1
}

# Ends the VM the way a user does (SIGTERM to mote run) and checks that it goes.
finish() {
	local t0=$SECONDS
	kill "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt 10 ]; do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		echo "FAIL $name-stop: mote run still running 10 s after SIGTERM"
	else
		echo "PASS $name-stop"
	fi
	wait "$pid" 2>/dev/null
	pid=""
}

http_probe() { curl -s -m 2 -o "$tmp/page" "http://127.0.0.1:$port/"; }
page_check() {
	if cmp -s "$tmp/page" "$here/index.html"; then
		echo "PASS $name-page"
	else
		fail "the page differs from tests/net/index.html ($(wc -c <"$tmp/page") bytes)"
	fi
}

test_http() {	# nginx or pyhttp
	probe() { http_probe; }
	start 80 || return
	page_check
	if [ "$name" = nginx ]; then
		wrk -t1 -c8 -d3s "http://127.0.0.1:$port/" >"$tmp/wrk" 2>&1
		local n errs
		n=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
		errs=$(grep -E 'Non-2xx|Socket errors' "$tmp/wrk")
		if [ "${n:-0}" -ge 200 ] && [ -z "$errs" ]; then
			echo "PASS $name-load: $n requests in 3 s from 8 clients"
		else
			fail "wrk: ${n:-0} requests ${errs:+($errs)}"
		fi
	fi
	finish
}

test_redis() {
	probe() { [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; }
	start 6379 || return
	if [ "$(redis-cli -p "$port" set mote 42)" = OK ] && [ "$(redis-cli -p "$port" get mote)" = 42 ]; then
		echo "PASS redis-set-get"
	else
		fail "SET/GET did not round-trip"
	fi
	if timeout 60 redis-benchmark -p "$port" -t set,get -n 2000 -c 16 --csv >"$tmp/bench" 2>&1 &&
		[ "$(grep -c '^"\(SET\|GET\)"' "$tmp/bench")" = 2 ]; then
		echo "PASS redis-benchmark: $(grep '^"\(SET\|GET\)"' "$tmp/bench" | cut -d, -f1,2 | tr -d '"' | tr '\n' ' ')"
	else
		fail "redis-benchmark did not finish 2,000 SET and GET within 60 s"
	fi
	finish
}

"$here/make-images.sh" ${*:-nginx redis pyhttp} >/dev/null ||
	{ echo "FAIL servers: cannot build the images"; exit 1; }
for name in ${*:-nginx redis pyhttp}; do
	port=$(free_port)
	case $name in
	nginx | pyhttp) test_http ;;
	redis) test_redis ;;
	*) echo "servers-test: unknown server $name" >&2; exit 2 ;;
	esac
done
