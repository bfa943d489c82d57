/*
 * Just enough ACPI for a unikernel: find the tables, list the CPUs (MADT),
 * and power off (FADT plus the \_S5 sleep type from the DSDT). No AML
 * interpreter: \_S5 is a package of constants in every firmware we meet
 * (QEMU's q35 and microvm, cloud-hypervisor), so a byte-pattern read of it
 * is enough, and anything unexpected means "no ACPI power-off" rather than
 * a guess. Every table is checksummed and bounds-checked before use:
 * firmware tables are input like any other.
 */
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/layout.h>
#include <mote/platform.h>

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;	/* revision >= 2 from here */
	uint64_t xsdt;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* A Generic Address Structure (FADT registers). */
struct acpi_gas {
	uint8_t space;		/* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define MAX_TABLE_SIZE     (16u << 20)
#define FADT_DSDT          40
#define FADT_PM1A_CNT      64
#define FADT_PM1B_CNT      68
#define FADT_FLAGS         112
#define FADT_X_DSDT        140
#define FADT_SLEEP_CONTROL 244
#define FADT_HW_REDUCED    (1u << 20)
#define SLP_EN             (1u << 13)
#define SLEEP_CTL_SLP_EN   (1u << 5)

static struct {
	bool found;
	uint64_t root;		/* RSDT or XSDT */
	unsigned entry_size;	/* 4 (RSDT) or 8 (XSDT) */
} acpi;

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return sum;
}

static bool phys_range_ok(uint64_t pa, uint64_t len)
{
	return pa && len <= BOOT_DIRECT_MAP_SIZE && pa <= BOOT_DIRECT_MAP_SIZE - len;
}

/* A mapped, checksummed table at pa, or NULL. */
static const struct acpi_header *table_at(uint64_t pa)
{
	const struct acpi_header *h;

	if (!phys_range_ok(pa, sizeof(*h)))
		return NULL;
	h = phys_to_virt(pa);
	if (h->length < sizeof(*h) || h->length > MAX_TABLE_SIZE ||
	    !phys_range_ok(pa, h->length) || checksum(h, h->length))
		return NULL;
	return h;
}

static const struct acpi_rsdp *rsdp_at(uint64_t pa)
{
	const struct acpi_rsdp *r;

	if (!phys_range_ok(pa, sizeof(*r)))
		return NULL;
	r = phys_to_virt(pa);
	if (memcmp(r->signature, "RSD PTR ", 8) || checksum(r, 20))
		return NULL;
	if (r->revision >= 2 && (r->length < sizeof(*r) || r->length > 4096 ||
				 checksum(r, r->length)))
		return NULL;
	return r;
}

/* The BIOS areas where legacy firmware leaves the RSDP, on 16-byte boundaries. */
static const struct acpi_rsdp *rsdp_scan(uint64_t start, uint64_t len)
{
	uint64_t want;

	memcpy(&want, "RSD PTR ", 8);
	/* Compare the signature as one word first: the scan covers 8192 slots. */
	for (uint64_t pa = start; pa + sizeof(struct acpi_rsdp) <= start + len; pa += 16) {
		const struct acpi_rsdp *r;

		if (*(const uint64_t *)phys_to_virt(pa) == want && (r = rsdp_at(pa)))
			return r;
	}
	return NULL;
}

/*
 * PVH loaders pass the RSDP whenever there are ACPI tables (QEMU's qboot and
 * pvh.bin, Firecracker, cloud-hypervisor), so under PVH no RSDP means no
 * ACPI and the scan, which costs boot time, is skipped. The Linux boot
 * protocol only gained acpi_rsdp_addr in version 2.14, so there the legacy
 * BIOS areas are searched as well.
 */
static const struct acpi_rsdp *rsdp_find(const struct boot_info *bi)
{
	const struct acpi_rsdp *r;
	uint16_t ebda_segment;

	if (bi->rsdp)
		return rsdp_at(bi->rsdp);
	if (bi->protocol == BOOT_PROTO_PVH)
		return NULL;
	memcpy(&ebda_segment, phys_to_virt(0x40e), 2);
	if (ebda_segment && (r = rsdp_scan((uint64_t)ebda_segment << 4, 1024)))
		return r;
	return rsdp_scan(0xe0000, 0x20000);
}

bool acpi_init(const struct boot_info *bi)
{
	const struct acpi_rsdp *r = rsdp_find(bi);

	if (!r)
		return false;
	if (r->revision >= 2 && r->xsdt && table_at(r->xsdt)) {
		acpi.root = r->xsdt;
		acpi.entry_size = 8;
	} else if (table_at(r->rsdt)) {
		acpi.root = r->rsdt;
		acpi.entry_size = 4;
	} else {
		return false;
	}
	acpi.found = true;
	return true;
}

static const struct acpi_header *acpi_find(const char *sig)
{
	const struct acpi_header *root;
	const uint8_t *entries;
	unsigned n;

	if (!acpi.found || !(root = table_at(acpi.root)))
		return NULL;
	entries = (const uint8_t *)(root + 1);
	n = (root->length - sizeof(*root)) / acpi.entry_size;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = 0;
		const struct acpi_header *h;

		memcpy(&pa, entries + i * acpi.entry_size, acpi.entry_size);
		h = table_at(pa);
		if (h && !memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

/* MADT entries: type 0 (local APIC) and 9 (local x2APIC), enabled or online-capable. */
bool acpi_cpus(struct cpu_list *cpus)
{
	const struct acpi_header *madt = acpi_find("APIC");
	const uint8_t *p, *end;

	if (!madt)
		return false;
	cpus->count = 0;
	p = (const uint8_t *)madt + sizeof(*madt) + 8;	/* skip the LAPIC address and flags */
	end = (const uint8_t *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		uint32_t flags, id;

		if (p[0] == 0 && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == 9 && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		} else {
			continue;
		}
		if ((flags & 3) && cpus->count < PLATFORM_MAX_CPUS)
			cpus->apic_id[cpus->count++] = id;
	}
	cpus->source = CPUS_FROM_ACPI;
	return cpus->count > 0;
}

/* MADT entries 1 (IOAPIC) and 2 (interrupt source override, bus 0 = ISA). */
bool acpi_irq_topology(struct irq_topology *t)
{
	const struct acpi_header *madt = acpi_find("APIC");
	const uint8_t *p, *end;

	if (!madt)
		return false;
	p = (const uint8_t *)madt + sizeof(*madt) + 8;
	end = (const uint8_t *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		if (p[0] == 1 && p[1] >= 12 && t->nr_ioapics < PLATFORM_MAX_IOAPICS) {
			uint32_t base, gsi;

			memcpy(&base, p + 4, 4);
			memcpy(&gsi, p + 8, 4);
			t->ioapic[t->nr_ioapics].base = base;
			t->ioapic[t->nr_ioapics++].gsi_base = gsi;
		} else if (p[0] == 2 && p[1] >= 10 && p[2] == 0 && p[3] < 16) {
			memcpy(&t->isa_gsi[p[3]], p + 4, 4);
			memcpy(&t->isa_flags[p[3]], p + 8, 2);
		}
	}
	return t->nr_ioapics > 0;
}

/* Reads an AML integer constant at p (ZeroOp, OneOp, OnesOp, BytePrefix n). */
static bool aml_small_int(const uint8_t *p, const uint8_t *end, uint8_t *out)
{
	if (p >= end)
		return false;
	switch (p[0]) {
	case 0x00: *out = 0; return true;
	case 0x01: *out = 1; return true;
	case 0xff: *out = 0xff; return true;
	case 0x0a:
		if (p + 1 >= end)
			return false;
		*out = p[1];
		return true;
	default:
		return false;
	}
}

/* Finds `Name(_S5_, Package(){SLP_TYPa, ...})` in the DSDT; false if absent or unusual. */
static bool dsdt_s5(const struct acpi_header *dsdt, uint8_t *slp_typ)
{
	const uint8_t *p = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		unsigned pkglen_bytes;

		/* NameOp "_S5_" PackageOp */
		if (p[0] != 0x08 || memcmp(p + 1, "_S5_", 4) || p[5] != 0x12)
			continue;
		pkglen_bytes = (p[6] >> 6) + 1;
		/* p[6 + pkglen_bytes] is NumElements, then the first element. */
		return aml_small_int(p + 6 + pkglen_bytes + 1, end, slp_typ);
	}
	return false;
}

static const struct acpi_header *fadt_dsdt(const struct acpi_header *fadt)
{
	uint64_t x_dsdt = 0;
	uint32_t dsdt = 0;

	if (fadt->length >= FADT_X_DSDT + 8)
		memcpy(&x_dsdt, (const uint8_t *)fadt + FADT_X_DSDT, 8);
	if (fadt->length >= FADT_DSDT + 4)
		memcpy(&dsdt, (const uint8_t *)fadt + FADT_DSDT, 4);
	return table_at(x_dsdt ? x_dsdt : dsdt);
}

static bool sleep_control_power_off(const struct acpi_header *fadt, uint8_t slp_typ)
{
	struct acpi_gas reg;

	if (fadt->length < FADT_SLEEP_CONTROL + sizeof(reg))
		return false;
	memcpy(&reg, (const uint8_t *)fadt + FADT_SLEEP_CONTROL, sizeof(reg));
	if (!reg.address)
		return false;
	if (reg.space == 1 && reg.address <= 0xffff)
		arch_pio_write8(reg.address, (slp_typ & 7) << 2 | SLEEP_CTL_SLP_EN);
	else if (reg.space == 0 && phys_range_ok(reg.address, 1))
		*(volatile uint8_t *)phys_to_virt(reg.address) = (slp_typ & 7) << 2 | SLEEP_CTL_SLP_EN;
	else
		return false;
	return true;
}

static bool pm1_power_off(const struct acpi_header *fadt, uint8_t slp_typ)
{
	uint32_t pm1a = 0, pm1b = 0;

	if (fadt->length < FADT_PM1B_CNT + 4)
		return false;
	memcpy(&pm1a, (const uint8_t *)fadt + FADT_PM1A_CNT, 4);
	memcpy(&pm1b, (const uint8_t *)fadt + FADT_PM1B_CNT, 4);
	if (!pm1a || pm1a > 0xffff)
		return false;
	arch_pio_write16(pm1a, (slp_typ & 7) << 10 | SLP_EN);
	if (pm1b && pm1b <= 0xffff)
		arch_pio_write16(pm1b, (slp_typ & 7) << 10 | SLP_EN);
	return true;
}

/* Enters S5. Returns only if ACPI cannot (or did not) power the machine off. */
bool acpi_power_off(void)
{
	const struct acpi_header *fadt = acpi_find("FACP");
	const struct acpi_header *dsdt;
	uint32_t flags = 0;
	uint8_t slp_typ;

	if (!fadt || !(dsdt = fadt_dsdt(fadt)) || !dsdt_s5(dsdt, &slp_typ))
		return false;
	if (fadt->length >= FADT_FLAGS + 4)
		memcpy(&flags, (const uint8_t *)fadt + FADT_FLAGS, 4);
	if (flags & FADT_HW_REDUCED)
		return sleep_control_power_off(fadt, slp_typ);
	return pm1_power_off(fadt, slp_typ);
}
