/*
 * mote/virtqueue: the split virtqueue of the virtio 1.x spec ("Split
 * Virtqueues"), as bookkeeping only. Nothing here allocates, locks, sleeps
 * or touches a device register: the caller hands in the ring memory (and
 * its device address), serializes every call on one queue, and rings the
 * doorbell when virtq_kick_prepare() says so. That keeps this file
 * portable: the kernel's virtio core (mote/virtio.h) builds on it, and
 * tests/unit/test_virtqueue.c runs it on the host against a fake device.
 *
 * Memory layout. One block holds the three parts, in the order the legacy
 * transports require: the descriptor table (16 bytes a descriptor), the
 * driver ("available") ring, then, at the next multiple of `align`, the
 * device ("used") ring. Legacy transports need align 4096 (they are given
 * one page frame number); modern ones accept any address with the natural
 * alignments, so align 4 packs a 128-entry queue into one page.
 *
 * Free descriptors form a list threaded through desc[].next. A request is
 * a chain (one descriptor per segment, device-readable ones first) or, when
 * the caller supplies a table and the INDIRECT_DESC feature was agreed, one
 * descriptor pointing at an indirect table holding the segments. The head
 * index identifies the request: the used ring hands it back.
 *
 * The device is not trusted. virtq_get_used() checks every used-ring entry
 * before believing it: the used index may not run more than a ring ahead,
 * the id must be the head of a request in flight, the length may not exceed
 * what the request let the device write, and a chain must still be what
 * was built (every next in range). Any breach is -EIO and the queue stays
 * as it was: the caller then disables the device (the core does).
 *
 * Notification suppression. With VIRTIO_F_EVENT_IDX the device publishes
 * the avail index at which it wants a kick (avail_event, after the used
 * ring) and the driver asks for an interrupt at a used index (used_event,
 * after the avail ring); otherwise only the NO_NOTIFY flag is honoured.
 */
#ifndef MOTE_VIRTQUEUE_H
#define MOTE_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1
#define VIRTQ_MAX_SIZE 32768	/* the spec's limit on a split queue */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* num entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* num entries, then avail_event */
};

_Static_assert(sizeof(struct virtq_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used element layout");

/* Where each part lies in the block, and how big the block is. */
struct virtq_layout {
	size_t avail_off, used_off, size;
};

/* Per head descriptor: what the caller attached, and what the device may write. */
struct virtq_slot {
	void *cookie;
	uint32_t in_bytes;	/* total device-writable length of the request */
	uint16_t ndesc;		/* descriptors the request holds in the ring (1 if indirect) */
	bool busy;
};

struct virtq {
	uint16_t num;
	uint16_t num_free;
	uint16_t free_head;
	uint16_t avail_idx;	/* the next index the driver publishes */
	uint16_t kicked_idx;	/* avail_idx when the device was last considered for a kick */
	uint16_t last_used;	/* the next used index to consume */
	bool event_idx;		/* VIRTIO_F_EVENT_IDX agreed */
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC agreed */
	bool quiet;		/* virtq_interrupts(false): used_event is left behind */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint64_t desc_addr, avail_addr, used_addr;	/* as the device sees them */
	struct virtq_slot *slots;	/* num entries */
};

/* One buffer segment: a device address and a length (> 0). */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/* True when num is a valid split-queue size: a power of two, 1 to 32768. */
bool virtq_size_valid(unsigned num);

/* The layout of a queue of num entries with the used ring aligned to align (a power of two). */
void virtq_layout(unsigned num, size_t align, struct virtq_layout *l);

/*
 * Sets up vq over mem (zeroed here; layout as virtq_layout(num, align)),
 * whose device address is mem_addr, with slots[num] for bookkeeping.
 * 0, or -EINVAL for a bad size.
 */
int virtq_init(struct virtq *vq, unsigned num, size_t align, void *mem, uint64_t mem_addr,
	       struct virtq_slot *slots, bool event_idx, bool indirect);

/*
 * Queues a request of n_out device-readable segments followed by n_in
 * device-writable ones, tagged with cookie, and publishes it to the device.
 * If indirect (room for n_out + n_in descriptors, at device address
 * indirect_addr) is given and the queue agreed INDIRECT_DESC, the request
 * takes one ring descriptor. Returns the head index, -ENOSPC when the ring
 * has too few free descriptors (retry after completions), -EINVAL for an
 * empty request or one larger than the ring.
 */
int virtq_add(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out, unsigned n_in,
	      void *cookie, struct virtq_desc *indirect, uint64_t indirect_addr);

/*
 * After one or more virtq_add(): whether the device asked to be notified
 * of what was published since the last call. Contains the full barrier
 * between publishing and reading the device's suppression state.
 */
bool virtq_kick_prepare(struct virtq *vq);

/*
 * Takes the next completed request: 1 with *cookie and *len (bytes the
 * device wrote), 0 if there is none, -EIO if the device wrote something
 * impossible (see above; nothing is consumed).
 */
int virtq_get_used(struct virtq *vq, void **cookie, uint32_t *len);

/*
 * Takes back a request the device will never complete (its device was
 * reset): the first busy head at or after *pos, advancing *pos. 1 with
 * *cookie, 0 when none is left.
 */
int virtq_reclaim(struct virtq *vq, unsigned *pos, void **cookie);

/*
 * Interrupt suppression for a queue the driver drains by polling (a NIC's
 * receive queue, NAPI-style): virtq_interrupts(vq, false) asks the device
 * not to interrupt (NO_INTERRUPT, and used_event stops following
 * consumption, so at most one interrupt already on its way still comes);
 * virtq_interrupts(vq, true) asks again for an interrupt at the next
 * completion and returns whether completions are already waiting (they
 * may have landed while interrupts were off: the caller polls again).
 * A hint to the device, never a guarantee. Contains a full barrier.
 */
bool virtq_interrupts(struct virtq *vq, bool on);

/*
 * The event-index rule: with the other side's event index `event`, moving
 * our index from old to new_idx crosses it, so the other side wants to hear.
 * All arithmetic modulo 2^16.
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
