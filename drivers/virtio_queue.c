/*
 * The split virtqueue's bookkeeping (mote/virtqueue.h). Portable: built
 * into the kernel and into tests/unit/test_virtqueue.c unchanged.
 *
 * Ordering. Descriptors and the avail ring entry are plain stores; the
 * avail index is published with a release store, so the device never sees
 * the index before what it covers. Reading the used ring is the mirror: an
 * acquire load of the used index before the entries. The kick decision
 * needs a full fence: our index store must be visible before we read the
 * device's suppression state, or both sides could decide the other will
 * act.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/virtqueue.h>

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->num];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

static size_t align_up(size_t v, size_t align)
{
	return (v + align - 1) & ~(align - 1);
}

bool virtq_size_valid(unsigned num)
{
	return num && num <= VIRTQ_MAX_SIZE && !(num & (num - 1));
}

void virtq_layout(unsigned num, size_t align, struct virtq_layout *l)
{
	size_t avail_end;

	l->avail_off = sizeof(struct virtq_desc) * num;
	avail_end = l->avail_off + 2 * sizeof(uint16_t) + sizeof(uint16_t) * (num + 1);
	l->used_off = align_up(avail_end, align);
	l->size = l->used_off + align_up(2 * sizeof(uint16_t) +
					 sizeof(struct virtq_used_elem) * num + sizeof(uint16_t),
					 align);
}

int virtq_init(struct virtq *vq, unsigned num, size_t align, void *mem, uint64_t mem_addr,
	       struct virtq_slot *slots, bool event_idx, bool indirect)
{
	struct virtq_layout l;

	if (!virtq_size_valid(num))
		return -EINVAL;
	virtq_layout(num, align, &l);
	memset(mem, 0, l.size);
	memset(slots, 0, sizeof(*slots) * num);
	*vq = (struct virtq){
		.num = (uint16_t)num,
		.num_free = (uint16_t)num,
		.event_idx = event_idx,
		.indirect = indirect,
		.desc = mem,
		.avail = (struct virtq_avail *)((char *)mem + l.avail_off),
		.used = (struct virtq_used *)((char *)mem + l.used_off),
		.desc_addr = mem_addr,
		.avail_addr = mem_addr + l.avail_off,
		.used_addr = mem_addr + l.used_off,
		.slots = slots,
	};
	/* num == 32768 wraps next to 0 on the last entry: it is never followed. */
	for (unsigned i = 0; i < num; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	return 0;
}

/* Fills n descriptors of table from segs, chained by index order (an indirect table). */
static uint32_t fill_table(struct virtq_desc *table, const struct virtq_seg *segs, unsigned n_out,
			   unsigned n)
{
	uint32_t in_bytes = 0;

	for (unsigned i = 0; i < n; i++) {
		bool in = i >= n_out;

		table[i] = (struct virtq_desc){
			.addr = segs[i].addr,
			.len = segs[i].len,
			.flags = (uint16_t)((in ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			.next = (uint16_t)(i + 1 < n ? i + 1 : 0),
		};
		if (in)
			in_bytes += segs[i].len;
	}
	return in_bytes;
}

/* Takes n descriptors off the free list for segs; returns the head. */
static uint16_t fill_chain(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out,
			   unsigned n, uint32_t *in_bytes)
{
	uint16_t head = vq->free_head, i = head, last = head;

	*in_bytes = 0;
	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc *d = &vq->desc[i];
		bool in = k >= n_out;

		d->addr = segs[k].addr;
		d->len = segs[k].len;
		d->flags = (uint16_t)((in ? VIRTQ_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (in)
			*in_bytes += segs[k].len;
		last = i;
		i = d->next;
	}
	vq->free_head = vq->desc[last].next;
	return head;
}

static void publish(struct virtq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
}

int virtq_add(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out, unsigned n_in,
	      void *cookie, struct virtq_desc *indirect, uint64_t indirect_addr)
{
	unsigned n = n_out + n_in;
	bool use_indirect = indirect && vq->indirect && n > 1;
	unsigned need = use_indirect ? 1 : n;
	uint32_t in_bytes;
	uint16_t head;

	if (!n || n > VIRTQ_MAX_SIZE || (!use_indirect && n > vq->num))
		return -EINVAL;
	if (vq->num_free < need)
		return -ENOSPC;
	if (use_indirect) {
		struct virtq_seg table = { indirect_addr, (uint32_t)(n * sizeof(*indirect)) };

		in_bytes = fill_table(indirect, segs, n_out, n);
		head = fill_chain(vq, &table, 1, 1, &(uint32_t){ 0 });
		vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
	} else {
		head = fill_chain(vq, segs, n_out, n, &in_bytes);
	}
	vq->num_free = (uint16_t)(vq->num_free - need);
	vq->slots[head] = (struct virtq_slot){ cookie, in_bytes, (uint16_t)need, true };
	publish(vq, head);
	return head;
}

bool virtq_kick_prepare(struct virtq *vq)
{
	uint16_t old = vq->kicked_idx, now = vq->avail_idx;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->kicked_idx = now;
	if (old == now)
		return false;
	if (vq->event_idx)
		return virtq_need_event(__atomic_load_n(avail_event(vq), __ATOMIC_RELAXED), now, old);
	return !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

/* The last descriptor of head's chain, or -1 if the chain is no longer the one built. */
static int chain_tail(const struct virtq *vq, uint16_t head)
{
	uint16_t i = head;

	for (unsigned k = 1; k < vq->slots[head].ndesc; k++) {
		if (!(vq->desc[i].flags & VIRTQ_DESC_F_NEXT) || vq->desc[i].next >= vq->num)
			return -1;
		i = vq->desc[i].next;
	}
	return i;
}

/* Returns head's descriptors to the free list and clears its slot. */
static void release(struct virtq *vq, uint16_t head, uint16_t tail)
{
	vq->desc[tail].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + vq->slots[head].ndesc);
	vq->slots[head] = (struct virtq_slot){ 0 };
}

int virtq_get_used(struct virtq *vq, void **cookie, uint32_t *len)
{
	uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	uint16_t in_flight = (uint16_t)(vq->avail_idx - vq->last_used);
	struct virtq_used_elem e;
	int tail;

	if (used_idx == vq->last_used)
		return 0;
	if ((uint16_t)(used_idx - vq->last_used) > in_flight)
		return -EIO;	/* the device claims more than was ever given to it */
	e = vq->used->ring[vq->last_used & (vq->num - 1)];
	if (e.id >= vq->num || !vq->slots[e.id].busy || e.len > vq->slots[e.id].in_bytes)
		return -EIO;
	tail = chain_tail(vq, (uint16_t)e.id);
	if (tail < 0)
		return -EIO;
	*cookie = vq->slots[e.id].cookie;
	*len = e.len;
	release(vq, (uint16_t)e.id, (uint16_t)tail);
	vq->last_used++;
	if (vq->event_idx && !vq->quiet)	/* interrupt me at the next completion */
		__atomic_store_n(used_event(vq), vq->last_used, __ATOMIC_RELAXED);
	return 1;
}

bool virtq_interrupts(struct virtq *vq, bool on)
{
	uint16_t flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;

	vq->quiet = !on;
	__atomic_store_n(&vq->avail->flags, flags, __ATOMIC_RELAXED);
	if (on && vq->event_idx)
		__atomic_store_n(used_event(vq), vq->last_used, __ATOMIC_RELAXED);
	/* Our request must be visible before we look, or a completion could slip between. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) != vq->last_used;
}

int virtq_reclaim(struct virtq *vq, unsigned *pos, void **cookie)
{
	for (; *pos < vq->num; (*pos)++) {
		uint16_t head = (uint16_t)*pos;
		int tail;

		if (!vq->slots[head].busy)
			continue;
		*cookie = vq->slots[head].cookie;
		tail = chain_tail(vq, head);
		if (tail >= 0) {
			release(vq, head, (uint16_t)tail);
		} else {	/* the free list cannot be trusted: the queue is dead anyway */
			vq->slots[head] = (struct virtq_slot){ 0 };
			vq->num_free = 0;
		}
		(*pos)++;
		return 1;
	}
	return 0;
}
