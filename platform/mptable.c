/*
 * The Intel MultiProcessor Specification table (v1.4): how machines
 * without ACPI, Firecracker among them, describe their CPUs. Only
 * processor entries matter here. The floating pointer is searched where
 * the spec says: the first KiB of the EBDA, the last KiB of base memory,
 * and the BIOS ROM at 0xf0000-0xfffff; the pointer and the table are both
 * checksummed and bounds-checked.
 */
#include <lib/string.h>
#include <mote/layout.h>
#include <mote/platform.h>

struct mp_floating {
	char signature[4];	/* "_MP_" */
	uint32_t config;	/* physical address of the configuration table */
	uint8_t length;		/* in 16-byte units */
	uint8_t revision;
	uint8_t checksum;
	uint8_t features[5];
} __attribute__((packed));

struct mp_config {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

#define MP_PROCESSOR     0
#define MP_PROCESSOR_LEN 20
#define MP_OTHER_LEN     8
#define MP_CPU_ENABLED   1

static uint8_t sum_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct mp_floating *floating_scan(uint64_t start, uint64_t len)
{
	uint32_t want = *(const uint32_t *)"_MP_";

	for (uint64_t pa = start; pa + 16 <= start + len; pa += 16) {
		const struct mp_floating *f = phys_to_virt(pa);

		if (*(const uint32_t *)f == want && f->length == 1 && !sum_bytes(f, 16))
			return f;
	}
	return NULL;
}

/* The spec's three places: the EBDA's first KiB, the last KiB below 640 KiB, the BIOS ROM. */
static const struct mp_floating *floating_find(void)
{
	uint16_t ebda_segment;
	const struct mp_floating *f = NULL;

	memcpy(&ebda_segment, phys_to_virt(0x40e), 2);
	if (ebda_segment)
		f = floating_scan((uint64_t)ebda_segment << 4, 1024);
	if (!f)
		f = floating_scan(0x9fc00, 1024);
	if (!f)
		f = floating_scan(0xf0000, 0x10000);
	return f;
}

static const struct mp_config *config_at(uint32_t pa)
{
	const struct mp_config *c;

	if (!pa || pa > BOOT_DIRECT_MAP_SIZE - sizeof(*c))
		return NULL;
	c = phys_to_virt(pa);
	if (*(const uint32_t *)c->signature != *(const uint32_t *)"PCMP" || c->length < sizeof(*c) ||
	    pa + (uint64_t)c->length > BOOT_DIRECT_MAP_SIZE || sum_bytes(c, c->length))
		return NULL;
	return c;
}

#define MP_IOAPIC 2
#define MP_IOAPIC_ENABLED 1

/* IOAPIC entries only: QEMU's and Firecracker's tables route ISA lines 1:1. */
bool mptable_irq_topology(struct irq_topology *t)
{
	const struct mp_floating *f = floating_find();
	const struct mp_config *c = f ? config_at(f->config) : NULL;
	const uint8_t *p, *end;

	if (!c)
		return false;
	p = (const uint8_t *)(c + 1);
	end = (const uint8_t *)c + c->length;
	while (p < end) {
		unsigned len = p[0] == MP_PROCESSOR ? MP_PROCESSOR_LEN : MP_OTHER_LEN;
		uint32_t base;

		if (p + len > end)
			break;
		if (p[0] == MP_IOAPIC && (p[3] & MP_IOAPIC_ENABLED) &&
		    t->nr_ioapics < PLATFORM_MAX_IOAPICS) {
			memcpy(&base, p + 4, 4);
			t->ioapic[t->nr_ioapics].base = base;
			t->ioapic[t->nr_ioapics++].gsi_base = 0;
		}
		p += len;
	}
	return t->nr_ioapics > 0;
}

bool mptable_cpus(struct cpu_list *cpus)
{
	const struct mp_floating *f = floating_find();
	const struct mp_config *c = f ? config_at(f->config) : NULL;
	const uint8_t *p, *end;

	if (!c)
		return false;
	cpus->count = 0;
	p = (const uint8_t *)(c + 1);
	end = (const uint8_t *)c + c->length;
	/* Walk by the table length, not entry_count: qboot leaves the count 0 (Linux does the same). */
	while (p < end) {
		unsigned len = p[0] == MP_PROCESSOR ? MP_PROCESSOR_LEN : MP_OTHER_LEN;

		if (p + len > end)
			break;
		if (p[0] == MP_PROCESSOR && (p[3] & MP_CPU_ENABLED) && cpus->count < PLATFORM_MAX_CPUS)
			cpus->apic_id[cpus->count++] = p[1];
		p += len;
	}
	cpus->source = CPUS_FROM_MPTABLE;
	return cpus->count > 0;
}
