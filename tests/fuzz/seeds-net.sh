#!/bin/bash
# Seeds for the packet-path fuzz target (tests/fuzz/fuzz_net.c), written in
# its input encoding: records of a kind byte, a 16-bit big-endian length
# (filled in here) and bytes. Kinds: 00 Ethernet frame; 01/02 IPv4/IPv6
# packet (+80 fix checksums, +40 fix lengths); 03 time (the length is the
# milliseconds); 04 TCP segment on a slot: [slot|04 options|08 no
# advance][flags][window/256][seq offset][data]; 05 server mode [mode][n]
# (0 echo, 1 never read, 2 refuse, 3 close after n*16 bytes, 4 abort,
# 5 half-close); 06 server writes the bytes; 07 server reads what it held;
# 08 DHCP starts; 09 SYN flood (the length is the count).
# Usage: tests/fuzz/seeds-net.sh DIR
set -eu
out=$1

# hex "text": the bytes of text as hex pairs.
hex() {
	printf "%b" "$1" | od -An -v -tx1 | tr -d "\n"
}

# rec KIND HEX...: one record, its length counted from the bytes.
rec() {
	local kind=$1 b n
	shift
	b=$(echo "$*" | tr -d ' \n')
	n=$(( ${#b} / 2 ))
	printf '%s %02x %02x %s ' "$kind" $((n >> 8)) $((n & 255)) "$b"
}

# time MS, flood COUNT: records whose length is their argument.
time_rec() { printf '03 %02x %02x ' $(($1 >> 8)) $(($1 & 255)); }
flood() { printf '09 %02x %02x ' $(($1 >> 8)) $(($1 & 255)); }

seed() {
	local name=$1 hex
	shift
	hex=$(echo "$*" | tr -d " \n\t")
	[ $(( ${#hex} % 2 )) = 0 ] || { echo "seeds-net.sh: $name: odd hex" >&2; exit 1; }
	hex=$(echo "$hex" | sed "s/\(..\)/\\\\x\1/g")
	printf "$hex" >"$out/$name"
}

ME4=0a00020f PEER4=0a000202
MAC=525400123456 PEERMAC=52550a000202
ME6=fe80000000000000505400fffe123456 PEER6=fe800000000000000000000000000002

# TCP on slot S: syn S, ack S, data S TEXT, fin S.
syn() { rec 04 "0$(($1 | 4))" 02 ff 00; }
ack() { rec 04 "0$1" 10 ff 00; }
data() { rec 04 "0$1" 18 ff 00 "$(hex "$2")"; }
fin() { rec 04 "0$1" 11 ff 00; }
GET='GET / HTTP/1.0\r\nHost: 10.0.2.15\r\n\r\n'

# Regression inputs for the Packet Too Big fix (tools/net-patches/nd6-ptb-clamp.patch): a
# Packet Too Big of 9000 and of 40 for the peer, then an echo of 3000 bytes. Without the
# patch, lwIP sent frames longer than the link's MTU and the target aborted.
big="$(rec c2 60000000 0000 1140 $PEER6 $ME6 9c40 0007 0000 0000 "$(hex "$(printf 'A%.0s' $(seq 3000))")")"
for mtu in 00002328 00000028; do
	seed "ptb-$((16#$mtu))" "$(rec c2 60000000 0000 3a40 $PEER6 $ME6 8000 0000 1234 0001) \
		$(rec c2 60000000 0000 3aff $PEER6 $ME6 0200 0000 $mtu \
			60000000 0008 1140 $ME6 $PEER6 0007 9c40 0008 0000) $big"
done

seed syn "$(syn 0)"
seed http4 "$(syn 0) $(ack 0) $(data 0 "$GET") $(time_rec 300) $(fin 0) $(time_rec 500) $(ack 0)"
seed http6 "$(syn 2) $(ack 2) $(data 2 "$GET") $(rec 06 "$(hex 'HTTP/1.0 200 OK')") $(fin 2) $(ack 2)"
# A peer that never reads (zero window) while the server writes, and a server that never reads.
seed stuck "$(rec 05 01 00) $(syn 1) $(ack 1) $(data 1 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') \
	$(rec 04 01 10 00 00) $(rec 06 "$(hex 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy')") \
	$(time_rec 5000) $(rec 07) $(time_rec 60000) $(time_rec 60000)"
seed modes "$(rec 05 03 01) $(syn 0) $(ack 0) $(data 0 'abcdefghijklmnopqrstuvwxyz') \
	$(rec 05 04 00) $(syn 1) $(ack 1) $(data 1 'abc') $(rec 05 02 00) $(syn 2) $(ack 2) \
	$(data 2 'refused') $(time_rec 1000) $(rec 05 05 00) $(syn 3) $(ack 3) $(fin 3)"
seed flood "$(flood 300) $(syn 0) $(ack 0) $(data 0 "$GET") $(time_rec 30000)"
# A flood, then a client once the flood's half-open connections went stale (1.5 s).
seed flood-stale "$(flood 300) $(time_rec 2000) $(flood 3) $(syn 1) $(ack 1) $(data 1 "$GET") $(time_rec 1000)"
seed arp "$(rec 00 ffffffffffff $PEERMAC 0806 0001 0800 0604 0001 $PEERMAC $PEER4 000000000000 $ME4)"
seed ping "$(rec c1 45000000 00010000 4001 0000 $PEER4 $ME4 0800 0000 1234 0001 "$(hex abcdefgh)")"
seed udp "$(rec c1 45000000 00020000 4011 0000 $PEER4 $ME4 9c40 0007 0000 0000 "$(hex hello)")"
# One UDP datagram to port 7 in two fragments (24 + 8 bytes, no UDP checksum).
seed frag "$(rec c1 45000000 00032000 4011 0000 $PEER4 $ME4 9c40 0007 0020 0000 \
	"$(hex 0123456789abcdef)") $(rec c1 45000000 00030003 4011 0000 $PEER4 $ME4 "$(hex 01234567)")"
# Regression input for tools/net-patches/ip4-reass-empty-fragment.patch (the fuzzer's find,
# byte for byte): the same datagram whose last fragment carries no data, then a record cut
# short; echoing the datagram while the peer's ARP entry was pending made lwIP assert (a
# kernel panic in mote).
seed reass-empty-fragment "$(rec c1 45000000 00032000 4011 0000 $PEER4 $ME4 9c40 0007 0020 0000 \
	"$(hex 0123456789abcdef)") $(rec c1 45000000 00030003 4011 0000 $PEER4 $ME4) 3031323334353637"
seed ns6 "$(rec c2 60000000 0000 3aff $PEER6 ff0200000000000000000001ff123456 \
	8700 0000 00000000 $ME6 0101 $PEERMAC)"
# A router advertisement with a prefix for autoconfiguration, then a ping to the new address.
seed ra6 "$(rec c2 60000000 0000 3aff $PEER6 ff020000000000000000000000000001 \
	8600 0000 4000 0708 00000000 00000000 0304 40c0 00278d00 00093a80 00000000 \
	20010db8000100000000000000000000 0101 $PEERMAC) \
	$(rec c2 60000000 0000 3a40 $PEER6 $ME6 8000 0000 1234 0001 "$(hex ping6)")"
# A SYN with MSS, window scale, SACK permitted and timestamps, as raw IPv4.
seed synopt "$(rec c1 45000000 00040000 4006 0000 $PEER4 $ME4 9c41 0050 00001000 00000000 \
	a002 ffff 0000 0000 020405b4 0402080a 00000001 00000000 01030307) $(time_rec 3000)"
seed dhcp "$(rec 08) $(time_rec 5000)"
# A Packet Too Big (1280) for the peer after a ping, then a UDP datagram whose echo must be fragmented.
seed ptb6 "$(rec c2 60000000 0000 3a40 $PEER6 $ME6 8000 0000 1234 0001 "$(hex ping6)") \
	$(rec c2 60000000 0000 3aff $PEER6 $ME6 0200 0000 00000500 \
		60000000 0008 1140 $ME6 $PEER6 0007 9c40 0008 0000) \
	$(rec c2 60000000 0000 1140 $PEER6 $ME6 9c40 0007 0000 0000 "$(hex "$(printf 'A%.0s' $(seq 1400))")")"
