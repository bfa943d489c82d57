/*
 * mm/init.c: bringing mm up, and giving memory back under pressure.
 *
 * Boot runs in two steps because the frame table's size depends on the
 * memory map, and something must allocate before the table exists:
 * mm_early_init() starts the early allocator on the usable ranges;
 * mm_page_init() then carves the frame table (16 bytes per page between
 * the lowest and highest usable page) from the early allocator's page end
 * and hands everything else over. mm_early_init() also resets all state,
 * which is what lets the host tests boot mm again and again on RAM of
 * different sizes in one process.
 *
 * Reclaim is one function: when a page run cannot be found, every CPU's
 * per-class object caches and page cache are flushed (its empty slabs return to the buddy
 * allocator) and the hot page lists are drained, then the request is
 * tried once more. There is nothing else to reclaim, so a second failure
 * is a real out-of-memory and the allocation returns NULL.
 */
#include "internal.h"

bool mm_ready;
bool mm_alloc_slow = true;

/*
 * Page ranges [start, end) noted to be freed later; end == 0 once freed.
 * [held, end) is what is still outside the allocator: mm_later_take_page()
 * moves held past the page it takes, freeing the pages it skips.
 */
static struct mm_range_pages { uint64_t start, end, held; } later[MM_LATER_MAX];
static size_t nr_later;

static struct mm_range_pages whole_pages(uint64_t base, uint64_t size)
{
	uint64_t start = align_up(base, MM_PAGE_SIZE) >> MM_PAGE_SHIFT;
	uint64_t end = align_down(base + size, MM_PAGE_SIZE) >> MM_PAGE_SHIFT;

	return (struct mm_range_pages){ start, end > start ? end : start, start };
}

/* Gives pfns [from, to) of a noted range to the allocator (backend lock held). */
static void later_release(uint64_t from, uint64_t to)
{
	if (to > from)
		page_add_run((uint32_t)(from - mm_frame_base), to - from);
}

int mm_early_init(const struct mm_range *ranges, size_t n, uint64_t limit)
{
	mm_ready = false;
	mm_alloc_slow = true;
	nr_later = 0;
	page_reset();
	pcp_reset();
	mempool_reset();
	half_reset();
	debug_reset();
	early_reset();
	return early_setup(ranges, n, limit);
}

int mm_page_init(void)
{
	unsigned long fl = mm_backend_lock();
	uint64_t lo, hi, usable, nframes, bytes;
	struct page_frame *frames;

	if (mm_ready) {
		mm_backend_unlock(fl);
		return -MM_EINVAL;
	}
	early_span(&lo, &hi, &usable);
	for (size_t i = 0; i < nr_later; i++) {
		lo = later[i].start < lo ? later[i].start : lo;
		hi = later[i].end > hi ? later[i].end : hi;
	}
	nframes = hi - lo;
	bytes = align_up(nframes * sizeof(struct page_frame), MM_PAGE_SIZE);
	frames = nframes >= FRAME_NIL ? NULL : early_take_pages(bytes >> MM_PAGE_SHIFT);
	if (!frames) {
		mm_backend_unlock(fl);
		return -MM_ENOMEM;
	}
	__builtin_memset(frames, 0, bytes);
	page_start(lo, (uint32_t)nframes, usable, frames);
	early_handover();
	page_enable_hot();
	mempool_size_caches();
	mm_ready = true;
	mm_alloc_slow = mm_debug_on;
	mm_backend_unlock(fl);
	return 0;
}

int mm_early_note_later(uint64_t base, uint64_t size)
{
	struct mm_range_pages p = whole_pages(base, size);

	if (mm_ready || p.end == p.start || nr_later == MM_LATER_MAX)
		return -MM_EINVAL;
	later[nr_later++] = p;
	return 0;
}

long mm_free_later(uint64_t base, uint64_t size)
{
	struct mm_range_pages p = whole_pages(base, size);
	unsigned long fl = mm_backend_lock();
	long ret = -MM_EINVAL;

	for (size_t i = 0; i < nr_later && mm_ready; i++) {
		if (later[i].start != p.start || later[i].end != p.end || !p.end)
			continue;
		later_release(later[i].held, p.end);
		ret = (long)(p.end - later[i].held);
		later[i].end = later[i].start = later[i].held = 0;
		break;
	}
	mm_backend_unlock(fl);
	return ret;
}

void *mm_later_take_page(uint64_t pa)
{
	uint64_t pfn = pa >> MM_PAGE_SHIFT;
	unsigned long fl;
	void *page = NULL;

	if (pa & (MM_PAGE_SIZE - 1))
		return NULL;
	fl = mm_backend_lock();
	for (size_t i = 0; i < nr_later && mm_ready; i++) {
		if (pfn < later[i].held || pfn >= later[i].end)
			continue;
		later_release(later[i].held, pfn);
		later[i].held = pfn + 1;
		page_adopt((uint32_t)(pfn - mm_frame_base));
		page = frame_ptr((uint32_t)(pfn - mm_frame_base), MM_OWNER_DIRECT);
		break;
	}
	mm_backend_unlock(fl);
	return page;
}

void *mm_early_alloc_pages(size_t npages)
{
	unsigned long fl = mm_backend_lock();
	uint32_t i;
	void *p = NULL;

	if (!mm_ready) {
		p = early_take_pages(npages);
	} else if ((i = mm_take_run(npages, 0)) != FRAME_NIL) {
		for (uint32_t j = 0; j < npages; j++) {
			mm_frames[i + j].kind = FRAME_USED;
			mm_frames[i + j].order = 0;
		}
		p = frame_ptr(i, MM_OWNER_DIRECT);
	}
	mm_backend_unlock(fl);
	return p;
}

void mm_trim_locked(void)
{
	pcp_drain_all();
	page_drain_hot();
}

void mm_trim(void)
{
	unsigned long fl = mm_backend_lock();

	if (mm_ready)
		mm_trim_locked();
	mm_backend_unlock(fl);
}

uint32_t mm_take_run(uint64_t npages, unsigned align_order)
{
	uint32_t i = page_take_run(npages, align_order);

	if (i == FRAME_NIL) {
		mm_trim_locked();
		i = page_take_run(npages, align_order);
	}
	return i;
}
