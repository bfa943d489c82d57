/*
 * virtio-net (virtio 1.x, "Network Device"): Ethernet devices for the
 * network stack through mote/netdev.h. docs/virtio.md ("virtio-net") has
 * the design; in short:
 *
 * One queue pair (receive queue 0, transmit queue 1), kept in a struct
 * vnet_qp so more pairs (VIRTIO_NET_F_MQ) are an addition, not a rewrite.
 * No control queue.
 *
 * Receive: every descriptor of the receive queue holds one page-sized
 * buffer, posted at probe and reposted as soon as its frame is delivered;
 * nothing is allocated per frame. The queue is polled (virtio_queue_poll()):
 * its interrupt only turns further receive interrupts off and calls the
 * stack's rx_ready(); the stack's thread then calls poll_rx(), which
 * delivers frames (a merged frame, VIRTIO_NET_F_MRG_RXBUF, as num_buffers
 * pieces), and turns interrupts back on when the queue is empty. What the
 * device hands back is not trusted: a piece shorter than the header, a
 * num_buffers of 0 or more than a frame can need, a frame whose pieces the
 * device did not all return, or a partial checksum outside the frame is
 * dropped and counted, and its buffers go back to the device.
 *
 * Transmit: a ring of preallocated buffers (64 KiB each with TSO, else
 * what mtu + 14 needs: one page at 1500); xmit copies the frame into a
 * free one and queues the header and the frame as two descriptors. The
 * transmit queue runs with interrupts off: each xmit first takes back what
 * the device has finished. A full ring is -EAGAIN.
 *
 * Locking: the transmit side is serialised by the queue pair's tx_lock
 * (spinlock, interrupts off; the virtio queue's own lock nests inside);
 * the receive side by being polled by one thread at a time (`polling`).
 * The interrupt only touches the queue's suppression state (under the
 * virtio queue lock) and calls rx_ready().
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/netdev.h>
#include <mote/spinlock.h>
#include <mote/virtio.h>

/* Feature bits ("Feature bits" of the network device). */
#define NET_F_CSUM        0
#define NET_F_GUEST_CSUM  1
#define NET_F_MTU         3
#define NET_F_MAC         5
#define NET_F_HOST_TSO4   11
#define NET_F_HOST_TSO6   12
#define NET_F_MRG_RXBUF   15
#define NET_F_STATUS      16
#define VIRTIO_F_ANY_LAYOUT 27	/* legacy: the header need not have its own descriptor */

/* Configuration offsets. */
#define NET_CFG_MAC    0
#define NET_CFG_STATUS 6
#define NET_CFG_MTU    10
#define NET_S_LINK_UP  1

/* virtio_net_hdr.flags */
#define HDR_F_NEEDS_CSUM 1
#define HDR_F_DATA_VALID 2

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;	/* only with MRG_RXBUF (legacy) or VERSION_1 */
};

#define RX_QUEUE_SIZE 256
#define RX_BUF_SIZE   MM_PAGE_SIZE
/*
 * Pieces a frame may come in: the largest frame (MTU 65535) in page
 * buffers. A device could use fewer (one at MTU 1500) but nothing is
 * gained by insisting; more is malformed.
 */
#define RX_MAX_PIECES ((65535 + NETDEV_ETH_HLEN + 12 + RX_BUF_SIZE - 1) / RX_BUF_SIZE)
#define TX_QUEUE_SIZE 256
#define TX_MAX_SLOTS  128	/* page buffers: bursts of small replies to many clients */
#define TX_MAX_TSO_SLOTS 16	/* 64 KiB buffers */
_Static_assert(TX_MAX_SLOTS * sizeof(struct vnet_hdr) <= MM_PAGE_SIZE, "headers fit a page");
#define TX_TSO_ORDER  4		/* NETDEV_TSO_MAX-byte buffers with TSO */
#define TX_STUCK_NS   1000000	/* frames in flight, no completion this long: ring again */
_Static_assert((MM_PAGE_SIZE << TX_TSO_ORDER) == NETDEV_TSO_MAX, "a TSO frame fits a buffer");

struct vnet_rxbuf {
	uint8_t *page;
};

struct vnet_txslot {
	struct vnet_hdr *hdr;		/* in tx_hdrs */
	uint8_t *buf;
	uint16_t next_free;
};

/* One receive/transmit queue pair. */
struct vnet_qp {
	struct vnet *vn;
	struct virtio_queue *rxq, *txq;
	struct vnet_rxbuf *rx;		/* rxq->vq.num buffers */
	bool polling;			/* poll_rx running (one at a time) */
	bool repoll;			/* a poll_rx found it running: poll again after */

	struct spinlock tx_lock;	/* the tx slots, and polling txq */
	struct vnet_txslot *tx;
	struct vnet_hdr *tx_hdrs;	/* one page (device-visible), a header per slot */
	unsigned tx_slots, tx_free_head, tx_free;
	unsigned long tx_done;		/* completions taken back */
	unsigned long tx_done_seen;	/* tx_done at the last stuck check */
	uint64_t tx_seen_ns;		/* when that was */
	bool tx_busy_seen;		/* frames were in flight then */
	uint64_t rx_frames_seen;	/* nd.stats.rx_frames at the last watchdog */
	size_t tx_buf_size;
	unsigned tx_order;
};

struct vnet {
	struct netdev nd;
	struct virtio_device *dev;
	size_t hdr_len;			/* 10 (legacy without MRG_RXBUF) or 12 */
	bool mrg;
	bool opened;
	struct vnet_qp qp;		/* pair 0: the only one for now */
};

static uint64_t phys(const void *p)
{
	return mm_virt_to_phys(p);
}

/* Logs the first malformed frame (later ones are only counted). */
static void rx_malformed(struct vnet *vn, const char *why)
{
	if (!vn->nd.stats.rx_malformed++)
		printk("virtio-net: %s: dropped a malformed receive (%s); later ones only counted\n",
		       vn->nd.name, why);
}

static int rx_post(struct vnet_qp *qp, struct vnet_rxbuf *b)
{
	struct virtq_seg seg = { phys(b->page), RX_BUF_SIZE };

	return virtio_submit(qp->rxq, &seg, 0, 1, b, NULL, 0);
}

static void rx_post_all(struct vnet_qp *qp, struct vnet_rxbuf **bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rx_post(qp, bufs[i]);	/* each came off the ring: never waits; -EIO: dead device */
}

/* One's-complement sum over frags from byte offset `from` to the end. */
static uint32_t csum_frags(const struct netdev_frag *frags, unsigned n, size_t from)
{
	uint32_t sum = 0;
	size_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = frags[i].data;

		for (size_t k = 0; k < frags[i].len; k++, pos++)
			if (pos >= from)
				sum += (pos - from) & 1 ? p[k] : (uint32_t)p[k] << 8;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The byte at offset pos of the frame. */
static uint8_t *frame_byte(const struct netdev_frag *frags, unsigned n, size_t pos)
{
	for (unsigned i = 0; i < n; i++) {
		if (pos < frags[i].len)
			return (uint8_t *)frags[i].data + pos;
		pos -= frags[i].len;
	}
	return NULL;
}

/*
 * NEEDS_CSUM: the device left the L4 checksum partial (the pseudo-header
 * sum at csum_start + csum_offset, as the sending guest gave it). Complete
 * it here, so the stack sees an ordinary, verified frame.
 */
static bool rx_complete_csum(const struct vnet_hdr *h, const struct netdev_frag *frags,
			     unsigned n, size_t len)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	uint16_t sum;
	uint8_t *hi, *lo;

	if (h->csum_start >= len || at + 2 > len)
		return false;
	sum = (uint16_t)~csum_frags(frags, n, h->csum_start);
	hi = frame_byte(frags, n, at);
	lo = frame_byte(frags, n, at + 1);
	*hi = (uint8_t)(sum >> 8);
	*lo = (uint8_t)sum;
	return true;
}

/* A received frame: its buffers, and its pieces without the header. */
struct vnet_rxframe {
	struct vnet_rxbuf *bufs[RX_MAX_PIECES];
	struct netdev_frag frags[RX_MAX_PIECES];
	struct vnet_hdr h;
	unsigned n;			/* buffers taken off the ring (to repost) */
	size_t len;			/* frame bytes */
};

/*
 * Pops the next frame's pieces into f: 1 with a frame, 0 if the queue is
 * empty, -1 if it cannot be one (*why says why; NULL: the device was
 * disabled meanwhile). f->n buffers are taken either way.
 */
static int rx_gather(struct vnet_qp *qp, struct vnet_rxframe *f, const char **why)
{
	struct vnet *vn = qp->vn;
	unsigned want = 1;

	memset(&f->h, 0, sizeof(f->h));
	f->n = 0;
	f->len = 0;
	do {
		void *cookie;
		uint32_t len;
		int got = virtio_queue_poll(qp->rxq, &cookie, &len);
		const uint8_t *data;

		if (got <= 0) {
			/* Mid-frame, empty means the device announced more than it returned. */
			*why = got < 0 ? NULL : "num_buffers beyond the pieces returned";
			return f->n ? -1 : 0;
		}
		f->bufs[f->n++] = cookie;
		data = ((struct vnet_rxbuf *)cookie)->page;
		if (f->n == 1) {
			if (len < vn->hdr_len) {
				*why = "shorter than the header";
				return -1;
			}
			memcpy(&f->h, data, vn->hdr_len);
			want = vn->mrg ? f->h.num_buffers : 1;
			if (!want || want > RX_MAX_PIECES) {
				*why = "bad num_buffers";
				return -1;
			}
			data += vn->hdr_len;
			len -= (uint32_t)vn->hdr_len;
		}
		f->frags[f->n - 1] = (struct netdev_frag){ data, len };
		f->len += len;
	} while (f->n < want);
	return 1;
}

/* Checks a gathered frame and settles its checksum: NULL and *flags, or why it is malformed. */
static const char *rx_check(struct vnet_rxframe *f, unsigned *flags)
{
	*flags = 0;
	if (f->len < NETDEV_ETH_HLEN)
		return "shorter than an Ethernet header";
	if ((f->h.flags & HDR_F_NEEDS_CSUM) && !rx_complete_csum(&f->h, f->frags, f->n, f->len))
		return "partial checksum outside the frame";
	if (f->h.flags & (HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID))
		*flags |= NETDEV_FRAME_CSUM_OK;
	return NULL;
}

/*
 * Takes one frame off the receive queue and delivers it (or drops it), then
 * reposts its buffers: 1 if a frame was delivered, 0 if the queue is
 * empty, 2 if one was dropped.
 */
static int rx_one(struct vnet_qp *qp, netdev_deliver_fn deliver)
{
	struct vnet *vn = qp->vn;
	struct vnet_rxframe f;
	const char *why = NULL;
	unsigned flags = 0;
	int got = rx_gather(qp, &f, &why);

	if (!got)
		return 0;
	if (got > 0)
		why = rx_check(&f, &flags);
	if (got > 0 && !why) {
		vn->nd.stats.rx_frames++;
		vn->nd.stats.rx_bytes += f.len;
		deliver(&vn->nd, f.frags, f.n, flags);
	} else if (why) {
		rx_malformed(vn, why);
	}
	rx_post_all(qp, f.bufs, f.n);
	return got > 0 && !why ? 1 : 2;
}

static unsigned vnet_poll_rx(struct netdev *nd, unsigned budget, netdev_deliver_fn deliver)
{
	struct vnet *vn = nd->driver;
	struct vnet_qp *qp = &vn->qp;
	unsigned done = 0;

	/*
	 * One poller at a time. One turned away leaves `repoll` for the running
	 * one, which may be past its last look: it then has the stack call again.
	 * (repoll is set first, so either the runner sees it or we get in.)
	 */
	__atomic_store_n(&qp->repoll, true, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&qp->polling, true, __ATOMIC_SEQ_CST))
		return 0;
	__atomic_store_n(&qp->repoll, false, __ATOMIC_SEQ_CST);
	for (;;) {
		int r;

		while (done < budget && (r = rx_one(qp, deliver)) != 0)
			done += r == 1;
		if (vn->dev->broken)
			break;
		if (done == budget)
			break;
		if (!virtio_queue_interrupts(qp->rxq, true))
			break;	/* empty, interrupts on */
		virtio_queue_interrupts(qp->rxq, false);	/* something landed: go on */
	}
	__atomic_store_n(&qp->polling, false, __ATOMIC_SEQ_CST);
	/* Budget spent with the interrupt still off, or a poll turned away: come back. */
	if (((done == budget && budget) || __atomic_load_n(&qp->repoll, __ATOMIC_SEQ_CST)) &&
	    nd->rx_ready)
		nd->rx_ready(nd);
	return done;
}

/* Receive interrupt: quiet the queue and let the stack poll. */
static void vnet_rx_ready(struct virtio_queue *q)
{
	struct vnet *vn = q->dev->driver_priv;
	void (*ready)(struct netdev *) = __atomic_load_n(&vn->nd.rx_ready, __ATOMIC_ACQUIRE);

	virtio_queue_interrupts(q, false);
	if (__atomic_load_n(&vn->opened, __ATOMIC_ACQUIRE) && ready)
		ready(&vn->nd);
}

/* The transmit queue's interrupts stay off: nothing to do (a stale one may come). */
static void vnet_tx_ready(struct virtio_queue *q)
{
	(void)q;
}

/* What a failing device abandons: the buffers stay ours, nothing to free. */
static void vnet_abandoned(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	(void)q, (void)cookie, (void)len, (void)err;
}

static int vnet_open(struct netdev *nd)
{
	struct vnet *vn = nd->driver;

	if (vn->dev->broken)
		return -EIO;
	__atomic_store_n(&vn->opened, true, __ATOMIC_RELEASE);
	/* Frames that came before anyone listened: have them polled now. */
	if (virtio_queue_interrupts(vn->qp.rxq, true)) {
		virtio_queue_interrupts(vn->qp.rxq, false);
		if (nd->rx_ready)
			nd->rx_ready(nd);
	}
	return 0;
}

/* Takes back the transmit buffers the device is done with (tx_lock held). */
static void tx_reclaim(struct vnet_qp *qp)
{
	void *cookie;
	uint32_t len;

	while (virtio_queue_poll(qp->txq, &cookie, &len) > 0) {
		struct vnet_txslot *s = cookie;

		s->next_free = (uint16_t)qp->tx_free_head;
		qp->tx_free_head = (unsigned)(s - qp->tx);
		qp->tx_free++;
		qp->tx_done++;
	}
}

/*
 * Rings the transmit doorbell if frames were in flight at the last check,
 * at least TX_STUCK_NS ago, and none has completed since (tx_lock held).
 * QEMU 7.2's virtio-net has been seen to sit on a published, announced
 * transmit queue for good under event-index suppression (docs/net.md); a
 * second doorbell gets it going. Checks closer together than TX_STUCK_NS
 * are skipped, so a full ring retried under load does not ring (a VM exit
 * each under KVM) while the device is merely busy.
 */
static void tx_nudge_if_stuck(struct vnet_qp *qp)
{
	uint64_t now = clock_monotonic_ns();
	bool busy = qp->tx_free < qp->tx_slots;

	if (now - qp->tx_seen_ns < TX_STUCK_NS)
		return;
	if (busy && qp->tx_busy_seen && qp->tx_done == qp->tx_done_seen) {
		virtio_queue_kick(qp->txq);
		qp->vn->nd.stats.tx_nudges++;
	}
	qp->tx_busy_seen = busy;
	qp->tx_done_seen = qp->tx_done;
	qp->tx_seen_ns = now;
}

/*
 * The header for a frame of len bytes: 0, -EMSGSIZE (too long for what was
 * asked), or -EINVAL for an offload the device did not offer or that
 * points outside the frame.
 */
static int tx_fill_hdr(struct vnet *vn, struct vnet_hdr *h, const struct netdev_tx *tx,
		       const struct netdev_frag *frags, unsigned nfrags, size_t len)
{
	static const struct netdev_tx plain;
	unsigned f = vn->nd.features;

	memset(h, 0, sizeof(*h));
	if (!tx)
		tx = &plain;
	if (tx->flags & NETDEV_FRAME_CSUM_PART) {
		if (!(f & NETDEV_TX_CSUM) || (size_t)tx->csum_start + tx->csum_offset + 2 > len)
			return -EINVAL;
		h->flags = HDR_F_NEEDS_CSUM;
		h->csum_start = tx->csum_start;
		h->csum_offset = tx->csum_offset;
	}
	if (!tx->gso_size)
		return len <= vn->nd.mtu + NETDEV_ETH_HLEN ? 0 : -EMSGSIZE;
	if (!(h->flags & HDR_F_NEEDS_CSUM) || (size_t)tx->csum_start + 13 > len ||
	    !((tx->gso_type == NETDEV_GSO_TCPV4 && (f & NETDEV_TX_TSO4)) ||
	      (tx->gso_type == NETDEV_GSO_TCPV6 && (f & NETDEV_TX_TSO6))))
		return -EINVAL;
	h->gso_type = tx->gso_type;
	h->gso_size = tx->gso_size;
	/* Headers up to the end of the TCP header (its data offset, in words). */
	h->hdr_len = (uint16_t)(tx->csum_start +
				(*frame_byte(frags, nfrags, tx->csum_start + 12u) >> 4) * 4);
	return 0;
}

static int vnet_xmit(struct netdev *nd, const struct netdev_frag *frags, unsigned nfrags,
		     const struct netdev_tx *tx)
{
	struct vnet *vn = nd->driver;
	struct vnet_qp *qp = &vn->qp;
	struct vnet_txslot *s;
	struct virtq_seg segs[2];
	struct vnet_hdr h;
	unsigned long flags;
	size_t len = 0;
	int ret;

	for (unsigned i = 0; i < nfrags; i++)
		len += frags[i].len;
	if (len < NETDEV_ETH_HLEN)
		return -EINVAL;
	if (len > qp->tx_buf_size)
		return -EMSGSIZE;
	ret = tx_fill_hdr(vn, &h, tx, frags, nfrags, len);
	if (ret)
		return ret;
	if (vn->dev->broken)
		return -EIO;
	flags = spin_lock_irqsave(&qp->tx_lock);
	tx_reclaim(qp);
	if (!qp->tx_free) {
		tx_nudge_if_stuck(qp);
		spin_unlock_irqrestore(&qp->tx_lock, flags);
		vn->nd.stats.tx_full++;
		return -EAGAIN;
	}
	s = &qp->tx[qp->tx_free_head];
	for (size_t i = 0, at = 0; i < nfrags; at += frags[i].len, i++)
		memcpy(s->buf + at, frags[i].data, frags[i].len);
	*s->hdr = h;
	segs[0] = (struct virtq_seg){ phys(s->hdr), (uint32_t)vn->hdr_len };
	segs[1] = (struct virtq_seg){ phys(s->buf), (uint32_t)len };
	/* Slots are at most half the ring: two descriptors are always free, no wait. */
	ret = virtio_submit(qp->txq, segs, 2, 0, s, NULL, 0);
	if (!ret) {
		qp->tx_free_head = s->next_free;
		qp->tx_free--;
		vn->nd.stats.tx_frames++;
		vn->nd.stats.tx_bytes += len;
	}
	spin_unlock_irqrestore(&qp->tx_lock, flags);
	return ret;
}

/* The stack's periodic look: doorbells the device may have missed. */
static void vnet_watchdog(struct netdev *nd)
{
	struct vnet *vn = nd->driver;
	struct vnet_qp *qp = &vn->qp;
	unsigned long flags = spin_lock_irqsave(&qp->tx_lock);

	tx_reclaim(qp);
	tx_nudge_if_stuck(qp);
	spin_unlock_irqrestore(&qp->tx_lock, flags);
	/* Nothing received since the last look: the device may wait for a receive doorbell. */
	if (vn->nd.stats.rx_frames == qp->rx_frames_seen)
		virtio_queue_kick(qp->rxq);
	qp->rx_frames_seen = vn->nd.stats.rx_frames;
}

static const struct netdev_ops vnet_ops = {
	.open = vnet_open,
	.poll_rx = vnet_poll_rx,
	.xmit = vnet_xmit,
	.watchdog = vnet_watchdog,
};

static int qp_setup_rx(struct vnet_qp *qp, unsigned index)
{
	struct virtio_device *d = qp->vn->dev;
	int ret = virtio_queue_setup(d, index, RX_QUEUE_SIZE, vnet_abandoned);
	unsigned num;

	if (ret)
		return ret;
	qp->rxq = &d->queues[index];
	qp->rxq->ready = vnet_rx_ready;
	num = qp->rxq->vq.num;
	qp->rx = mm_calloc(num, sizeof(*qp->rx));
	if (!qp->rx)
		return -ENOMEM;
	for (unsigned i = 0; i < num; i++)
		if (!(qp->rx[i].page = page_alloc(0)))
			return -ENOMEM;
	/* Quiet until the stack opens the device. */
	virtio_queue_interrupts(qp->rxq, false);
	return 0;
}

/* Frees the transmit buffers (those allocated) and the slot array. */
static void tx_free_bufs(struct vnet_qp *qp)
{
	for (unsigned i = 0; qp->tx && i < qp->tx_slots; i++)
		if (qp->tx[i].buf)
			page_free(qp->tx[i].buf, qp->tx_order);
	mm_free(qp->tx);
	qp->tx = NULL;
	if (qp->tx_hdrs)
		page_free(qp->tx_hdrs, 0);
	qp->tx_hdrs = NULL;
}

/* The transmit buffers, each of PAGE << order bytes; -ENOMEM leaves none. */
static int tx_alloc_bufs(struct vnet_qp *qp, unsigned order)
{
	qp->tx_order = order;
	qp->tx_buf_size = (size_t)MM_PAGE_SIZE << order;
	qp->tx = mm_calloc(qp->tx_slots, sizeof(*qp->tx));
	qp->tx_hdrs = page_alloc(0);
	if (!qp->tx || !qp->tx_hdrs) {
		tx_free_bufs(qp);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < qp->tx_slots; i++) {
		if (!(qp->tx[i].buf = page_alloc(order))) {
			tx_free_bufs(qp);
			return -ENOMEM;
		}
		qp->tx[i].hdr = &qp->tx_hdrs[i];
		qp->tx[i].next_free = (uint16_t)(i + 1);
	}
	qp->tx_free_head = 0;
	qp->tx_free = qp->tx_slots;
	return 0;
}

static unsigned order_for(size_t bytes)
{
	unsigned order = 0;

	while (((size_t)MM_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static int qp_setup_tx(struct vnet_qp *qp, unsigned index)
{
	struct vnet *vn = qp->vn;
	struct virtio_device *d = vn->dev;
	int ret = virtio_queue_setup(d, index, TX_QUEUE_SIZE, vnet_abandoned);
	unsigned plain = order_for(vn->nd.mtu + NETDEV_ETH_HLEN);

	if (ret)
		return ret;
	qp->txq = &d->queues[index];
	qp->txq->ready = vnet_tx_ready;
	virtio_queue_interrupts(qp->txq, false);
	qp->tx_slots = TX_MAX_SLOTS < qp->txq->vq.num / 2 ? TX_MAX_SLOTS : qp->txq->vq.num / 2;
	if (!qp->tx_slots) {
		virtio_device_fail(d, "a transmit queue too small for one frame");
		return -EIO;
	}
	spin_init(&qp->tx_lock, "virtio-net tx", SPIN_RANK_NONE);
	/* TSO wants 64 KiB blocks; short of them (a small VM), do without TSO rather than fail. */
	if (vn->nd.features & (NETDEV_TX_TSO4 | NETDEV_TX_TSO6)) {
		unsigned slots = qp->tx_slots;

		if (qp->tx_slots > TX_MAX_TSO_SLOTS)
			qp->tx_slots = TX_MAX_TSO_SLOTS;	/* 64 KiB each */
		if (tx_alloc_bufs(qp, TX_TSO_ORDER > plain ? TX_TSO_ORDER : plain) == 0)
			return 0;
		qp->tx_slots = slots;
	}
	vn->nd.features &= ~(unsigned)(NETDEV_TX_TSO4 | NETDEV_TX_TSO6);
	return tx_alloc_bufs(qp, plain);
}

/* The MAC: the device's, else a locally administered one from the device's name (stable). */
static void vnet_mac(struct vnet *vn)
{
	struct virtio_device *d = vn->dev;
	uint32_t h = 2166136261u;

	if (virtio_has_feature(d, NET_F_MAC)) {
		for (unsigned i = 0; i < 6; i++)
			vn->nd.mac[i] = virtio_config_u8(d, NET_CFG_MAC + i);
		return;
	}
	for (const char *p = d->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	vn->nd.mac[0] = 0x02;	/* locally administered, unicast */
	vn->nd.mac[1] = 0x6d;	/* 'm' */
	memcpy(&vn->nd.mac[2], &h, 4);
}

static void vnet_config(struct vnet *vn)
{
	struct virtio_device *d = vn->dev;
	bool tx_csum = virtio_has_feature(d, NET_F_CSUM);

	vnet_mac(vn);
	vn->nd.mtu = 1500;
	if (virtio_has_feature(d, NET_F_MTU)) {
		unsigned mtu = virtio_config_u16(d, NET_CFG_MTU);

		/* Bigger frames than a page would not fit a receive buffer without merging. */
		if (mtu >= 68 && (vn->mrg || mtu + NETDEV_ETH_HLEN + vn->hdr_len <= RX_BUF_SIZE))
			vn->nd.mtu = mtu;
	}
	vn->nd.link_up = !virtio_has_feature(d, NET_F_STATUS) ||
			 (virtio_config_u16(d, NET_CFG_STATUS) & NET_S_LINK_UP);
	vn->nd.features = (tx_csum ? NETDEV_TX_CSUM : 0) |
			  (virtio_has_feature(d, NET_F_GUEST_CSUM) ? NETDEV_RX_CSUM : 0) |
			  (tx_csum && virtio_has_feature(d, NET_F_HOST_TSO4) ? NETDEV_TX_TSO4 : 0) |
			  (tx_csum && virtio_has_feature(d, NET_F_HOST_TSO6) ? NETDEV_TX_TSO6 : 0);
}

static int vnet_probe(struct virtio_device *d)
{
	struct vnet *vn = mm_calloc(1, sizeof(*vn));
	struct vnet_qp *qp;
	int ret;

	if (!vn)
		return -ENOMEM;
	vn->dev = d;
	d->driver_priv = vn;
	vn->mrg = virtio_has_feature(d, NET_F_MRG_RXBUF);
	vn->hdr_len = vn->mrg || virtio_has_feature(d, VIRTIO_F_VERSION_1) ? 12 : 10;
	vnet_config(vn);
	qp = &vn->qp;
	qp->vn = vn;
	ret = qp_setup_rx(qp, 0);
	if (!ret)
		ret = qp_setup_tx(qp, 1);
	if (ret)
		return ret;	/* the core fails the device; what we allocated stays (boot, once) */
	vn->nd.ops = &vnet_ops;
	vn->nd.driver = vn;
	virtio_device_ready(d);
	for (unsigned i = 0; i < qp->rxq->vq.num; i++)
		if ((ret = rx_post(qp, &qp->rx[i])) != 0)
			return ret;
	ret = netdev_register(&vn->nd);
	if (ret)
		return ret;
	printk("virtio-net: %s: %02x:%02x:%02x:%02x:%02x:%02x mtu %u%s%s%s%s%s, %s (%s)\n",
	       vn->nd.name, vn->nd.mac[0], vn->nd.mac[1], vn->nd.mac[2], vn->nd.mac[3],
	       vn->nd.mac[4], vn->nd.mac[5], vn->nd.mtu, vn->nd.link_up ? "" : ", link down",
	       vn->mrg ? ", mrg" : "", vn->nd.features & NETDEV_TX_CSUM ? ", csum" : "",
	       vn->nd.features & NETDEV_RX_CSUM ? ", guest-csum" : "",
	       vn->nd.features & (NETDEV_TX_TSO4 | NETDEV_TX_TSO6) ? ", tso" : "", d->name,
	       d->transport->name);
	return 0;
}

VIRTIO_DRIVER(virtio_net_driver) = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = VIRTIO_FEATURE(NET_F_CSUM) | VIRTIO_FEATURE(NET_F_GUEST_CSUM) |
		    VIRTIO_FEATURE(NET_F_MTU) | VIRTIO_FEATURE(NET_F_MAC) |
		    VIRTIO_FEATURE(NET_F_HOST_TSO4) | VIRTIO_FEATURE(NET_F_HOST_TSO6) |
		    VIRTIO_FEATURE(NET_F_MRG_RXBUF) | VIRTIO_FEATURE(NET_F_STATUS) |
		    VIRTIO_FEATURE(VIRTIO_F_ANY_LAYOUT),
	.probe = vnet_probe,
};
