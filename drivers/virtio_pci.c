/*
 * The virtio-pci transports (virtio 1.x, "Virtio Over PCI Bus"): modern
 * (the vendor capabilities pointing into memory BARs: common
 * configuration, notifications, device configuration) and legacy 0.9.5
 * (one I/O BAR with a fixed register layout). A transitional device offers
 * both; mote takes the modern interface when its capabilities are there.
 *
 * Which device: vendor 0x1af4, device ids 0x1000-0x103f (transitional: the
 * type is the subsystem id) and 0x1040-0x107f (modern: 0x1040 + type).
 *
 * Interrupts are MSI-X only: one vector (table entry 0) serves the
 * configuration and every queue, and the handler drains all queues. A
 * device without MSI-X is reported and left alone (INTx routing would need
 * the ACPI interrupt routing tables, which mote does not read).
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/pci.h>
#include <mote/percpu.h>
#include <mote/virtio.h>

#define VIRTIO_PCI_VENDOR 0x1af4

/* Modern: vendor capability cfg_type values, and the common configuration layout. */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };
enum {
	COMMON_DFSELECT = 0x00,
	COMMON_DF = 0x04,
	COMMON_GFSELECT = 0x08,
	COMMON_GF = 0x0c,
	COMMON_MSIX = 0x10,
	COMMON_NUMQ = 0x12,
	COMMON_STATUS = 0x14,
	COMMON_CFGGENERATION = 0x15,
	COMMON_Q_SELECT = 0x16,
	COMMON_Q_SIZE = 0x18,
	COMMON_Q_MSIX = 0x1a,
	COMMON_Q_ENABLE = 0x1c,
	COMMON_Q_NOFF = 0x1e,
	COMMON_Q_DESC = 0x20,
	COMMON_Q_AVAIL = 0x28,
	COMMON_Q_USED = 0x30,
	COMMON_SIZE = 0x38,
};

/* Legacy: the I/O BAR's registers. */
enum {
	LEGACY_HOST_FEATURES = 0x00,
	LEGACY_GUEST_FEATURES = 0x04,
	LEGACY_QUEUE_PFN = 0x08,
	LEGACY_QUEUE_SIZE = 0x0c,
	LEGACY_QUEUE_SEL = 0x0e,
	LEGACY_QUEUE_NOTIFY = 0x10,
	LEGACY_STATUS = 0x12,
	LEGACY_ISR = 0x13,
	LEGACY_CONFIG_VECTOR = 0x14,
	LEGACY_QUEUE_VECTOR = 0x16,
	LEGACY_CONFIG_MSIX = 0x18,	/* device configuration, MSI-X enabled */
};

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define MSIX_ENABLE   (1u << 15)
#define MSIX_MASKALL  (1u << 14)
#define LEGACY_PAGE   4096

struct pci_priv {
	struct pci_device pd;
	/* modern */
	volatile uint8_t *common, *notify, *device;
	uint32_t notify_mult, notify_len, device_len;
	/* legacy */
	uint16_t io;
	/* both */
	volatile uint32_t *msix_table;
};

static struct pci_priv *priv(struct virtio_device *d)
{
	return d->transport_priv;
}

/* ---- Modern --------------------------------------------------------------- */

static uint8_t c8(struct virtio_device *d, unsigned off)
{
	return *(volatile uint8_t *)(priv(d)->common + off);
}

static uint16_t c16(struct virtio_device *d, unsigned off)
{
	return *(volatile uint16_t *)(priv(d)->common + off);
}

static uint32_t c32(struct virtio_device *d, unsigned off)
{
	return *(volatile uint32_t *)(priv(d)->common + off);
}

static void w8(struct virtio_device *d, unsigned off, uint8_t v)
{
	*(volatile uint8_t *)(priv(d)->common + off) = v;
}

static void w16(struct virtio_device *d, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(priv(d)->common + off) = v;
}

static void w32(struct virtio_device *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(priv(d)->common + off) = v;
}

static void w64(struct virtio_device *d, unsigned off, uint64_t v)
{
	w32(d, off, (uint32_t)v);
	w32(d, off + 4, (uint32_t)(v >> 32));
}

static uint64_t modern_get_features(struct virtio_device *d)
{
	uint64_t lo, hi;

	w32(d, COMMON_DFSELECT, 0);
	lo = c32(d, COMMON_DF);
	w32(d, COMMON_DFSELECT, 1);
	hi = c32(d, COMMON_DF);
	return hi << 32 | lo;
}

static void modern_set_features(struct virtio_device *d, uint64_t features)
{
	w32(d, COMMON_GFSELECT, 0);
	w32(d, COMMON_GF, (uint32_t)features);
	w32(d, COMMON_GFSELECT, 1);
	w32(d, COMMON_GF, (uint32_t)(features >> 32));
}

static uint8_t modern_get_status(struct virtio_device *d)
{
	return c8(d, COMMON_STATUS);
}

static void modern_set_status(struct virtio_device *d, uint8_t status)
{
	w8(d, COMMON_STATUS, status);
	/* A reset is done when the device reads back 0; bounded, as this may run in an interrupt. */
	for (unsigned i = 0; !status && c8(d, COMMON_STATUS) && i < 100000; i++)
		arch_cpu_relax();
}

static uint32_t modern_config_read(struct virtio_device *d, unsigned offset, unsigned width)
{
	volatile uint8_t *p = priv(d)->device + offset;

	if (offset + width > priv(d)->device_len)
		return 0;
	if (width == 1)
		return *p;
	if (width == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static uint32_t modern_config_generation(struct virtio_device *d)
{
	return c8(d, COMMON_CFGGENERATION);
}

static unsigned modern_queue_max(struct virtio_device *d, unsigned index, bool *fixed)
{
	*fixed = false;
	if (index >= c16(d, COMMON_NUMQ))
		return 0;
	w16(d, COMMON_Q_SELECT, (uint16_t)index);
	return c16(d, COMMON_Q_SIZE);
}

static int modern_queue_enable(struct virtio_device *d, struct virtio_queue *q)
{
	struct pci_priv *p = priv(d);
	uint32_t off;

	w16(d, COMMON_Q_SELECT, (uint16_t)q->index);
	w16(d, COMMON_Q_SIZE, q->vq.num);
	w16(d, COMMON_Q_MSIX, 0);
	if (c16(d, COMMON_Q_MSIX) != 0)
		return -EIO;	/* the device could not take the vector */
	w64(d, COMMON_Q_DESC, q->vq.desc_addr);
	w64(d, COMMON_Q_AVAIL, q->vq.avail_addr);
	w64(d, COMMON_Q_USED, q->vq.used_addr);
	off = (uint32_t)c16(d, COMMON_Q_NOFF) * p->notify_mult;
	if (off + 2 > p->notify_len)
		return -EIO;
	q->notify = (uintptr_t)(p->notify + off);
	w16(d, COMMON_Q_ENABLE, 1);
	return 0;
}

static void modern_notify(struct virtio_device *d, struct virtio_queue *q)
{
	(void)d;
	*(volatile uint16_t *)q->notify = (uint16_t)q->index;
}

/* ---- Legacy --------------------------------------------------------------- */

static uint16_t port(struct virtio_device *d, unsigned off)
{
	return (uint16_t)(priv(d)->io + off);
}

static uint64_t legacy_get_features(struct virtio_device *d)
{
	return arch_pio_read32(port(d, LEGACY_HOST_FEATURES));
}

static void legacy_set_features(struct virtio_device *d, uint64_t features)
{
	arch_pio_write32(port(d, LEGACY_GUEST_FEATURES), (uint32_t)features);
}

static uint8_t legacy_get_status(struct virtio_device *d)
{
	return arch_pio_read8(port(d, LEGACY_STATUS));
}

static void legacy_set_status(struct virtio_device *d, uint8_t status)
{
	arch_pio_write8(port(d, LEGACY_STATUS), status);
}

static uint32_t legacy_config_read(struct virtio_device *d, unsigned offset, unsigned width)
{
	uint16_t p = port(d, LEGACY_CONFIG_MSIX + offset);

	if (width == 1)
		return arch_pio_read8(p);
	if (width == 2)
		return arch_pio_read16(p);
	return arch_pio_read32(p);
}

static uint32_t legacy_config_generation(struct virtio_device *d)
{
	(void)d;
	return 0;
}

static unsigned legacy_queue_max(struct virtio_device *d, unsigned index, bool *fixed)
{
	*fixed = true;	/* a legacy PCI device's queue size cannot be changed */
	arch_pio_write16(port(d, LEGACY_QUEUE_SEL), (uint16_t)index);
	if (arch_pio_read32(port(d, LEGACY_QUEUE_PFN)))
		return 0;
	return arch_pio_read16(port(d, LEGACY_QUEUE_SIZE));
}

static int legacy_queue_enable(struct virtio_device *d, struct virtio_queue *q)
{
	if (q->vq.desc_addr / LEGACY_PAGE > UINT32_MAX)
		return -EIO;
	arch_pio_write16(port(d, LEGACY_QUEUE_SEL), (uint16_t)q->index);
	arch_pio_write16(port(d, LEGACY_QUEUE_VECTOR), 0);
	if (arch_pio_read16(port(d, LEGACY_QUEUE_VECTOR)) != 0)
		return -EIO;
	arch_pio_write32(port(d, LEGACY_QUEUE_PFN), (uint32_t)(q->vq.desc_addr / LEGACY_PAGE));
	return 0;
}

static void legacy_notify(struct virtio_device *d, struct virtio_queue *q)
{
	arch_pio_write16(port(d, LEGACY_QUEUE_NOTIFY), (uint16_t)q->index);
}

/* ---- MSI-X (both) ---------------------------------------------------------- */

static void pci_interrupt(unsigned vector, void *ctx)
{
	(void)vector;
	virtio_interrupt(ctx);
}

/* Maps the MSI-X table of the function; NULL (with a log line) if it has none. */
static volatile uint32_t *map_msix(const struct pci_device *pd, unsigned *cap_out)
{
	unsigned cap = pci_find_cap(pd, PCI_CAP_MSIX, 0);
	uint32_t where;
	uint64_t bar;
	bool io;

	if (!cap)
		return NULL;
	where = pci_read32(pd, cap + 4);
	if (pci_bar(pd, where & 7, &bar, &io) || io)
		return NULL;
	*cap_out = cap;
	return arch_map_device(bar + (where & ~7u), 16);
}

/* One vector for everything, in table entry 0; the device is told in its own registers. */
static int setup_interrupt(struct virtio_device *d)
{
	struct pci_priv *p = priv(d);
	unsigned cap = 0;
	uint64_t addr;
	uint32_t data;
	int vector;

	p->msix_table = map_msix(&p->pd, &cap);
	if (!p->msix_table)
		return -ENODEV;
	vector = irq_alloc_vector();
	if (vector < 0)
		return vector;
	if (irq_msi_compose((unsigned)vector, cpu_self()->apic_id, &addr, &data))
		return -ERANGE;
	irq_set_handler((unsigned)vector, pci_interrupt, d);
	p->msix_table[0] = (uint32_t)addr;
	p->msix_table[1] = (uint32_t)(addr >> 32);
	p->msix_table[2] = data;
	p->msix_table[3] = 0;	/* unmasked */
	pci_write16(&p->pd, cap + 2,
		    (uint16_t)((pci_read16(&p->pd, cap + 2) | MSIX_ENABLE) & ~MSIX_MASKALL));
	if (d->transport->modern) {
		w16(d, COMMON_MSIX, 0);
		return c16(d, COMMON_MSIX) == 0 ? 0 : -EIO;
	}
	arch_pio_write16(port(d, LEGACY_CONFIG_VECTOR), 0);
	return arch_pio_read16(port(d, LEGACY_CONFIG_VECTOR)) == 0 ? 0 : -EIO;
}

static const struct virtio_transport pci_modern = {
	.name = "pci", .modern = true, .ring_align = 4,
	.get_features = modern_get_features, .set_features = modern_set_features,
	.get_status = modern_get_status, .set_status = modern_set_status,
	.config_read = modern_config_read, .config_generation = modern_config_generation,
	.queue_max = modern_queue_max, .queue_enable = modern_queue_enable,
	.notify = modern_notify, .setup_interrupt = setup_interrupt,
};

static const struct virtio_transport pci_legacy = {
	.name = "pci-legacy", .modern = false, .ring_align = LEGACY_PAGE,
	.get_features = legacy_get_features, .set_features = legacy_set_features,
	.get_status = legacy_get_status, .set_status = legacy_set_status,
	.config_read = legacy_config_read, .config_generation = legacy_config_generation,
	.queue_max = legacy_queue_max, .queue_enable = legacy_queue_enable,
	.notify = legacy_notify, .setup_interrupt = setup_interrupt,
};

/* ---- Discovery --------------------------------------------------------------- */

/* Maps the region a vendor capability at cap describes; NULL if it is unusable. */
static volatile uint8_t *map_cap(const struct pci_device *pd, unsigned cap, uint32_t *len)
{
	uint8_t bar_index = pci_read8(pd, cap + 4);
	uint32_t offset = pci_read32(pd, cap + 8);
	uint64_t bar;
	bool io;

	*len = pci_read32(pd, cap + 12);
	if (pci_bar(pd, bar_index, &bar, &io) || io || !*len || *len > (1u << 24))
		return NULL;
	return arch_map_device(bar + offset, *len);
}

/* Finds the modern capabilities; false if any is missing (then the device is legacy-only). */
static bool find_modern(struct pci_priv *p)
{
	const struct pci_device *pd = &p->pd;
	uint32_t len;

	for (unsigned cap = pci_find_cap(pd, PCI_CAP_VENDOR, 0); cap;
	     cap = pci_find_cap(pd, PCI_CAP_VENDOR, cap)) {
		uint8_t type = pci_read8(pd, cap + 3);

		if (type == CAP_COMMON && !p->common) {
			p->common = map_cap(pd, cap, &len);
			if (p->common && len < COMMON_SIZE)
				p->common = NULL;
		} else if (type == CAP_NOTIFY && !p->notify) {
			p->notify = map_cap(pd, cap, &p->notify_len);
			p->notify_mult = pci_read32(pd, cap + 16);
		} else if (type == CAP_DEVICE && !p->device) {
			p->device = map_cap(pd, cap, &p->device_len);
		}
	}
	return p->common && p->notify && p->device;
}

static bool find_legacy(struct pci_priv *p)
{
	uint64_t bar;
	bool io;

	if (pci_bar(&p->pd, 0, &bar, &io) || !io || bar > 0xffff)
		return false;
	p->io = (uint16_t)bar;
	return true;
}

static void probe_function(const struct pci_device *pd, void *ctx)
{
	struct virtio_device *d;
	struct pci_priv *p;
	uint32_t type;

	(void)ctx;
	if (pd->vendor != VIRTIO_PCI_VENDOR || pd->device < 0x1000 || pd->device > 0x107f)
		return;
	type = pd->device >= 0x1040 ? pd->device - 0x1040u : pci_read16(pd, PCI_SUBSYSTEM_ID);
	d = mm_calloc(1, sizeof(*d));
	p = mm_calloc(1, sizeof(*p));
	if (!d || !p) {
		mm_free(d);
		mm_free(p);
		return;
	}
	p->pd = *pd;
	fmt_snprintf(d->name, sizeof(d->name), "virtio-pci %02x:%02x.%u", pd->bus, pd->slot, pd->fn);
	d->device_id = type;
	d->transport_priv = p;
	if (find_modern(p))
		d->transport = &pci_modern;
	else if (pd->device < 0x1040 && find_legacy(p))
		d->transport = &pci_legacy;
	if (!d->transport || !pci_find_cap(pd, PCI_CAP_MSIX, 0)) {
		printk("virtio: %s: %s; ignored\n", d->name,
		       d->transport ? "no MSI-X" : "no usable registers (BARs unassigned?)");
		mm_free(d);
		mm_free(p);
		return;
	}
	pci_enable(pd, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER |
		       PCI_COMMAND_INTX_DISABLE);
	virtio_device_add(d);
}

void virtio_pci_probe_all(void)
{
	pci_scan(probe_function, NULL);
}
