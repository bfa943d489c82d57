/*
 * Self-tests of the virtio core against a fake transport and device written
 * here: negotiation (features kept and refused), a request served
 * properly, and devices that misbehave (a used-ring id not in flight, a
 * length beyond the buffers, a used index running ahead, FEATURES_OK
 * refused, a modern device without VERSION_1). A misbehaving device must
 * be disabled, its requests in flight fail with -EIO, and later requests
 * fail at once.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/ktest.h>
#include <mote/mm.h>
#include <mote/virtio.h>

#define FAKE_ID 0xfff0	/* a device type no real device has */

struct fake {
	uint64_t offered, accepted;
	uint8_t status;
	bool refuse_features_ok;
	unsigned notified;
	unsigned resets;
	/* what the last completion said */
	void *done_cookie;
	uint32_t done_len;
	int done_err;
	unsigned done_count;
};

static struct fake *fk(struct virtio_device *d)
{
	return d->transport_priv;
}

static uint64_t fake_get_features(struct virtio_device *d)
{
	return fk(d)->offered;
}

static void fake_set_features(struct virtio_device *d, uint64_t f)
{
	fk(d)->accepted = f;
}

static uint8_t fake_get_status(struct virtio_device *d)
{
	return fk(d)->status;
}

static void fake_set_status(struct virtio_device *d, uint8_t s)
{
	if (fk(d)->refuse_features_ok)
		s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	if (!s)
		fk(d)->resets++;
	fk(d)->status = s;
}

static uint32_t fake_config_read(struct virtio_device *d, unsigned off, unsigned width)
{
	(void)d;
	(void)width;
	return off;
}

static uint32_t fake_generation(struct virtio_device *d)
{
	(void)d;
	return 0;
}

static unsigned fake_queue_max(struct virtio_device *d, unsigned index, bool *fixed)
{
	(void)d;
	*fixed = false;
	return index == 0 ? 8 : 0;
}

static int fake_queue_enable(struct virtio_device *d, struct virtio_queue *q)
{
	(void)d;
	(void)q;
	return 0;
}

static void fake_notify(struct virtio_device *d, struct virtio_queue *q)
{
	(void)q;
	fk(d)->notified++;
}

static int fake_setup_interrupt(struct virtio_device *d)
{
	(void)d;
	return 0;
}

static const struct virtio_transport fake_transport = {
	.name = "fake", .modern = true, .ring_align = 4,
	.get_features = fake_get_features, .set_features = fake_set_features,
	.get_status = fake_get_status, .set_status = fake_set_status,
	.config_read = fake_config_read, .config_generation = fake_generation,
	.queue_max = fake_queue_max, .queue_enable = fake_queue_enable, .notify = fake_notify,
	.setup_interrupt = fake_setup_interrupt,
};

static void fake_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	struct fake *f = fk(q->dev);

	f->done_cookie = cookie;
	f->done_len = len;
	f->done_err = err;
	f->done_count++;
}

static int fake_probe(struct virtio_device *d)
{
	int ret = virtio_queue_setup(d, 0, 64, fake_done);

	if (!ret)
		virtio_device_ready(d);
	return ret;
}

VIRTIO_DRIVER(fake_driver) = {
	.name = "ktest-fake",
	.device_id = FAKE_ID,
	.features = VIRTIO_FEATURE(3),
	.probe = fake_probe,
};

static struct virtio_device *fake_device(struct fake *f, uint64_t offered)
{
	struct virtio_device *d = mm_calloc(1, sizeof(*d));

	*f = (struct fake){ .offered = offered };
	if (!d)
		return NULL;
	memcpy(d->name, "ktest-fake", sizeof("ktest-fake"));
	d->device_id = FAKE_ID;
	d->transport = &fake_transport;
	d->transport_priv = f;
	return d;
}

/* The device side: completes the next available request as (id, len). */
static void device_uses(struct virtio_device *d, uint32_t id, uint32_t len)
{
	struct virtq *vq = &d->queues[0].vq;

	vq->used->ring[vq->used->idx & (vq->num - 1)] = (struct virtq_used_elem){ id, len };
	__atomic_store_n(&vq->used->idx, (uint16_t)(vq->used->idx + 1), __ATOMIC_RELEASE);
}

static const uint64_t modern = VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(3) |
			       VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEATURE(7);

KTEST(virtio_core_good_device)
{
	static struct fake f;
	static char buf[64];
	struct virtio_device *d = fake_device(&f, modern);
	struct virtq_seg seg = { mm_virt_to_phys(buf), sizeof(buf) };
	uint16_t head;

	KT_ASSERT(d);
	KT_ASSERT(virtio_device_add(d) == 0);
	/* Ours (3), the core's (VERSION_1, INDIRECT); never what nobody asked for (7). */
	KT_EXPECT(f.accepted == (modern & ~VIRTIO_FEATURE(7)));
	KT_EXPECT(f.status == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK));
	KT_EXPECT(d->queues[0].vq.num == 8 && virtio_config_u64(d, 4) == (8ULL << 32 | 4));
	KT_ASSERT(virtio_submit(&d->queues[0], &seg, 0, 1, buf, NULL, 0) == 0);
	KT_EXPECT(f.notified == 1);
	head = d->queues[0].vq.avail->ring[0];
	device_uses(d, head, 10);
	virtio_interrupt(d);
	KT_EXPECT(f.done_count == 1 && f.done_cookie == buf && f.done_len == 10 && f.done_err == 0);
	KT_EXPECT(!d->broken);
}

/* Submits one request, lets the device answer (id, len) and checks the device was disabled. */
static bool misbehaves(struct fake *f, uint32_t id_delta, uint32_t len, uint16_t extra_idx)
{
	static char buf[64];
	struct virtio_device *d = fake_device(f, modern);
	struct virtq_seg seg = { mm_virt_to_phys(buf), sizeof(buf) };
	struct virtq *vq;
	unsigned resets;

	if (!d || virtio_device_add(d) || virtio_submit(&d->queues[0], &seg, 0, 1, buf, NULL, 0))
		return false;
	vq = &d->queues[0].vq;
	resets = f->resets;
	device_uses(d, vq->avail->ring[0] + id_delta, len);
	vq->used->idx = (uint16_t)(vq->used->idx + extra_idx);
	virtio_interrupt(d);
	return d->broken && f->resets == resets + 1 && f->done_count == 1 && f->done_err == -EIO &&
	       f->done_cookie == buf &&
	       virtio_submit(&d->queues[0], &seg, 0, 1, buf, NULL, 0) == -EIO && f->done_count == 1;
}

KTEST(virtio_core_bad_devices)
{
	static struct fake f;
	struct virtio_device *d;

	KT_EXPECT(misbehaves(&f, 1, 0, 0));	/* an id not in flight */
	KT_EXPECT(misbehaves(&f, 100, 0, 0));	/* an id outside the ring */
	KT_EXPECT(misbehaves(&f, 0, 65, 0));	/* more bytes than the buffer */
	KT_EXPECT(misbehaves(&f, 0, 64, 5));	/* a used index running ahead */

	d = fake_device(&f, modern);
	KT_ASSERT(d);
	f.refuse_features_ok = true;
	KT_EXPECT(virtio_device_add(d) == -EIO && d->broken);

	d = fake_device(&f, modern & ~VIRTIO_FEATURE(VIRTIO_F_VERSION_1));
	KT_ASSERT(d);
	KT_EXPECT(virtio_device_add(d) == -EIO && d->broken);
}
