/*
 * mm/page.c: the page-frame allocator.
 *
 * A binary buddy allocator over frame indices. Blocks of 2^k pages are
 * aligned to 2^k in *physical* frame numbers, not in table indices, so a
 * block's virtual address in any alias area has the same alignment: that
 * is what makes large aligned allocations and multi-page slabs (whose
 * head is found by masking a frame number) work without extra state.
 *
 * Why a buddy allocator: any order in O(log n), coalescing that needs only
 * the block's own frame entry and its buddy's, and no per-order bitmaps
 * to size at boot. A free block's list links live in its head's frame
 * entry, so free memory is never touched (the host's memfd stays sparse,
 * and in the kernel freeing never faults in a page).
 *
 * Runs of any length (large objects, the early allocator's leftovers) are
 * taken as the smallest fitting block with the tail given straight back,
 * and given back as the maximal aligned blocks they decompose into; a
 * 5-page object therefore costs 5 pages, not 8.
 *
 * Hot lists: the orders 0..3 keep a few freed blocks uncoalesced, like
 * Linux's per-CPU page lists, so page objects, slabs and small large
 * objects do not split and re-merge a 4 GiB block on every malloc/free.
 * Their length is sized from RAM and mm_trim() empties them, after which
 * the buddy lists are exactly what coalescing everything gives.
 *
 * In front of all that, each CPU caches single pages (struct mm_pcp,
 * mm/pcp.c): page_alloc(0) and page_free(p, 0) pop and push there with
 * interrupts off and no backend lock, and move half the cache's bound at
 * a time to or from the global lists under it. Cached pages count as
 * free in page_free_count().
 */
#include "internal.h"

#define HOT_ORDERS 4

struct free_list {
	uint32_t head;
	uint32_t count;
};

struct page_frame *mm_frames;
uint64_t mm_frame_base;
uint32_t mm_nframes;

static struct free_list buddy[PAGE_MAX_ORDER + 1];
static uint32_t buddy_nonempty;		/* bit k: buddy[k] has blocks */
static struct free_list hot[HOT_ORDERS];
static uint32_t hot_max[HOT_ORDERS];
static uint64_t pages_total, pages_free;	/* pages_free: not counting CPU caches */
static uint32_t pcp_max;	/* bound of each CPU's page cache; 0: no page caching */

void page_reset(void)
{
	for (unsigned k = 0; k <= PAGE_MAX_ORDER; k++)
		buddy[k] = (struct free_list){ FRAME_NIL, 0 };
	for (unsigned k = 0; k < HOT_ORDERS; k++) {
		hot[k] = (struct free_list){ FRAME_NIL, 0 };
		hot_max[k] = 0;
	}
	buddy_nonempty = 0;
	pcp_max = 0;
	pages_total = pages_free = 0;
	mm_frames = NULL;
	mm_frame_base = 0;
	mm_nframes = 0;
}

static void list_add(struct free_list *l, uint32_t i, uint8_t kind, unsigned order)
{
	mm_frames[i].kind = kind;
	mm_frames[i].order = (uint8_t)order;
	frame_list_push(&l->head, i);
	l->count++;
}

static void list_remove(struct free_list *l, uint32_t i)
{
	frame_list_del(&l->head, i);
	l->count--;
	mm_frames[i].kind = FRAME_NONE;
}

static void buddy_add(uint32_t i, unsigned order)
{
	list_add(&buddy[order], i, FRAME_FREE, order);
	buddy_nonempty |= 1u << order;
}

static void buddy_remove(uint32_t i, unsigned order)
{
	list_remove(&buddy[order], i);
	if (!buddy[order].count)
		buddy_nonempty &= ~(1u << order);
}

/* The free buddy of block i of this order, or FRAME_NIL. */
static uint32_t buddy_of(uint32_t i, unsigned order)
{
	uint64_t pfn = (mm_frame_base + i) ^ (1ull << order);
	uint64_t b = pfn - mm_frame_base;

	if (pfn < mm_frame_base || b >= mm_nframes)
		return FRAME_NIL;
	if (mm_frames[b].kind != FRAME_FREE || mm_frames[b].order != order)
		return FRAME_NIL;
	return (uint32_t)b;
}

static void buddy_put(uint32_t i, unsigned order)
{
	while (order < PAGE_MAX_ORDER) {
		uint32_t b = buddy_of(i, order);

		if (b == FRAME_NIL)
			break;
		buddy_remove(b, order);
		if (b < i)
			i = b;
		order++;
	}
	buddy_add(i, order);
}

static uint32_t buddy_get(unsigned order)
{
	uint32_t avail = buddy_nonempty >> order << order;
	unsigned k;
	uint32_t i;

	if (!avail)
		return FRAME_NIL;
	k = (unsigned)__builtin_ctz(avail);
	i = buddy[k].head;
	buddy_remove(i, k);
	while (k > order) {
		k--;
		buddy_add(i + (1u << k), k);
	}
	return i;
}

void page_drain_hot(void)
{
	for (unsigned k = 0; k < HOT_ORDERS; k++) {
		while (hot[k].count) {
			uint32_t i = hot[k].head;

			list_remove(&hot[k], i);
			buddy_put(i, k);
		}
	}
}

uint32_t page_take(unsigned order)
{
	uint32_t i;

	if (order < HOT_ORDERS && hot[order].count) {
		i = hot[order].head;
		list_remove(&hot[order], i);
	} else {
		i = buddy_get(order);
		if (i == FRAME_NIL && pages_free >= (1ull << order)) {
			page_drain_hot();
			i = buddy_get(order);
		}
		if (i == FRAME_NIL)
			return FRAME_NIL;
	}
	pages_free -= 1ull << order;
	mm_frames[i].kind = FRAME_USED;
	mm_frames[i].order = (uint8_t)order;
	mm_frames[i].data = 0;		/* no extra references (page_ref) */
	return i;
}

void page_give(uint32_t i, unsigned order)
{
	pages_free += 1ull << order;
	if (order < HOT_ORDERS && hot[order].count < hot_max[order])
		list_add(&hot[order], i, FRAME_HOT, order);
	else
		buddy_put(i, order);
}

/* The largest order of an aligned block starting at frame i that fits in n pages. */
static unsigned run_order(uint32_t i, uint64_t n)
{
	uint64_t pfn = mm_frame_base + i;
	unsigned k = 63 - (unsigned)__builtin_clzll(n);

	if (pfn && (unsigned)__builtin_ctzll(pfn) < k)
		k = (unsigned)__builtin_ctzll(pfn);
	return k < PAGE_MAX_ORDER ? k : PAGE_MAX_ORDER;
}

void page_give_run(uint32_t i, uint64_t npages)
{
	while (npages) {
		unsigned k = run_order(i, npages);

		page_give(i, k);
		i += 1u << k;
		npages -= 1ull << k;
	}
}

void page_add_run(uint32_t i, uint64_t npages)
{
	pages_total += npages;
	page_give_run(i, npages);
}

void page_adopt(uint32_t i)
{
	pages_total++;
	mm_frames[i].kind = FRAME_USED;
	mm_frames[i].order = 0;
	mm_frames[i].data = 0;
}

uint32_t page_take_run(uint64_t npages, unsigned align_order)
{
	unsigned order = ilog2_ceil(npages);
	uint32_t i;

	if (!npages || npages > (1ull << PAGE_MAX_ORDER) || align_order > PAGE_MAX_ORDER)
		return FRAME_NIL;
	if (align_order > order)
		order = align_order;
	i = page_take(order);
	if (i != FRAME_NIL && npages < (1ull << order))
		page_give_run(i + (uint32_t)npages, (1ull << order) - npages);
	return i;
}

/* Called by mm_page_init() with the frame table zeroed (every frame FRAME_NONE). */
void page_start(uint64_t base_pfn, uint32_t nframes, uint64_t usable, struct page_frame *frames)
{
	mm_frames = frames;
	mm_frame_base = base_pfn;
	mm_nframes = nframes;
	pages_total = usable;
	pages_free = 0;
}

/*
 * Hot lists hold at most 1/64 of RAM per order (64 blocks at most), so a
 * 2 MiB machine keeps 8 pages back and a big one 64 + 3 * 64 blocks.
 */
void page_enable_hot(void)
{
	uint64_t n = pages_total / 64;

	for (unsigned k = 0; k < HOT_ORDERS; k++) {
		uint64_t m = n >> k;

		hot_max[k] = m > 64 ? 64 : (uint32_t)m;
	}
	/* Each CPU caches 1/1024 of RAM in single pages, 64 at most, none under 8 MiB. */
	pcp_max = pages_total / 1024 > 64 ? 64 : (uint32_t)(pages_total / 1024);
	if (pcp_max < 2)
		pcp_max = 0;
}

/* Gives pages of a CPU's cache back until keep remain. Both locks held. */
void page_drain_pcp(struct mm_pcp *pc, uint32_t keep)
{
	while (pc->npages > keep) {
		uint32_t i = pc->pages;

		pc->pages = mm_frames[i].next;
		__atomic_store_n(&pc->npages, pc->npages - 1, __ATOMIC_RELAXED);
		mm_frames[i].kind = FRAME_USED;
		page_give(i, 0);
	}
}

/* page_alloc(0) found this CPU's cache empty: interrupts off, no lock held. */
static uint32_t pcp_refill(void)
{
	unsigned long fl = mm_backend_lock();
	uint32_t first = page_take(0), head = FRAME_NIL, n = 0;

	if (first == FRAME_NIL) {
		mm_trim_locked();	/* other CPUs' caches may hold the last pages */
		first = page_take(0);
	}
	if (first != FRAME_NIL) {
		uint32_t tail = FRAME_NIL;

		for (uint32_t i; n < pcp_max / 2 && (i = page_take(0)) != FRAME_NIL; n++) {
			mm_frames[i].kind = FRAME_PCP;
			mm_frames[i].next = head;
			if (head == FRAME_NIL)
				tail = i;
			head = i;
		}
		if (n) {
			struct mm_pcp *pc = pcp_self();

			mm_frames[tail].next = pc->pages;
			pc->pages = head;
			__atomic_store_n(&pc->npages, pc->npages + n, __ATOMIC_RELAXED);
			pcp_unlock(pc);
		}
	}
	mm_backend_unlock(fl);
	return first;
}

static void *page_alloc_pcp(void)
{
	unsigned long fl = mm_backend_irq_save();
	struct mm_pcp *pc = pcp_self();
	uint32_t i = pc->pages;

	if (likely(i != FRAME_NIL)) {
		pc->pages = mm_frames[i].next;
		__atomic_store_n(&pc->npages, pc->npages - 1, __ATOMIC_RELAXED);
		mm_frames[i].kind = FRAME_USED;
		mm_frames[i].data = 0;
		pcp_unlock(pc);
	} else {
		pcp_unlock(pc);
		i = pcp_refill();
	}
	mm_backend_irq_restore(fl);
	return i == FRAME_NIL ? NULL : frame_ptr(i, MM_OWNER_DIRECT);
}

/*
 * page_free(p, 0) with page caching on. The checks read the frame without
 * the backend lock: a page its caller really owns is changed by no one
 * else, and a frame moves between FRAME_USED and FRAME_PCP only here,
 * never to FRAME_FREE, so buddy_of() on another CPU cannot mistake it.
 */
static void page_free_pcp(void *va, uint32_t i)
{
	unsigned long fl = mm_backend_irq_save();
	struct mm_pcp *pc = pcp_self();

	if (mm_frames[i].kind != FRAME_USED || mm_frames[i].order != 0) {
		pcp_unlock(pc);
		mm_backend_irq_restore(fl);
		mm_backend_corruption("page_free: block not allocated with this order", va);
		return;
	}
	mm_frames[i].kind = FRAME_PCP;
	mm_frames[i].next = pc->pages;
	pc->pages = i;
	__atomic_store_n(&pc->npages, pc->npages + 1, __ATOMIC_RELAXED);
	if (unlikely(pc->npages > pcp_max)) {
		unsigned long lfl;

		pcp_unlock(pc);
		lfl = mm_backend_lock();
		pc = pcp_self();
		page_drain_pcp(pc, pcp_max / 2);
		pcp_unlock(pc);
		mm_backend_unlock(lfl);
	} else {
		pcp_unlock(pc);
	}
	mm_backend_irq_restore(fl);
}

void *page_alloc(unsigned order)
{
	unsigned long fl;
	uint32_t i = FRAME_NIL;

	if (order == 0 && pcp_max)
		return page_alloc_pcp();
	fl = mm_backend_lock();
	if (mm_ready && order <= PAGE_MAX_ORDER) {
		i = page_take(order);
		if (i == FRAME_NIL) {
			mm_trim_locked();
			i = page_take(order);
		}
	}
	mm_backend_unlock(fl);
	return i == FRAME_NIL ? NULL : frame_ptr(i, MM_OWNER_DIRECT);
}

void page_free(void *va, unsigned order)
{
	uint64_t pa = mm_virt_to_phys(va);
	uint32_t i = frame_of(pa);
	unsigned long fl;

	if (mm_owner_of(va) != MM_OWNER_DIRECT || i == FRAME_NIL || order > PAGE_MAX_ORDER ||
	    (pa & ((MM_PAGE_SIZE << order) - 1))) {
		mm_backend_corruption("page_free: not a page block", va);
		return;
	}
	if (order == 0 && pcp_max) {
		page_free_pcp(va, i);
		return;
	}
	fl = mm_backend_lock();
	if (mm_frames[i].kind != FRAME_USED || mm_frames[i].order != order) {
		mm_backend_unlock(fl);
		mm_backend_corruption("page_free: block not allocated with this order", va);
		return;
	}
	page_give(i, order);
	mm_backend_unlock(fl);
}

/*
 * Shared pages: a FRAME_USED order-0 frame's `data` counts the references
 * beyond the first. Whoever holds a reference keeps the frame FRAME_USED,
 * so these need no lock, only atomics on the count.
 */
static uint32_t shared_frame(void *page, const char *what)
{
	uint64_t pa = mm_virt_to_phys(page);
	uint32_t i = frame_of(pa);

	if (i == FRAME_NIL || (pa & (MM_PAGE_SIZE - 1)) || mm_frames[i].kind != FRAME_USED ||
	    mm_frames[i].order != 0) {
		mm_backend_corruption(what, page);
		return FRAME_NIL;
	}
	return i;
}

void page_ref(void *page)
{
	uint32_t i = shared_frame(page, "page_ref: not an allocated page");

	if (i != FRAME_NIL)
		__atomic_add_fetch(&mm_frames[i].data, 1, __ATOMIC_RELAXED);
}

void page_unref(void *page)
{
	uint32_t i = shared_frame(page, "page_unref: not an allocated page");
	uint32_t extra;

	if (i == FRAME_NIL)
		return;
	extra = __atomic_load_n(&mm_frames[i].data, __ATOMIC_ACQUIRE);
	do {
		if (!extra) {
			page_free(page, 0);	/* the last reference */
			return;
		}
	} while (!__atomic_compare_exchange_n(&mm_frames[i].data, &extra, extra - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}

size_t page_total_count(void)
{
	return (size_t)pages_total;
}

size_t page_free_count(void)
{
	return (size_t)pages_free + pcp_page_count();
}

void page_free_blocks(size_t counts[PAGE_MAX_ORDER + 1])
{
	unsigned long fl = mm_backend_lock();

	for (unsigned k = 0; k <= PAGE_MAX_ORDER; k++)
		counts[k] = buddy[k].count;
	mm_backend_unlock(fl);
}
