/*
 * mm/mempool.c: sub-page objects in size classes (area 0).
 *
 * Classes. 8 bytes for the smallest objects (nothing that needs 16-byte
 * alignment fits in 8 bytes, so that class may be 8-aligned; OSv #1011),
 * then multiples of 16 (C17 asks malloc(n) to be aligned for any type of
 * size <= n, and a 16-byte long double or __int128 fits in 17..31 bytes),
 * four classes per doubling up to 1 KiB. Between 1 KiB and a page the
 * classes are chosen by how many objects fit a slab of 1-4 pages, not by
 * a geometric rule (OSv #1000): 7 x 1168 in 2 pages, 3 x 1360 in 1,
 * 5 x 1632 in 2, 9 x 1808 in 4, (2 x 2048 is the half-page area),
 * 7 x 2336 in 4, 3 x 2720 in 2, 5 x 3264 in 4. So a 2049-byte object
 * costs 2340 bytes where a power-of-two scheme charges 4096.
 *
 * Slabs. A slab is a buddy block of 2^order pages; every frame of it
 * records the class, and the head is found by masking the frame number
 * with the slab's size. The slab's header is the head frame's entry: in-use
 * count, a free-list cursor and a bump index (objects never handed out
 * need no list), and links in the class's list of partially free slabs.
 * Nothing is stored in the slab's own pages, so the objects fill them.
 *
 * Caches. In front of the slabs each CPU keeps, per class, a LIFO of free
 * objects linked through their first word (struct mm_pcp, mm/pcp.c):
 * malloc pops, free pushes, and neither touches the slab nor takes the
 * backend lock (interrupts off and the CPU's own, uncontended cache lock).
 * This is the fast path (no division, one table lookup, a few loads and
 * stores). A cache refills and flushes half of its capacity at a time
 * under the backend lock, returning objects to their slabs, and a slab
 * that becomes empty goes straight back to the page allocator. Capacity
 * is about 16 KiB of objects per class and CPU, and less on machines
 * under 4 MiB; mm_trim() empties every CPU's caches. Freeing finds the object's index in its
 * slab by multiplying with a reciprocal and checks the result, so a
 * pointer into the middle of an object is caught when it leaves a cache.
 */
#include "internal.h"

static const uint16_t class_sizes[MEMPOOL_NCLASS] = {
	8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
	512, 640, 768, 896, 1024, 1168, 1360, 1632, 1808, 2336, 2720, 3264,
};

#define MAX_SLAB_ORDER 3
#define HALF_MIN 1809		/* sizes 1809..2048 go to the half-page area */

struct mempool_class mempool_classes[MEMPOOL_NCLASS];
uint8_t mempool_route[MM_PAGE_SIZE / 8 + 1];

/* The smallest slab order that wastes at most 1/32 of it (or the least wasteful). */
static unsigned slab_order(uint32_t size)
{
	unsigned best = 0;
	uint64_t best_waste = UINT64_MAX;

	for (unsigned k = 0; k <= MAX_SLAB_ORDER; k++) {
		uint64_t bytes = MM_PAGE_SIZE << k, waste = bytes % size;

		if (waste * 32 <= bytes)
			return k;
		if (waste * (MM_PAGE_SIZE << best) < best_waste * bytes) {
			best = k;
			best_waste = waste;
		}
	}
	return best;
}

static void init_class(struct mempool_class *c, uint32_t size)
{
	unsigned shift = (unsigned)__builtin_ctz(size);

	c->size = size;
	c->order = (uint8_t)slab_order(size);
	c->per_slab = (uint16_t)((MM_PAGE_SIZE << c->order) / size);
	c->recip = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
	c->align_shift = (uint8_t)(shift > MM_PAGE_SHIFT ? MM_PAGE_SHIFT : shift);
	c->cache_max = 1;
	c->partial = FRAME_NIL;
}

void mempool_reset(void)
{
	unsigned ci = 0;

	for (unsigned i = 0; i < MEMPOOL_NCLASS; i++)
		init_class(&mempool_classes[i], class_sizes[i]);
	for (unsigned i = 0; i <= MM_PAGE_SIZE / 8; i++) {
		uint32_t size = i * 8;

		while (ci < MEMPOOL_NCLASS && class_sizes[ci] < size)
			ci++;
		if (size >= HALF_MIN && size <= MM_PAGE_SIZE / 2)
			mempool_route[i] = ROUTE_HALF;
		else
			mempool_route[i] = ci < MEMPOOL_NCLASS ? (uint8_t)ci : ROUTE_PAGE;
	}
}

/* Sizes the caches from RAM: 16 KiB of objects per class, RAM/256 on small machines. */
void mempool_size_caches(void)
{
	uint64_t budget = ((uint64_t)page_total_count() << MM_PAGE_SHIFT) / 256;

	if (budget > 16384)
		budget = 16384;
	for (unsigned i = 0; i < MEMPOOL_NCLASS; i++) {
		struct mempool_class *c = &mempool_classes[i];
		uint64_t n = budget / c->size;

		c->cache_max = n < 2 ? 2 : n > 256 ? 256 : (uint32_t)n;
	}
}

/* The first class at or after ci whose objects are aligned to align; MEMPOOL_NCLASS if none. */
unsigned mempool_class_aligned(unsigned ci, size_t align)
{
	while (ci < MEMPOOL_NCLASS && (1ul << mempool_classes[ci].align_shift) < align)
		ci++;
	return ci;
}

/* A list of free objects being moved between a slab and a CPU's cache. */
struct objlist {
	void *head, *tail;
	uint32_t n;
};

static void list_push(struct objlist *l, void *obj)
{
	*(void **)obj = l->head;
	l->head = obj;
	if (!l->n++)
		l->tail = obj;
}

static uint32_t slab_new(struct mempool_class *c)
{
	uint32_t s = mm_take_run(1ull << c->order, 0);

	if (s == FRAME_NIL)
		return FRAME_NIL;
	for (uint32_t i = 0; i < (1u << c->order); i++) {
		mm_frames[s + i].kind = FRAME_SLAB;
		mm_frames[s + i].order = (uint8_t)(c - mempool_classes);
	}
	mm_frames[s].count = 0;
	mm_frames[s].data = 0;
	frame_list_push(&c->partial, s);
	return s;
}

static void slab_release(struct mempool_class *c, uint32_t s)
{
	frame_list_del(&c->partial, s);
	for (uint32_t i = 0; i < (1u << c->order); i++)
		mm_frames[s + i].kind = FRAME_NONE;
	page_give(s, c->order);
}

/* Moves up to want objects of slab s onto l. */
static void slab_take(struct mempool_class *c, uint32_t s, uint32_t want, struct objlist *l)
{
	struct page_frame *h = &mm_frames[s];
	char *base = frame_ptr(s, MM_OWNER_MEMPOOL);
	uint32_t head = h->data & 0xffff, bump = h->data >> 16;

	for (; want && h->count < c->per_slab; want--, h->count++) {
		char *obj;

		if (head) {
			obj = base + (head - 1) * c->size;
			head = *(uint16_t *)obj;
		} else {
			obj = base + bump++ * c->size;
		}
		list_push(l, obj);
	}
	h->data = head | bump << 16;
	if (h->count == c->per_slab)
		frame_list_del(&c->partial, s);
}

/* Returns obj to its slab; frees the slab when it empties. */
static void slab_put(struct mempool_class *c, void *obj)
{
	uint64_t pa = mm_virt_to_phys(obj);
	uint64_t head_pa = align_down(pa, MM_PAGE_SIZE << c->order);
	uint32_t s = frame_of(head_pa), off = (uint32_t)(pa - head_pa);
	uint32_t idx = (uint32_t)(((uint64_t)off * c->recip) >> 32);
	struct page_frame *h = s == FRAME_NIL ? NULL : &mm_frames[s];

	if (idx * c->size != off || idx >= c->per_slab || !h || h->kind != FRAME_SLAB ||
	    !h->count) {
		mm_backend_corruption("free: not the start of a mempool object", obj);
		return;
	}
	*(uint16_t *)obj = (uint16_t)(h->data & 0xffff);
	h->data = (h->data & 0xffff0000u) | (idx + 1);
	if (h->count-- == c->per_slab)
		frame_list_push(&c->partial, s);
	if (!h->count)
		slab_release(c, s);
}

/* Returns objects of class ci from a CPU's cache to their slabs until keep remain. */
void mempool_flush(unsigned ci, void **head, uint16_t *n, uint32_t keep)
{
	struct mempool_class *c = &mempool_classes[ci];

	while (*n > keep) {
		void **obj = *head;

		*head = *obj;
		(*n)--;
		slab_put(c, obj);
	}
}

static void fill(struct mempool_class *c, struct objlist *l)
{
	uint32_t want = c->cache_max / 2 + 1;

	while (l->n < want) {
		uint32_t s = c->partial;

		if (s == FRAME_NIL && (s = slab_new(c)) == FRAME_NIL)
			return;
		slab_take(c, s, want - l->n, l);
	}
}

/*
 * Slow path of mempool_alloc(): this CPU's cache of class ci was empty.
 * Takes a batch from the slabs under the backend lock (a failing slab_new
 * may trim, i.e. drain every CPU's cache, ours included, which is why the
 * batch is built off-cache) and hands all but one to the cache.
 */
void *mempool_refill(unsigned ci)
{
	struct mempool_class *c = &mempool_classes[ci];
	unsigned long fl = mm_backend_lock();
	struct objlist l = { NULL, NULL, 0 };
	void **p;

	fill(c, &l);
	p = l.head;
	if (p && --l.n) {
		struct mm_pcp *pc = pcp_self();

		*(void **)l.tail = pc->obj[ci];
		pc->obj[ci] = *p;
		pc->nobj[ci] = (uint16_t)(pc->nobj[ci] + l.n);
		pcp_unlock(pc);
	}
	mm_backend_unlock(fl);
	return p;
}

/* Slow path of mempool_free(): this CPU's cache of class ci is over its bound. */
void mempool_drain(unsigned ci)
{
	unsigned long fl = mm_backend_lock();
	struct mm_pcp *pc = pcp_self();

	mempool_flush(ci, &pc->obj[ci], &pc->nobj[ci], mempool_classes[ci].cache_max / 2);
	pcp_unlock(pc);
	mm_backend_unlock(fl);
}
