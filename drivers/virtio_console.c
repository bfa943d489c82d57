/*
 * virtio-console (virtio 1.x, "Console Device"): the framed console's
 * channel once found, its records out and stdin in, instead of the UART
 * (see console_set_output() in mote/console.h).
 *
 * Why: every byte through the 16550 is a port access, a VM exit and a
 * system call by the hypervisor, about 3 us under QEMU (TCG or KVM alike),
 * so a program writing a megabyte waited seconds. Here a record, up to 4
 * KiB, is one descriptor and one doorbell.
 *
 * Port 1, not port 0: QEMU's port 0 is a virtconsole, which drops output
 * when the host side is full; a virtserialport (`mote run` attaches one at
 * port 1) makes the guest wait instead. That takes MULTIPORT: port 1's
 * queues are 4 (receive) and 5 (transmit), after port 0's two and the two
 * control queues, and the one control message is PORT_OPEN, without which
 * QEMU sends the port no input. A device without MULTIPORT or a port 1 is
 * left alone.
 *
 * Output is polled, not interrupt driven: writes come with the console's
 * output lock held and interrupts off, and QEMU takes a buffer while
 * handling the doorbell unless the host side is full. VCON_BUFS copies may
 * be in flight; a writer that finds none free spins on the used ring, as a
 * UART writer spins on a full FIFO, so a slow reader on the host holds the
 * guest's writers back and nothing is lost.
 *
 * Input is interrupt driven: a filled page is queued for the console,
 * which pulls its bytes and so hands the page back. While the console's
 * ring is full the pages stay filled, and the host is held back in turn.
 *
 * The setup waits: probe only checks the device and offers it to the
 * console (console_offer_output()), which attaches it when the program
 * first uses stdin or its output passes 1 KiB. Until then records go on the
 * UART, cheaper for a few lines than the setup (buffers, three queues,
 * PORT_OPEN and its answer: about 3 ms under TCG, 1,000 UART bytes).
 *
 * A failed device (the core reports it) makes write() return false, and
 * the console writes that record, and every later one, to the UART.
 * Without a framed console (nobody on the host reads the channel) the
 * console declines the offer and the device is left idle.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/virtio.h>

#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VCON_CONFIG_MAX_PORTS 4		/* u32, with MULTIPORT */
#define VCON_PORT         1
#define VCON_CTRL_TX_QUEUE 3		/* control messages to the device */
#define VCON_RX_QUEUE     4		/* port 1's receiveq */
#define VCON_TX_QUEUE     5		/* port 1's transmitq */
#define VCON_RX_BUFS      4		/* a page each, device-writable */
#define VIRTIO_CONSOLE_PORT_OPEN 6	/* control event: the guest opened (value 1) a port */
#define VCON_BUFS         4
#define VCON_BUF_ORDER    1		/* 8 KiB: a header and a 4 KiB record */

static struct {
	struct virtio_device *offered;	/* the device found, set up only once attached */
	struct virtio_device *dev;	/* set up and carrying the console */
	struct virtio_queue *tx;
	uint8_t *buf[VCON_BUFS];
	unsigned busy;			/* bit i: buf[i] is with the device */

	/* Input: filled buffers wait here, in order, until the console pulls them. */
	struct virtio_queue *rx;
	struct spinlock rx_lock;
	uint8_t *rx_buf[VCON_RX_BUFS];
	uint8_t filled[VCON_RX_BUFS];	/* buffer indexes, oldest first */
	uint32_t filled_len[VCON_RX_BUFS];
	unsigned filled_head, filled_count;
	int cur;			/* the buffer being pulled from, -1: none */
	uint32_t cur_off, cur_len;
	uint8_t *ctrl;			/* a page for the one control message */
} vcon;

/* virtio 1.x, "Console Device", Multiport Device Operation. */
struct vcon_control {
	uint32_t id;			/* the port */
	uint16_t event, value;
};

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

/* Hands buffer i back to the device (the ring always has room for every buffer). */
static void rx_post(unsigned i)
{
	struct virtq_seg seg = { mm_virt_to_phys(vcon.rx_buf[i]), PAGE_SIZE };

	virtio_submit(vcon.rx, &seg, 0, 1, (void *)(uintptr_t)i, NULL, 0);
}

/* A filled buffer (interrupt context): queued for the console, which is told. */
static void rx_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	unsigned long flags;

	(void)q;
	if (err)
		return;	/* abandoned: the device failed */
	flags = spin_lock_irqsave(&vcon.rx_lock);
	vcon.filled[(vcon.filled_head + vcon.filled_count) % VCON_RX_BUFS] = (uint8_t)(uintptr_t)cookie;
	vcon.filled_len[(vcon.filled_head + vcon.filled_count) % VCON_RX_BUFS] = len;
	vcon.filled_count++;
	spin_unlock_irqrestore(&vcon.rx_lock, flags);
	console_input_arrived();
}

/* Up to max bytes received, in order; an emptied buffer goes back to the device at once. */
static size_t vcon_pull(uint8_t *buf, size_t max)
{
	unsigned long flags = spin_lock_irqsave(&vcon.rx_lock);
	size_t n = 0;

	while (n < max) {
		if (vcon.cur < 0 || vcon.cur_off == vcon.cur_len) {
			if (vcon.cur >= 0)
				rx_post((unsigned)vcon.cur);
			vcon.cur = -1;
			if (!vcon.filled_count)
				break;
			vcon.cur = vcon.filled[vcon.filled_head];
			vcon.cur_len = vcon.filled_len[vcon.filled_head];
			vcon.cur_off = 0;
			vcon.filled_head = (vcon.filled_head + 1) % VCON_RX_BUFS;
			vcon.filled_count--;
			continue;
		}
		size_t take = vcon.cur_len - vcon.cur_off < max - n ? vcon.cur_len - vcon.cur_off : max - n;

		memcpy(buf + n, vcon.rx_buf[vcon.cur] + vcon.cur_off, take);
		vcon.cur_off += take;
		n += take;
	}
	spin_unlock_irqrestore(&vcon.rx_lock, flags);
	return n;
}

static const struct console_output vcon_output = { vcon_write, vcon_flush, vcon_pull };

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
	for (unsigned i = 0; i < VCON_RX_BUFS; i++)
		if (vcon.rx_buf[i])
			page_free(vcon.rx_buf[i], 0);
	if (vcon.ctrl)
		page_free(vcon.ctrl, 0);
}

static int alloc_buffers(void)
{
	for (unsigned i = 0; i < VCON_BUFS; i++)
		if (!(vcon.buf[i] = page_alloc(VCON_BUF_ORDER)))
			return -ENOMEM;
	for (unsigned i = 0; i < VCON_RX_BUFS; i++)
		if (!(vcon.rx_buf[i] = page_alloc(0)))
			return -ENOMEM;
	return (vcon.ctrl = page_alloc(0)) ? 0 : -ENOMEM;
}

/* The device's answer to a control message: nothing to do (the page is kept). */
static void ctrl_done(struct virtio_queue *q, void *cookie, uint32_t len, int err)
{
	(void)q;
	(void)cookie;
	(void)len;
	(void)err;
}

/*
 * A multiport device gives a port the host's input only once the guest
 * has opened it (PORT_OPEN); output needs no such step.
 */
static int open_port(struct virtio_device *d)
{
	struct vcon_control *m = (struct vcon_control *)vcon.ctrl;
	struct virtq_seg seg = { mm_virt_to_phys(m), sizeof(*m) };

	*m = (struct vcon_control){ VCON_PORT, VIRTIO_CONSOLE_PORT_OPEN, 1 };
	return virtio_submit(&d->queues[VCON_CTRL_TX_QUEUE], &seg, 1, 0, m, NULL, 0);
}

/* The console took up the offer (console_offer_output()): sets the device up and moves there. */
static void vcon_attach(void)
{
	struct virtio_device *d = vcon.offered;
	int ret = alloc_buffers();

	if (!ret)
		ret = virtio_queue_setup(d, VCON_CTRL_TX_QUEUE, 2, ctrl_done);
	if (!ret)
		ret = virtio_queue_setup(d, VCON_RX_QUEUE, 2 * VCON_RX_BUFS, rx_done);
	if (!ret)
		ret = virtio_queue_setup(d, VCON_TX_QUEUE, 2 * VCON_BUFS, vcon_done);
	if (ret) {
		char why[48];

		free_buffers();
		fmt_snprintf(why, sizeof(why), "virtio-console setup failed (error %d)", ret);
		if (!d->broken)
			virtio_device_fail(d, why);
		return;	/* the console stays on the UART */
	}
	d->queues[VCON_TX_QUEUE].ready = vcon_ready;
	virtio_queue_interrupts(&d->queues[VCON_TX_QUEUE], false);
	spin_init(&vcon.rx_lock, "virtio-console rx", SPIN_RANK_NONE);
	vcon.rx = &d->queues[VCON_RX_QUEUE];
	vcon.cur = -1;
	virtio_device_ready(d);
	for (unsigned i = 0; i < VCON_RX_BUFS; i++)
		rx_post(i);
	if (open_port(d))
		return;	/* the device failed: the console stays on the UART */
	vcon.dev = d;
	vcon.tx = &d->queues[VCON_TX_QUEUE];
	if (console_set_output(&vcon_output))
		printk("virtio-console: %s (%s) carries the console's output\n", d->name,
		       d->transport->name);
}

/* Only a check here: the setup waits until the console needs it (vcon_attach()). */
static int vcon_probe(struct virtio_device *d)
{
	if (vcon.offered)
		return -EBUSY;	/* the console has one way out */
	if (!virtio_has_feature(d, VIRTIO_CONSOLE_F_MULTIPORT) ||
	    virtio_config_u32(d, VCON_CONFIG_MAX_PORTS) <= VCON_PORT) {
		printk("virtio-console: %s has no port %u: the console stays on the UART\n", d->name,
		       VCON_PORT);
		return 0;
	}
	vcon.offered = d;
	console_offer_output(vcon_attach);	/* declined by a plain console: the device stays idle */
	return 0;
}

VIRTIO_DRIVER(virtio_console_driver) = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.features = VIRTIO_FEATURE(VIRTIO_CONSOLE_F_MULTIPORT),
	.probe = vcon_probe,
};
