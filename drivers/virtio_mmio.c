/*
 * The virtio-mmio transport (virtio 1.x, "Virtio Over MMIO"), both register
 * layouts: version 2 (modern: 64 feature bits, three ring addresses,
 * QueueReady) and version 1 (legacy, QEMU's default: 32 feature bits, one
 * page frame number per queue, a 4096-byte ring alignment).
 *
 * Devices come from the `virtio_mmio.device=` entries the hypervisor put on
 * the command line (platform_mmio_devices()); nothing is probed blindly, so
 * a boot without entries costs nothing here. A slot whose magic or version
 * is wrong is reported and skipped; device id 0 is an empty slot.
 *
 * The interrupt is an IOAPIC input routed edge-triggered: the handler
 * acknowledges InterruptStatus before draining the queues, so a completion
 * that lands after the read raises the line again rather than being lost.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/platform.h>
#include <mote/virtio.h>

enum {
	MMIO_MAGIC = 0x000,
	MMIO_VERSION = 0x004,
	MMIO_DEVICE_ID = 0x008,
	MMIO_DEVICE_FEATURES = 0x010,
	MMIO_DEVICE_FEATURES_SEL = 0x014,
	MMIO_DRIVER_FEATURES = 0x020,
	MMIO_DRIVER_FEATURES_SEL = 0x024,
	MMIO_GUEST_PAGE_SIZE = 0x028,	/* v1 */
	MMIO_QUEUE_SEL = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_ALIGN = 0x03c,	/* v1 */
	MMIO_QUEUE_PFN = 0x040,		/* v1 */
	MMIO_QUEUE_READY = 0x044,	/* v2 */
	MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_INTERRUPT_STATUS = 0x060,
	MMIO_INTERRUPT_ACK = 0x064,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC = 0x080,	/* v2: low, high at +4 */
	MMIO_QUEUE_DRIVER = 0x090,
	MMIO_QUEUE_DEVICE = 0x0a0,
	MMIO_CONFIG_GENERATION = 0x0fc,
	MMIO_CONFIG = 0x100,
};

#define MMIO_MAGIC_VALUE 0x74726976u	/* "virt" */
#define LEGACY_PAGE_SIZE 4096

struct mmio_priv {
	volatile uint8_t *regs;
	uint64_t size;
	uint32_t irq;
};

static volatile uint8_t *regs(struct virtio_device *d)
{
	return ((struct mmio_priv *)d->transport_priv)->regs;
}

static uint32_t rd(struct virtio_device *d, unsigned off)
{
	return *(volatile uint32_t *)(regs(d) + off);
}

static void wr(struct virtio_device *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(regs(d) + off) = v;
}

static uint64_t get_features(struct virtio_device *d)
{
	uint64_t lo, hi = 0;

	wr(d, MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(d, MMIO_DEVICE_FEATURES);
	if (d->transport->modern) {
		wr(d, MMIO_DEVICE_FEATURES_SEL, 1);
		hi = rd(d, MMIO_DEVICE_FEATURES);
	}
	return hi << 32 | lo;
}

static void set_features(struct virtio_device *d, uint64_t features)
{
	wr(d, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, MMIO_DRIVER_FEATURES, (uint32_t)features);
	if (d->transport->modern) {
		wr(d, MMIO_DRIVER_FEATURES_SEL, 1);
		wr(d, MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	} else {
		wr(d, MMIO_GUEST_PAGE_SIZE, LEGACY_PAGE_SIZE);
	}
}

static uint8_t get_status(struct virtio_device *d)
{
	return (uint8_t)rd(d, MMIO_STATUS);
}

static void set_status(struct virtio_device *d, uint8_t status)
{
	wr(d, MMIO_STATUS, status);
}

static uint32_t config_read(struct virtio_device *d, unsigned offset, unsigned width)
{
	volatile uint8_t *p = regs(d) + MMIO_CONFIG + offset;
	struct mmio_priv *m = d->transport_priv;

	if (MMIO_CONFIG + offset + width > m->size)
		return 0;	/* the slot is smaller than the field: read as zero */
	if (width == 1)
		return *p;
	if (width == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static uint32_t config_generation(struct virtio_device *d)
{
	return d->transport->modern ? rd(d, MMIO_CONFIG_GENERATION) : 0;
}

static unsigned queue_max(struct virtio_device *d, unsigned index, bool *fixed)
{
	*fixed = false;
	wr(d, MMIO_QUEUE_SEL, index);
	if (rd(d, d->transport->modern ? MMIO_QUEUE_READY : MMIO_QUEUE_PFN))
		return 0;	/* already in use: not ours to take */
	return rd(d, MMIO_QUEUE_NUM_MAX);
}

static void wr64(struct virtio_device *d, unsigned off, uint64_t v)
{
	wr(d, off, (uint32_t)v);
	wr(d, off + 4, (uint32_t)(v >> 32));
}

static int queue_enable(struct virtio_device *d, struct virtio_queue *q)
{
	wr(d, MMIO_QUEUE_SEL, q->index);
	wr(d, MMIO_QUEUE_NUM, q->vq.num);
	if (!d->transport->modern) {
		if (q->vq.desc_addr / LEGACY_PAGE_SIZE > UINT32_MAX)
			return -EIO;
		wr(d, MMIO_QUEUE_ALIGN, LEGACY_PAGE_SIZE);
		wr(d, MMIO_QUEUE_PFN, (uint32_t)(q->vq.desc_addr / LEGACY_PAGE_SIZE));
		return 0;
	}
	wr64(d, MMIO_QUEUE_DESC, q->vq.desc_addr);
	wr64(d, MMIO_QUEUE_DRIVER, q->vq.avail_addr);
	wr64(d, MMIO_QUEUE_DEVICE, q->vq.used_addr);
	wr(d, MMIO_QUEUE_READY, 1);
	return 0;
}

static void notify(struct virtio_device *d, struct virtio_queue *q)
{
	wr(d, MMIO_QUEUE_NOTIFY, q->index);
}

static void mmio_interrupt(unsigned vector, void *ctx)
{
	struct virtio_device *d = ctx;
	uint32_t status;

	(void)vector;
	status = rd(d, MMIO_INTERRUPT_STATUS);
	wr(d, MMIO_INTERRUPT_ACK, status);
	if (status & 1)		/* used buffer; bit 1 (configuration change) needs nothing */
		virtio_interrupt(d);
}

static int setup_interrupt(struct virtio_device *d)
{
	struct mmio_priv *m = d->transport_priv;
	uint32_t apic_id = cpu_self()->apic_id;
	int vector = irq_alloc_vector();

	if (vector < 0)
		return vector;
	irq_set_handler((unsigned)vector, mmio_interrupt, d);
	/* The line is a level (high while InterruptStatus is nonzero): as an edge,
	 * an event landing just as the handler acknowledged could go unseen. */
	return irq_route_level(m->irq, (unsigned)vector, apic_id);
}

static const struct virtio_transport mmio_modern = {
	.name = "mmio", .modern = true, .ring_align = 4,
	.get_features = get_features, .set_features = set_features,
	.get_status = get_status, .set_status = set_status,
	.config_read = config_read, .config_generation = config_generation,
	.queue_max = queue_max, .queue_enable = queue_enable, .notify = notify,
	.setup_interrupt = setup_interrupt,
};

static const struct virtio_transport mmio_legacy = {
	.name = "mmio-legacy", .modern = false, .ring_align = LEGACY_PAGE_SIZE,
	.get_features = get_features, .set_features = set_features,
	.get_status = get_status, .set_status = set_status,
	.config_read = config_read, .config_generation = config_generation,
	.queue_max = queue_max, .queue_enable = queue_enable, .notify = notify,
	.setup_interrupt = setup_interrupt,
};

static void probe_one(const struct mmio_device *md)
{
	struct virtio_device *d;
	struct mmio_priv *m;
	volatile uint8_t *r;
	uint32_t magic, version, id;

	if (md->size < MMIO_CONFIG) {
		printk("virtio-mmio@%#lx: %#lx bytes is too small for the registers\n", md->base,
		       md->size);
		return;
	}
	r = arch_map_device(md->base, md->size);
	if (!r)
		return;
	magic = *(volatile uint32_t *)(r + MMIO_MAGIC);
	version = *(volatile uint32_t *)(r + MMIO_VERSION);
	id = *(volatile uint32_t *)(r + MMIO_DEVICE_ID);
	if (magic != MMIO_MAGIC_VALUE || (version != 1 && version != 2)) {
		printk("virtio-mmio@%#lx: not a virtio device (magic %#x, version %u)\n", md->base,
		       magic, version);
		return;
	}
	if (!id)
		return;		/* an empty slot */
	d = mm_calloc(1, sizeof(*d));
	m = mm_calloc(1, sizeof(*m));
	if (!d || !m) {
		mm_free(d);
		mm_free(m);
		return;
	}
	*m = (struct mmio_priv){ r, md->size, md->irq };
	fmt_snprintf(d->name, sizeof(d->name), "virtio-mmio@%#lx", md->base);
	d->device_id = id;
	d->transport = version == 2 ? &mmio_modern : &mmio_legacy;
	d->transport_priv = m;
	virtio_device_add(d);
}

void virtio_mmio_probe_all(void)
{
	const struct mmio_device *list;
	unsigned n = platform_mmio_devices(&list);

	for (unsigned i = 0; i < n; i++)
		probe_one(&list[i]);
}
