/*
 * The split virtqueue's bookkeeping (drivers/virtio_queue.c) against a fake
 * device written here: ring sizes and layouts, the event-index rule, the
 * free list under fill/drain cycles, indirect tables, refusal of
 * impossible used-ring entries, and interrupt suppression for polled queues.
 */
#include <stdlib.h>
#include <string.h>
#include <lib/errno.h>
#include <mote/virtqueue.h>
#include "check.h"

/* A queue in host memory whose "device address" is its host address. */
struct fixture {
	struct virtq vq;
	struct virtq_slot slots[VIRTQ_MAX_SIZE];
	void *mem;
	uint16_t dev_avail;	/* the fake device's next avail index to read */
};

static void setup(struct fixture *f, unsigned num, size_t align, bool event_idx, bool indirect)
{
	struct virtq_layout l;

	virtq_layout(num, align, &l);
	f->mem = aligned_alloc(4096, (l.size + 4095) & ~(size_t)4095);
	memset(f->mem, 0xa5, l.size);	/* virtq_init must clear it */
	EXPECT(virtq_init(&f->vq, num, align, f->mem, (uint64_t)(uintptr_t)f->mem, f->slots,
			  event_idx, indirect) == 0);
	f->dev_avail = 0;
}

/* The fake device: completes head having written len bytes. */
static void device_complete_head(struct fixture *f, uint16_t head, uint32_t len)
{
	struct virtq *vq = &f->vq;

	vq->used->ring[vq->used->idx & (vq->num - 1)] = (struct virtq_used_elem){ head, len };
	vq->used->idx++;
}

/* The fake device: takes the next available head and completes it. */
static void device_complete_next(struct fixture *f, uint32_t len)
{
	device_complete_head(f, f->vq.avail->ring[f->dev_avail++ & (f->vq.num - 1)], len);
}

static void sizes_and_layouts(void)
{
	struct virtq_layout l;

	EXPECT(virtq_size_valid(1) && virtq_size_valid(256) && virtq_size_valid(32768));
	EXPECT(!virtq_size_valid(0) && !virtq_size_valid(3) && !virtq_size_valid(65536) &&
	       !virtq_size_valid(100));
	/* The legacy 256-entry queue QEMU offers: 4096 + 518 -> 8192, + 2054 -> 12288. */
	virtq_layout(256, 4096, &l);
	EXPECT(l.avail_off == 4096 && l.used_off == 8192 && l.size == 12288);
	/* Legacy 1024 entries (QEMU's virtio-rng-pci): 16384 + 2054 -> 20480, used 8198 -> 12288. */
	virtq_layout(1024, 4096, &l);
	EXPECT(l.used_off == 20480 && l.size == 32768);
	/* Modern, packed: avail ends at 2048 + 262, used (1030 bytes) at the next 4: one page. */
	virtq_layout(128, 4, &l);
	EXPECT(l.avail_off == 2048 && l.used_off == 2312 && l.size == 2312 + 1032);
	EXPECT(l.used_off % 4 == 0);
}

static void need_event_rule(void)
{
	/* Published 1 (0 -> 1); the device wants to hear at 0: yes. */
	EXPECT(virtq_need_event(0, 1, 0));
	/* It asked for index 5; we went 0 -> 3: no. 3 -> 6 crosses 5: yes. */
	EXPECT(!virtq_need_event(5, 3, 0));
	EXPECT(virtq_need_event(5, 6, 3));
	/* Exactly reaching event + 1 counts; stopping at event does not. */
	EXPECT(virtq_need_event(5, 6, 5));
	EXPECT(!virtq_need_event(5, 5, 4));
	/* Wrap-around at 2^16. */
	EXPECT(virtq_need_event(0xffff, 1, 0xfffe));
	EXPECT(!virtq_need_event(2, 1, 0xfffe));
	EXPECT(virtq_need_event(0, 2, 0xfffe));
	/* Nothing new: never. */
	EXPECT(!virtq_need_event(7, 9, 9));
}

static void free_list_fills_and_drains(void)
{
	static struct fixture f;
	struct virtq_seg segs[3] = { { 0x1000, 16 }, { 0x2000, 512 }, { 0x3000, 1 } };
	int cookies[8];
	void *cookie;
	uint32_t len;

	setup(&f, 8, 4096, false, false);
	for (int round = 0; round < 5; round++) {
		/* Two 3-descriptor chains fit in 8; the third does not. */
		EXPECT(virtq_add(&f.vq, segs, 1, 2, &cookies[0], NULL, 0) >= 0);
		EXPECT(virtq_add(&f.vq, segs, 1, 2, &cookies[1], NULL, 0) >= 0);
		EXPECT(f.vq.num_free == 2);
		EXPECT(virtq_add(&f.vq, segs, 1, 2, &cookies[2], NULL, 0) == -ENOSPC);
		EXPECT(virtq_add(&f.vq, segs, 1, 1, &cookies[2], NULL, 0) >= 0);
		EXPECT(f.vq.num_free == 0);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 0);
		/* The device completes out of order: second, first, third. */
		uint16_t h0 = f.vq.avail->ring[f.dev_avail & 7];
		uint16_t h1 = f.vq.avail->ring[(f.dev_avail + 1) & 7];
		f.dev_avail += 2;
		device_complete_head(&f, h1, 0);
		device_complete_head(&f, h0, 513);
		device_complete_next(&f, 512);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == &cookies[1] && len == 0);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == &cookies[0] && len == 513);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == &cookies[2] && len == 512);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 0);
		EXPECT(f.vq.num_free == 8);
	}
	/* The descriptors of a chain carry the segments, WRITE on the device-writable ones. */
	int head = virtq_add(&f.vq, segs, 1, 2, &cookies[3], NULL, 0);
	EXPECT(head >= 0);
	struct virtq_desc *d = &f.vq.desc[head];
	EXPECT(d->addr == 0x1000 && d->len == 16 && d->flags == VIRTQ_DESC_F_NEXT);
	d = &f.vq.desc[d->next];
	EXPECT(d->addr == 0x2000 && d->flags == (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE));
	d = &f.vq.desc[d->next];
	EXPECT(d->addr == 0x3000 && d->flags == VIRTQ_DESC_F_WRITE);
	EXPECT(virtq_add(&f.vq, segs, 0, 0, NULL, NULL, 0) == -EINVAL);
	free(f.mem);
}

static void indirect_takes_one_descriptor(void)
{
	static struct fixture f;
	static struct virtq_desc tables[4][3];
	struct virtq_seg segs[3] = { { 0x1000, 16 }, { 0x2000, 4096 }, { 0x3000, 1 } };
	void *cookie;
	uint32_t len;

	setup(&f, 4, 4, false, true);
	for (int i = 0; i < 4; i++)
		EXPECT(virtq_add(&f.vq, segs, 2, 1, tables[i], tables[i], 0x9000 + 48 * i) >= 0);
	EXPECT(f.vq.num_free == 0);
	struct virtq_desc *d = &f.vq.desc[f.vq.avail->ring[1]];
	EXPECT(d->flags == VIRTQ_DESC_F_INDIRECT && d->addr == 0x9000 + 48 && d->len == 48);
	EXPECT(tables[1][0].flags == VIRTQ_DESC_F_NEXT && tables[1][0].next == 1);
	EXPECT(tables[1][2].flags == VIRTQ_DESC_F_WRITE && tables[1][2].addr == 0x3000);
	/* The device may write only the one writable byte. */
	device_complete_next(&f, 2);
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	f.vq.used->ring[0].len = 1;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == tables[0] && len == 1);
	EXPECT(f.vq.num_free == 1);
	free(f.mem);
}

static void bad_used_entries_are_refused(void)
{
	static struct fixture f;
	struct virtq_seg seg = { 0x1000, 512 };
	void *cookie = NULL;
	uint32_t len = 0;
	int head;

	setup(&f, 8, 4096, false, false);
	head = virtq_add(&f.vq, &seg, 0, 1, &f, NULL, 0);
	EXPECT(head >= 0);
	/* An id outside the ring. */
	f.vq.used->ring[0] = (struct virtq_used_elem){ 8, 0 };
	f.vq.used->idx = 1;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	/* An id inside the ring that is not in flight. */
	f.vq.used->ring[0].id = (uint32_t)(head + 1) & 7;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	/* A length beyond what the request let it write. */
	f.vq.used->ring[0] = (struct virtq_used_elem){ (uint32_t)head, 513 };
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	/* A used index running ahead of everything published. */
	f.vq.used->ring[0].len = 512;
	f.vq.used->idx = 2;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	f.vq.used->idx = 1;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == &f && len == 512);
	/* The same id twice: the second is no longer in flight. */
	f.vq.used->ring[1] = (struct virtq_used_elem){ (uint32_t)head, 0 };
	f.vq.used->idx = 2;
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	/* A chain whose links the device rewrote. */
	free(f.mem);
	setup(&f, 8, 4096, false, false);
	struct virtq_seg two[2] = { { 0x1000, 16 }, { 0x2000, 1 } };
	head = virtq_add(&f.vq, two, 1, 1, &f, NULL, 0);
	f.vq.desc[head].next = 200;
	device_complete_next(&f, 1);
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == -EIO);
	/* Reclaim gives the request back after a reset. */
	unsigned pos = 0;
	EXPECT(virtq_reclaim(&f.vq, &pos, &cookie) == 1 && cookie == &f);
	EXPECT(virtq_reclaim(&f.vq, &pos, &cookie) == 0);
	free(f.mem);
}

static void kick_follows_suppression(void)
{
	static struct fixture f;
	struct virtq_seg seg = { 0x1000, 512 };
	void *cookie;
	uint32_t len;

	/* Without event index: the NO_NOTIFY flag. */
	setup(&f, 8, 4096, false, false);
	EXPECT(!virtq_kick_prepare(&f.vq));	/* nothing published */
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	EXPECT(virtq_kick_prepare(&f.vq));
	f.vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	EXPECT(!virtq_kick_prepare(&f.vq));
	free(f.mem);

	/* With it: avail_event, and used_event follows consumption. */
	setup(&f, 8, 4096, true, false);
	uint16_t *avail_event = (uint16_t *)&f.vq.used->ring[8];
	uint16_t *used_event = &f.vq.avail->ring[8];
	*avail_event = 0;
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	EXPECT(virtq_kick_prepare(&f.vq));	/* 0 -> 1 crosses 0 */
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	EXPECT(!virtq_kick_prepare(&f.vq));	/* device still wants 0: it is busy */
	*avail_event = 2;
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	virtq_add(&f.vq, &seg, 1, 0, &f, NULL, 0);
	EXPECT(virtq_kick_prepare(&f.vq));	/* 2 -> 4 crosses 2 */
	device_complete_next(&f, 0);
	EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1 && *used_event == 1);
	free(f.mem);
}

/* virtq_interrupts(): off stops used_event following; on re-arms it and reports waiting work. */
static void interrupts_off_and_on(void)
{
	struct fixture f;
	struct virtq_seg seg = { 0x1000, 64 };
	void *cookie;
	uint32_t len;

	for (int ev = 0; ev < 2; ev++) {
		setup(&f, 8, 4096, ev, false);
		uint16_t *used_event = &f.vq.avail->ring[8];
		for (int i = 0; i < 4; i++)
			virtq_add(&f.vq, &seg, 0, 1, &f, NULL, 0);
		EXPECT(!virtq_interrupts(&f.vq, false));	/* nothing waiting */
		EXPECT(f.vq.avail->flags == VIRTQ_AVAIL_F_NO_INTERRUPT);
		device_complete_next(&f, 10);
		device_complete_next(&f, 10);
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1);
		EXPECT(*used_event == 0);	/* quiet: not moved to 1 */
		/* One still waits: turning interrupts on says so. */
		EXPECT(virtq_interrupts(&f.vq, true));
		EXPECT(f.vq.avail->flags == 0 && (!ev || *used_event == 1));
		EXPECT(virtq_get_used(&f.vq, &cookie, &len) == 1);
		EXPECT(!virtq_interrupts(&f.vq, true));
		EXPECT(!ev || *used_event == 2);
		/* A completion while on: the device's rule says interrupt. */
		device_complete_next(&f, 10);
		EXPECT(!ev || virtq_need_event(*used_event, f.vq.used->idx, 2));
		free(f.mem);
	}
}

static void largest_queue_wraps(void)
{
	static struct fixture f;
	struct virtq_seg seg = { 0x1000, 8 };
	void *cookie;
	uint32_t len;
	unsigned ok = 1;

	/* 70,000 requests through a 4-entry ring: the 16-bit indices wrap. */
	setup(&f, 4, 4, true, false);
	for (unsigned i = 0; i < 70000 && ok; i++) {
		ok &= virtq_add(&f.vq, &seg, 0, 1, (void *)(uintptr_t)(i + 1), NULL, 0) >= 0;
		device_complete_next(&f, 8);
		ok &= virtq_get_used(&f.vq, &cookie, &len) == 1 && cookie == (void *)(uintptr_t)(i + 1);
	}
	EXPECT(ok && f.vq.num_free == 4);
	free(f.mem);
	setup(&f, VIRTQ_MAX_SIZE, 4096, false, false);
	EXPECT(f.vq.num_free == VIRTQ_MAX_SIZE);
	free(f.mem);
}

int main(void)
{
	RUN(sizes_and_layouts);
	RUN(need_event_rule);
	RUN(free_list_fills_and_drains);
	RUN(indirect_takes_one_descriptor);
	RUN(bad_used_entries_are_refused);
	RUN(kick_follows_suppression);
	RUN(interrupts_off_and_on);
	RUN(largest_queue_wraps);
	return test_summary();
}
