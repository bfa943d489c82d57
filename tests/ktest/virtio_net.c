/*
 * Self-test of virtio-net (drivers/virtio_net.c) against QEMU's user
 * networking (`-netdev user`, the gateway 10.0.2.2 answers ARP as
 * 52:55:0a:00:02:02): the test stands in for the network stack on eth0,
 * sends a hand-built ARP request from 10.0.2.15 and waits (2 s at most)
 * for the reply through the interrupt, rx_ready and poll_rx, which covers
 * receive, transmit, interrupts and, where the device merges buffers, the
 * num_buffers path. tests/boot/test-boot.sh runs it on every transport.
 * Without a NIC, or with a stack already attached, it says "skipped".
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/netdev.h>
#include <mote/sync.h>

static struct waitq arp_wq = WAITQ_INIT(arp_wq);
static unsigned arp_wakeups;
static bool arp_got;
static uint8_t arp_mac[6];

static const uint8_t our_mac_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };

static void arp_rx_ready(struct netdev *nd)
{
	(void)nd;
	__atomic_add_fetch(&arp_wakeups, 1, __ATOMIC_RELAXED);
	waitq_wake_all(&arp_wq);
}

/* Flattens the frame (it may come in pieces) and looks for the gateway's ARP reply. */
static void arp_deliver(struct netdev *nd, const struct netdev_frag *frags, unsigned n,
			unsigned flags)
{
	uint8_t f[64];
	size_t len = 0;

	(void)nd, (void)flags;
	for (unsigned i = 0; i < n && len < sizeof(f); i++) {
		size_t take = frags[i].len < sizeof(f) - len ? frags[i].len : sizeof(f) - len;

		memcpy(f + len, frags[i].data, take);
		len += take;
	}
	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2 ||
	    memcmp(f + 28, gw_ip, 4) != 0)
		return;
	memcpy(arp_mac, f + 22, 6);
	arp_got = true;
}

/* An ARP request "who has 10.0.2.2, tell 10.0.2.15", in two pieces (header, payload). */
static int send_arp(struct netdev *nd)
{
	uint8_t eth[14], arp[28];
	struct netdev_frag frags[2] = { { eth, sizeof(eth) }, { arp, sizeof(arp) } };

	memset(eth, 0xff, 6);
	memcpy(eth + 6, nd->mac, 6);
	eth[12] = 0x08, eth[13] = 0x06;
	memcpy(arp, (const uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, 1 }, 8);
	memcpy(arp + 8, nd->mac, 6);
	memcpy(arp + 14, our_mac_ip, 4);
	memset(arp + 18, 0, 6);
	memcpy(arp + 24, gw_ip, 4);
	return nd->ops->xmit(nd, frags, 2, NULL);
}

KTEST(virtio_net_arp)
{
	struct netdev *nd = netdev_first();
	uint64_t deadline = clock_monotonic_ns() + 2000000000ULL;
	uint8_t big[1600] = { 0 };
	struct netdev_frag frag = { big, sizeof(big) };
	unsigned frames = 0;

	if (!nd || nd->rx_ready) {
		printk("ktest: virtio_net_arp: %s, skipped\n",
		       nd ? "a stack owns the device" : "no network device");
		return;
	}
	/* Bounds first: over mtu + 14 without TSO, and an offload nobody offered. */
	KT_EXPECT(nd->ops->xmit(nd, &frag, 1, NULL) == -EMSGSIZE);
	KT_EXPECT(nd->ops->xmit(nd, &frag, 1, &(struct netdev_tx){ .gso_size = 1448,
		  .gso_type = 99, .flags = NETDEV_FRAME_CSUM_PART, .csum_start = 34,
		  .csum_offset = 16 }) == -EINVAL);
	nd->rx_ready = arp_rx_ready;
	KT_ASSERT(nd->ops->open(nd) == 0);
	KT_ASSERT(send_arp(nd) == 0);
	while (!arp_got && clock_monotonic_ns() < deadline) {
		unsigned seen = __atomic_load_n(&arp_wakeups, __ATOMIC_RELAXED);

		frames += nd->ops->poll_rx(nd, 8, arp_deliver);
		if (!arp_got)
			waitq_wait_event(&arp_wq, __atomic_load_n(&arp_wakeups, __ATOMIC_RELAXED) != seen,
					 100000000ULL);
	}
	/* Leave the device quiet for whoever attaches later. */
	frames += nd->ops->poll_rx(nd, 64, arp_deliver);
	nd->rx_ready = NULL;
	KT_ASSERT(arp_got);
	KT_EXPECT(arp_wakeups > 0);
	printk("ktest: virtio_net_arp: %s: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x "
	       "(%u frames, %u interrupts)\n", nd->name, arp_mac[0], arp_mac[1], arp_mac[2],
	       arp_mac[3], arp_mac[4], arp_mac[5], frames, arp_wakeups);
}
