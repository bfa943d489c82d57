/*
 * From the loader's structures to struct boot_info, and the checks that
 * make boot_info trustworthy. Two converters (PVH, Linux boot_params), one
 * validator. The loader's memory is read through struct phys_reader, never
 * dereferenced directly, so a bad pointer from the loader becomes an error
 * message instead of a fault, and the code runs in host unit tests.
 *
 * References: Xen's public header arch-x86/hvm/start_info.h (PVH), Linux's
 * Documentation/arch/x86/boot.rst and zero-page.rst (boot_params).
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/platform.h>

#define PVH_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;	/* version >= 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* Offsets into boot_params (zero-page.rst). */
#define BP_ACPI_RSDP        0x070
#define BP_EXT_RAMDISK_IMG  0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES     0x1e8
#define BP_HDR_MAGIC        0x202
#define BP_RAMDISK_IMAGE    0x218
#define BP_RAMDISK_SIZE     0x21c
#define BP_CMD_LINE_PTR     0x228
#define BP_E820_TABLE       0x2d0
#define BP_SIZE             0x1000
#define HDRS_MAGIC          0x53726448	/* "HdrS" */
#define E820_MAX_ZEROPAGE   128

/* Physical addresses above this cannot exist on x86-64 (MAXPHYADDR <= 52). */
#define PHYS_LIMIT (1ULL << 52)

static int fail(struct boot_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct boot_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int read_phys(const struct phys_reader *rd, uint64_t pa, void *dst, size_t len)
{
	return rd->read(rd->ctx, pa, dst, len);
}

static void boot_info_reset(struct boot_info *bi, uint32_t protocol)
{
	uint64_t tsc = bi->entry_tsc;

	memset(bi, 0, sizeof(*bi));
	bi->version = BOOT_INFO_VERSION;
	bi->protocol = protocol;
	bi->entry_tsc = tsc;
}

static int read_cmdline(struct boot_info *bi, uint64_t pa, const struct phys_reader *rd,
			struct boot_error *err)
{
	if (!pa)
		return 0;
	for (size_t i = 0; i < BOOT_INFO_CMDLINE_MAX; i++) {
		if (read_phys(rd, pa + i, &bi->cmdline[i], 1))
			return fail(err, "command line at %#lx is not readable", (unsigned long)pa);
		if (!bi->cmdline[i])
			return 0;
	}
	bi->cmdline[BOOT_INFO_CMDLINE_MAX - 1] = '\0';
	return fail(err, "command line longer than %d bytes", BOOT_INFO_CMDLINE_MAX - 1);
}

static int add_mem(struct boot_info *bi, uint64_t base, uint64_t size, uint32_t type,
		   struct boot_error *err)
{
	if (bi->nr_mem == BOOT_INFO_MAX_MEM)
		return fail(err, "memory map has more than %d entries", BOOT_INFO_MAX_MEM);
	if (type < BOOT_MEM_USABLE || type > BOOT_MEM_UNUSABLE)
		type = BOOT_MEM_RESERVED;
	bi->mem[bi->nr_mem++] = (struct boot_mem_region){ .base = base, .size = size, .type = type };
	return 0;
}

static int add_module(struct boot_info *bi, uint64_t base, uint64_t size, struct boot_error *err)
{
	if (bi->nr_modules == BOOT_INFO_MAX_MODULES)
		return fail(err, "more than %d boot modules", BOOT_INFO_MAX_MODULES);
	bi->modules[bi->nr_modules++] = (struct boot_module){ .base = base, .size = size };
	return 0;
}

static int pvh_memmap(struct boot_info *bi, const struct hvm_start_info *si,
		      const struct phys_reader *rd, struct boot_error *err)
{
	struct e820_entry e;	/* hvm_memmap_table_entry: the same 20 bytes plus 4 reserved */

	if (si->version < 1)
		return fail(err, "PVH start info version 0 carries no memory map");
	if (si->memmap_entries > BOOT_INFO_MAX_MEM)
		return fail(err, "PVH memory map claims %u entries (at most %d supported)",
			    si->memmap_entries, BOOT_INFO_MAX_MEM);
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (read_phys(rd, si->memmap_paddr + 24ULL * i, &e, sizeof(e)))
			return fail(err, "PVH memory map entry %u is not readable", i);
		if (add_mem(bi, e.addr, e.size, e.type, err))
			return -EINVAL;
	}
	return 0;
}

static int pvh_modules(struct boot_info *bi, const struct hvm_start_info *si,
		       const struct phys_reader *rd, struct boot_error *err)
{
	struct hvm_modlist_entry m;

	if (si->nr_modules > BOOT_INFO_MAX_MODULES)
		return fail(err, "PVH start info lists %u modules (at most %d supported)",
			    si->nr_modules, BOOT_INFO_MAX_MODULES);
	for (uint32_t i = 0; i < si->nr_modules; i++) {
		if (read_phys(rd, si->modlist_paddr + sizeof(m) * i, &m, sizeof(m)))
			return fail(err, "PVH module list entry %u is not readable", i);
		if (add_module(bi, m.paddr, m.size, err))
			return -EINVAL;
	}
	return 0;
}

int boot_info_from_pvh(struct boot_info *bi, uint64_t start_info_pa,
		       const struct phys_reader *rd, struct boot_error *err)
{
	struct hvm_start_info si;

	boot_info_reset(bi, BOOT_PROTO_PVH);
	if (read_phys(rd, start_info_pa, &si, sizeof(si)))
		return fail(err, "PVH start info at %#lx is not readable",
			    (unsigned long)start_info_pa);
	if (si.magic != PVH_MAGIC)
		return fail(err, "PVH start info has bad magic %#x", si.magic);
	bi->rsdp = si.rsdp_paddr;
	if (read_cmdline(bi, si.cmdline_paddr, rd, err) || pvh_memmap(bi, &si, rd, err) ||
	    pvh_modules(bi, &si, rd, err))
		return -EINVAL;
	return 0;
}

static int linux_ramdisk(struct boot_info *bi, const uint8_t *bp, struct boot_error *err)
{
	uint32_t lo, hi, size_lo, size_hi;
	uint64_t base, size;

	memcpy(&lo, bp + BP_RAMDISK_IMAGE, 4);
	memcpy(&size_lo, bp + BP_RAMDISK_SIZE, 4);
	memcpy(&hi, bp + BP_EXT_RAMDISK_IMG, 4);
	memcpy(&size_hi, bp + BP_EXT_RAMDISK_SIZE, 4);
	base = (uint64_t)hi << 32 | lo;
	size = (uint64_t)size_hi << 32 | size_lo;
	return size ? add_module(bi, base, size, err) : 0;
}

int boot_info_from_linux(struct boot_info *bi, uint64_t boot_params_pa,
			 const struct phys_reader *rd, struct boot_error *err)
{
	static uint8_t bp[BP_SIZE];	/* too big for the boot stack; one boot, one user */
	uint32_t magic, cmd_lo, cmd_hi;
	uint8_t nr_e820;
	struct e820_entry e;

	boot_info_reset(bi, BOOT_PROTO_LINUX);
	if (read_phys(rd, boot_params_pa, bp, sizeof(bp)))
		return fail(err, "boot_params at %#lx is not readable",
			    (unsigned long)boot_params_pa);
	memcpy(&magic, bp + BP_HDR_MAGIC, 4);
	if (magic != HDRS_MAGIC)
		return fail(err, "boot_params has no setup header (magic %#x, want \"HdrS\")", magic);
	memcpy(&bi->rsdp, bp + BP_ACPI_RSDP, 8);
	memcpy(&cmd_lo, bp + BP_CMD_LINE_PTR, 4);
	memcpy(&cmd_hi, bp + BP_EXT_CMD_LINE_PTR, 4);
	if (read_cmdline(bi, (uint64_t)cmd_hi << 32 | cmd_lo, rd, err))
		return -EINVAL;
	nr_e820 = bp[BP_E820_ENTRIES];
	if (nr_e820 > E820_MAX_ZEROPAGE)
		return fail(err, "boot_params claims %u e820 entries (the zero page holds %d)",
			    nr_e820, E820_MAX_ZEROPAGE);
	for (unsigned i = 0; i < nr_e820; i++) {
		memcpy(&e, bp + BP_E820_TABLE + sizeof(e) * i, sizeof(e));
		if (add_mem(bi, e.addr, e.size, e.type, err))
			return -EINVAL;
	}
	return linux_ramdisk(bi, bp, err);
}

const char *boot_mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE: return "usable";
	case BOOT_MEM_RESERVED: return "reserved";
	case BOOT_MEM_ACPI: return "ACPI data";
	case BOOT_MEM_NVS: return "ACPI NVS";
	case BOOT_MEM_UNUSABLE: return "unusable";
	default: return "unknown";
	}
}

/*
 * One pass: drop empty regions (qboot adds an all-zero one), reject any
 * beyond the physical address space, and insertion-sort the rest by base
 * (at most 128 entries, usually under 10, so a simple sort is the fast one).
 */
static int sort_regions(struct boot_info *bi, struct boot_error *err)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		struct boot_mem_region r = bi->mem[i];
		uint32_t j = n++;

		if (!r.size) {
			n--;
			continue;
		}
		if (r.base >= PHYS_LIMIT || r.size > PHYS_LIMIT - r.base)
			return fail(err, "memory region %#lx+%#lx lies beyond the 52-bit physical "
				    "address space", (unsigned long)r.base, (unsigned long)r.size);
		for (; j > 0 && bi->mem[j - 1].base > r.base; j--)
			bi->mem[j] = bi->mem[j - 1];
		bi->mem[j] = r;
	}
	bi->nr_mem = n;
	return 0;
}

/*
 * Overlapping regions mean the loader is confused about the machine; there
 * is no safe guess about which entry is right, so refuse (regions sorted).
 */
static int check_overlaps(const struct boot_info *bi, struct boot_error *err)
{
	for (uint32_t i = 1; i < bi->nr_mem; i++) {
		const struct boot_mem_region *a = &bi->mem[i - 1], *b = &bi->mem[i];

		if (b->base < a->base + a->size)
			return fail(err, "memory regions overlap: %#lx-%#lx (%s) and %#lx-%#lx (%s)",
				    (unsigned long)a->base, (unsigned long)(a->base + a->size - 1),
				    boot_mem_type_name(a->type), (unsigned long)b->base,
				    (unsigned long)(b->base + b->size - 1),
				    boot_mem_type_name(b->type));
	}
	return 0;
}

/* True when [base, base+size) lies entirely inside usable RAM (regions sorted, disjoint). */
static bool range_usable(const struct boot_info *bi, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	for (uint32_t i = 0; i < bi->nr_mem && base < end; i++) {
		const struct boot_mem_region *r = &bi->mem[i];

		if (r->type != BOOT_MEM_USABLE || r->base + r->size <= base)
			continue;
		if (r->base > base)
			return false;
		base = r->base + r->size;
	}
	return base >= end;
}

static int check_modules(const struct boot_info *bi, uint64_t kstart, uint64_t kend,
			 struct boot_error *err)
{
	for (uint32_t i = 0; i < bi->nr_modules; i++) {
		const struct boot_module *m = &bi->modules[i];

		if (m->base >= PHYS_LIMIT || m->size > PHYS_LIMIT - m->base ||
		    !range_usable(bi, m->base, m->size))
			return fail(err, "boot module %u at %#lx+%#lx is not inside usable RAM",
				    i, (unsigned long)m->base, (unsigned long)m->size);
		if (m->base < kend && kstart < m->base + m->size)
			return fail(err, "boot module %u at %#lx+%#lx overlaps the kernel image",
				    i, (unsigned long)m->base, (unsigned long)m->size);
	}
	return 0;
}

int boot_info_check(struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end,
		    struct boot_error *err)
{
	if (bi->version != BOOT_INFO_VERSION)
		return fail(err, "boot_info version %u, expected %d", bi->version, BOOT_INFO_VERSION);
	if (sort_regions(bi, err))
		return -EINVAL;
	if (!bi->nr_mem)
		return fail(err, "the loader gave no memory map");
	if (check_overlaps(bi, err))
		return -EINVAL;
	if (!range_usable(bi, kernel_start, kernel_end - kernel_start))
		return fail(err, "the kernel image at %#lx-%#lx is not in usable RAM "
			    "(memory map too small or wrong?)", (unsigned long)kernel_start,
			    (unsigned long)kernel_end - 1);
	return check_modules(bi, kernel_start, kernel_end, err);
}
