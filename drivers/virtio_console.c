/*
 * virtio-console (virtio 1.x, "Console Device"), output only: the framed
 * console's records leave the guest through it instead of the UART (see
 * console_set_output() in mote/console.h).
 *
 * Why: every byte written to the 16550 is a port write, a VM exit and a
 * write(2) by the hypervisor, about 3 us under QEMU (TCG or KVM alike), so
 * a program writing a megabyte waited seconds. Here a record, up to 4 KiB,
 * is one descriptor and one doorbell.
 *
 * Port 1, not port 0: QEMU's port 0 is a virtconsole, which drops output
 * when the host side is full; a virtserialport (`mote run` attaches one at
 * port 1) makes the guest wait instead. That takes MULTIPORT, and port 1's
 * transmit queue is queue 5 (after port 0's two and the two control
 * queues). No control message is needed for output, so none is sent;
 * input stays on the UART. A device without MULTIPORT or a port 1 is left
 * alone.
 *
 * The queue is polled, not interrupt driven: writes come with the
 * console's output lock held and interrupts off, and QEMU takes a buffer
 * while handling the doorbell unless the host side is full. VCON_BUFS
 * copies may be in flight; a writer that finds none free spins on the used
 * ring, as a UART writer spins on a full FIFO, so a slow reader on the host
 * holds the guest's writers back and nothing is lost.
 *
 * A failed device (the core reports it) makes write() return false, and
 * the console writes that record, and every later one, to the UART.
 * Without a framed console (nobody on the host reads the channel) the
 * device is set up but the console stays on the UART.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/virtio.h>

#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VCON_CONFIG_MAX_PORTS 4		/* u32, with MULTIPORT */
#define VCON_PORT         1
#define VCON_TX_QUEUE     5		/* port 1's transmitq */
#define VCON_BUFS         4
#define VCON_BUF_ORDER    1		/* 8 KiB: a header and a 4 KiB record */

static struct {
	struct virtio_device *dev;
	struct virtio_queue *tx;
	uint8_t *buf[VCON_BUFS];
	unsigned busy;			/* bit i: buf[i] is with the device */
} vcon;

/*
 * The queue is driven with the virtq calls directly, not virtio_submit()
 * and virtio_queue_poll(): those take the queue's spinlock and wake its
 * waiters, and printk may be called with any lock held (a run queue's, an
 * allocator's). The console's output lock already serialises every use of
 * this queue, and nothing else touches it.
 */

/* Takes back what the device has finished with; false once the device has failed. */
static bool reclaim(void)
{
	void *cookie;
	uint32_t len;
	int got = 0;

	while (!vcon.dev->broken && (got = virtq_get_used(&vcon.tx->vq, &cookie, &len)) > 0)
		vcon.busy &= ~(1u << (uintptr_t)cookie);
	if (!vcon.dev->broken && got < 0)
		virtio_device_fail(vcon.dev, "bad used-ring entry on the transmit queue");
	return !vcon.dev->broken;
}

static bool vcon_write(const void *hdr, size_t hlen, const void *p, size_t n)
{
	struct virtq_seg seg;
	unsigned i;

	if (hlen + n > (PAGE_SIZE << VCON_BUF_ORDER))
		return false;
	for (;;) {
		if (!reclaim())
			return false;
		if (vcon.busy != (1u << VCON_BUFS) - 1)
			break;
		arch_cpu_relax();
	}
	i = (unsigned)__builtin_ctz(~vcon.busy);
	memcpy(vcon.buf[i], hdr, hlen);
	memcpy(vcon.buf[i] + hlen, p, n);
	seg = (struct virtq_seg){ mm_virt_to_phys(vcon.buf[i]), (uint32_t)(hlen + n) };
	if (virtq_add(&vcon.tx->vq, &seg, 1, 0, (void *)(uintptr_t)i, NULL, 0) < 0)
		return false;	/* cannot happen: the ring has room for every buffer */
	vcon.busy |= 1u << i;
	if (virtq_kick_prepare(&vcon.tx->vq))
		vcon.dev->transport->notify(vcon.dev, vcon.tx);
	return true;
}

static void vcon_flush(void)
{
	while (vcon.busy && reclaim())
		arch_cpu_relax();
}

static const struct console_output vcon_output = { vcon_write, vcon_flush };

/* Polled: the interrupt has nothing to do (completions are taken back by writers). */
static void vcon_ready(struct virtio_queue *q)
{
	(void)q;
}

/* Requests the core abandons (a failing device) were copies: nothing to free. */
static void vcon_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	(void)q;
	(void)len;
	(void)err;
	vcon.busy &= ~(1u << (uintptr_t)cookie);
}

static void free_buffers(void)
{
	for (unsigned i = 0; i < VCON_BUFS; i++)
		if (vcon.buf[i])
			page_free(vcon.buf[i], VCON_BUF_ORDER);
}

static int vcon_probe(struct virtio_device *d)
{
	int ret;

	if (vcon.dev)
		return -EBUSY;	/* the console has one way out */
	if (!virtio_has_feature(d, VIRTIO_CONSOLE_F_MULTIPORT) ||
	    virtio_config_u32(d, VCON_CONFIG_MAX_PORTS) <= VCON_PORT) {
		printk("virtio-console: %s has no port %u: the console stays on the UART\n", d->name,
		       VCON_PORT);
		return 0;
	}
	for (unsigned i = 0; i < VCON_BUFS; i++)
		if (!(vcon.buf[i] = page_alloc(VCON_BUF_ORDER))) {
			free_buffers();
			return -ENOMEM;
		}
	ret = virtio_queue_setup(d, VCON_TX_QUEUE, 2 * VCON_BUFS, vcon_done);
	if (ret) {
		free_buffers();
		return ret;
	}
	d->queues[VCON_TX_QUEUE].ready = vcon_ready;
	virtio_queue_interrupts(&d->queues[VCON_TX_QUEUE], false);
	virtio_device_ready(d);
	vcon.dev = d;
	vcon.tx = &d->queues[VCON_TX_QUEUE];
	if (console_set_output(&vcon_output))
		printk("virtio-console: %s (%s) carries the console's output\n", d->name,
		       d->transport->name);
	return 0;
}

VIRTIO_DRIVER(virtio_console_driver) = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = VIRTIO_FEATURE(VIRTIO_CONSOLE_F_MULTIPORT),
	.probe = vcon_probe,
};
