/*
 * The virtio core (mote/virtio.h): feature negotiation, queues over the
 * split-ring bookkeeping of drivers/virtio_queue.c, interrupts, and what
 * happens to a device that misbehaves.
 *
 * Locking. A queue's spinlock covers its ring bookkeeping and the doorbell;
 * it is a leaf (nothing else is taken under it). Completions are popped one
 * at a time under the lock and the driver's done function runs after it is
 * dropped, so done may wake threads. `broken` is set once, with an atomic
 * exchange, by whoever notices first; readers treat it as a hint and the
 * queue lock orders it against ring use.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/virtio.h>

extern const struct virtio_driver __virtio_drivers_start[], __virtio_drivers_end[];

static struct virtio_device *all_devices;

struct virtio_device *virtio_devices(void)
{
	return __atomic_load_n(&all_devices, __ATOMIC_ACQUIRE);
}

void virtio_init(bool pci)
{
	virtio_mmio_probe_all();
	if (pci)
		virtio_pci_probe_all();
}

static const struct virtio_driver *find_driver(uint32_t device_id)
{
	for (const struct virtio_driver *drv = __virtio_drivers_start; drv < __virtio_drivers_end; drv++)
		if (drv->device_id == device_id)
			return drv;
	return NULL;
}

static void add_status(struct virtio_device *d, uint8_t bits)
{
	d->transport->set_status(d, d->transport->get_status(d) | bits);
}

/* Agrees on features; false (with a log line) if the device refused or is unusable. */
static bool negotiate(struct virtio_device *d)
{
	const struct virtio_transport *t = d->transport;
	uint64_t offered = t->get_features(d), wanted;

	wanted = d->driver->features | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) |
		 VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX);
	if (t->modern) {
		if (!(offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
			virtio_device_fail(d, "a modern transport without VERSION_1");
			return false;
		}
		wanted |= VIRTIO_FEATURE(VIRTIO_F_VERSION_1);
	} else {
		wanted &= 0xffffffffu;
	}
	d->features = offered & wanted;
	t->set_features(d, d->features);
	if (!t->modern)
		return true;
	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(t->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_device_fail(d, "the device refused our features");
		return false;
	}
	return true;
}

int virtio_device_add(struct virtio_device *d)
{
	const struct virtio_transport *t = d->transport;
	int ret;

	d->driver = find_driver(d->device_id);
	if (!d->driver) {
		printk("virtio: %s: device type %u, no driver\n", d->name, d->device_id);
		return -ENODEV;
	}
	d->next = all_devices;
	__atomic_store_n(&all_devices, d, __ATOMIC_RELEASE);
	t->set_status(d, 0);
	t->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);
	if (!negotiate(d))
		return -EIO;
	ret = t->setup_interrupt(d);
	if (ret) {
		virtio_device_fail(d, "no interrupt");
		return ret;
	}
	ret = d->driver->probe(d);
	if (ret && !d->broken) {
		char why[48];

		fmt_snprintf(why, sizeof(why), "%s probe failed (error %d)", d->driver->name, ret);
		virtio_device_fail(d, why);
	}
	return ret;
}

static unsigned ring_order(size_t bytes)
{
	unsigned order = 0;

	while (((size_t)MM_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

int virtio_queue_setup(struct virtio_device *d, unsigned index, unsigned max_size,
		       virtio_done_fn done)
{
	const struct virtio_transport *t = d->transport;
	struct virtio_queue *q = &d->queues[index];
	struct virtq_layout l;
	bool fixed = false;
	unsigned max, num;

	if (index >= VIRTIO_MAX_QUEUES)
		return -ENOENT;
	if (!max_size)
		return -EINVAL;
	max = t->queue_max(d, index, &fixed);
	if (!max)
		return -ENOENT;
	if (!virtq_size_valid(max) || (fixed && max > 4096)) {
		virtio_device_fail(d, "a queue size the spec forbids (or over 4096)");
		return -EIO;
	}
	num = fixed || max < max_size ? max : max_size;
	while (!fixed && !virtq_size_valid(num))
		num &= num - 1;	/* max_size need not be a power of two */
	virtq_layout(num, t->ring_align, &l);
	q->ring_order = ring_order(l.size);
	q->ring = page_alloc(q->ring_order);
	q->slots = mm_calloc(num, sizeof(*q->slots));
	if (!q->ring || !q->slots) {
		if (q->ring)
			page_free(q->ring, q->ring_order);
		mm_free(q->slots);
		return -ENOMEM;
	}
	q->dev = d;
	q->index = index;
	q->done = done;
	spin_init(&q->lock, "virtio queue", SPIN_RANK_LEAF);
	waitq_init(&q->space);
	virtq_init(&q->vq, num, t->ring_align, q->ring, mm_virt_to_phys(q->ring), q->slots,
		   virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
		   virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC));
	if (index >= d->nr_queues)
		d->nr_queues = index + 1;
	return t->queue_enable(d, q);
}

void virtio_device_ready(struct virtio_device *d)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

int virtio_submit(struct virtio_queue *q, const struct virtq_seg *segs, unsigned n_out,
		  unsigned n_in, void *cookie, struct virtq_desc *indirect, uint64_t indirect_addr)
{
	struct virtio_device *d = q->dev;
	unsigned need = indirect && q->vq.indirect && n_out + n_in > 1 ? 1 : n_out + n_in;

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&q->lock);
		int ret = d->broken ? -EIO : virtq_add(&q->vq, segs, n_out, n_in, cookie, indirect,
						       indirect_addr);

		if (ret >= 0 && virtq_kick_prepare(&q->vq))
			d->transport->notify(d, q);
		spin_unlock_irqrestore(&q->lock, flags);
		if (ret != -ENOSPC)
			return ret < 0 ? ret : 0;
		waitq_wait_event(&q->space, q->vq.num_free >= need || d->broken, 0);
	}
}

/* Pops and completes what the device finished on q; false if it misbehaved. */
static bool drain(struct virtio_queue *q)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&q->lock);
		void *cookie = NULL;
		uint32_t len = 0;
		int got = q->dev->broken ? 0 : virtq_get_used(&q->vq, &cookie, &len);

		spin_unlock_irqrestore(&q->lock, flags);
		if (got < 0)
			return false;
		if (!got)
			return true;
		q->done(q, cookie, len, 0);
		waitq_wake_all(&q->space);
	}
}

static const char bad_used[] = "bad used-ring entry (an id not in flight, a length beyond the "
				"buffers, or an index running ahead)";

int virtio_queue_poll(struct virtio_queue *q, void **cookie, uint32_t *len)
{
	unsigned long flags = spin_lock_irqsave(&q->lock);
	int got = q->dev->broken ? -EIO : virtq_get_used(&q->vq, cookie, len);

	spin_unlock_irqrestore(&q->lock, flags);
	if (got < 0)
		virtio_device_fail(q->dev, bad_used);
	else if (got)
		waitq_wake_all(&q->space);
	return got;
}

void virtio_queue_kick(struct virtio_queue *q)
{
	if (!q->dev->broken)
		q->dev->transport->notify(q->dev, q);
}

bool virtio_queue_interrupts(struct virtio_queue *q, bool on)
{
	unsigned long flags = spin_lock_irqsave(&q->lock);
	/* A disabled device's ring means nothing: never "waiting", or pollers would spin. */
	bool waiting = virtq_interrupts(&q->vq, on) && !q->dev->broken;

	spin_unlock_irqrestore(&q->lock, flags);
	return waiting;
}

void virtio_interrupt(struct virtio_device *d)
{
	for (unsigned i = 0; i < d->nr_queues; i++) {
		struct virtio_queue *q = &d->queues[i];

		if (q->ready) {
			if (!d->broken)
				q->ready(q);
			continue;
		}
		if (q->done && !drain(q)) {
			virtio_device_fail(d, bad_used);
			return;
		}
	}
}

/* Completes with -EIO everything the device still held on q. */
static void abandon(struct virtio_queue *q)
{
	unsigned pos = 0;

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&q->lock);
		void *cookie = NULL;
		int got = virtq_reclaim(&q->vq, &pos, &cookie);

		spin_unlock_irqrestore(&q->lock, flags);
		if (!got)
			break;
		q->done(q, cookie, 0, -EIO);
	}
	waitq_wake_all(&q->space);
}

void virtio_device_fail(struct virtio_device *d, const char *why)
{
	if (__atomic_exchange_n(&d->broken, true, __ATOMIC_ACQ_REL))
		return;
	printk("virtio: %s: %s; device disabled\n", d->name, why);
	/* The reset takes the rings away from the device before we reuse their buffers. */
	d->transport->set_status(d, 0);
	d->transport->set_status(d, VIRTIO_STATUS_FAILED);
	for (unsigned i = 0; i < d->nr_queues; i++) {
		struct virtio_queue *q = &d->queues[i];

		/* Taking the lock orders `broken` before every later ring use. */
		unsigned long flags = spin_lock_irqsave(&q->lock);
		spin_unlock_irqrestore(&q->lock, flags);
		if (q->done)
			abandon(q);
	}
}

/* Reads a field of `width` (1, 2, 4 or 8 as two halves) until the generation holds still. */
static uint64_t config_read(struct virtio_device *d, unsigned offset, unsigned width)
{
	const struct virtio_transport *t = d->transport;
	uint32_t gen, lo, hi = 0;

	do {
		gen = t->config_generation(d);
		lo = t->config_read(d, offset, width == 8 ? 4 : width);
		if (width == 8)
			hi = t->config_read(d, offset + 4, 4);
	} while (gen != t->config_generation(d));
	return (uint64_t)hi << 32 | lo;
}

uint8_t virtio_config_u8(struct virtio_device *d, unsigned offset)
{
	return (uint8_t)config_read(d, offset, 1);
}

uint16_t virtio_config_u16(struct virtio_device *d, unsigned offset)
{
	return (uint16_t)config_read(d, offset, 2);
}

uint32_t virtio_config_u32(struct virtio_device *d, unsigned offset)
{
	return (uint32_t)config_read(d, offset, 4);
}

uint64_t virtio_config_u64(struct virtio_device *d, unsigned offset)
{
	return config_read(d, offset, 8);
}
