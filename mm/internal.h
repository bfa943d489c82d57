/*
 * mm/internal.h: what the files of mm/ share and nothing outside sees.
 *
 * The one data structure every allocator leans on is the frame table: a
 * 16-byte `struct page_frame` per physical page between the lowest and
 * the highest usable page, carved from the managed memory at
 * mm_page_init(). 16 bytes is the smallest entry that holds a doubly
 * linked list link (two 32-bit frame indices, so unlinking from the buddy
 * and slab lists is O(1) and free memory is never written to) plus the
 * per-owner state: a buddy order, a slab's class and free-list cursor, a
 * large object's page count, a half-page bitmap, an early page's live
 * object count. It is what lets free(p) find everything from p alone.
 *
 * Locking: functions here whose names do not start with mm_ expect the
 * backend lock to be held by their caller, except where noted.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <mote/mm.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define FRAME_NIL UINT32_MAX

enum frame_kind {
	FRAME_NONE = 0,	/* inside a block, a hole, or not usable */
	FRAME_FREE,	/* head of a free block on a buddy list (order) */
	FRAME_HOT,	/* head of a free block on a hot list (order) */
	FRAME_USED,	/* head of a block handed out by the page layer (order; data: extra page_refs) */
	FRAME_SLAB,	/* page of a mempool slab (order = class index) */
	FRAME_HALF,	/* page cut in two halves (count = halves in use, bit per half) */
	FRAME_PAGEOBJ,	/* a page object of area 1 */
	FRAME_LARGE,	/* head of a large object (data = its pages) */
	FRAME_EARLY,	/* page holding early objects (count = live objects touching it) */
	FRAME_DEBUG,	/* head of a debug object's pages (data = its pages) */
	FRAME_PCP,	/* free page on a CPU's cache (pcp.c; list link: next only) */
};

struct page_frame {
	uint32_t next;		/* list link: frame index or FRAME_NIL */
	uint32_t prev;
	uint8_t kind;		/* enum frame_kind */
	uint8_t order;		/* block order, or slab class */
	uint16_t count;		/* see enum frame_kind */
	uint32_t data;		/* see enum frame_kind; slab head: free head | bump << 16 */
};
_Static_assert(sizeof(struct page_frame) == 16, "page_frame must stay 16 bytes");

extern struct page_frame *mm_frames;	/* index i describes pfn mm_frame_base + i */
extern uint64_t mm_frame_base;
extern uint32_t mm_nframes;
extern bool mm_ready;			/* set by mm_page_init() */
extern bool mm_debug_on;
extern bool mm_alloc_slow;		/* !mm_ready || mm_debug_on: one test on the fast path */

static inline uint64_t frame_pa(uint32_t i)
{
	return (mm_frame_base + i) << MM_PAGE_SHIFT;
}

static inline void *frame_ptr(uint32_t i, unsigned owner)
{
	return mm_area_ptr(owner, frame_pa(i));
}

/* The frame holding physical address pa, or FRAME_NIL if it is not managed. */
static inline uint32_t frame_of(uint64_t pa)
{
	uint64_t i = (pa >> MM_PAGE_SHIFT) - mm_frame_base;

	return i < mm_nframes ? (uint32_t)i : FRAME_NIL;
}

/* Doubly linked lists of frames through page_frame.next/prev. */
static inline void frame_list_push(uint32_t *head, uint32_t i)
{
	struct page_frame *f = &mm_frames[i];

	f->prev = FRAME_NIL;
	f->next = *head;
	if (*head != FRAME_NIL)
		mm_frames[*head].prev = i;
	*head = i;
}

static inline void frame_list_del(uint32_t *head, uint32_t i)
{
	struct page_frame *f = &mm_frames[i];

	if (f->prev != FRAME_NIL)
		mm_frames[f->prev].next = f->next;
	else
		*head = f->next;
	if (f->next != FRAME_NIL)
		mm_frames[f->next].prev = f->prev;
}

static inline unsigned ilog2_ceil(uint64_t n)
{
	return n <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(n - 1);
}

static inline uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline uint64_t align_down(uint64_t x, uint64_t a)
{
	return x & ~(a - 1);
}

static inline bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

struct mm_pcp;

/* page.c: the buddy allocator, by frame index. */
void page_reset(void);
uint32_t page_take(unsigned order);		/* head marked FRAME_USED */
void page_give(uint32_t i, unsigned order);
uint32_t page_take_run(uint64_t npages, unsigned align_order);	/* head FRAME_USED */
void page_give_run(uint32_t i, uint64_t npages);
void page_add_run(uint32_t i, uint64_t npages);	/* pages new to the allocator */
void page_adopt(uint32_t i);	/* a page new to it, as page_take(0) hands one out */
void page_drain_hot(void);
void page_start(uint64_t base_pfn, uint32_t nframes, uint64_t usable, struct page_frame *frames);
void page_enable_hot(void);
void page_drain_pcp(struct mm_pcp *pc, uint32_t keep);	/* both locks held */

/* init.c: a page run, trimming every cache and retrying once if none is free. */
uint32_t mm_take_run(uint64_t npages, unsigned align_order);
void mm_trim_locked(void);

/* early.c (early_alloc, early_free and early_size take the lock themselves) */
void early_reset(void);
int early_setup(const struct mm_range *r, size_t n, uint64_t limit);
void *early_alloc(size_t size, size_t align);
void early_free(void *p);
size_t early_size(const void *p);
void early_span(uint64_t *lo_pfn, uint64_t *hi_pfn, uint64_t *usable_pages);
void *early_take_pages(size_t npages);
void early_handover(void);

/* mempool.c: sub-page size classes. */
#define MEMPOOL_NCLASS 28
#define ROUTE_HALF 0xfe		/* mempool_route[] value: half-page area */
#define ROUTE_PAGE 0xff		/* mempool_route[] value: page area */

struct mempool_class {
	uint32_t cache_max;	/* objects each CPU's cache of this class may hold */
	uint32_t size;		/* object size and stride */
	uint32_t recip;		/* ceil(2^32 / size): index = offset * recip >> 32 */
	uint16_t per_slab;	/* objects in one slab */
	uint8_t order;		/* a slab is 2^order pages */
	uint8_t align_shift;	/* every object is aligned to 1 << align_shift */
	uint32_t partial;	/* head frame of the first slab with free objects */
};

extern struct mempool_class mempool_classes[MEMPOOL_NCLASS];
extern uint8_t mempool_route[MM_PAGE_SIZE / 8 + 1];	/* by (size + 7) >> 3 */

void mempool_reset(void);
void mempool_size_caches(void);
void mempool_flush(unsigned ci, void **head, uint16_t *n, uint32_t keep);
unsigned mempool_class_aligned(unsigned ci, size_t align);

/*
 * pcp.c: the per-CPU caches. Lock order: the backend lock, then a CPU's
 * cache lock. A CPU's own fast path takes only its cache lock (with
 * interrupts off, so nothing else on that CPU can want it); the only
 * other taker is mm_trim_locked() draining every CPU under the backend
 * lock, so the lock is uncontended except while a trim runs. The owner
 * never waits for the backend lock while holding its cache lock: slow
 * paths drop it, take the backend lock, then take it again.
 */
struct mm_pcp {
	uint32_t lock;		/* 0 or 1 */
	uint32_t npages;	/* order-0 pages on `pages` (read unlocked by page_free_count) */
	uint32_t pages;		/* first frame, linked through page_frame.next */
	uint16_t nobj[MEMPOOL_NCLASS];
	void *obj[MEMPOOL_NCLASS];	/* free objects, linked through their first word */
} __attribute__((aligned(64)));

extern struct mm_pcp mm_pcp[MM_MAX_CPUS];

static inline void pcp_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline void pcp_lock(struct mm_pcp *pc)
{
	while (__atomic_exchange_n(&pc->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&pc->lock, __ATOMIC_RELAXED))
			pcp_relax();
}

static inline void pcp_unlock(struct mm_pcp *pc)
{
	__atomic_store_n(&pc->lock, 0, __ATOMIC_RELEASE);
}

/* This CPU's cache, locked. Interrupts must be off (mm_backend_irq_save). */
static inline struct mm_pcp *pcp_self(void)
{
	struct mm_pcp *pc = &mm_pcp[mm_backend_cpu()];

	pcp_lock(pc);
	return pc;
}

void pcp_reset(void);
void pcp_drain_all(void);		/* backend lock held, no cache lock */
size_t pcp_page_count(void);		/* pages on all CPUs' caches; no lock */

/* mempool.c slow paths: interrupts off, no lock held. */
void *mempool_refill(unsigned ci);
void mempool_drain(unsigned ci);

/* The fast paths: a LIFO of free objects per class and CPU. */
static inline void *mempool_alloc(unsigned ci)
{
	unsigned long fl = mm_backend_irq_save();
	struct mm_pcp *pc = pcp_self();
	void **p = pc->obj[ci];

	if (likely(p)) {
		pc->obj[ci] = *p;
		pc->nobj[ci]--;
		pcp_unlock(pc);
	} else {
		pcp_unlock(pc);
		p = mempool_refill(ci);
	}
	mm_backend_irq_restore(fl);
	return p;
}

static inline void mempool_free(void *p, uint32_t i)
{
	unsigned ci = mm_frames[i].order;
	unsigned long fl = mm_backend_irq_save();
	struct mm_pcp *pc = pcp_self();
	bool over;

	*(void **)p = pc->obj[ci];
	pc->obj[ci] = p;
	over = ++pc->nobj[ci] > mempool_classes[ci].cache_max;
	pcp_unlock(pc);
	if (unlikely(over))
		mempool_drain(ci);
	mm_backend_irq_restore(fl);
}

/* objects.c: the page, half-page and large areas (lock taken inside). */
void half_reset(void);
void *half_alloc(void);
void half_free(void *p);
void *pageobj_alloc(void);
void pageobj_free(void *p);
void *large_alloc(size_t size, size_t align);
void large_free(void *p);
size_t large_size(const void *p);
bool large_shrink(void *p, size_t size);

/* debug.c (lock taken inside). */
void debug_reset(void);
void *debug_alloc(size_t size, size_t align, uintptr_t site);
void debug_free(void *p, uintptr_t site);
size_t debug_size(const void *p);

#endif
