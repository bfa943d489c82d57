/*
 * fcfixture: Firecracker's x86-64 boot, reproduced under QEMU.
 *
 * Firecracker (before 1.12) boots an ELF kernel by the Linux 64-bit boot
 * protocol: it copies the PT_LOAD segments to p_paddr, writes a handful of
 * tables into low memory and starts the vCPU in long mode at e_entry with
 * RSI pointing at boot_params. Firecracker needs KVM; this machine has none.
 * So this small PVH kernel is loaded by QEMU (-kernel) together with the
 * real kernel as its module (-initrd), and rebuilds that start state:
 *
 *   what                 value                       Firecracker source (src/vmm/src/arch/x86_64/)
 *   boot GDT             0x500: NULL, CODE 0xa09b,   regs.rs BOOT_GDT_OFFSET, BOOT_GDT_MAX,
 *                        DATA 0xc093, TSS 0x808b     configure_segments_and_sregs; gdt.rs gdt_entry
 *   boot IDT             0x520: one zero u64         regs.rs BOOT_IDT_OFFSET, write_idt_value(0)
 *   zero page            0x7000                      layout.rs ZERO_PAGE_START
 *   stack (RSP = RBP)    0x8ff0                      layout.rs BOOT_STACK_POINTER
 *   PML4 / PDPT / PD     0x9000 / 0xa000 / 0xb000,   regs.rs PML4_START, PDPTE_START, PDE_START,
 *                        1 GiB in 2 MiB pages        setup_page_tables
 *   command line         0x20000, <= 2048 bytes      layout.rs CMDLINE_START, CMDLINE_MAX_SIZE
 *                        with its NUL
 *   MP table             0x9fc00                     mptable.rs MPTABLE_START, setup_mptable
 *   e820                 [0, EBDA_START) RAM,        mod.rs configure_system, EBDA_START 0x9fc00,
 *                        [1 MiB, ...) RAM split      layout.rs HIMEM_START, mod.rs MMIO_MEM_START
 *                        around the 32-bit MMIO gap  = 4 GiB - 768 MiB (MEM_32BIT_GAP_SIZE)
 *   setup header         boot_flag 0xaa55, "HdrS",   mod.rs configure_system: KERNEL_BOOT_FLAG_MAGIC,
 *                        loader 0xff, align 16 MiB,  KERNEL_HDR_MAGIC, KERNEL_LOADER_OTHER,
 *                        cmd_line_ptr, cmdline_size  KERNEL_MIN_ALIGNMENT_BYTES
 *   initrd               top of low RAM, page        mod.rs initrd_load_addr
 *                        aligned
 *   LAPIC LINT0 / LINT1  ExtINT / NMI delivery       interrupts.rs set_lint
 *   MSRs                 SYSENTER_*, STAR, LSTAR,    msr.rs create_boot_msr_entries
 *                        CSTAR, SFMASK, KERNEL_GS
 *                        = 0; MISC_ENABLE = 1; TSC = 0
 *   CR0 CR3 CR4 EFER     0xe0000011 0x9000 0x20      regs.rs: PE|PG over the reset CR0 (ET|NW|CD:
 *                        0x500                       Intel SDM vol. 3, "Processor State Following
 *                                                    Power-up, Reset, or INIT"), PAE, LME|LMA
 *   RFLAGS RSI RIP       0x2 0x7000 e_entry          regs.rs setup_regs; every other GPR 0
 *   FPU                  FCW 0x37f, MXCSR 0x1f80     regs.rs setup_fpu
 *
 * The field offsets are those of Linux's Documentation/arch/x86/boot.rst and
 * zero-page.rst; the MP structures are those of the Intel MultiProcessor
 * Specification 1.4, chapter 4; the PVH structures those of Xen's
 * xen/include/public/arch-x86/hvm/start_info.h. entry.S loads the registers.
 *
 * Differences that remain: QEMU's BIOS ROM (0xe0000-0xfffff) cannot be
 * cleared and may hold firmware tables; KVM's reset LAPIC state may differ
 * from QEMU's (set_lint only changes delivery modes); Firecracker's RAM
 * layout is derived from QEMU's -m, so above 3 GiB QEMU's own low/high split
 * may disagree with the map we describe.
 *
 * Options (consumed, the rest of the command line passes through unchanged):
 *   fixture.cpus=N         vCPUs described in the MP table (1..32, default 1)
 *   fixture.e820=none      zero e820 entries
 *   fixture.e820=overlap   an extra RAM entry overlapping the one at 1 MiB
 *   fixture.e820=absurd    e820_entries = 200, more than the table's 128
 *   fixture.initrd=OFF     module bytes from OFF on are an initrd, not kernel
 *
 * Anything malformed is refused with a line on COM1 and isa-debug-exit
 * value 0x70 (QEMU exit status 225). Inputs are all read and checked before
 * guest memory is written.
 */
#include <stddef.h>
#include <stdint.h>

uint64_t fixture_main(uint32_t start_info_paddr);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* Firecracker's layout (see the table above). */
#define FC_BOOT_GDT		0x500
#define FC_BOOT_IDT		0x520
#define FC_ZERO_PAGE		0x7000
#define FC_PML4			0x9000
#define FC_PDPTE		0xa000
#define FC_PDE			0xb000
#define FC_CMDLINE		0x20000
#define FC_CMDLINE_MAX		2048
#define FC_EBDA_START		0x9fc00
#define FC_MPTABLE		0x9fc00
#define FC_HIMEM_START		(1 * MiB)
#define FC_FIRST_PAST_32BITS	(4 * GiB)
#define FC_MMIO_MEM_START	(4 * GiB - 768 * MiB)
#define FC_PAGE_SIZE		4096
#define FC_IRQ_MAX		23		/* layout.rs IRQ_MAX */
#define FC_MAX_VCPUS		32		/* vmm_config/machine_config.rs MAX_SUPPORTED_VCPUS */
#define FC_APIC_ADDR		0xfee00000	/* layout.rs APIC_ADDR */
#define FC_IOAPIC_ADDR		0xfec00000	/* layout.rs IOAPIC_ADDR */

/* boot_params offsets: zero-page.rst and boot.rst. */
#define BP_E820_ENTRIES		0x1e8
#define BP_BOOT_FLAG		0x1fe
#define BP_HEADER		0x202
#define BP_TYPE_OF_LOADER	0x210
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_KERNEL_ALIGNMENT	0x230
#define BP_CMDLINE_SIZE		0x238
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128		/* E820_MAX_ENTRIES_ZEROPAGE */
#define E820_RAM		1

#define COM1			0x3f8
#define EXIT_PORT		0xf4
#define FIXTURE_EXIT_REFUSED	0x70

/* hvm_start_info and friends (start_info.h). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* ELF-64 (System V gABI). */
struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define ET_EXEC		2
#define EM_X86_64	62
#define PT_LOAD		1

/* MP spec 1.4 structures (section 4.1 and table 4-3..4-8). */
struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, spec_rev, checksum, feature[5];
} __attribute__((packed));
struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec_rev, checksum;
	char oem[8], product[12];
	uint32_t oem_ptr;
	uint16_t oem_size, entry_count;	/* Firecracker leaves entry_count 0 */
	uint32_t lapic, reserved;
} __attribute__((packed));
struct mpc_cpu {
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t signature, features, reserved[2];
} __attribute__((packed));
struct mpc_bus {
	uint8_t type, bus_id;
	char bus_type[6];
} __attribute__((packed));
struct mpc_ioapic {
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t addr;
} __attribute__((packed));
struct mpc_irq {			/* I/O (type 3) and local (type 4) interrupt entries */
	uint8_t type, irq_type;
	uint16_t irq_flags;
	uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));
_Static_assert(sizeof(struct mpf_intel) == 16 && sizeof(struct mpc_table) == 44 &&
	       sizeof(struct mpc_cpu) == 20 && sizeof(struct mpc_bus) == 8 &&
	       sizeof(struct mpc_ioapic) == 8 && sizeof(struct mpc_irq) == 8, "MP spec sizes");

enum e820_mode { E820_FIRECRACKER, E820_NONE, E820_OVERLAP, E820_ABSURD };

struct options {
	uint32_t cpus;
	enum e820_mode e820;
	int has_initrd;
	uint64_t initrd_offset;
};

/* What QEMU gave us, copied out before low memory is rewritten. */
struct inputs {
	uint64_t module, module_size;	/* the kernel ELF (and optional initrd) */
	uint64_t low_top;		/* end of QEMU's RAM below 4 GiB */
	uint64_t mem_size;		/* guest RAM, as Firecracker's mem_size */
	char cmdline[FC_CMDLINE_MAX];
	size_t cmdline_len;
	struct options opt;
};

extern char __image_start[], __image_end[];

/* ---- small freestanding helpers ---- */

/* A pointer to physical memory (identity mapped). The empty asm hides the
 * integer origin from GCC, which would otherwise warn near address 0. */
static void *phys(uint64_t addr)
{
	void *p = (void *)(uintptr_t)addr;
	__asm__("" : "+r"(p));
	return p;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n)	/* no harmful overlap */
		return memcpy(dst, src, n);
	void *d = (char *)dst + n - 1;
	const void *s = (const char *)src + n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

static int mem_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))		/* LSR: transmit holding register empty */
		;
	outb(COM1, (uint8_t)c);
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

static void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void serial_hex(uint64_t v)
{
	int shift = 60;
	serial_puts("0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		serial_putc("0123456789abcdef"[(v >> shift) & 15]);
}

static __attribute__((noreturn)) void refuse(const char *why, uint64_t value)
{
	serial_puts("fcfixture: refused: ");
	serial_puts(why);
	serial_puts(" (");
	serial_hex(value);
	serial_puts(")\n");
	outl(EXIT_PORT, FIXTURE_EXIT_REFUSED);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- reading what QEMU gave us ---- */

static int word_is(const char *w, size_t len, const char *s)
{
	size_t i = 0;
	for (; i < len && s[i]; i++)
		if (w[i] != s[i])
			return 0;
	return i == len && !s[i];
}

static uint64_t parse_number(const char *s, size_t len, const char *what)
{
	uint64_t v = 0, base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 16)
		refuse(what, len);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint64_t d = c >= '0' && c <= '9' ? (uint64_t)(c - '0') :
			     c >= 'a' && c <= 'f' ? (uint64_t)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (uint64_t)(c - 'A' + 10) : 99;
		if (d >= base)
			refuse(what, (uint64_t)(unsigned char)c);
		v = v * base + d;
	}
	return v;
}

/* One `fixture.NAME=VALUE` word (without the "fixture." prefix). */
static void parse_option(const char *w, size_t len, struct options *o)
{
	size_t n = 0;
	while (n < len && w[n] != '=')
		n++;
	const char *val = w + n + 1;
	size_t vlen = n < len ? len - n - 1 : 0;

	if (word_is(w, n, "cpus")) {
		o->cpus = (uint32_t)parse_number(val, vlen, "fixture.cpus is not a number");
		if (o->cpus < 1 || o->cpus > FC_MAX_VCPUS)
			refuse("fixture.cpus must be 1..32", o->cpus);
	} else if (word_is(w, n, "e820") && word_is(val, vlen, "none")) {
		o->e820 = E820_NONE;
	} else if (word_is(w, n, "e820") && word_is(val, vlen, "overlap")) {
		o->e820 = E820_OVERLAP;
	} else if (word_is(w, n, "e820") && word_is(val, vlen, "absurd")) {
		o->e820 = E820_ABSURD;
	} else if (word_is(w, n, "initrd")) {
		o->initrd_offset = parse_number(val, vlen, "fixture.initrd is not a number");
		o->has_initrd = 1;
	} else {
		serial_puts("fcfixture: unknown option fixture.");
		serial_write(w, len);
		serial_puts("\n");
		refuse("unknown fixture option", len);
	}
}

/* Copy QEMU's command line into in->cmdline without the fixture.* words
 * (each taken with the spaces after it). */
static void take_cmdline(const char *src, struct inputs *in)
{
	size_t n = 0;
	int removed = 0;

	while (*src) {
		size_t word = 0, len;
		while (src[word] && src[word] != ' ')
			word++;
		for (len = word; src[len] == ' '; len++)
			;
		if (word >= 8 && mem_equal(src, "fixture.", 8)) {
			parse_option(src + 8, word - 8, &in->opt);
			removed = 1;
		} else {
			if (n + len >= FC_CMDLINE_MAX)
				refuse("command line longer than CMDLINE_MAX_SIZE", n + len + 1);
			memcpy(in->cmdline + n, src, len);
			n += len;
		}
		src += len;
	}
	while (removed && n > 0 && in->cmdline[n - 1] == ' ')
		n--;
	in->cmdline[n] = '\0';
	in->cmdline_len = n;
}

static void read_start_info(uint32_t paddr, struct inputs *in)
{
	const struct hvm_start_info *si = phys(paddr);
	if (si->magic != HVM_START_MAGIC)
		refuse("no hvm_start_info magic in EBX", si->magic);
	if (si->version < 1 || si->memmap_entries == 0)
		refuse("hvm_start_info has no memory map", si->version);
	if (si->nr_modules < 1)
		refuse("no module: pass the kernel with -initrd", 0);

	const struct hvm_modlist_entry *mod = phys(si->modlist_paddr);
	in->module = mod[0].paddr;
	in->module_size = mod[0].size;

	const struct hvm_memmap_entry *map = phys(si->memmap_paddr);
	uint64_t high = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (map[i].type != E820_RAM)
			continue;
		uint64_t end = map[i].addr + map[i].size;
		if (map[i].addr >= FC_FIRST_PAST_32BITS)
			high += map[i].size;
		else if (end > in->low_top)
			in->low_top = end;
	}
	/* QEMU's -m counts the 640 KiB..1 MiB hole, as Firecracker's mem_size
	 * does; SeaBIOS (q35) reserves a little at the top, so round to 1 MiB. */
	in->mem_size = ((in->low_top + MiB - 1) & ~(MiB - 1)) + high;
	if (in->low_top <= FC_HIMEM_START)
		refuse("no RAM above 1 MiB", in->low_top);

	in->opt.cpus = 1;
	take_cmdline(si->cmdline_paddr ? phys(si->cmdline_paddr) : "", in);
}

/* ---- checking the kernel ELF ---- */

struct plan {
	const struct elf64_ehdr *eh;
	const struct elf64_phdr *ph;
	uint64_t elf_size;
	uint64_t initrd_src, initrd_addr, initrd_size;
};

static void check_segment(const struct elf64_phdr *p, const struct inputs *in,
			  const struct plan *pl)
{
	if (p->filesz > p->memsz)
		refuse("PT_LOAD p_filesz > p_memsz", p->filesz);
	if (p->offset > pl->elf_size || p->filesz > pl->elf_size - p->offset)
		refuse("PT_LOAD data outside the file", p->offset);
	/* linux-loader refuses segments below the kernel start (HIMEM_START). */
	if (p->paddr < FC_HIMEM_START)
		refuse("PT_LOAD p_paddr below 1 MiB", p->paddr);
	if (p->memsz > in->low_top || p->paddr > in->low_top - p->memsz)
		refuse("PT_LOAD beyond low RAM", p->paddr);
	uint64_t image = (uintptr_t)__image_start, image_len = __image_end - __image_start;
	if (overlaps(p->paddr, p->memsz, image, image_len))
		refuse("PT_LOAD overlaps the fixture (8 MiB)", p->paddr);
	if (overlaps(p->paddr, p->memsz, in->module, in->module_size))
		refuse("PT_LOAD overlaps where QEMU put the module", p->paddr);
	if (pl->initrd_size && overlaps(p->paddr, p->memsz, pl->initrd_addr, pl->initrd_size))
		refuse("PT_LOAD overlaps the initrd", p->paddr);
}

static void check_kernel(const struct inputs *in, struct plan *pl)
{
	pl->elf_size = in->module_size;
	if (in->opt.has_initrd) {
		if (in->opt.initrd_offset >= in->module_size)
			refuse("fixture.initrd offset beyond the module", in->opt.initrd_offset);
		pl->elf_size = in->opt.initrd_offset;
		pl->initrd_src = in->module + in->opt.initrd_offset;
		pl->initrd_size = in->module_size - in->opt.initrd_offset;
		uint64_t lowmem = in->mem_size < FC_MMIO_MEM_START ? in->mem_size : FC_MMIO_MEM_START;
		if (pl->initrd_size > lowmem)
			refuse("initrd larger than low memory", pl->initrd_size);
		pl->initrd_addr = (lowmem - pl->initrd_size) & ~(uint64_t)(FC_PAGE_SIZE - 1);
		if (overlaps(pl->initrd_addr, pl->initrd_size, (uintptr_t)__image_start,
			     __image_end - __image_start))
			refuse("initrd does not fit where Firecracker puts it", pl->initrd_addr);
	}

	const struct elf64_ehdr *eh = phys(in->module);
	if (pl->elf_size < sizeof(*eh))
		refuse("kernel shorter than an ELF header", pl->elf_size);
	if (!mem_equal(eh->ident, "\177ELF", 4))
		refuse("kernel is not an ELF file", eh->ident[0]);
	if (eh->ident[4] != 2 || eh->ident[5] != 1)
		refuse("kernel is not ELF64 little-endian", eh->ident[4]);
	if (eh->ident[6] != 1 || eh->version != 1)
		refuse("unknown ELF version", eh->version);
	if (eh->type != ET_EXEC || eh->machine != EM_X86_64)
		refuse("kernel is not an x86-64 ET_EXEC ELF", eh->machine);
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0)
		refuse("bad program header size or count", eh->phentsize);
	if (eh->phoff > pl->elf_size ||
	    (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > pl->elf_size - eh->phoff)
		refuse("program headers outside the file", eh->phoff);

	const struct elf64_phdr *ph = phys(in->module + eh->phoff);
	int loads = 0, entry_found = 0;
	for (uint16_t i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		check_segment(&ph[i], in, pl);
		loads++;
		if (eh->entry >= ph[i].paddr && eh->entry - ph[i].paddr < ph[i].filesz)
			entry_found = 1;
	}
	if (!loads)
		refuse("kernel has no PT_LOAD segment", 0);
	if (!entry_found)
		refuse("e_entry is not inside a loaded segment", eh->entry);
	pl->eh = eh;
	pl->ph = ph;
}

/* ---- writing Firecracker's guest memory ---- */

static void load_kernel(const struct inputs *in, const struct plan *pl)
{
	for (uint16_t i = 0; i < pl->eh->phnum; i++) {
		const struct elf64_phdr *p = &pl->ph[i];
		if (p->type != PT_LOAD)
			continue;
		memcpy(phys(p->paddr), phys(in->module + p->offset), p->filesz);
		memset(phys(p->paddr + p->filesz), 0, p->memsz - p->filesz);
	}
	if (pl->initrd_size)
		memmove(phys(pl->initrd_addr), phys(pl->initrd_src), pl->initrd_size);
}

/* A segment descriptor (Intel SDM vol. 3, 3.4.5): flags are the access byte
 * in bits 0-7 and G/DB/L/AVL in bits 12-15. */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(flags & 0xf0ff) << 40 | (uint64_t)(limit & 0xf0000) << 32 |
	       (uint64_t)(base >> 24) << 56;
}

static void build_gdt_idt_pagetables(void)
{
	uint64_t *gdt = phys(FC_BOOT_GDT), *idt = phys(FC_BOOT_IDT);
	gdt[0] = gdt_entry(0, 0, 0);
	gdt[1] = gdt_entry(0xa09b, 0, 0xfffff);	/* 64-bit code, DPL 0 */
	gdt[2] = gdt_entry(0xc093, 0, 0xfffff);	/* data */
	gdt[3] = gdt_entry(0x808b, 0, 0xfffff);	/* busy TSS */
	idt[0] = 0;

	uint64_t *pml4 = phys(FC_PML4), *pdpt = phys(FC_PDPTE), *pd = phys(FC_PDE);
	pml4[0] = FC_PDPTE | 0x03;			/* present | writable */
	pdpt[0] = FC_PDE | 0x03;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83;		/* present | writable | 2 MiB */
}

static void e820_add(uint8_t *zp, uint64_t addr, uint64_t size)
{
	uint8_t n = zp[BP_E820_ENTRIES];
	if (n >= BP_E820_MAX)
		refuse("e820 table full", n);
	uint8_t *e = zp + BP_E820_TABLE + 20 * n;	/* struct boot_e820_entry, packed */
	uint32_t type = E820_RAM;
	memcpy(e, &addr, 8);
	memcpy(e + 8, &size, 8);
	memcpy(e + 16, &type, 4);
	zp[BP_E820_ENTRIES] = n + 1;
}

static void build_e820(uint8_t *zp, uint64_t mem_size, enum e820_mode mode)
{
	uint64_t last = mem_size <= FC_MMIO_MEM_START ? mem_size - 1 :
			FC_FIRST_PAST_32BITS + (mem_size - FC_MMIO_MEM_START) - 1;
	if (mode == E820_NONE)
		return;
	e820_add(zp, 0, FC_EBDA_START);
	if (last < FC_MMIO_MEM_START) {
		e820_add(zp, FC_HIMEM_START, last - FC_HIMEM_START + 1);
	} else {
		e820_add(zp, FC_HIMEM_START, FC_MMIO_MEM_START - FC_HIMEM_START);
		if (last > FC_FIRST_PAST_32BITS)
			e820_add(zp, FC_FIRST_PAST_32BITS, last - FC_FIRST_PAST_32BITS + 1);
	}
	if (mode == E820_OVERLAP)
		e820_add(zp, FC_HIMEM_START + 1 * MiB, 2 * MiB);
	if (mode == E820_ABSURD)
		zp[BP_E820_ENTRIES] = 200;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void build_zero_page(const struct inputs *in, const struct plan *pl)
{
	uint8_t *zp = phys(FC_ZERO_PAGE);
	memset(zp, 0, 4096);
	zp[BP_BOOT_FLAG] = 0x55;
	zp[BP_BOOT_FLAG + 1] = 0xaa;
	put32(zp + BP_HEADER, 0x53726448);		/* "HdrS" */
	zp[BP_TYPE_OF_LOADER] = 0xff;			/* "other" loader */
	put32(zp + BP_CMD_LINE_PTR, FC_CMDLINE);
	put32(zp + BP_CMDLINE_SIZE, (uint32_t)in->cmdline_len + 1);
	put32(zp + BP_KERNEL_ALIGNMENT, 16 * MiB);
	if (pl->initrd_size) {
		put32(zp + BP_RAMDISK_IMAGE, (uint32_t)pl->initrd_addr);
		put32(zp + BP_RAMDISK_SIZE, (uint32_t)pl->initrd_size);
	}
	build_e820(zp, in->mem_size, in->opt.e820);
	memcpy(phys(FC_CMDLINE), in->cmdline, in->cmdline_len + 1);
}

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

static uint8_t *mp_irq(uint8_t *p, uint8_t type, uint8_t irq_type, uint8_t src_irq,
		       uint8_t dst_apic, uint8_t dst_pin)
{
	struct mpc_irq e = { .type = type, .irq_type = irq_type, .src_irq = src_irq,
			     .dst_apic = dst_apic, .dst_pin = dst_pin };
	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

/* mptable.rs setup_mptable: floating pointer, header, one entry per vCPU,
 * ISA bus, IOAPIC (id cpus + 1), IRQs 0..IRQ_MAX routed 1:1, LINT0 ExtINT,
 * LINT1 NMI to all. */
static void build_mptable(uint32_t cpus)
{
	uint8_t *base = phys(FC_MPTABLE);
	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *mpc = (void *)(base + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = (uint8_t)(cpus + 1);

	memset(base, 0, 1 * KiB);
	for (uint32_t i = 0; i < cpus; i++) {
		struct mpc_cpu c = { .type = 0, .apic_id = (uint8_t)i, .apic_ver = 0x14,
				     .flags = 1 | (i == 0 ? 2 : 0),	/* enabled, BSP */
				     .signature = 0x600, .features = 0x201 };	/* APIC | FPU */
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	struct mpc_bus bus = { .type = 1, .bus_id = 0, .bus_type = "ISA   " };
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	struct mpc_ioapic io = { .type = 2, .apic_id = ioapic_id, .apic_ver = 0x14,
				 .flags = 1, .addr = FC_IOAPIC_ADDR };
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	for (uint8_t irq = 0; irq <= FC_IRQ_MAX; irq++)
		p = mp_irq(p, 3, 0 /* INT */, irq, ioapic_id, irq);
	p = mp_irq(p, 4, 3 /* ExtINT */, 0, 0, 0);
	p = mp_irq(p, 4, 1 /* NMI */, 0, 0xff, 1);

	*mpc = (struct mpc_table){ .signature = "PCMP", .length = (uint16_t)(p - (uint8_t *)mpc),
				   .spec_rev = 4, .oem = "FC      ", .product = "000000000000",
				   .lapic = FC_APIC_ADDR };
	mpc->checksum = checksum(mpc, mpc->length);
	*mpf = (struct mpf_intel){ .signature = "_MP_", .physptr = FC_MPTABLE + sizeof(*mpf),
				   .length = 1, .spec_rev = 4 };
	mpf->checksum = checksum(mpf, sizeof(*mpf));
}

/* interrupts.rs set_lint: LINT0 delivers ExtINT, LINT1 NMI (delivery mode,
 * bits 8-10 of the LVT entries at 0x350 and 0x360). */
static void set_lint(void)
{
	volatile uint32_t *lvt0 = phys(FC_APIC_ADDR + 0x350), *lvt1 = phys(FC_APIC_ADDR + 0x360);
	*lvt0 = (*lvt0 & ~0x700u) | 7u << 8;
	*lvt1 = (*lvt1 & ~0x700u) | 4u << 8;
}

/* msr.rs create_boot_msr_entries; IA32_TSC = 0 is written by entry.S last. */
static void set_msrs(void)
{
	static const uint32_t zeroed[] = {
		0x174, 0x175, 0x176,			/* IA32_SYSENTER_CS, _ESP, _EIP */
		0xc0000081, 0xc0000083, 0xc0000102,	/* STAR, CSTAR, KERNEL_GS_BASE */
		0xc0000084, 0xc0000082,			/* SYSCALL_MASK, LSTAR */
	};
	for (size_t i = 0; i < sizeof(zeroed) / sizeof(zeroed[0]); i++)
		wrmsr(zeroed[i], 0);
	wrmsr(0x1a0, 1);				/* IA32_MISC_ENABLE: FAST_STRING */
}

uint64_t fixture_main(uint32_t start_info_paddr)
{
	static struct inputs in;
	static struct plan plan;

	read_start_info(start_info_paddr, &in);
	check_kernel(&in, &plan);

	/* Firecracker's guest RAM starts zeroed; clear what firmware left in
	 * base memory (QEMU's start info and command line are copied out). */
	memset(phys(0), 0, FC_EBDA_START + 1 * KiB);
	load_kernel(&in, &plan);
	build_gdt_idt_pagetables();
	build_zero_page(&in, &plan);
	build_mptable(in.opt.cpus);
	set_lint();
	set_msrs();
	return plan.eh->entry;
}
