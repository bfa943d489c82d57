/*
 * PCI configuration mechanism #1 and bus enumeration (mote/pci.h).
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/pci.h>
#include <mote/spinlock.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_MAX_BUSES      256
#define PCI_BRIDGE_CLASS   0x06
#define PCI_BRIDGE_PCI     0x04

static struct spinlock config_lock = SPINLOCK_INIT("pci config", SPIN_RANK_LEAF);

static void select_reg(const struct pci_device *pd, unsigned offset)
{
	arch_pio_write32(PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)pd->bus << 16 |
					     (uint32_t)pd->slot << 11 | (uint32_t)pd->fn << 8 |
					     (offset & 0xfc));
}

uint32_t pci_read32(const struct pci_device *pd, unsigned offset)
{
	unsigned long flags = spin_lock_irqsave(&config_lock);
	uint32_t v;

	select_reg(pd, offset);
	v = arch_pio_read32(PCI_CONFIG_DATA);
	spin_unlock_irqrestore(&config_lock, flags);
	return v;
}

uint16_t pci_read16(const struct pci_device *pd, unsigned offset)
{
	return (uint16_t)(pci_read32(pd, offset) >> (8 * (offset & 2)));
}

uint8_t pci_read8(const struct pci_device *pd, unsigned offset)
{
	return (uint8_t)(pci_read32(pd, offset) >> (8 * (offset & 3)));
}

void pci_write32(const struct pci_device *pd, unsigned offset, uint32_t v)
{
	unsigned long flags = spin_lock_irqsave(&config_lock);

	select_reg(pd, offset);
	arch_pio_write32(PCI_CONFIG_DATA, v);
	spin_unlock_irqrestore(&config_lock, flags);
}

void pci_write16(const struct pci_device *pd, unsigned offset, uint16_t v)
{
	unsigned long flags = spin_lock_irqsave(&config_lock);

	select_reg(pd, offset);
	arch_pio_write16((uint16_t)(PCI_CONFIG_DATA + (offset & 2)), v);
	spin_unlock_irqrestore(&config_lock, flags);
}

struct scan {
	void (*fn)(const struct pci_device *pd, void *ctx);
	void *ctx;
	unsigned found;
	uint8_t seen[PCI_MAX_BUSES / 8];	/* buses walked: a looping bridge walks nothing twice */
};

static void scan_bus(struct scan *s, unsigned bus);

static void visit(struct scan *s, struct pci_device *pd)
{
	uint32_t class = pci_read32(pd, PCI_CLASS_REVISION);

	pd->device = pci_read16(pd, PCI_DEVICE_ID);
	pd->class_code = (uint8_t)(class >> 24);
	pd->subclass = (uint8_t)(class >> 16);
	s->found++;
	s->fn(pd, s->ctx);
	if (pd->class_code == PCI_BRIDGE_CLASS && pd->subclass == PCI_BRIDGE_PCI)
		scan_bus(s, pci_read8(pd, PCI_SECONDARY_BUS));
}

static void scan_bus(struct scan *s, unsigned bus)
{
	if (s->seen[bus / 8] & (1u << (bus % 8)))
		return;
	s->seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (unsigned slot = 0; slot < 32; slot++) {
		struct pci_device pd = { .bus = (uint8_t)bus, .slot = (uint8_t)slot };
		unsigned fns;

		pd.vendor = pci_read16(&pd, PCI_VENDOR_ID);
		if (pd.vendor == 0xffff)
			continue;
		fns = pci_read8(&pd, PCI_HEADER_TYPE) & 0x80 ? 8 : 1;
		for (unsigned fn = 0; fn < fns; fn++) {
			pd.fn = (uint8_t)fn;
			pd.vendor = pci_read16(&pd, PCI_VENDOR_ID);
			if (pd.vendor != 0xffff)
				visit(s, &pd);
		}
	}
}

unsigned pci_scan(void (*fn)(const struct pci_device *pd, void *ctx), void *ctx)
{
	static struct scan s;
	struct pci_device host = { 0 };

	if (pci_read16(&host, PCI_VENDOR_ID) == 0xffff)
		return 0;	/* no host bridge: no PCI (microvm, Firecracker) */
	s = (struct scan){ .fn = fn, .ctx = ctx };
	scan_bus(&s, 0);
	return s.found;
}

int pci_bar(const struct pci_device *pd, unsigned index, uint64_t *addr, bool *io)
{
	uint32_t lo, hi = 0;

	if (index > 5)
		return -ENODEV;
	lo = pci_read32(pd, PCI_BAR0 + 4 * index);
	*io = lo & 1;
	if (*io) {
		*addr = lo & ~3u;
		return *addr ? 0 : -ENODEV;
	}
	if ((lo >> 1 & 3) == 2) {	/* 64-bit */
		if (index == 5)
			return -ENODEV;
		hi = pci_read32(pd, PCI_BAR0 + 4 * (index + 1));
	}
	*addr = (uint64_t)hi << 32 | (lo & ~0xfu);
	return *addr ? 0 : -ENODEV;
}

unsigned pci_find_cap(const struct pci_device *pd, uint8_t id, unsigned after)
{
	unsigned off, hops = 0;

	if (!(pci_read16(pd, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_read8(pd, after + 1) : pci_read8(pd, PCI_CAPABILITIES);
	/* 48 hops at most: a list that loops ends here, not in a hang. */
	for (off &= 0xfc; off >= 0x40 && hops++ < 48; off = pci_read8(pd, off + 1) & 0xfc)
		if (pci_read8(pd, off) == id)
			return off;
	return 0;
}

void pci_enable(const struct pci_device *pd, uint16_t bits)
{
	pci_write16(pd, PCI_COMMAND, pci_read16(pd, PCI_COMMAND) | bits);
}
