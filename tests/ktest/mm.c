/*
 * Self-tests of memory management inside the kernel: the page tables the
 * kernel really runs on, and the allocator family on real RAM through the
 * kernel backend. The allocators' logic is tested far harder on the host
 * (tests/unit/mm); these check the kernel's wiring of it.
 */
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/ktest.h>
#include <mote/layout.h>
#include <mote/mm.h>
#include <mote/mmboot.h>

static int kernel_data_word = 1;

KTEST(paging_kernel_permissions)
{
	uint64_t pa;
	unsigned prot;

	KT_ASSERT(arch_translate((uintptr_t)ktest_run, &pa, &prot));
	KT_EXPECT((prot & ARCH_PROT_EXEC) && !(prot & ARCH_PROT_WRITE) && !(prot & ARCH_PROT_USER));
	KT_EXPECT(pa == (uintptr_t)ktest_run - KERNEL_VMA);
	KT_ASSERT(arch_translate((uintptr_t)&kernel_data_word, &pa, &prot));
	KT_EXPECT((prot & ARCH_PROT_WRITE) && !(prot & ARCH_PROT_EXEC));
	KT_ASSERT(arch_translate((uintptr_t)"rodata", &pa, &prot));
	KT_EXPECT(!(prot & ARCH_PROT_WRITE) && !(prot & ARCH_PROT_EXEC));
	KT_ASSERT(arch_translate(DIRECT_MAP_BASE + 0x100000, &pa, &prot));
	KT_EXPECT(pa == 0x100000 && (prot & ARCH_PROT_WRITE) && !(prot & ARCH_PROT_EXEC));
}

KTEST(paging_lower_half_is_empty)
{
	uint64_t pa;
	unsigned prot;

	/* The identity map the boot stubs ran on is gone: the lower half is the app's. */
	KT_EXPECT(!arch_translate(0x100000, &pa, &prot));
	KT_EXPECT(!arch_translate(0x400000, &pa, &prot));
}

KTEST(paging_map_and_unmap)
{
	const uintptr_t va = 0xfffff80000000000;	/* area 7, far from the image */
	void *page = page_alloc(0);
	uint64_t pa, got;
	unsigned prot;

	KT_ASSERT(page);
	pa = mm_virt_to_phys(page);
	KT_ASSERT(!arch_translate(va, &got, &prot));
	KT_ASSERT(arch_map_pages(va, pa, 1, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	KT_EXPECT(arch_translate(va + 8, &got, &prot) && got == pa + 8);
	*(volatile uint64_t *)va = 0x6d6f7465;
	KT_EXPECT(*(volatile uint64_t *)page == 0x6d6f7465);	/* same frame, other alias */
	arch_unmap_pages(va, 1);
	KT_EXPECT(!arch_translate(va, &got, &prot));
	page_free(page, 0);
}

KTEST(malloc_owner_by_address)
{
	static const size_t sizes[] = { 1, 8, 16, 100, 1500, 2048, 3500, 4096, 4097, 65536 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = mm_malloc(sizes[i]);
		unsigned long owner;

		KT_ASSERT(p);
		owner = mm_owner_of(p);
		KT_EXPECT(owner == MM_OWNER_MEMPOOL || owner == MM_OWNER_PAGE ||
			  owner == MM_OWNER_HALF || owner == MM_OWNER_LARGE);
		KT_EXPECT(mm_malloc_usable_size(p) >= sizes[i]);
		memset(p, 0xa5, sizes[i]);
		KT_EXPECT(p[sizes[i] - 1] == 0xa5);
		mm_free(p);
	}
}

KTEST(malloc_page_sized_costs_one_page)
{
	size_t before, after;
	void *p;

	mm_trim();
	before = page_free_count();
	p = mm_malloc(4096);
	after = page_free_count();
	KT_ASSERT(p);
	KT_EXPECT(mm_owner_of(p) == MM_OWNER_PAGE);
	KT_EXPECT(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
	KT_EXPECT(before - after == 1);
	mm_free(p);
}

KTEST(malloc_large_has_no_header)
{
	size_t before;
	void *p;

	mm_trim();
	before = page_free_count();
	p = mm_malloc(8192);
	KT_ASSERT(p);
	KT_EXPECT(mm_owner_of(p) == MM_OWNER_LARGE && ((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
	KT_EXPECT(before - page_free_count() == 2);
	mm_free(p);
	mm_trim();
	KT_EXPECT(page_free_count() == before);
}

KTEST(malloc_calloc_realloc)
{
	unsigned char *p = mm_calloc(100, 10), *q;
	bool zero = true;

	KT_ASSERT(p);
	for (int i = 0; i < 1000; i++)
		zero &= p[i] == 0;
	KT_EXPECT(zero);
	for (int i = 0; i < 1000; i++)
		p[i] = (unsigned char)i;
	q = mm_realloc(p, 20000);
	KT_ASSERT(q);
	KT_EXPECT(q[0] == 0 && q[999] == (unsigned char)999);
	mm_free(q);
	KT_EXPECT(mm_calloc((size_t)1 << 40, (size_t)1 << 40) == NULL);	/* overflow */
	KT_EXPECT(mm_malloc((size_t)1 << 50) == NULL);			/* more than RAM */
}

KTEST(all_ram_is_mapped)
{
	const struct mm_range *r;
	size_t n = mm_boot_ram(&r);
	static const unsigned areas[] = { MM_OWNER_MEMPOOL, MM_OWNER_LARGE, MM_OWNER_DIRECT,
					  MM_OWNER_EARLY };

	KT_ASSERT(n > 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t last = r[i].base + r[i].size - PAGE_SIZE, pa;
		unsigned prot;

		for (unsigned a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
			KT_EXPECT(arch_translate((uintptr_t)mm_area_ptr(areas[a], r[i].base), &pa, &prot) &&
				  pa == r[i].base && !(prot & ARCH_PROT_EXEC));
			KT_EXPECT(arch_translate((uintptr_t)mm_area_ptr(areas[a], last), &pa, &prot) &&
				  pa == last);
		}
		(void)*(volatile uint64_t *)mm_phys_to_virt(last);
	}
}
