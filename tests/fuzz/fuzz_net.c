/*
 * libFuzzer target for the packet path: lwIP as the kernel builds it (the
 * same source files, net/port/lwipopts.h and net/port/arch/cc.h unchanged),
 * compiled for the host with tests/fuzz/net/sys_arch.c underneath.
 *
 * The world. One Ethernet interface like the one net/net.c makes for a
 * virtio-net device (MAC 52:54:00:12:34:56, 10.0.2.15/24 via 10.0.2.2,
 * fe80::5054:ff:fe12:3456 and 2001:db8::15), a TCP server on port 80 and a
 * UDP echo server on port 7. The peer is 10.0.2.2 / fe80::2. Frames enter
 * through the kernel's own frame copy (net/port/frame.c: a frame in up to
 * four fragments, copied into one pbuf chain, handed to netif->input);
 * frames the stack sends are checked, parsed for what the peer needs to
 * know (the TCP sequence numbers it is acknowledging) and dropped. ARP
 * requests and neighbour solicitations for peer addresses are answered, so
 * replies are not stuck behind address resolution.
 *
 * An input is a sequence of records: a kind byte, a 16-bit big-endian
 * length, then that many bytes (fewer at the end of the input). The kind's
 * low nibble says what the record is:
 *   0 an Ethernet frame, as is;
 *   1 an IPv4 packet, 2 an IPv6 packet: an Ethernet header from the peer
 *     is put in front; with bit 7 the IP header, TCP, UDP and ICMP
 *     checksums are fixed up, with bit 6 the IP (and UDP) lengths;
 *   3 time: the length is a number of milliseconds the clock moves on,
 *     running lwIP's timers on the way (no bytes follow);
 *   4 a TCP segment of connection slot 0-3 (0-1 over IPv4, 2-3 over IPv6)
 *     built by the harness with the right addresses, ports, numbers and
 *     checksums: bytes [slot and flags][TCP flags][window/256][seq
 *     offset][data...] (see tcp_record), so handshakes and data get through;
 *   5 how the server treats connections accepted from now on: [mode][n]
 *     (echo, never read, refuse, close after n*16 bytes, abort, half-close);
 *   6 the server writes the record's bytes to every connection it holds;
 *   7 the server reads: everything held back by "never read" is taken;
 *   8 DHCP starts on the interface (replies then reach its parser);
 *   9 a SYN flood: the length is a count of SYNs from distinct ports.
 * Bits 4-5 of the kind of 0, 1 and 2 choose how many fragments the frame
 * arrives in.
 *
 * Invariants (abort() when broken, so the fuzzer reports the input):
 *   - lwIP's own assertions (LWIP_PLATFORM_ASSERT aborts on the host);
 *   - every frame the stack sends is well formed: an Ethernet header with
 *     our source MAC, no longer than the MTU allows, an IPv4 or IPv6
 *     length that matches the frame and correct checksums (IP header,
 *     TCP, UDP, ICMP, ICMPv6);
 *   - a SYN flood cannot make the listener hold more half-open
 *     connections than its backlog (TCP_DEFAULT_LISTEN_BACKLOG), and
 *     cannot shut out the next client for long: a SYN is answered when
 *     the backlog has room or holds a half-open connection gone stale,
 *     and never replaces a young one (a real client mid-handshake);
 *   - after each input everything is torn down (every pcb aborted, ARP
 *     and neighbour caches and reassembly buffers emptied, DHCP stopped),
 *     so LeakSanitizer finds any pbuf or pcb the stack lost.
 * Build and run: make fuzz-net (tests/fuzz/build.mk).
 */
#include "net/host.h"
#include "frame.h"
#include <errno.h>
#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/ip4_frag.h>
#include <lwip/ip6_frag.h>
#include <lwip/nd6.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>
#include <netif/ethernet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HLEN 14
#define MAX_FRAME 0xffff		/* port_deliver's limit */
#define MAX_RECORDS 256
#define MAX_FLOOD 1024		/* SYNs per input */
#define MAX_TIME_MS 300000	/* clock time per input: TIME-WAIT (2 MSL) passes */
#define TIMER_STEP_MS 250	/* lwIP's fastest timer (tcp_tmr) */
#define NSLOTS 4
#define NREPLIES 8

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t our_ip4[4] = { 10, 0, 2, 15 };
static const uint8_t peer_ip4[4] = { 10, 0, 2, 2 };
static const uint8_t our_ll6[16] = { 0xfe, 0x80, [8] = 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 };
static const uint8_t peer_ll6[16] = { 0xfe, 0x80, [15] = 2 };

static struct netif eth;

/* ---- Checksums (RFC 1071) ---------------------------------------------------------- */

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The pseudo-header sum of an IPv4 (alen 4) or IPv6 (alen 16) upper-layer packet. */
static uint32_t sum_pseudo(const uint8_t *src, const uint8_t *dst, unsigned alen,
			   uint8_t proto, size_t len)
{
	uint32_t sum = sum_bytes(0, src, alen);

	sum = sum_bytes(sum, dst, alen);
	return sum + proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
}

/* Where proto keeps its checksum, or -1 for a protocol without one we know. */
static int csum_offset(uint8_t proto, size_t len)
{
	int off = proto == 6 ? 16 : proto == 17 ? 6 : proto == 1 || proto == 58 ? 2 : -1;

	return off >= 0 && (size_t)off + 2 <= len ? off : -1;
}

/* Fills in (or, with check, verifies) an upper-layer checksum; pseudo is 0 for ICMPv4. */
static bool transport_csum(uint8_t *p, size_t len, uint8_t proto, uint32_t pseudo, bool check)
{
	int off = csum_offset(proto, len);
	uint16_t c;

	if (off < 0)
		return true;
	if (check) {
		if (proto == 17 && get16(p + 6) == 0)
			return pseudo == 0;	/* no UDP checksum: IPv4 only */
		return sum_fold(sum_bytes(pseudo, p, len)) == 0;
	}
	put16(p + off, 0);
	c = sum_fold(sum_bytes(pseudo, p, len));
	put16(p + off, proto == 17 && c == 0 ? 0xffff : c);
	return true;
}

/* ---- Fixing up what the fuzzer wrote -------------------------------------------------- */

static void fixup_ip4(uint8_t *ip, size_t len, bool csums, bool lengths)
{
	size_t ihl, tot;
	uint8_t proto;
	bool whole;

	if (len < 20)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		return;
	proto = ip[9];
	whole = !(get16(ip + 6) & 0x3fff);	/* a fragment's UDP length and checksum cover the rest */
	if (lengths) {
		put16(ip + 2, (uint16_t)len);
		if (proto == 17 && whole && len >= ihl + 8)
			put16(ip + ihl + 4, (uint16_t)(len - ihl));
	}
	tot = get16(ip + 2);
	if (!csums)
		return;
	if (whole && tot >= ihl && tot <= len)
		transport_csum(ip + ihl, tot - ihl, proto,
			       proto == 1 ? 0 : sum_pseudo(ip + 12, ip + 16, 4, proto, tot - ihl),
			       false);
	put16(ip + 10, 0);
	put16(ip + 10, sum_fold(sum_bytes(0, ip, ihl)));
}

static void fixup_ip6(uint8_t *ip, size_t len, bool csums, bool lengths)
{
	size_t plen;

	if (len < 40)
		return;
	if (lengths)
		put16(ip + 4, (uint16_t)(len - 40));
	plen = get16(ip + 4);
	if (csums && plen <= len - 40)
		transport_csum(ip + 40, plen, ip[6], sum_pseudo(ip + 8, ip + 24, 16, ip[6], plen),
			       false);
}

/* ---- The server: TCP on port 80, UDP echo on port 7 ------------------------------------ */

enum app_mode { APP_ECHO, APP_NEVER_READ, APP_REFUSE, APP_CLOSE_AFTER, APP_ABORT, APP_HALF_CLOSE,
		APP_NMODES };

struct app {
	struct tcp_pcb *pcb;
	enum app_mode mode;
	uint32_t limit, got, held;	/* held: received, never tcp_recved */
	struct app *next;
};

static struct app *apps;
static enum app_mode next_mode;
static uint32_t next_limit;
static struct tcp_pcb *listener;
static struct udp_pcb *echo_pcb;

static void app_unlink(struct app *a)
{
	for (struct app **pp = &apps; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			return;
		}
}

/* Forgets a; its pcb is lwIP's to finish (closed) or already gone (aborted). */
static void app_drop(struct app *a)
{
	if (a->pcb) {
		tcp_arg(a->pcb, NULL);
		tcp_recv(a->pcb, NULL);
		tcp_err(a->pcb, NULL);
	}
	app_unlink(a);
	free(a);
}

/* Closes a's pcb (aborting it when lwIP cannot close now); ERR_ABRT if aborted. */
static err_t app_close(struct app *a)
{
	struct tcp_pcb *pcb = a->pcb;

	app_drop(a);
	if (tcp_close(pcb) == ERR_OK)
		return ERR_OK;
	tcp_abort(pcb);
	return ERR_ABRT;
}

static void app_write(struct app *a, const uint8_t *data, size_t len)
{
	size_t room = tcp_sndbuf(a->pcb);

	if (len > room)
		len = room;
	if (len > 0xffff)
		len = 0xffff;
	if (len && tcp_write(a->pcb, data, (u16_t)len, TCP_WRITE_FLAG_COPY) == ERR_OK)
		tcp_output(a->pcb);
}

static void app_echo(struct app *a, struct pbuf *p)
{
	for (struct pbuf *q = p; q; q = q->next)
		app_write(a, q->payload, q->len);
}

static err_t app_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct app *a = arg;

	(void)pcb;
	if (!p)
		return app_close(a);	/* the peer's FIN */
	if (err != ERR_OK || a->mode == APP_REFUSE)
		return ERR_MEM;		/* lwIP keeps p as refused data and offers it again */
	a->got += p->tot_len;
	switch (a->mode) {
	case APP_NEVER_READ:
		a->held += p->tot_len;
		pbuf_free(p);
		return ERR_OK;
	case APP_ABORT:
		pbuf_free(p);
		app_drop(a);
		tcp_abort(pcb);
		return ERR_ABRT;
	case APP_ECHO:
		app_echo(a, p);
		break;
	default:
		break;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if (a->mode == APP_CLOSE_AFTER && a->got >= a->limit)
		return app_close(a);
	return ERR_OK;
}

/* The pcb is gone (reset or aborted by lwIP): forget it. */
static void app_err(void *arg, err_t err)
{
	struct app *a = arg;

	(void)err;
	if (a) {
		a->pcb = NULL;
		app_drop(a);
	}
}

static err_t app_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct app *a;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		abort();
	*a = (struct app){ .pcb = pcb, .mode = next_mode, .limit = next_limit, .next = apps };
	apps = a;
	tcp_arg(pcb, a);
	tcp_recv(pcb, app_recv);
	tcp_err(pcb, app_err);
	if (a->mode == APP_HALF_CLOSE)
		tcp_shutdown(pcb, 0, 1);
	return ERR_OK;
}

static bool addr_is_ours(const ip_addr_t *addr)
{
	if (IP_IS_V4(addr))
		return ip4_addr_cmp(ip_2_ip4(addr), netif_ip4_addr(&eth)) ||
		       ip4_addr_isloopback(ip_2_ip4(addr));
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_cmp_zoneless(ip_2_ip6(addr), netif_ip6_addr(&eth, i)))
			return true;
	return ip6_addr_isloopback(ip_2_ip6(addr));
}

/* Echoes, except to itself (that would go round the loopback interface for ever). */
static void echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		      u16_t port)
{
	(void)arg;
	if (port != 7 && !addr_is_ours(addr))
		udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

static void servers_start(void)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);

	if (!pcb || tcp_bind(pcb, IP_ANY_TYPE, 80) != ERR_OK)
		abort();
	listener = tcp_listen(pcb);
	if (!listener)
		abort();
	tcp_accept(listener, app_accept);
	echo_pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!echo_pcb || udp_bind(echo_pcb, IP_ANY_TYPE, 7) != ERR_OK)
		abort();
	udp_recv(echo_pcb, echo_recv, NULL);
	next_mode = APP_ECHO;
	next_limit = 0;
}

/* ---- What the stack sends -------------------------------------------------------------- */

/*
 * A connection slot: the peer's next sequence number and what the stack has
 * sent so far (its next sequence number, from its own segments).
 */
struct slot {
	uint32_t peer_nxt, stack_nxt;
};

static struct slot slots[NSLOTS];
static uint16_t flood_port;
static unsigned flood_left;
static uint32_t time_left;

/* Address resolution the peer owes the stack: ARP (v4) or NA (v6) for target. */
struct reply {
	bool v6;
	uint8_t target[16];
};

static struct reply replies[NREPLIES];
static unsigned nreplies;
static uint8_t out_buf[MAX_FRAME];
static bool trace;		/* FUZZ_NET_TRACE set: one line per frame sent (for seeds) */

static int slot_of_port(uint16_t port)
{
	return port >= 40000 && port < 40000 + NSLOTS ? port - 40000 : -1;
}

static void want_reply(bool v6, const uint8_t *target)
{
	if (nreplies < NREPLIES) {
		replies[nreplies].v6 = v6;
		memcpy(replies[nreplies].target, target, v6 ? 16 : 4);
		nreplies++;
	}
}

/* A TCP segment from port 80 to a slot: remember how far the stack has sent. */
static void saw_tcp(const uint8_t *tcp, size_t len, bool v6)
{
	int s;
	size_t hlen;
	uint32_t end;

	if (len < 20 || get16(tcp) != 80)
		return;
	s = slot_of_port(get16(tcp + 2));
	if (s < 0 || (s >= 2) != v6)
		return;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || hlen > len)
		abort();
	end = get32(tcp + 4) + (uint32_t)(len - hlen) + !!(tcp[13] & 0x02) + !!(tcp[13] & 0x01);
	if (tcp[13] & 0x02 || (int32_t)(end - slots[s].stack_nxt) > 0)
		slots[s].stack_nxt = end;
}

static void check_ip4_out(uint8_t *ip, size_t len)
{
	size_t ihl, tot;

	if (len < 20 || ip[0] >> 4 != 4)
		abort();
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if (ihl < 20 || tot != len || ihl > tot || sum_fold(sum_bytes(0, ip, ihl)) != 0)
		abort();
	if (get16(ip + 6) & 0x3fff)
		return;		/* a fragment of a bigger datagram */
	if (!transport_csum(ip + ihl, tot - ihl, ip[9],
			    ip[9] == 1 ? 0 : sum_pseudo(ip + 12, ip + 16, 4, ip[9], tot - ihl), true))
		abort();
	if (ip[9] == 6)
		saw_tcp(ip + ihl, tot - ihl, false);
}

static bool ip6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16);
}

static void check_ip6_out(uint8_t *ip, size_t len)
{
	size_t plen;

	if (len < 40 || ip[0] >> 4 != 6)
		abort();
	plen = get16(ip + 4);
	if (plen != len - 40)
		abort();
	if (!transport_csum(ip + 40, plen, ip[6], sum_pseudo(ip + 8, ip + 24, 16, ip[6], plen), true))
		abort();
	if (ip[6] == 6)
		saw_tcp(ip + 40, plen, true);
	/* A solicitation for a neighbour (not duplicate address detection): the peer answers. */
	if (ip[6] == 58 && plen >= 24 && ip[40] == 135 && !ip6_unspecified(ip + 8))
		want_reply(true, ip + 48);
}

static void trace_frame(const uint8_t *f, size_t len)
{
	uint16_t type = get16(f + 12);
	const uint8_t *ip = f + ETH_HLEN, *l4 = NULL;
	uint8_t proto = 0;

	if (type == ETHTYPE_IP && len >= ETH_HLEN + 20) {
		proto = ip[9];
		l4 = ip + (ip[0] & 15) * 4;
	} else if (type == ETHTYPE_IPV6 && len >= ETH_HLEN + 40) {
		proto = ip[6];
		l4 = ip + 40;
	}
	fprintf(stderr, "out: type %04x len %zu proto %u", type, len, proto);
	if (proto == 6 && l4 + 20 <= f + len)
		fprintf(stderr, " tcp %u->%u flags %02x seq %u ack %u wnd %u", get16(l4), get16(l4 + 2),
			l4[13], get32(l4 + 4), get32(l4 + 8), get16(l4 + 14));
	else if ((proto == 1 || proto == 58 || proto == 17) && l4 + 4 <= f + len)
		fprintf(stderr, " %u %u", get16(l4), get16(l4 + 2));
	fputc('\n', stderr);
}

/* lwIP's linkoutput: check the frame, learn from it, drop it. */
static err_t fuzz_linkoutput(struct netif *nif, struct pbuf *p)
{
	size_t len = p->tot_len;
	uint8_t *f = out_buf;

	(void)nif;
	if (len < ETH_HLEN || len > MAX_FRAME || pbuf_copy_partial(p, f, (u16_t)len, 0) != len)
		abort();
	if (len > (size_t)ETH_HLEN + eth.mtu)
		abort();
	if (memcmp(f + 6, our_mac, 6))
		abort();
	if (trace)
		trace_frame(f, len);
	switch (get16(f + 12)) {
	case ETHTYPE_IP:
		check_ip4_out(f + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETHTYPE_IPV6:
		check_ip6_out(f + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETHTYPE_ARP:
		/* A request for a neighbour (not for us: that is a probe or an announcement). */
		if (len >= ETH_HLEN + 28 && get16(f + 20) == 1 && memcmp(f + 38, our_ip4, 4) &&
		    f[38] == 10 && f[39] == 0 && f[40] == 2)
			want_reply(false, f + 38);
		break;
	default:
		abort();
	}
	return ERR_OK;
}

/* ---- Delivering frames ----------------------------------------------------------------- */

/*
 * A frame as a driver hands it to net/net.c, in nfrags pieces, through the
 * kernel's own copy into a pbuf chain (net/port/frame.c), to netif->input,
 * which owns it unless it fails.
 */
static void deliver_frame(const uint8_t *frame, size_t len, unsigned nfrags)
{
	struct netdev_frag frags[4];
	struct pbuf *p;
	size_t off = 0;
	int ret;

	for (unsigned i = 0; i < nfrags; i++) {
		size_t n = i + 1 == nfrags ? len - off : len / nfrags;

		frags[i] = (struct netdev_frag){ frame + off, n };
		off += n;
	}
	ret = frame_to_pbuf(frags, nfrags, &p);
	if (ret == -ENOMEM)
		abort();	/* the host does not run out */
	if (!ret && eth.input(p, &eth) != ERR_OK)
		pbuf_free(p);
}

static uint8_t in_buf[MAX_FRAME];

static void ether_header(uint8_t *f, uint16_t type)
{
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, type);
}

/* The peer's answers to the stack's ARP requests and neighbour solicitations. */
static void send_replies(void)
{
	for (unsigned round = 0; nreplies && round < 4; round++) {
		struct reply r[NREPLIES];
		unsigned n = nreplies;

		memcpy(r, replies, sizeof(r));
		nreplies = 0;
		for (unsigned i = 0; i < n; i++) {
			uint8_t *f = in_buf, *a = f + ETH_HLEN;
			size_t len;

			if (!r[i].v6) {
				ether_header(f, ETHTYPE_ARP);
				memcpy(a, "\x00\x01\x08\x00\x06\x04\x00\x02", 8);
				memcpy(a + 8, peer_mac, 6);
				memcpy(a + 14, r[i].target, 4);
				memcpy(a + 18, our_mac, 6);
				memcpy(a + 24, our_ip4, 4);
				len = ETH_HLEN + 28;
			} else {
				ether_header(f, ETHTYPE_IPV6);
				memset(a, 0, 40 + 32);
				a[0] = 0x60;
				put16(a + 4, 32);
				a[6] = 58;
				a[7] = 255;
				memcpy(a + 8, r[i].target, 16);
				memcpy(a + 24, our_ll6, 16);
				a[40] = 136;			/* neighbour advertisement */
				a[44] = 0x60;			/* solicited, override */
				memcpy(a + 48, r[i].target, 16);
				a[64] = 2;			/* target link-layer address */
				a[65] = 1;
				memcpy(a + 66, peer_mac, 6);
				fixup_ip6(a, 72, true, false);
				len = ETH_HLEN + 72;
			}
			deliver_frame(f, len, 1);
		}
	}
}

static void deliver(const uint8_t *frame, size_t len, unsigned nfrags)
{
	deliver_frame(frame, len, nfrags);
	send_replies();
}

/* An IPv4 (v6 false) or IPv6 packet from the peer, with its Ethernet header. */
static void deliver_ip(const uint8_t *pkt, size_t len, bool v6, uint8_t kind)
{
	uint8_t *ip = in_buf + ETH_HLEN;

	if (len > MAX_FRAME - ETH_HLEN)
		len = MAX_FRAME - ETH_HLEN;
	ether_header(in_buf, v6 ? ETHTYPE_IPV6 : ETHTYPE_IP);
	memcpy(ip, pkt, len);
	if (v6)
		fixup_ip6(ip, len, kind & 0x80, kind & 0x40);
	else
		fixup_ip4(ip, len, kind & 0x80, kind & 0x40);
	deliver(in_buf, ETH_HLEN + len, ((kind >> 4) & 3) + 1);
}

/* ---- TCP segments the harness builds -------------------------------------------------- */

struct segment {
	int slot;
	uint16_t sport;
	uint8_t flags, wnd;
	uint32_t seq, ack;
	bool options;
	const uint8_t *data;
	size_t len;
};

/* MSS 1460, SACK permitted, timestamps, window scale 7 (a SYN's options). */
static const uint8_t syn_options[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
					 1, 3, 3, 7 };

static void send_segment(const struct segment *s)
{
	bool v6 = s->slot >= 2;
	size_t iplen = v6 ? 40 : 20, olen = s->options ? sizeof(syn_options) : 0;
	size_t tlen = 20 + olen + s->len;
	uint8_t *ip = in_buf + ETH_HLEN, *tcp = ip + iplen;

	if (iplen + tlen > MAX_FRAME - ETH_HLEN)
		return;
	ether_header(in_buf, v6 ? ETHTYPE_IPV6 : ETHTYPE_IP);
	memset(ip, 0, iplen + 20);
	if (v6) {
		ip[0] = 0x60;
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, peer_ll6, 16);
		memcpy(ip + 24, our_ll6, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, peer_ip4, 4);
		memcpy(ip + 16, our_ip4, 4);
	}
	put16(tcp, s->sport);
	put16(tcp + 2, 80);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)((20 + olen) / 4 << 4);
	tcp[13] = s->flags;
	put16(tcp + 14, (uint16_t)(s->wnd << 8));
	memcpy(tcp + 20, syn_options, olen);
	if (s->len)
		memcpy(tcp + 20 + olen, s->data, s->len);
	if (v6)
		fixup_ip6(ip, iplen + tlen, true, true);
	else
		fixup_ip4(ip, iplen + tlen, true, true);
	deliver(in_buf, ETH_HLEN + iplen + tlen, 1);
}

/*
 * Record 4: [bits 0-1 slot, bit 2 SYN options, bit 3 retransmit (the peer's
 * numbers do not advance)][TCP flags][window/256][seq offset, signed][data].
 * The segment acknowledges everything the stack has sent on the slot.
 */
static void tcp_record(const uint8_t *b, size_t len)
{
	struct segment s = { 0 };
	struct slot *sl;

	if (len < 4)
		return;
	s.slot = b[0] & 3;
	sl = &slots[s.slot];
	s.sport = (uint16_t)(40000 + s.slot);
	s.flags = b[1];
	s.wnd = b[2];
	if (s.flags & 0x02)
		sl->peer_nxt = 0x10000000u * (uint32_t)(s.slot + 1);
	s.seq = sl->peer_nxt + (uint32_t)(int8_t)b[3];
	s.ack = sl->stack_nxt;
	s.options = (b[0] & 4) && (s.flags & 0x02);
	s.data = b + 4;
	s.len = len - 4;
	send_segment(&s);
	if (!(b[0] & 8))
		sl->peer_nxt += (uint32_t)s.len + !!(s.flags & 0x02) + !!(s.flags & 0x01);
}

static unsigned half_open(void)
{
	unsigned n = 0;

	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		n += p->state == SYN_RCVD;
	return n;
}

/* Half-open connections that tools/net-patches/syn-flood-half-open.patch calls stale (no
 * word from the peer for TCP_HALF_OPEN_STALE_TICKS, 3 slow timer ticks), or young ones. */
static unsigned half_open_aged(bool stale)
{
	unsigned n = 0;

	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		n += p->state == SYN_RCVD && ((u32_t)(tcp_ticks - p->tmr) >= 3) == stale;
	return n;
}

static bool half_open_from(uint16_t port)
{
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if (p->state == SYN_RCVD && p->remote_port == port)
			return true;
	return false;
}

/* Record 9: count SYNs from ports the slots do not use, over IPv4. */
static void syn_flood(unsigned count)
{
	struct segment s = { .flags = 0x02, .wnd = 0xff, .options = true };

	if (count > flood_left)
		count = flood_left;
	flood_left -= count;
	for (unsigned i = 0; i < count; i++) {
		/* A SYN is answered when the backlog has room or holds a stale half-open
		 * connection, which it replaces (the server accepts at once, so only
		 * half-open connections take up its backlog). */
		bool room = half_open() < TCP_DEFAULT_LISTEN_BACKLOG || half_open_aged(true);
		unsigned young = half_open_aged(false);

		s.sport = (uint16_t)(1024 + flood_port++ % 30000);
		s.seq = 0x5000000u + i;
		send_segment(&s);
		if (room && !half_open_from(s.sport))
			abort();
		/* ... and never at the cost of a young one: a real client mid-handshake. */
		if (half_open_aged(false) < young + half_open_from(s.sport))
			abort();
	}
	if (half_open() > TCP_DEFAULT_LISTEN_BACKLOG)
		abort();
}

/* ---- Records ----------------------------------------------------------------------------- */

static void run_timers(uint32_t ms)
{
	if (ms > time_left)
		ms = time_left;
	time_left -= ms;
	while (ms) {
		uint32_t step = ms < TIMER_STEP_MS ? ms : TIMER_STEP_MS;

		host_clock_advance(step);
		ms -= step;
		sys_check_timeouts();
		netif_poll_all();
		send_replies();
	}
}

static void app_write_all(const uint8_t *b, size_t len)
{
	for (struct app *a = apps; a; a = a->next)
		app_write(a, b, len);
}

static void app_read_all(void)
{
	for (struct app *a = apps; a; a = a->next)
		if (a->held) {
			uint32_t n = a->held;

			a->held = 0;
			while (n) {
				u16_t k = n > 0xffff ? 0xffff : (u16_t)n;

				tcp_recved(a->pcb, k);
				n -= k;
			}
		}
}

static void run_record(uint8_t kind, uint16_t len16, const uint8_t *b, size_t len)
{
	switch (kind & 15) {
	case 0:
		deliver(b, len, ((kind >> 4) & 3) + 1);
		break;
	case 1:
	case 2:
		deliver_ip(b, len, (kind & 15) == 2, kind);
		break;
	case 3:
		run_timers(len16);
		break;
	case 4:
		tcp_record(b, len);
		break;
	case 5:
		if (len >= 2) {
			next_mode = (enum app_mode)(b[0] % APP_NMODES);
			next_limit = (uint32_t)b[1] * 16;
		}
		break;
	case 6:
		app_write_all(b, len);
		break;
	case 7:
		app_read_all();
		break;
	case 8:
		dhcp_start(&eth);
		break;
	case 9:
		syn_flood(len16);
		break;
	default:
		break;
	}
	netif_poll_all();
	send_replies();
}

/* ---- Set-up and tear-down ---------------------------------------------------------------- */

static err_t fuzz_netif_init(struct netif *nif)
{
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, our_mac, ETH_HWADDR_LEN);
	nif->mtu = 1500;
	nif->mtu6 = 1500;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		     NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = fuzz_linkoutput;
	return ERR_OK;
}

/* Addresses as a fresh boot has them (an input may have changed or removed them). */
static void set_addresses(void)
{
	ip4_addr_t ip, mask, gw;
	ip6_addr_t global;
	s8_t idx;

	IP4_ADDR(&ip, 10, 0, 2, 15);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 2, 2);
	netif_set_addr(&eth, &ip, &mask, &gw);
	for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		netif_ip6_addr_set_state(&eth, i, IP6_ADDR_INVALID);
	netif_create_ip6_linklocal_address(&eth, 1);
	netif_ip6_addr_set_state(&eth, 0, IP6_ADDR_PREFERRED);
	IP6_ADDR(&global, PP_HTONL(0x20010db8), 0, 0, PP_HTONL(0x15));
	if (netif_add_ip6_address(&eth, &global, &idx) != ERR_OK)
		abort();
	netif_ip6_addr_set_state(&eth, idx, IP6_ADDR_PREFERRED);
	eth.mtu = 1500;
	eth.mtu6 = 1500;
}

static void stack_init(void)
{
	host_rand_seed(1);
	lwip_init();
	if (!netif_add(&eth, NULL, NULL, NULL, NULL, fuzz_netif_init, ethernet_input))
		abort();
	eth.ip6_autoconfig_enabled = 1;
	set_addresses();
	netif_set_default(&eth);
	netif_set_up(&eth);
	netif_set_link_up(&eth);
}

static void abort_all(struct tcp_pcb **list)
{
	while (*list) {
		struct tcp_pcb *pcb = *list;

		tcp_arg(pcb, NULL);
		tcp_err(pcb, NULL);
		tcp_abort(pcb);
		if (*list == pcb)
			abort();	/* tcp_abort must take the pcb off its list */
	}
}

/* Undoes everything one input did, so that the next starts from the same state. */
static void teardown(void)
{
	while (apps)
		app_drop(apps);
	abort_all(&tcp_active_pcbs);
	abort_all(&tcp_tw_pcbs);
	if (tcp_close(listener) != ERR_OK)
		abort();
	listener = NULL;
	udp_remove(echo_pcb);
	echo_pcb = NULL;
	dhcp_stop(&eth);
	dhcp_cleanup(&eth);
	netif_poll_all();
	for (int i = 0; i <= IP_REASS_MAXAGE; i++)
		ip_reass_tmr();
	for (int i = 0; i <= IPV6_REASS_MAXAGE; i++)
		ip6_reass_tmr();
	etharp_cleanup_netif(&eth);
	nd6_cleanup_netif(&eth);
	set_addresses();
	memset(slots, 0, sizeof(slots));
	nreplies = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	size_t pos = 0;

	if (!ready) {
		trace = getenv("FUZZ_NET_TRACE") != NULL;
		stack_init();
		ready = true;
	}
	host_rand_seed(0x6d6f7465);
	servers_start();
	flood_left = MAX_FLOOD;
	time_left = MAX_TIME_MS;
	for (unsigned n = 0; n < MAX_RECORDS && pos + 3 <= size; n++) {
		uint8_t kind = data[pos];
		uint16_t len16 = get16(data + pos + 1);
		size_t len = (kind & 15) == 3 || (kind & 15) == 9 ? 0 : len16;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		run_record(kind, len16, data + pos, len);
		pos += len;
	}
	teardown();
	return 0;
}
