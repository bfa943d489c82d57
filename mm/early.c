/*
 * mm/early.c: the allocator that serves boot before the page allocator.
 *
 * Each usable range is consumed from both ends: objects (area 6) grow up
 * from its start, whole pages (page tables, the frame table; area 4) grow
 * down from its end. Keeping the two apart means pages never straddle an
 * object header and objects never pad up to a page boundary, and what is
 * left in the middle of every range is untouched and contiguous. That is
 * the point of the design: OSv's early malloc reserved a fixed chunk and
 * wasted what it did not use (its issue #270, up to 6 MB); here
 * mm_page_init() gives the page allocator every page between the two
 * fronts, and every object page whose objects have all been freed.
 *
 * Objects carry a 16-byte header (size, a magic, a freed bit, and the
 * physical address of the previous object's header). The backward chain
 * lets mm_page_init() find the live objects without any side table, so it
 * can count them per page; after that an early page is returned to the
 * page allocator when its count drops to zero. Before mm_page_init(),
 * freeing the most recent objects rolls the front back; other frees just
 * mark the header (the page is reclaimed at hand-over if nothing on it is
 * live). Boot allocates little and frees less, so linear searches over at
 * most MM_MAX_RANGES ranges are fine here.
 */
#include "internal.h"

#define EARLY_MAGIC   0x6d6dull		/* "mm" */
#define EARLY_FREED   (1ull << 63)
#define EARLY_SIZE(w) ((w) & ((1ull << 48) - 1))
#define EARLY_ALIGN   16

struct early_range {
	uint64_t start, end;	/* page-aligned */
	uint64_t lo;		/* objects occupy [start, lo) */
	uint64_t hi;		/* pages occupy [hi, end) */
};

struct early_hdr {
	uint64_t word;		/* size | magic << 48 | freed bit */
	uint64_t prev;		/* physical address + 1 of the previous header, 0: none */
};

static struct early_range ranges[MM_MAX_RANGES + 1];	/* one more: the split at the limit */
static size_t nranges;
static uint64_t limit;
static uint64_t newest;		/* physical address + 1 of the newest header, 0: none */

void early_reset(void)
{
	nranges = 0;
	limit = 0;
	newest = 0;
}

static void add_range(uint64_t start, uint64_t end)
{
	ranges[nranges++] = (struct early_range){ start, end, start, end };
}

/* Ranges are split at the limit, so each is either wholly usable early or not at all. */
int early_setup(const struct mm_range *r, size_t n, uint64_t top)
{
	struct mm_range tmp[MM_MAX_RANGES];

	if (n > MM_MAX_RANGES)
		n = MM_MAX_RANGES;
	for (size_t i = 0; i < n; i++)
		tmp[i] = r[i];
	n = mm_ranges_normalize(tmp, n);
	limit = align_down(top, MM_PAGE_SIZE);
	for (size_t i = 0; i < n; i++) {
		uint64_t b = tmp[i].base, e = b + tmp[i].size;

		if (b < limit && e > limit) {
			add_range(b, limit);
			add_range(limit, e);
		} else {
			add_range(b, e);
		}
	}
	return n ? 0 : -MM_EINVAL;
}

static struct early_hdr *hdr_at(uint64_t pa)
{
	return mm_area_ptr(MM_OWNER_EARLY, pa);
}

/* The range whose object part holds [pa, pa + len), or NULL. */
static struct early_range *range_of_object(uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < nranges; i++)
		if (pa >= ranges[i].start && len <= ranges[i].lo - pa && pa < ranges[i].lo)
			return &ranges[i];
	return NULL;
}

static void *bump(size_t size, size_t align)
{
	for (size_t i = 0; i < nranges && ranges[i].end <= limit; i++) {
		struct early_range *r = &ranges[i];
		uint64_t obj = align_up(r->lo + sizeof(struct early_hdr), align);

		if (obj < r->lo || obj > r->hi || size > r->hi - obj)
			continue;
		*hdr_at(obj - sizeof(struct early_hdr)) =
			(struct early_hdr){ size | EARLY_MAGIC << 48, newest };
		newest = obj - sizeof(struct early_hdr) + 1;
		r->lo = obj + size;
		return mm_area_ptr(MM_OWNER_EARLY, obj);
	}
	return NULL;
}

/* Takes the lock (the malloc family calls it directly before mm_page_init). */
void *early_alloc(size_t size, size_t align)
{
	unsigned long fl;
	void *p;

	if (align < EARLY_ALIGN)
		align = EARLY_ALIGN;
	if (size >> 48 || !is_pow2(align) || align > MM_AREA_SIZE / 2)
		return NULL;
	fl = mm_backend_lock();
	p = bump(size, align);
	mm_backend_unlock(fl);
	return p;
}

void *early_take_pages(size_t npages)
{
	uint64_t bytes = (uint64_t)npages << MM_PAGE_SHIFT;

	if (!npages || bytes >> MM_PAGE_SHIFT != npages)
		return NULL;
	for (size_t i = 0; i < nranges && ranges[i].end <= limit; i++) {
		struct early_range *r = &ranges[i];

		if (r->hi < bytes || r->hi - bytes < align_up(r->lo, MM_PAGE_SIZE))
			continue;
		r->hi -= bytes;
		return mm_phys_to_virt(r->hi);
	}
	return NULL;
}

/* The header of early object p if it is one, else NULL (reported). */
static struct early_hdr *valid_hdr(const void *p, const char *who)
{
	uint64_t pa = mm_virt_to_phys(p);
	struct early_hdr *h;

	if (pa < sizeof(*h) || !range_of_object(pa - sizeof(*h), sizeof(*h))) {
		mm_backend_corruption(who, p);
		return NULL;
	}
	h = hdr_at(pa - sizeof(*h));
	if ((h->word >> 48 & 0x7fff) != EARLY_MAGIC) {
		mm_backend_corruption(who, p);
		return NULL;
	}
	return h;
}

size_t early_size(const void *p)
{
	unsigned long fl = mm_backend_lock();
	struct early_hdr *h = valid_hdr(p, "malloc_usable_size: not an early object");
	size_t n = h ? (size_t)EARLY_SIZE(h->word) : 0;

	mm_backend_unlock(fl);
	return n;
}

/* Before hand-over: pops freed objects off the top of their ranges. */
static void roll_back(void)
{
	while (newest) {
		uint64_t pa = newest - 1;
		struct early_hdr *h = hdr_at(pa);
		uint64_t end = pa + sizeof(*h) + EARLY_SIZE(h->word);
		struct early_range *r = range_of_object(pa, end - pa);

		if (!(h->word & EARLY_FREED) || !r || r->lo != end)
			return;
		r->lo = pa;
		newest = h->prev;
	}
}

/* After hand-over: one object fewer on each page it touches. */
static void unpin_pages(uint64_t pa, uint64_t end)
{
	for (uint64_t pfn = pa >> MM_PAGE_SHIFT; pfn <= (end - 1) >> MM_PAGE_SHIFT; pfn++) {
		uint32_t i = frame_of(pfn << MM_PAGE_SHIFT);

		if (i == FRAME_NIL || mm_frames[i].kind != FRAME_EARLY || !mm_frames[i].count)
			continue;
		if (--mm_frames[i].count == 0)
			page_give(i, 0);
	}
}

void early_free(void *p)
{
	unsigned long fl = mm_backend_lock();
	struct early_hdr *h = valid_hdr(p, "free: not an early object");
	uint64_t pa = mm_virt_to_phys(p) - sizeof(*h);

	if (h && (h->word & EARLY_FREED)) {
		mm_backend_unlock(fl);
		mm_backend_corruption("free: early object freed twice", p);
		return;
	}
	if (h) {
		h->word |= EARLY_FREED;
		if (mm_ready)
			unpin_pages(pa, pa + sizeof(*h) + EARLY_SIZE(h->word));
		else
			roll_back();
	}
	mm_backend_unlock(fl);
}

void early_span(uint64_t *lo_pfn, uint64_t *hi_pfn, uint64_t *usable_pages)
{
	uint64_t usable = 0;

	for (size_t i = 0; i < nranges; i++)
		usable += (ranges[i].end - ranges[i].start) >> MM_PAGE_SHIFT;
	*lo_pfn = nranges ? ranges[0].start >> MM_PAGE_SHIFT : 0;
	*hi_pfn = nranges ? ranges[nranges - 1].end >> MM_PAGE_SHIFT : 0;
	*usable_pages = usable;
}

/* Counts the live objects on each page they touch, marking those pages early. */
static void pin_live_objects(void)
{
	for (uint64_t link = newest; link; link = hdr_at(link - 1)->prev) {
		uint64_t pa = link - 1;
		struct early_hdr *h = hdr_at(pa);
		uint64_t end = pa + sizeof(*h) + EARLY_SIZE(h->word);

		if (h->word & EARLY_FREED)
			continue;
		for (uint64_t pfn = pa >> MM_PAGE_SHIFT; pfn <= (end - 1) >> MM_PAGE_SHIFT; pfn++) {
			struct page_frame *f = &mm_frames[frame_of(pfn << MM_PAGE_SHIFT)];

			f->kind = FRAME_EARLY;
			f->count++;
		}
	}
}

/*
 * Gives the page allocator everything early did not keep. Pages taken
 * from the top become ordinary allocated pages (page_free(va, 0) works).
 */
void early_handover(void)
{
	pin_live_objects();
	for (size_t r = 0; r < nranges; r++) {
		struct early_range *er = &ranges[r];
		uint32_t s = (uint32_t)((er->start >> MM_PAGE_SHIFT) - mm_frame_base);
		uint32_t o = (uint32_t)((align_up(er->lo, MM_PAGE_SIZE) >> MM_PAGE_SHIFT) - mm_frame_base);
		uint32_t h = (uint32_t)((er->hi >> MM_PAGE_SHIFT) - mm_frame_base);
		uint32_t e = (uint32_t)((er->end >> MM_PAGE_SHIFT) - mm_frame_base);

		for (uint32_t i = s; i < o; i++)
			if (mm_frames[i].kind != FRAME_EARLY)
				page_give(i, 0);
		if (h > o)
			page_give_run(o, h - o);
		for (uint32_t i = h; i < e; i++) {
			mm_frames[i].kind = FRAME_USED;
			mm_frames[i].order = 0;
		}
	}
}
