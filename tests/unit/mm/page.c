/*
 * tests/unit/mm/page.c: physical ranges and the buddy page allocator.
 *
 * On machines of 2 MiB to 1 GiB: the pages under management are exactly
 * the usable ones (low memory included), the frame table costs what its
 * size says and no more, every order comes back aligned, allocating
 * until NULL hands out every free page exactly once, the aliases really
 * share memory, and freeing everything coalesces back to the very same
 * buddy lists as after boot.
 */
#include "check.h"

#define MAX_PAGES (1u << 18)	/* 1 GiB of pages */

static uint8_t owned[MAX_PAGES];	/* a byte per page, for overlap checks */

static void test_normalize(void)
{
	struct mm_range r[] = {
		{ 0x5000, 0x3000 }, { 0x1234, 0x2000 }, { 0x2000, 0x1000 },
		{ 0x100000, 0x800 }, { 0x9000, 0x0 }, { 0x7fff, 0x2001 },
	};
	size_t n = mm_ranges_normalize(r, 6);

	check("ranges.normalize", n == 2 && r[0].base == 0x2000 && r[0].size == 0x1000 &&
	      r[1].base == 0x5000 && r[1].size == 0x5000,
	      "got %zu ranges, first %#lx+%#lx", n, (unsigned long)r[0].base,
	      (unsigned long)r[0].size);
}

static void test_remove(void)
{
	struct mm_range r[4] = { { 0x0, 0x10000 }, { 0x20000, 0x10000 } };
	long n = mm_ranges_remove(r, 2, 4, 0x4000, 0x1000);	/* split the first */
	bool ok = n == 3 && r[0].size == 0x4000 && r[1].base == 0x5000 && r[1].size == 0xb000;

	n = mm_ranges_remove(r, (size_t)n, 4, 0xf000, 0x12000);	/* trims two ends */
	ok = ok && n == 3 && r[1].size == 0xa000 && r[2].base == 0x21000;
	n = mm_ranges_remove(r, (size_t)n, 4, 0x0, 0x4000);	/* drops one whole */
	ok = ok && n == 2 && r[0].base == 0x5000;
	check("ranges.remove", ok, "n=%ld", n);

	struct mm_range full[2] = { { 0x0, 0x10000 }, { 0x20000, 0x1000 } };

	check("ranges.remove.full", mm_ranges_remove(full, 2, 2, 0x1000, 0x1000) == -MM_ENOMEM &&
	      full[0].size == 0x10000, "a split beyond capacity must fail and change nothing");
}

static void snapshot(size_t counts[PAGE_MAX_ORDER + 1])
{
	mm_trim();
	page_free_blocks(counts);
}

static bool same(const size_t *a, const size_t *b)
{
	return !memcmp(a, b, sizeof(size_t) * (PAGE_MAX_ORDER + 1));
}

/* Allocates order-0 pages until NULL; checks each is new, aligned and aliased. */
static size_t drain(void **pages, size_t max, bool *ok, bool *low_seen)
{
	size_t n = 0;
	void *p;

	memset(owned, 0, sizeof(owned));
	while (n < max && (p = page_alloc(0))) {
		uint64_t pa = mm_virt_to_phys(p);
		uint64_t *alias = mm_area_ptr(MM_OWNER_LARGE, pa);

		if (mm_owner_of(p) != MM_OWNER_DIRECT || (pa & 0xfff) || pa / 4096 >= MAX_PAGES ||
		    owned[pa / 4096]++)
			*ok = false;
		if (n % 61 == 0) {	/* a sample: touching all of 1 GiB is slow */
			*(uint64_t *)p = pa ^ 0x5a5a;
			if (*alias != (pa ^ 0x5a5a))
				*ok = false;
		}
		if (pa < LOW_END)
			*low_seen = true;
		pages[n++] = p;
	}
	return n;
}

static void test_machine(size_t ram, void **pages)
{
	size_t mib = ram >> 20, usable = pc_usable_pages(ram);
	size_t frames = (ram / 4096) - 1, meta = (frames * 16 + 4095) / 4096;
	size_t before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1];
	bool ok = true, low = false;
	size_t free0, n;

	if (!check(name_of("page.%zuMiB.boot", mib), boot(ram), "boot failed"))
		return;
	free0 = page_free_count();
	check(name_of("page.%zuMiB.counts", mib),
	      page_total_count() == usable && free0 == usable - meta,
	      "total %zu (want %zu), free %zu (want %zu)", page_total_count(), usable, free0,
	      usable - meta);
	snapshot(before);
	n = drain(pages, MAX_PAGES, &ok, &low);
	check(name_of("page.%zuMiB.exhaust", mib), ok && n == free0 && page_free_count() == 0,
	      "got %zu of %zu pages, distinct/aliased %d", n, free0, ok);
	check(name_of("page.%zuMiB.low-memory", mib), low, "no page below 640 KiB handed out");
	for (size_t i = 0; i < n; i++)
		page_free(pages[i], 0);
	snapshot(after);
	check(name_of("page.%zuMiB.coalesce", mib), same(before, after) && page_free_count() == free0,
	      "buddy lists differ after freeing everything");
	shutdown_mm();
}

static void test_orders(void)
{
	size_t before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1];
	bool aligned = true;
	unsigned top = 0;

	boot(64u << 20);
	snapshot(before);
	for (unsigned k = 0; k <= PAGE_MAX_ORDER; k++) {
		void *p = page_alloc(k);

		if (!p)
			break;
		top = k;
		if (mm_virt_to_phys(p) & ((4096ull << k) - 1))
			aligned = false;
		page_free(p, k);
	}
	check("page.orders.aligned", aligned && top >= 13, "largest order %u, aligned %d", top,
	      aligned);
	snapshot(after);
	check("page.orders.coalesce", same(before, after), "buddy lists differ");
	shutdown_mm();
}

/* Random orders, random frees: no block overlaps another, and all comes back. */
static void test_random(void)
{
	enum { SLOTS = 512 };
	static void *slot[SLOTS];
	static unsigned order[SLOTS];
	size_t before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1];
	bool ok = true;

	boot(32u << 20);
	snapshot(before);
	memset(owned, 0, sizeof(owned));
	memset(slot, 0, sizeof(slot));
	for (int step = 0; step < 100000 && ok; step++) {
		unsigned s = rng() % SLOTS;
		uint64_t pfn;

		if (slot[s]) {
			pfn = mm_virt_to_phys(slot[s]) / 4096;
			for (uint64_t i = 0; i < (1ull << order[s]); i++)
				owned[pfn + i] = 0;
			page_free(slot[s], order[s]);
			slot[s] = NULL;
			continue;
		}
		order[s] = rng() % 6;
		slot[s] = page_alloc(order[s]);
		if (!slot[s])
			continue;
		pfn = mm_virt_to_phys(slot[s]) / 4096;
		if (pfn & ((1u << order[s]) - 1))
			ok = false;
		for (uint64_t i = 0; i < (1ull << order[s]); i++)
			if (owned[pfn + i]++)
				ok = false;
	}
	for (unsigned s = 0; s < SLOTS; s++)
		if (slot[s])
			page_free(slot[s], order[s]);
	check("page.random.no-overlap", ok, "two live blocks overlapped or were misaligned");
	snapshot(after);
	check("page.random.coalesce", same(before, after), "buddy lists differ");
	shutdown_mm();
}

static void test_misuse(void)
{
	void *p;
	unsigned c0;

	boot(8u << 20);
	mm_host_corruption_fatal(false);
	c0 = mm_host_corruptions();
	p = page_alloc(1);
	page_free(p, 0);	/* wrong order */
	page_free((char *)p + 4096, 0);	/* inside the block */
	page_free(p, 1);
	page_free(p, 1);	/* twice */
	page_free(mm_area_ptr(MM_OWNER_MEMPOOL, mm_virt_to_phys(p)), 1);	/* wrong alias */
	check("page.misuse.reported", mm_host_corruptions() - c0 == 4, "%u reports (want 4): %s",
	      mm_host_corruptions() - c0, mm_host_last_corruption());
	mm_host_corruption_fatal(true);
	shutdown_mm();
}

/* A shared page lives until its last reference goes; a reused frame starts unshared. */
static void test_refs(void)
{
	size_t free0;
	void *p, *q;
	unsigned c0;

	boot(8u << 20);
	free0 = page_free_count();
	p = page_alloc(0);
	page_ref(p);
	page_ref(p);
	page_unref(p);
	page_unref(p);
	check("page.refs.held", page_free_count() == free0 - 1, "freed with a reference left");
	page_unref(p);
	check("page.refs.freed", page_free_count() == free0, "last unref did not free");
	q = page_alloc(0);
	page_unref(q);	/* never shared: unref is free */
	check("page.refs.fresh", page_free_count() == free0, "reused frame kept old references");
	mm_host_corruption_fatal(false);
	c0 = mm_host_corruptions();
	page_ref(p);	/* freed */
	page_unref(page_alloc(1));	/* not order 0 */
	check("page.refs.misuse", mm_host_corruptions() - c0 == 2, "%u reports (want 2)",
	      mm_host_corruptions() - c0);
	mm_host_corruption_fatal(true);
	shutdown_mm();
}

int main(void)
{
	static void *pages[MAX_PAGES];
	static const size_t sizes[] = { 2u << 20, 3u << 20, 4u << 20, 16u << 20, 64u << 20,
					256u << 20, 1u << 30 };

	test_normalize();
	test_remove();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		test_machine(sizes[i], pages);
	test_orders();
	test_random();
	test_misuse();
	test_refs();
	return check_exit();
}
