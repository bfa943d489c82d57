/*
 * mote/netdev: the interface between a network device driver (virtio-net)
 * and the network stack (net/, lwIP).
 *
 * A driver fills a struct netdev and calls netdev_register(). The stack
 * (net/netif.c) attaches to every registered device: it sets `rx_ready`
 * and `stack` and brings the device up with ops->open().
 *
 * Receiving works like Linux's NAPI: when frames arrive the driver calls
 * nd->rx_ready(nd) (from its interrupt handler; rx_ready only wakes the
 * stack's thread) and keeps the device's receive interrupt quiet until
 * the stack calls ops->poll_rx(), which hands up to `budget` frames to
 * `deliver` in thread context, reposts their buffers and re-enables the
 * interrupt when the queue is empty (checking once more after re-enabling
 * so a frame that lands in between is not lost). poll_rx returning
 * `budget` means more may wait: the interrupt stays off and the driver
 * calls rx_ready() again, so the stack polls once more. Until the stack
 * has set rx_ready and called open(), received frames wait in the device
 * (or are dropped by it); open() may be called again and is then a no-op
 * apart from having frames already waiting polled. A frame is given as the
 * Ethernet frame only (no virtio header) in one or more pieces (several
 * when the device merged receive buffers); `deliver` copies what it keeps
 * before returning.
 *
 * Sending: ops->xmit() takes an Ethernet frame as a list of pieces plus
 * offload requests, copies it into the device's own buffers and returns 0,
 * -EAGAIN when the transmit queue is full (the stack holds the frame and
 * tries again; the device does not interrupt for room), -EMSGSIZE for a
 * frame over mtu + 14 without a TSO request, -EIO when the device is
 * broken. Safe from any thread; the driver serialises its own queue.
 *
 * ops->watchdog(), when the driver has one, is called by the stack's
 * thread about every NETDEV_WATCHDOG_NS while the device is open: the
 * driver rings again the doorbells the device may have missed (frames in
 * flight that made no progress, a receive queue that stayed silent).
 *
 * Offloads are used only when `features` says the device has them: with
 * NETDEV_TX_CSUM the stack may leave a TCP/UDP checksum for the device
 * (csum_start/csum_offset as virtio-net and Linux's CHECKSUM_PARTIAL);
 * with NETDEV_TX_TSO4/6 it may hand over a TCP segment larger than the
 * MTU with gso_size set, the whole frame at most NETDEV_TSO_MAX bytes.
 */
#ifndef MOTE_NETDEV_H
#define MOTE_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_NAME_MAX 16
#define NETDEV_ETH_HLEN 14
#define NETDEV_WATCHDOG_NS 20000000	/* how often the stack calls ops->watchdog */
#define NETDEV_TSO_MAX  65536	/* largest frame (Ethernet header included) a TSO request may be */

/* netdev.features */
#define NETDEV_TX_CSUM     0x1	/* the device completes a partial checksum on send */
#define NETDEV_RX_CSUM     0x2	/* the device reports frames whose checksum it verified */
#define NETDEV_TX_TSO4     0x4
#define NETDEV_TX_TSO6     0x8

/* netdev_frag.flags / netdev_tx.flags */
#define NETDEV_FRAME_CSUM_OK   0x1	/* rx: the device checked the L4 checksum */
#define NETDEV_FRAME_CSUM_PART 0x2	/* tx: fill the checksum at csum_start+csum_offset */

struct netdev_frag {
	const void *data;
	size_t len;
};

/* Offload requests for one transmitted frame; all zero for a plain frame. */
struct netdev_tx {
	unsigned flags;			/* NETDEV_FRAME_CSUM_PART */
	uint16_t csum_start, csum_offset;
	uint16_t gso_size;		/* 0: no segmentation */
	uint8_t gso_type;		/* NETDEV_GSO_TCPV4 / _TCPV6 */
};
#define NETDEV_GSO_TCPV4 1
#define NETDEV_GSO_TCPV6 4

struct netdev;

/* Called by poll_rx for each received frame, in thread context. */
typedef void (*netdev_deliver_fn)(struct netdev *nd, const struct netdev_frag *frags,
				  unsigned nfrags, unsigned flags);

struct netdev_ops {
	int (*open)(struct netdev *nd);
	/* Delivers up to budget frames; returns how many. */
	unsigned (*poll_rx)(struct netdev *nd, unsigned budget, netdev_deliver_fn deliver);
	int (*xmit)(struct netdev *nd, const struct netdev_frag *frags, unsigned nfrags,
		    const struct netdev_tx *tx);
	void (*watchdog)(struct netdev *nd);	/* optional */
};

/* Counters the driver keeps (updated without locks: for reports and tests, not exact under races). */
struct netdev_stats {
	uint64_t rx_frames;		/* delivered */
	uint64_t rx_bytes;		/* in the frames delivered (Ethernet header on) */
	uint64_t rx_malformed;		/* dropped: what the device handed back made no sense */
	uint64_t tx_frames;		/* queued to the device */
	uint64_t tx_bytes;		/* in the frames queued */
	uint64_t tx_full;		/* -EAGAIN: no free transmit buffer */
	uint64_t tx_nudges;		/* doorbells rung again for a transmit queue that stood still */
};

struct netdev {
	char name[NETDEV_NAME_MAX];	/* "eth0", ... (set by netdev_register) */
	uint8_t mac[6];
	unsigned mtu;			/* IP MTU, 1500 unless the device says */
	unsigned features;		/* NETDEV_* */
	bool link_up;
	const struct netdev_ops *ops;
	void *driver;			/* the driver's own state */
	struct netdev_stats stats;

	/* Set by the stack before open(). */
	void (*rx_ready)(struct netdev *nd);
	void *stack;

	struct netdev *next;		/* registry */
};

/* Adds nd to the registry and names it eth<N>; returns 0 or -ENOSPC. */
int netdev_register(struct netdev *nd);
/* The registered devices, in registration order (NULL-terminated list via ->next). */
struct netdev *netdev_first(void);

#endif
