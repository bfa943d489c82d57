/*
 * mm/objects.c: the page-granular areas: half-page (2), page (1), large (3).
 *
 * These are the three cases the seed's offset-in-page scheme got wrong,
 * and with the owner in the address bits each becomes trivial:
 *
 * - A page object is one frame, page-aligned, no header: a 4096-byte
 *   object costs 4096 bytes (the old scheme needed two pages), and any
 *   object of 3265..4096 bytes, or any object up to a page that asks for
 *   page alignment, is aligned for free.
 * - A half-page object is one half of a frame; the frame entry's count
 *   holds one bit per half. Frames with exactly one free half sit on a
 *   list linked through the frame table, so both alloc and free are O(1)
 *   and a frame goes back to the page allocator when both halves are free.
 *   2 KiB network buffers pack two to a page with no header.
 * - A large object is a run of whole pages taken from the buddy allocator
 *   with the tail beyond its size given back at once; its page count sits
 *   in the head frame's entry, not in a header page (the old scheme spent
 *   a page per object on that, half a page of waste on average).
 *
 * All three check on free that the frame really holds what the area
 * claims, so a wrong or repeated free is reported, not absorbed.
 */
#include "internal.h"

#define HALF_SIZE (MM_PAGE_SIZE / 2)

static uint32_t half_partial = FRAME_NIL;	/* frames with one free half */

void half_reset(void)
{
	half_partial = FRAME_NIL;
}

void *half_alloc(void)
{
	unsigned long fl = mm_backend_lock();
	uint32_t i = half_partial;
	unsigned half = 0;
	void *p = NULL;

	if (i != FRAME_NIL) {
		half = mm_frames[i].count == 1;
		mm_frames[i].count = 3;
		frame_list_del(&half_partial, i);
		p = (char *)frame_ptr(i, MM_OWNER_HALF) + half * HALF_SIZE;
	} else if ((i = mm_take_run(1, 0)) != FRAME_NIL) {
		mm_frames[i].kind = FRAME_HALF;
		mm_frames[i].count = 1;
		frame_list_push(&half_partial, i);
		p = frame_ptr(i, MM_OWNER_HALF);
	}
	mm_backend_unlock(fl);
	return p;
}

void half_free(void *p)
{
	uint64_t pa = mm_virt_to_phys(p);
	uint32_t i = frame_of(pa);
	unsigned bit = 1u << ((pa >> (MM_PAGE_SHIFT - 1)) & 1);
	unsigned long fl = mm_backend_lock();

	if (i == FRAME_NIL || (pa & (HALF_SIZE - 1)) || mm_frames[i].kind != FRAME_HALF ||
	    !(mm_frames[i].count & bit)) {
		mm_backend_unlock(fl);
		mm_backend_corruption("free: not a live half-page object", p);
		return;
	}
	mm_frames[i].count &= (uint16_t)~bit;
	if (!mm_frames[i].count) {
		frame_list_del(&half_partial, i);
		page_give(i, 0);
	} else {
		frame_list_push(&half_partial, i);
	}
	mm_backend_unlock(fl);
}

void *pageobj_alloc(void)
{
	unsigned long fl = mm_backend_lock();
	uint32_t i;
	void *p = NULL;

	if ((i = mm_take_run(1, 0)) != FRAME_NIL) {
		mm_frames[i].kind = FRAME_PAGEOBJ;
		p = frame_ptr(i, MM_OWNER_PAGE);
	}
	mm_backend_unlock(fl);
	return p;
}

void pageobj_free(void *p)
{
	uint64_t pa = mm_virt_to_phys(p);
	uint32_t i = frame_of(pa);
	unsigned long fl = mm_backend_lock();

	if (i == FRAME_NIL || (pa & (MM_PAGE_SIZE - 1)) || mm_frames[i].kind != FRAME_PAGEOBJ) {
		mm_backend_unlock(fl);
		mm_backend_corruption("free: not a live page object", p);
		return;
	}
	page_give(i, 0);
	mm_backend_unlock(fl);
}

void *large_alloc(size_t size, size_t align)
{
	uint64_t npages = size ? ((uint64_t)size + MM_PAGE_SIZE - 1) >> MM_PAGE_SHIFT : 1;
	unsigned align_order = align > MM_PAGE_SIZE ? ilog2_ceil(align) - MM_PAGE_SHIFT : 0;
	unsigned long fl;
	uint32_t i;
	void *p = NULL;

	if (size > ((size_t)1 << (PAGE_MAX_ORDER + MM_PAGE_SHIFT)) || align_order > PAGE_MAX_ORDER)
		return NULL;
	fl = mm_backend_lock();
	if ((i = mm_take_run(npages, align_order)) != FRAME_NIL) {
		mm_frames[i].kind = FRAME_LARGE;
		mm_frames[i].data = (uint32_t)npages;
		p = frame_ptr(i, MM_OWNER_LARGE);
	}
	mm_backend_unlock(fl);
	return p;
}

/* The head frame of live large object p, or FRAME_NIL (reported). Lock held. */
static uint32_t large_frame(const void *p, const char *who)
{
	uint64_t pa = mm_virt_to_phys(p);
	uint32_t i = frame_of(pa);

	if (i == FRAME_NIL || (pa & (MM_PAGE_SIZE - 1)) || mm_frames[i].kind != FRAME_LARGE) {
		mm_backend_corruption(who, p);
		return FRAME_NIL;
	}
	return i;
}

void large_free(void *p)
{
	unsigned long fl = mm_backend_lock();
	uint32_t i = large_frame(p, "free: not a live large object");

	if (i != FRAME_NIL)
		page_give_run(i, mm_frames[i].data);
	mm_backend_unlock(fl);
}

size_t large_size(const void *p)
{
	unsigned long fl = mm_backend_lock();
	uint32_t i = large_frame(p, "malloc_usable_size: not a live large object");
	size_t n = i == FRAME_NIL ? 0 : (size_t)mm_frames[i].data << MM_PAGE_SHIFT;

	mm_backend_unlock(fl);
	return n;
}

/* Gives back the pages beyond size; false if size needs more pages than p has. */
bool large_shrink(void *p, size_t size)
{
	uint64_t npages = ((uint64_t)size + MM_PAGE_SIZE - 1) >> MM_PAGE_SHIFT;
	unsigned long fl = mm_backend_lock();
	uint32_t i = large_frame(p, "realloc: not a live large object");
	bool ok = i != FRAME_NIL && npages <= mm_frames[i].data && npages;

	if (ok && npages < mm_frames[i].data) {
		page_give_run(i + (uint32_t)npages, mm_frames[i].data - npages);
		mm_frames[i].data = (uint32_t)npages;
	}
	mm_backend_unlock(fl);
	return ok;
}
