/*
 * x86-64 four-level page tables.
 *
 * The boot stubs start on static tables (boot.S) that map physical 0-4 GiB
 * with 2 MiB pages at three places. arch_paging_init() turns them into the
 * kernel's tables for good, changing as little as possible, because every
 * instruction executed at boot is boot time: the alias areas keep sharing
 * one PDPT (their layouts are identical: pa = va - area base), so RAM above
 * 4 GiB is mapped once per PML4 slot and appears in all of them.
 *
 * Everything else (the debug allocator's pages, application memory) uses
 * 4 KiB leaves in tables allocated on demand. Intermediate entries are
 * permissive (present, writable, user if the address is in the lower
 * half); the leaf decides.
 *
 * TLB shootdown (the rules are in mote/arch.h). Each CPU posts at most one
 * request at a time, in its own slot of `requests`, with interrupts off
 * from posting until every target has answered, so a slot never changes
 * while a target may read it. A target's mailbox is a bit mask of asking
 * CPUs: it flushes each asker's range and clears that asker's bit, from
 * the IPI handler or from a spin loop, whichever comes first.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/layout.h>
#include <mote/percpu.h>
#include "x86.h"

#define PTE_P     (1ULL << 0)
#define PTE_W     (1ULL << 1)
#define PTE_U     (1ULL << 2)
#define PTE_PWT   (1ULL << 3)
#define PTE_PCD   (1ULL << 4)
#define PTE_PS    (1ULL << 7)
#define PTE_COW   (1ULL << 9)	/* software: copy-on-write, kept read-only */
#define PTE_NONE  (1ULL << 10)	/* software: a kept frame that may not be accessed */
#define PTE_NX    (1ULL << 63)
#define PTE_ADDR  0x000ffffffffff000ULL
#define LARGE_SIZE (1ULL << 21)
#define USER_TOP  0x0000800000000000ULL

extern uint64_t boot_pml4[512];
extern const char _text[], _etext[], _rodata[], _erodata[], _end[];

static arch_table_alloc_fn table_alloc;
static size_t table_pages;
static uint64_t nx_bit;

static uint64_t *table_at(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static unsigned index_at(uintptr_t va, unsigned level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t leaf_flags(unsigned prot)
{
	uint64_t f = PTE_P;

	if (prot & ARCH_PROT_WRITE)
		f |= PTE_W;
	if (prot & ARCH_PROT_USER)
		f |= PTE_U;
	if (!(prot & ARCH_PROT_EXEC))
		f |= nx_bit;
	if (prot & ARCH_PROT_DEVICE)
		f |= PTE_PCD | PTE_PWT;
	return f;
}

/*
 * The entry for va at `level` (1: PT, 2: PD), creating the tables above it
 * when `create`. NULL if a table is missing (and not created), allocation
 * failed, or a large page covers va above the level asked for.
 */
static uint64_t *walk(uintptr_t va, unsigned level, bool create)
{
	uint64_t *table = boot_pml4;

	for (unsigned l = 4; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];

		if (!(*e & PTE_P)) {
			void *page = create ? table_alloc() : NULL;

			if (!page)
				return NULL;
			__atomic_add_fetch(&table_pages, 1, __ATOMIC_RELAXED);
			*e = kernel_direct_to_phys(page) | PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0);
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = table_at(*e);
	}
	return &table[index_at(va, level)];
}

static void flush_page(uintptr_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static void flush_all(void)
{
	asm volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

void arch_flush_tlb_local(void)
{
	flush_all();
}

static struct tlb_request {
	uintptr_t va;
	size_t npages;
} __attribute__((aligned(64))) requests[MAX_CPUS];

static void flush_range(uintptr_t va, size_t npages)
{
	if (!npages || npages > ARCH_TLB_FLUSH_ALL_PAGES) {
		flush_all();
		return;
	}
	for (size_t i = 0; i < npages; i++)
		flush_page(va + i * PAGE_SIZE);
}

void arch_tlb_serve(void)
{
	struct cpu *c = cpu_self();
	uint64_t pending = __atomic_load_n(&c->tlb_pending, __ATOMIC_ACQUIRE);

	while (pending) {
		unsigned from = (unsigned)__builtin_ctzll(pending);

		flush_range(requests[from].va, requests[from].npages);
		__atomic_fetch_and(&c->tlb_pending, ~(1ULL << from), __ATOMIC_RELEASE);
		pending &= pending - 1;
	}
}

static void tlb_ipi(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	arch_tlb_serve();
}

void arch_tlb_init(void)
{
	irq_set_handler(IRQ_VECTOR_TLB, tlb_ipi, 0);
}

void arch_tlb_shootdown(uintptr_t va, size_t npages)
{
	unsigned long flags = arch_irq_save();
	struct cpu *self = cpu_self();
	uint64_t bit = 1ULL << self->id, targets = 0;
	unsigned n = cpu_count();

	flush_range(va, npages);
	if (n > 1) {
		requests[self->id] = (struct tlb_request){ va, npages };
		for (unsigned i = 0; i < n; i++) {
			struct cpu *c = cpu_get(i);

			if (c == self || !__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
				continue;
			/* Locked: orders the page-table stores and the request before it. */
			__atomic_fetch_or(&c->tlb_pending, bit, __ATOMIC_SEQ_CST);
			irq_send_ipi(c->apic_id, IRQ_VECTOR_TLB);
			targets |= 1ULL << i;
		}
		for (; targets; targets &= targets - 1) {
			struct cpu *c = cpu_get((unsigned)__builtin_ctzll(targets));

			while (__atomic_load_n(&c->tlb_pending, __ATOMIC_ACQUIRE) & bit) {
				arch_tlb_serve();	/* c may be waiting for us */
				arch_cpu_relax();
			}
		}
	}
	arch_irq_restore(flags);
}

/* Whether replacing pte `old` by `new` takes something away a TLB may cache. */
static bool weakens(uint64_t old, uint64_t new)
{
	if (!(old & PTE_P))
		return false;
	return !(new & PTE_P) || ((old ^ new) & (PTE_ADDR | PTE_PCD | PTE_PWT)) ||
	       (old & ~new & (PTE_W | PTE_U)) || (new & ~old & nx_bit);
}

/* Collects the pages whose translations went, to flush them in one shootdown. */
struct flush_batch {
	uintptr_t first, last;
	bool any;
};

static void batch_add(struct flush_batch *b, uintptr_t va)
{
	if (!b->any)
		b->first = va;
	b->last = va;
	b->any = true;
}

static void batch_flush(struct flush_batch *b)
{
	if (b->any)
		arch_tlb_shootdown(b->first, (b->last - b->first) / PAGE_SIZE + 1);
	b->any = false;
}

size_t arch_page_table_pages(void)
{
	return __atomic_load_n(&table_pages, __ATOMIC_RELAXED);
}

int arch_map_pages(uintptr_t va, uint64_t pa, size_t npages, unsigned prot)
{
	uint64_t flags = leaf_flags(prot);
	struct flush_batch b = { 0 };
	int ret = 0;

	for (size_t i = 0; i < npages; i++, va += PAGE_SIZE, pa += PAGE_SIZE) {
		uint64_t *e = walk(va, 1, true), old;

		if (!e) {
			ret = -ENOMEM;
			break;
		}
		old = *e;
		*e = pa | flags;
		if (weakens(old, *e))
			batch_add(&b, va);
		else if (old)
			flush_page(va);
	}
	batch_flush(&b);
	return ret;
}

void *arch_map_device(uint64_t pa, size_t size)
{
	static uintptr_t next = DEVICE_WINDOW_BASE;
	uint64_t offset = pa & (PAGE_SIZE - 1);
	size_t npages = (offset + size + PAGE_SIZE - 1) / PAGE_SIZE;
	uintptr_t va = next;

	if (va + npages * PAGE_SIZE > DEVICE_WINDOW_BASE + DEVICE_WINDOW_SIZE ||
	    arch_map_pages(va, pa - offset, npages,
			   ARCH_PROT_READ | ARCH_PROT_WRITE | ARCH_PROT_DEVICE))
		return NULL;
	next += npages * PAGE_SIZE;
	return (void *)(va + offset);
}

void arch_unmap_pages(uintptr_t va, size_t npages)
{
	struct flush_batch b = { 0 };

	for (size_t i = 0; i < npages; i++, va += PAGE_SIZE) {
		uint64_t *e = walk(va, 1, false);

		if (e && (*e & PTE_P)) {
			*e = 0;
			batch_add(&b, va);
		}
	}
	batch_flush(&b);
}

void *arch_take_empty_table(uintptr_t va)
{
	uint64_t *pde = va >= USER_TOP ? walk(va, 2, false) : NULL, *pt;

	if (!pde || !(*pde & PTE_P) || (*pde & PTE_PS))
		return NULL;
	pt = table_at(*pde);
	for (unsigned i = 0; i < 512; i++)
		if (pt[i])
			return NULL;
	*pde = 0;
	/* INVLPG drops the paging-structure caches' entries too (SDM vol. 3A, 4.10.4.1). */
	arch_tlb_shootdown(va & ~(LARGE_SIZE - 1), 1);
	__atomic_sub_fetch(&table_pages, 1, __ATOMIC_RELAXED);
	return pt;
}

/* The effective permission is the intersection over all levels (NX: the union). */
bool arch_translate(uintptr_t va, uint64_t *pa, unsigned *prot)
{
	uint64_t *table = boot_pml4, e = 0, offset_mask = 0;
	uint64_t all = PTE_W | PTE_U, any_nx = 0;

	for (unsigned l = 4; l >= 1; l--) {
		e = table[index_at(va, l)];
		if (!(e & PTE_P))
			return false;
		all &= e;
		any_nx |= e & nx_bit;
		offset_mask = (1ULL << (12 + 9 * (l - 1))) - 1;
		if (l == 1 || (e & PTE_PS))
			break;
		table = table_at(e);
	}
	*pa = (e & PTE_ADDR & ~offset_mask) | (va & offset_mask);
	*prot = ARCH_PROT_READ | (all & PTE_W ? ARCH_PROT_WRITE : 0) |
		(all & PTE_U ? ARCH_PROT_USER : 0) | (any_nx ? 0 : ARCH_PROT_EXEC);
	return true;
}

/* Maps [pa, end) in 2 MiB pages at area base (covering edges: only RAM is ever used). */
static int map_large(uintptr_t base, uint64_t pa, uint64_t end)
{
	for (pa &= ~(LARGE_SIZE - 1); pa < end; pa += LARGE_SIZE) {
		uint64_t *e = walk(base + pa, 2, true);

		if (!e)
			return -ENOMEM;
		*e = pa | PTE_P | PTE_W | PTE_PS | nx_bit;
	}
	return 0;
}

/* RAM beyond the boot tables' 4 GiB, in each physical-memory alias (areas 0-4 and 6). */
static int map_high_ram(uint64_t ram_end)
{
	static const unsigned areas[] = { 0, 1, 2, 3, 4, 6 };

	if (ram_end <= BOOT_DIRECT_MAP_SIZE)
		return 0;
	for (unsigned i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		int ret = map_large(MM_AREA_BASE + ((uintptr_t)areas[i] << MM_AREA_SHIFT),
				    BOOT_DIRECT_MAP_SIZE, ram_end);

		if (ret)
			return ret;
	}
	return 0;
}

static unsigned image_prot(uintptr_t va)
{
	if (va >= (uintptr_t)_text && va < (uintptr_t)_etext)
		return ARCH_PROT_READ | ARCH_PROT_EXEC;
	if (va >= (uintptr_t)_rodata && va < (uintptr_t)_erodata)
		return ARCH_PROT_READ;
	return ARCH_PROT_READ | ARCH_PROT_WRITE;
}

/* The image's first 2 MiB get their own page directory and 4 KiB pages. */
static int map_kernel_image(void)
{
	uint64_t *pdpt = table_at(boot_pml4[511]);
	uint64_t *pd = table_alloc(), *pt = table_alloc();
	uintptr_t va = KERNEL_VMA + KERNEL_PHYS;

	if (!pd || !pt)
		return -ENOMEM;
	for (; va < (uintptr_t)_end; va += PAGE_SIZE)
		pt[index_at(va, 1)] = (va - KERNEL_VMA) | leaf_flags(image_prot(va));
	pd[0] = kernel_direct_to_phys(pt) | PTE_P | PTE_W;
	pdpt[index_at(KERNEL_VMA, 3)] = kernel_direct_to_phys(pd) | PTE_P | PTE_W;
	pdpt[index_at(KERNEL_VMA, 3) + 1] = 0;
	return 0;
}

int arch_paging_init(arch_table_alloc_fn alloc, uint64_t ram_end)
{
	int ret;

	table_alloc = alloc;
	nx_bit = rdmsr(MSR_EFER) & EFER_NXE ? PTE_NX : 0;
	boot_pml4[0] = 0;
	for (unsigned area = 0; area < 7; area++)
		if (area != MM_AREA_DEBUG)
			boot_pml4[index_at(MM_AREA_BASE + ((uintptr_t)area << MM_AREA_SHIFT), 4)] |= nx_bit;
	ret = map_kernel_image();
	if (!ret)
		ret = map_high_ram(ram_end);
	flush_all();
	return ret;
}

/* Application pages: PROT_NONE pages are not present but keep their frame (PTE_NONE). */
static uint64_t user_pte(uint64_t pa, unsigned prot)
{
	uint64_t pte = pa | PTE_U | (prot & ARCH_PROT_COW ? PTE_COW : 0);

	if (!(prot & (ARCH_PROT_READ | ARCH_PROT_WRITE | ARCH_PROT_EXEC)))
		return pte | PTE_NONE;
	if (prot & ARCH_PROT_COW)
		prot &= ~ARCH_PROT_WRITE;
	return pte | leaf_flags(prot | ARCH_PROT_USER);
}

int arch_user_map(uintptr_t va, uint64_t pa, unsigned prot)
{
	uint64_t *e = walk(va, 1, true), old;

	if (!e)
		return -ENOMEM;
	old = *e;
	*e = user_pte(pa, prot);
	if (weakens(old, *e))
		arch_tlb_shootdown(va, 1);
	else if (old & PTE_P)
		flush_page(va);
	return 0;
}

bool arch_user_query(uintptr_t va, uint64_t *pa, unsigned *prot)
{
	uint64_t *e = walk(va, 1, false), pte;

	if (!e || !(*e & (PTE_P | PTE_NONE)))
		return false;
	pte = *e;
	*pa = pte & PTE_ADDR;
	*prot = pte & PTE_COW ? ARCH_PROT_COW : 0;
	if (pte & PTE_P)
		*prot |= ARCH_PROT_READ | (pte & PTE_W ? ARCH_PROT_WRITE : 0) |
			 (pte & nx_bit ? 0 : ARCH_PROT_EXEC);
	return true;
}

/* The span a missing entry at `level` leaves empty, from va to the next boundary. */
static uintptr_t skip_to_next(uintptr_t va, unsigned level)
{
	uintptr_t span = 1ULL << (12 + 9 * level);

	return (va | (span - 1)) + 1;
}

/* The lowest level at which va's tables stop (1 when its PT exists). */
static unsigned missing_level(uintptr_t va)
{
	uint64_t *table = boot_pml4;

	for (unsigned l = 4; l > 1; l--) {
		uint64_t e = table[index_at(va, l)];

		if (!(e & PTE_P) || (e & PTE_PS))
			return l;
		table = table_at(e);
	}
	return 0;
}

/* Frames are dropped only after the shootdown: until then another CPU may still write them. */
#define DROP_BATCH 32

static void unmap_flush(struct flush_batch *b, uint64_t *frames, unsigned *n,
			void (*drop)(uint64_t pa))
{
	batch_flush(b);
	for (unsigned i = 0; i < *n; i++)
		drop(frames[i]);
	*n = 0;
}

void arch_user_unmap(uintptr_t start, uintptr_t end, void (*drop)(uint64_t pa))
{
	struct flush_batch b = { 0 };
	uint64_t frames[DROP_BATCH];
	unsigned nframes = 0;
	uintptr_t va = start;

	while (va < end) {
		unsigned missing = missing_level(va);
		uint64_t *e, old;

		if (missing) {
			va = skip_to_next(va, missing - 1);
			continue;
		}
		e = walk(va, 1, false);
		old = *e;
		if (old & (PTE_P | PTE_NONE)) {
			*e = 0;
			if (old & PTE_P)
				batch_add(&b, va);
			if (drop) {
				frames[nframes++] = old & PTE_ADDR;
				if (nframes == DROP_BATCH)
					unmap_flush(&b, frames, &nframes, drop);
			}
		}
		va += PAGE_SIZE;
	}
	unmap_flush(&b, frames, &nframes, drop);
}

void arch_user_protect(uintptr_t start, uintptr_t end, unsigned prot)
{
	struct flush_batch b = { 0 };

	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t *e = walk(va, 1, false), old;

		if (!e || !(*e & (PTE_P | PTE_NONE)))
			continue;
		old = *e;
		*e = user_pte(old & PTE_ADDR, prot | (old & PTE_COW ? ARCH_PROT_COW : 0));
		if (weakens(old, *e))
			batch_add(&b, va);
		else if (old & PTE_P)
			flush_page(va);
	}
	batch_flush(&b);
}

int arch_user_reserve(uintptr_t start, uintptr_t end)
{
	for (uintptr_t va = start & ~(LARGE_SIZE - 1); va < end; va += LARGE_SIZE)
		if (!walk(va, 1, true))
			return -ENOMEM;
	return 0;
}

unsigned long arch_irq_save(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

void arch_irq_restore(unsigned long flags)
{
	if (flags & (1UL << 9))
		asm volatile("sti" : : : "memory");
}
