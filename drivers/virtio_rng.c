/*
 * virtio-rng (virtio 1.x, "Entropy Device"): the host's randomness for the
 * kernel pool (mote/random.h).
 *
 * The device fills whatever device-writable buffer it is given. At probe
 * one 64-byte request goes out and the boot does not wait for it: the
 * completion, in the interrupt handler, mixes the bytes into the pool and
 * asks for more until RNG_BOOT_BYTES have arrived. After that the pool,
 * a CSPRNG, needs no more; the device then sits idle.
 */
#include <lib/errno.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/random.h>
#include <mote/virtio.h>

#define RNG_REQUEST_BYTES 64
#define RNG_BOOT_BYTES    256

struct rng {
	uint8_t *buf;		/* one page, device-writable */
	uint64_t received;
};

static int rng_request(struct virtio_queue *q, struct rng *r)
{
	struct virtq_seg seg = { mm_virt_to_phys(r->buf), RNG_REQUEST_BYTES };

	return virtio_submit(q, &seg, 0, 1, r, NULL, 0);
}

static void rng_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	struct rng *r = cookie;

	if (err || !len)
		return;
	random_add_entropy(r->buf, len);
	r->received += len;
	if (r->received < RNG_BOOT_BYTES)
		rng_request(q, r);	/* the ring is empty: this never waits */
}

static int rng_probe(struct virtio_device *d)
{
	struct rng *r = mm_calloc(1, sizeof(*r));
	int ret;

	if (!r || !(r->buf = page_alloc(0))) {
		mm_free(r);
		return -ENOMEM;
	}
	d->driver_priv = r;
	ret = virtio_queue_setup(d, 0, 4, rng_done);
	if (ret)
		return ret;
	virtio_device_ready(d);
	printk("virtio-rng: %s (%s) feeds the random pool\n", d->name, d->transport->name);
	return rng_request(&d->queues[0], r);
}

VIRTIO_DRIVER(virtio_rng_driver) = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.probe = rng_probe,
};
