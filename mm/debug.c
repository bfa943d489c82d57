/*
 * mm/debug.c: the debug allocator (area 5, mm.debug=1).
 *
 * Every object gets fresh physical pages mapped at a fresh virtual slot,
 * placed so that it ends exactly at the slot's last page, which is never
 * mapped: an overflow faults on the first byte past the object (past its
 * 8-byte-rounded end when its size is not a multiple of 8; those few slack
 * bytes are filled with a pattern checked at free). Freeing unmaps the
 * pages, so any later access faults, and the slot is not used again until
 * the allocator has gone round all the others of its size.
 *
 * Why slots of fixed power-of-two sizes: the fault handler must get from a
 * bare address to the object's record without locks or searching. Area 5
 * is cut into 16 regions; region k holds slots of 2^(k+1) pages (up to
 * 2^(k+1) - 1 data pages and the guard), so the region and slot of an
 * address are two shifts away. Records live in a per-region ring indexed
 * by slot number modulo its capacity (a power of two dividing the number
 * of slots); a record stores its full slot number, so a stale entry is
 * recognised, and a slot whose ring entry is still live is skipped, which
 * also keeps a live object's addresses from ever being handed out again.
 * The ring remembers the newest freed objects of each size, enough to
 * name the allocating and freeing call sites of a use-after-free.
 *
 * Costs: at least two pages of address space and one physical page per
 * object, and a ring of 40-byte records per region sized from RAM
 * (allocated when the region is first used). This is a bug-hunting mode;
 * when the ring or memory is full, allocations fall back to the ordinary
 * allocators rather than fail.
 */
#include "internal.h"

#define DEBUG_REGIONS 16
#define REGION_SHIFT  (MM_AREA_SHIFT - 5)
#define REGION_SIZE   (1ul << REGION_SHIFT)
#define SLACK_BYTE    0xdb

_Static_assert(REGION_SHIFT >= MM_PAGE_SHIFT + DEBUG_REGIONS + 2, "area 5 too small");

enum { REC_EMPTY, REC_LIVE, REC_FREED };

struct debug_rec {
	uint64_t slot;		/* slot number (not wrapped) this record describes */
	uintptr_t alloc_site;
	uintptr_t free_site;
	uint64_t size;
	uint32_t frame;		/* first of the contiguous data frames */
	uint8_t align_shift;
	uint8_t state;
	uint16_t unused;
};

struct debug_region {
	struct debug_rec *rec;	/* cap records, NULL until the region is used */
	uint64_t cap;
	uint64_t next;		/* next slot number to try */
};

static struct debug_region regions[DEBUG_REGIONS];
bool mm_debug_on;

void debug_reset(void)
{
	for (unsigned k = 0; k < DEBUG_REGIONS; k++)
		regions[k] = (struct debug_region){ NULL, 0, 0 };
	mm_debug_on = false;
}

void mm_debug_enable(bool on)
{
	mm_debug_on = on;
	mm_alloc_slow = on || !mm_ready;
}

static unsigned slot_shift(unsigned k)
{
	return MM_PAGE_SHIFT + k + 1;
}

static uint64_t nslots(unsigned k)
{
	return 1ull << (REGION_SHIFT - slot_shift(k));
}

static uintptr_t slot_va(unsigned k, uint64_t slot)
{
	uintptr_t area = (uintptr_t)mm_area_ptr(MM_OWNER_DEBUG, 0);

	return area + ((uintptr_t)k << REGION_SHIFT) + ((slot & (nslots(k) - 1)) << slot_shift(k));
}

/* Where an object of this size and alignment sits in a slot of region k. */
static uint64_t guard_offset(unsigned k)
{
	return ((2ull << k) - 1) << MM_PAGE_SHIFT;
}

static uint64_t object_offset(unsigned k, uint64_t size, uint64_t align)
{
	return align_down(guard_offset(k) - size, align);
}

/* Pages mapped below the guard; at least one, so a 0-byte object sits on the guard. */
static uint64_t data_pages(unsigned k, uint64_t size, uint64_t align)
{
	uint64_t n = (guard_offset(k) - align_down(object_offset(k, size, align), MM_PAGE_SIZE)) >>
		     MM_PAGE_SHIFT;

	return n ? n : 1;
}

/* The smallest region whose slots fit the object; DEBUG_REGIONS if none. */
static unsigned pick_region(uint64_t size, uint64_t align)
{
	for (unsigned k = 0; k < DEBUG_REGIONS; k++)
		if (size <= guard_offset(k) && align <= (1ull << slot_shift(k)))
			return k;
	return DEBUG_REGIONS;
}

/* Allocates region k's ring on first use. Lock held. */
static bool ring_ready(unsigned k)
{
	struct debug_region *r = &regions[k];
	uint64_t want = mm_nframes >> (k + 1), bytes;
	uint32_t i;

	if (r->rec)
		return true;
	r->cap = 64;
	while (r->cap < want && r->cap < nslots(k))
		r->cap <<= 1;
	if (r->cap > nslots(k))
		r->cap = nslots(k);
	bytes = r->cap * sizeof(struct debug_rec);
	i = mm_take_run(align_up(bytes, MM_PAGE_SIZE) >> MM_PAGE_SHIFT, 0);
	if (i == FRAME_NIL)
		return false;
	r->rec = frame_ptr(i, MM_OWNER_DIRECT);
	__builtin_memset(r->rec, 0, bytes);
	return true;
}

/* Claims a slot and its frames in region k. Lock held. */
static struct debug_rec *claim(unsigned k, uint64_t size, uint64_t align, uintptr_t site)
{
	struct debug_region *r = &regions[k];
	struct debug_rec *rec = NULL;
	uint32_t frame;

	if (!ring_ready(k))
		return NULL;
	for (uint64_t tries = 0; tries < r->cap && !rec; tries++, r->next++)
		if (r->rec[r->next & (r->cap - 1)].state != REC_LIVE)
			rec = &r->rec[r->next & (r->cap - 1)];
	if (!rec)
		return NULL;
	frame = mm_take_run(data_pages(k, size, align), 0);
	if (frame == FRAME_NIL)
		return NULL;
	mm_frames[frame].kind = FRAME_DEBUG;
	*rec = (struct debug_rec){ .slot = r->next - 1, .alloc_site = site, .size = size,
				   .frame = frame, .align_shift = (uint8_t)__builtin_ctzll(align),
				   .state = REC_LIVE };
	return rec;
}

static void release(struct debug_rec *rec, unsigned k, uint8_t state)
{
	uint64_t align = 1ull << rec->align_shift;

	page_give_run(rec->frame, data_pages(k, rec->size, align));
	rec->state = state;
}

void *debug_alloc(size_t size, size_t align, uintptr_t site)
{
	uint64_t a = align > 8 ? align : 8;
	unsigned k = pick_region(size, a);
	unsigned long fl;
	struct debug_rec *rec;
	uintptr_t slot, p;
	uint64_t npages;

	if (!mm_ready || k == DEBUG_REGIONS)
		return NULL;
	fl = mm_backend_lock();
	rec = claim(k, size, a, site);
	mm_backend_unlock(fl);
	if (!rec)
		return NULL;
	slot = slot_va(k, rec->slot);
	npages = data_pages(k, size, a);
	if (mm_backend_map(slot + guard_offset(k) - (npages << MM_PAGE_SHIFT), frame_pa(rec->frame),
			   npages)) {
		fl = mm_backend_lock();
		release(rec, k, REC_EMPTY);
		mm_backend_unlock(fl);
		return NULL;
	}
	p = slot + object_offset(k, size, a);
	__builtin_memset((char *)p + size, SLACK_BYTE, slot + guard_offset(k) - p - size);
	return (void *)p;
}

/* The record for any address in a slot's span, or NULL. Lock-free. */
static struct debug_rec *rec_at(uintptr_t addr, unsigned *kp)
{
	uintptr_t off = addr - (uintptr_t)mm_area_ptr(MM_OWNER_DEBUG, 0);
	unsigned k = (unsigned)(off >> REGION_SHIFT);
	struct debug_rec *rec;
	uint64_t vslot;

	if (off >= MM_AREA_SIZE || k >= DEBUG_REGIONS || !regions[k].rec)
		return NULL;
	vslot = (off & (REGION_SIZE - 1)) >> slot_shift(k);
	rec = &regions[k].rec[vslot & (regions[k].cap - 1)];
	if (rec->state == REC_EMPTY || (rec->slot & (nslots(k) - 1)) != vslot)
		return NULL;
	*kp = k;
	return rec;
}

static uintptr_t rec_object(const struct debug_rec *rec, unsigned k)
{
	return slot_va(k, rec->slot) + object_offset(k, rec->size, 1ull << rec->align_shift);
}

/* The live record of object p, or NULL. Lock held. */
static struct debug_rec *live_rec(const void *p, unsigned *kp)
{
	struct debug_rec *rec = rec_at((uintptr_t)p, kp);

	if (!rec || rec_object(rec, *kp) != (uintptr_t)p)
		return NULL;
	return rec;
}

static bool slack_intact(const struct debug_rec *rec, unsigned k)
{
	const unsigned char *end = (const unsigned char *)rec_object(rec, k) + rec->size;
	const unsigned char *guard = (const unsigned char *)(slot_va(k, rec->slot) + guard_offset(k));

	for (; end < guard; end++)
		if (*end != SLACK_BYTE)
			return false;
	return true;
}

void debug_free(void *p, uintptr_t site)
{
	unsigned long fl = mm_backend_lock();
	unsigned k = 0;
	struct debug_rec *rec = live_rec(p, &k);
	uint64_t npages;

	if (!rec || rec->state != REC_LIVE) {
		mm_backend_unlock(fl);
		mm_backend_corruption(rec ? "free: debug object freed twice"
					  : "free: not a debug object", p);
		return;
	}
	if (!slack_intact(rec, k))
		mm_backend_corruption("free: debug object overflowed into its slack bytes", p);
	rec->state = REC_FREED;
	rec->free_site = site;
	npages = data_pages(k, rec->size, 1ull << rec->align_shift);
	mm_backend_unlock(fl);
	mm_backend_unmap(slot_va(k, rec->slot) + guard_offset(k) - (npages << MM_PAGE_SHIFT), npages);
	fl = mm_backend_lock();
	release(rec, k, REC_FREED);
	mm_backend_unlock(fl);
}

size_t debug_size(const void *p)
{
	unsigned long fl = mm_backend_lock();
	unsigned k = 0;
	struct debug_rec *rec = live_rec(p, &k);
	size_t n = rec && rec->state == REC_LIVE ? (size_t)rec->size : 0;

	mm_backend_unlock(fl);
	if (!n && (!rec || rec->state != REC_LIVE))
		mm_backend_corruption("malloc_usable_size: not a live debug object", p);
	return n;
}

bool mm_debug_lookup(uintptr_t addr, struct mm_debug_info *info)
{
	unsigned k = 0;
	const struct debug_rec *rec = rec_at(addr, &k);
	uintptr_t obj;

	if (!rec)
		return false;
	obj = rec_object(rec, k);
	info->object = obj;
	info->size = (size_t)rec->size;
	info->offset = (long)(addr - obj);
	info->alloc_site = rec->alloc_site;
	info->free_site = rec->state == REC_FREED ? rec->free_site : 0;
	if (rec->state == REC_FREED)
		info->kind = MM_DEBUG_USE_AFTER_FREE;
	else if (addr < obj)
		info->kind = MM_DEBUG_UNDERFLOW;
	else if (addr - obj >= rec->size)
		info->kind = MM_DEBUG_OVERFLOW;
	else
		info->kind = MM_DEBUG_LIVE;
	return true;
}

/* A bounded line builder: no libc in the kernel, and no allocation in a fault handler. */
struct line {
	char *buf;
	size_t len, pos;
};

static void put_str(struct line *l, const char *s)
{
	for (; *s; s++)
		if (l->pos + 1 < l->len)
			l->buf[l->pos++] = *s;
}

static void put_num(struct line *l, uint64_t v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		put_str(l, "0x");
	while (n--) {
		char c[2] = { tmp[n], 0 };

		put_str(l, c);
	}
}

static void describe(struct line *l, uintptr_t addr, const struct mm_debug_info *in)
{
	static const char *const what[] = {
		[MM_DEBUG_LIVE] = "access", [MM_DEBUG_OVERFLOW] = "overflow",
		[MM_DEBUG_UNDERFLOW] = "underflow", [MM_DEBUG_USE_AFTER_FREE] = "use-after-free",
	};

	put_str(l, "mm.debug: ");
	put_str(l, what[in->kind]);
	put_str(l, " at ");
	put_num(l, addr, 16);
	put_str(l, ": ");
	if (in->kind == MM_DEBUG_OVERFLOW) {
		put_num(l, (uint64_t)in->offset - in->size, 10);
		put_str(l, " bytes past the end of");
	} else if (in->offset < 0) {
		put_num(l, (uint64_t)-in->offset, 10);
		put_str(l, " bytes before");
	} else {
		put_str(l, "byte ");
		put_num(l, (uint64_t)in->offset, 10);
		put_str(l, " of");
	}
	put_str(l, " the ");
	put_num(l, in->size, 10);
	put_str(l, "-byte object ");
	put_num(l, in->object, 16);
	put_str(l, " allocated at ");
	put_num(l, in->alloc_site, 16);
	if (in->kind == MM_DEBUG_USE_AFTER_FREE) {
		put_str(l, ", freed at ");
		put_num(l, in->free_site, 16);
	}
}

bool mm_debug_describe(uintptr_t addr, char *buf, size_t len)
{
	struct mm_debug_info info;
	struct line l = { buf, len, 0 };
	bool found = mm_debug_lookup(addr, &info);

	if (found)
		describe(&l, addr, &info);
	else
		put_str(&l, "mm.debug: address not in a known debug object");
	if (len)
		buf[l.pos] = 0;
	return found;
}
