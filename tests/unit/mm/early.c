/*
 * tests/unit/mm/early.c: the early allocator and its hand-over.
 *
 * What the early allocator keeps at mm_page_init() is exactly the pages
 * it handed out plus the pages live objects touch plus the frame table;
 * everything else, including pages whose objects were freed before the
 * hand-over and those freed after it, reaches the page allocator.
 */
#include "check.h"

#define RAM (16u << 20)

static size_t meta_pages(size_t ram)
{
	return ((ram / 4096 - 1) * 16 + 4095) / 4096;
}

static bool early_boot(size_t ram, uint64_t limit)
{
	struct mm_range r[2];
	size_t n = pc_ranges(r, ram);

	return !mm_host_init(ram) && !mm_early_init(r, n, limit);
}

/* Distinct pages touched by [pa - 16, pa + size) (the header included). */
static void mark(uint8_t *seen, const void *p, size_t size)
{
	uint64_t pa = mm_virt_to_phys(p) - 16;

	for (uint64_t pfn = pa / 4096; pfn <= (pa + 16 + size - 1) / 4096; pfn++)
		seen[pfn] = 1;
}

static size_t count(const uint8_t *seen, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += seen[i];
	return c;
}

static void test_handover(void)
{
	static uint8_t seen[RAM / 4096];
	void *obj[64], *pages, *last, *again;
	size_t before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1];
	size_t sizes[64], usable = pc_usable_pages(RAM), kept;
	bool owners = true, preserved = true;

	early_boot(RAM, UINT64_MAX);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 64; i++) {
		sizes[i] = 1 + (size_t)(rng() % 3000);
		obj[i] = mm_malloc(sizes[i]);
		owners = owners && obj[i] && mm_owner_of(obj[i]) == MM_OWNER_EARLY &&
			 ((uintptr_t)obj[i] & 15) == 0;
		memset(obj[i], i, sizes[i]);
	}
	pages = mm_early_alloc_pages(3);
	check("early.owners", owners && pages && mm_owner_of(pages) == MM_OWNER_DIRECT &&
	      !((uintptr_t)pages & 4095), "early objects must be in area 6, pages in area 4");

	last = mm_malloc(100);
	mm_free(last);
	again = mm_malloc(100);
	check("early.rollback", again == last, "freeing the newest object must roll the front back");
	mm_free(again);

	for (int i = 0; i < 64; i += 2)		/* free half before the hand-over */
		mm_free(obj[i]);
	for (int i = 1; i < 64; i += 2)
		mark(seen, obj[i], sizes[i]);
	kept = count(seen, RAM / 4096) + 3 + meta_pages(RAM);

	check("early.page-init", mm_page_init() == 0, "mm_page_init failed");
	check("early.give-back", page_total_count() == usable && page_free_count() == usable - kept,
	      "free %zu, want %zu (total %zu, kept %zu)", page_free_count(), usable - kept,
	      page_total_count(), kept);

	for (int i = 1; i < 64; i += 2)
		for (size_t j = 0; j < sizes[i]; j++)
			preserved = preserved && ((unsigned char *)obj[i])[j] == (unsigned char)i;
	check("early.contents", preserved, "early objects changed across the hand-over");

	obj[1] = mm_realloc(obj[1], 5000);
	check("early.realloc-out", obj[1] && mm_owner_of(obj[1]) == MM_OWNER_LARGE &&
	      ((unsigned char *)obj[1])[sizes[1] - 1] == 1, "realloc must move an early object out");
	mm_free(obj[1]);
	for (int i = 3; i < 64; i += 2)
		mm_free(obj[i]);
	for (int i = 0; i < 3; i++)
		page_free((char *)pages + i * 4096, 0);
	check("early.all-back", page_free_count() == usable - meta_pages(RAM),
	      "free %zu, want %zu", page_free_count(), usable - meta_pages(RAM));

	mm_trim();
	page_free_blocks(before);
	void *big = mm_malloc(1u << 20);
	mm_free(big);
	mm_trim();
	page_free_blocks(after);
	check("early.coalesced", !memcmp(before, after, sizeof(before)),
	      "early pages did not merge back into the buddy lists");
	shutdown_mm();
}

static void test_limit(void)
{
	bool below = true;
	void *p;

	early_boot(RAM, 1u << 20);
	for (int i = 0; i < 100; i++) {
		p = mm_malloc(1000);
		below = below && p && mm_virt_to_phys(p) < (1u << 20);
	}
	p = mm_early_alloc_pages(4);
	below = below && p && mm_virt_to_phys(p) + 4 * 4096 <= (1u << 20);
	check("early.limit", below, "early memory above the limit");
	check("early.limit.page-init", mm_page_init() == 0 &&
	      page_free_count() > page_total_count() - 64, "hand-over with a limit failed");
	shutdown_mm();

	early_boot(RAM, 64u << 10);	/* only 60 KiB usable early: no room for the table */
	check("early.no-room", mm_page_init() == -MM_ENOMEM, "want -ENOMEM");
	shutdown_mm();
}

static void test_exhaust(void)
{
	size_t n = 0;

	early_boot(2u << 20, UINT64_MAX);
	while (mm_malloc(4000))
		n++;
	check("early.exhaust", n >= 400 && n <= 422 && !mm_early_alloc_pages(1000),
	      "%zu objects of 4000 bytes fit 2 MiB early", n);
	check("early.exhaust.page-init", mm_page_init() == -MM_ENOMEM,
	      "no room left for the frame table: want -ENOMEM");
	shutdown_mm();
}

/*
 * A boot module at the top of RAM, outside the usable ranges, as QEMU loads
 * an initrd: noted at boot, freed later, its whole pages (not the partial
 * ones at its ends) become ordinary free pages, once.
 */
static void test_free_later(void)
{
	const uint64_t base = (12u << 20) + 0x800, size = (4u << 20) - 0x810, whole = 1022;
	struct mm_range r[2];
	size_t n = pc_ranges(r, RAM), total, free_before, got = 0, in_module = 0;
	bool written = true;
	void *p;

	r[n - 1].size = (12u << 20) - HIGH_BASE;
	check("early.later.init", !mm_host_init(RAM) && !mm_early_init(r, n, UINT64_MAX),
	      "cannot start mm");
	check("early.later.note", mm_early_note_later(base, size) == 0, "want 0");
	check("early.later.note-no-whole-page", mm_early_note_later(base, 100) == -MM_EINVAL,
	      "want -EINVAL for a range without a whole page");
	check("early.later.page-init", mm_page_init() == 0, "hand-over failed");
	check("early.later.note-too-late", mm_early_note_later(base, size) == -MM_EINVAL,
	      "want -EINVAL after mm_page_init");
	total = page_total_count();
	free_before = page_free_count();
	check("early.later.other-range", mm_free_later(base, size - 4096) == -MM_EINVAL,
	      "a range not noted was freed");
	check("early.later.free", mm_free_later(base, size) == (long)whole,
	      "want %zu pages freed", (size_t)whole);
	check("early.later.counted", page_total_count() == total + whole &&
	      page_free_count() == free_before + whole, "total %zu -> %zu, free %zu -> %zu",
	      total, page_total_count(), free_before, page_free_count());
	check("early.later.once", mm_free_later(base, size) == -MM_EINVAL,
	      "freed a second time");
	while ((p = page_alloc(0))) {
		uint64_t pa = mm_virt_to_phys(p);

		got++;
		if (pa >= base && pa + 4096 <= base + size) {
			in_module++;
			memset(p, 0xa5, 4096);
			written = written && ((uint8_t *)p)[4095] == 0xa5;
		}
	}
	check("early.later.allocated", in_module == whole && written && got >= whole,
	      "%zu of the module's %zu pages handed out (%zu in all)", in_module, (size_t)whole, got);
	shutdown_mm();
}

/*
 * Pages taken out of a noted module keep their contents and become ordinary
 * allocated pages; those skipped are freed at once, the rest by
 * mm_free_later(), each exactly once, and a page behind the last one taken
 * (or outside the module, or not page-aligned) cannot be taken.
 */
static void test_take_later(void)
{
	const uint64_t base = 12u << 20, size = 64 * 4096;
	struct mm_range r[2];
	size_t n = pc_ranges(r, RAM), total, free_before;
	uint8_t *a, *b;

	r[n - 1].size = (12u << 20) - HIGH_BASE;
	check("early.take.init", !mm_host_init(RAM) && !mm_early_init(r, n, UINT64_MAX) &&
	      !mm_early_note_later(base, size) && !mm_page_init(), "cannot start mm");
	memset(mm_phys_to_virt(base + 3 * 4096), 0x3c, 4096);
	memset(mm_phys_to_virt(base + 9 * 4096), 0x9c, 4096);
	total = page_total_count();
	free_before = page_free_count();
	a = mm_later_take_page(base + 3 * 4096);
	check("early.take.first", a == mm_phys_to_virt(base + 3 * 4096) && a[0] == 0x3c &&
	      a[4095] == 0x3c, "want the page at 3 with its bytes, got %p", (void *)a);
	check("early.take.skipped-freed", page_total_count() == total + 4 &&
	      page_free_count() == free_before + 3, "total +%zu, free +%zu; want +4, +3",
	      page_total_count() - total, page_free_count() - free_before);
	check("early.take.again", !mm_later_take_page(base + 3 * 4096), "took page 3 twice");
	check("early.take.below", !mm_later_take_page(base + 4096), "took a freed page");
	check("early.take.unaligned", !mm_later_take_page(base + 9 * 4096 + 8),
	      "took an unaligned address");
	check("early.take.outside", !mm_later_take_page(base + size), "took a page past the end");
	b = mm_later_take_page(base + 9 * 4096);
	check("early.take.second", b && b[100] == 0x9c, "want page 9 with its bytes");
	check("early.take.rest", mm_free_later(base, size) == 64 - 10,
	      "want the 54 pages above page 9 freed");
	check("early.take.counted", page_total_count() == total + 64 &&
	      page_free_count() == free_before + 62, "total +%zu, free +%zu; want +64, +62",
	      page_total_count() - total, page_free_count() - free_before);
	check("early.take.after-free", !mm_later_take_page(base + 20 * 4096),
	      "took a page of a freed range");
	page_unref(a);
	page_unref(b);
	check("early.take.unref-frees", page_free_count() == free_before + 64,
	      "free +%zu after the taken pages' last references; want +64",
	      page_free_count() - free_before);
	shutdown_mm();
}

int main(void)
{
	test_handover();
	test_limit();
	test_exhaust();
	test_free_later();
	test_take_later();
	return check_exit();
}
