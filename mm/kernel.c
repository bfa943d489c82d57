/*
 * The kernel's side of mm: starting it from boot_info, and the backend
 * include/mote/mm.h asks for (locking, mappings for the debug allocator,
 * corruption reports). The host harness has its own backend in mm/host/.
 *
 * What is free at boot: every usable region of the memory map, low memory
 * included (OSv #1012), minus the reserved low pages (LOW_RESERVED_END:
 * page 0 and the AP trampoline), the kernel image and the boot modules. Loader
 * structures in usable RAM (Firecracker's boot_params, command line and
 * page tables) are free too: by the time mm starts, boot_info holds copies
 * of all of it and the kernel runs on its own page tables.
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/layout.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/mmboot.h>
#include <mote/percpu.h>
#include <mote/spinlock.h>

static struct mm_range ram[MM_MAX_RANGES];
static size_t nr_ram;

size_t mm_boot_ram(const struct mm_range **ranges)
{
	*ranges = ram;
	return nr_ram;
}

static void *table_page(void)
{
	void *p = mm_early_alloc_pages(1);

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static int fail(struct boot_error *err, const char *why)
{
	fmt_snprintf(err->message, sizeof(err->message), "memory: %s", why);
	return -MM_ENOMEM;
}

/* Usable RAM as mm ranges; returns the count and the end of the highest region. */
static size_t usable_ranges(const struct boot_info *bi, struct mm_range *r, uint64_t *ram_end)
{
	size_t n = 0;

	*ram_end = 0;
	for (uint32_t i = 0; i < bi->nr_mem && n < MM_MAX_RANGES; i++) {
		const struct boot_mem_region *m = &bi->mem[i];

		if (m->type != BOOT_MEM_USABLE)
			continue;
		r[n++] = (struct mm_range){ m->base, m->size };
		if (m->base + m->size > *ram_end)
			*ram_end = m->base + m->size;
	}
	return mm_ranges_normalize(r, n);
}

static long remove_range(struct mm_range *r, long n, uint64_t base, uint64_t size)
{
	return n < 0 ? n : mm_ranges_remove(r, (size_t)n, MM_MAX_RANGES, base, size);
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/*
 * Whether module i's memory may become free pages: it lies in usable RAM
 * (a loader could put it anywhere) and shares no byte with the kernel, the
 * low pages or another module, which stay in use.
 */
static bool module_freeable(const struct boot_info *bi, uint32_t i, uint64_t kernel_start,
			    uint64_t kernel_end)
{
	uint64_t base = bi->modules[i].base, end = base + bi->modules[i].size;
	bool in_ram = false;

	if (end <= base)
		return false;

	for (size_t r = 0; r < nr_ram; r++)
		in_ram |= base >= ram[r].base && end <= ram[r].base + ram[r].size;
	if (!in_ram || overlaps(base, end, 0, LOW_RESERVED_END) ||
	    overlaps(base, end, kernel_start, kernel_end))
		return false;
	for (uint32_t j = 0; j < bi->nr_modules; j++)
		if (j != i && overlaps(base, end, bi->modules[j].base,
				       bi->modules[j].base + bi->modules[j].size))
			return false;
	return true;
}

int mm_boot(const struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end,
	    uint32_t free_later, struct boot_error *err)
{
	struct mm_range r[MM_MAX_RANGES];
	uint64_t ram_end;
	long n = (long)usable_ranges(bi, r, &ram_end);

	memcpy(ram, r, sizeof(r[0]) * (size_t)n);
	nr_ram = (size_t)n;

	n = remove_range(r, n, 0, LOW_RESERVED_END);
	n = remove_range(r, n, kernel_start, kernel_end - kernel_start);
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		n = remove_range(r, n, bi->modules[i].base, bi->modules[i].size);
	if (n < 0)
		return fail(err, "memory map too fragmented");
	if (mm_early_init(r, (size_t)n, BOOT_DIRECT_MAP_SIZE))
		return fail(err, "no usable RAM left beside the kernel and modules");
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		if ((free_later & (1u << i)) && module_freeable(bi, i, kernel_start, kernel_end))
			mm_early_note_later(bi->modules[i].base, bi->modules[i].size);
	if (arch_paging_init(table_page, ram_end))
		return fail(err, "out of memory building page tables");
	if (mm_page_init())
		return fail(err, "out of memory for the page frame table");
	return 0;
}

/* Taken under any other lock (thread stacks allocate pages with theirs held). */
static struct spinlock mm_lock = SPINLOCK_INIT("mm", SPIN_RANK_MM);

unsigned long mm_backend_lock(void)
{
	return spin_lock_irqsave(&mm_lock);
}

void mm_backend_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&mm_lock, flags);
}

_Static_assert(MAX_CPUS <= MM_MAX_CPUS, "mm has a cache slot per CPU");

unsigned long mm_backend_irq_save(void)
{
	return arch_irq_save();
}

void mm_backend_irq_restore(unsigned long flags)
{
	arch_irq_restore(flags);
}

unsigned mm_backend_cpu(void)
{
	return cpu_self()->id;
}

int mm_backend_map(uintptr_t va, uint64_t pa, size_t npages)
{
	return arch_map_pages(va, pa, npages, ARCH_PROT_READ | ARCH_PROT_WRITE);
}

void mm_backend_unmap(uintptr_t va, size_t npages)
{
	arch_unmap_pages(va, npages);
}

void mm_backend_corruption(const char *what, const void *p)
{
	panic("memory corruption: %s (%p)", what, p);
}
