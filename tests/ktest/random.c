/*
 * Self-tests of the random pool (mote/random.h) and of virtio-rng feeding
 * it (run with a virtio-rng device: `mote run --rng`; without one that
 * test says "skipped").
 */
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/random.h>
#include <mote/sync.h>
#include <mote/virtio.h>

KTEST(random_bytes_vary)
{
	uint8_t a[100], b[100], zero[100] = { 0 };

	random_bytes(a, sizeof(a));
	random_bytes(b, sizeof(b));
	KT_EXPECT(memcmp(a, b, sizeof(a)) != 0);
	KT_EXPECT(memcmp(a, zero, sizeof(a)) != 0);
	/* Lengths that are not multiples of a block or a word, and zero. */
	memset(b, 0, sizeof(b));
	random_bytes(b, 3);
	random_bytes(b + 3, 0);
	KT_EXPECT(b[3] == 0 && memcmp(b + 4, zero, 96) == 0);
}

KTEST(virtio_rng_feeds_pool)
{
	bool found = false;
	uint64_t deadline = clock_monotonic_ns() + 5000000000ULL;

	for (struct virtio_device *d = virtio_devices(); d; d = d->next)
		found |= d->device_id == VIRTIO_ID_RNG && !d->broken;
	if (!found) {
		printk("ktest: virtio_rng_feeds_pool: no virtio-rng device, skipped\n");
		return;
	}
	while (random_entropy_added() < 256 && clock_monotonic_ns() < deadline)
		thread_sleep_ns(1000000);
	KT_EXPECT(random_entropy_added() >= 256);
	printk("ktest: virtio_rng_feeds_pool: %lu bytes from the device\n",
	       (unsigned long)random_entropy_added());
}
