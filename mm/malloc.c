/*
 * mm/malloc.c: the malloc family, routing by size on the way in and by
 * address on the way out.
 *
 * Allocation: one table lookup on (size + 7) / 8 gives a mempool class,
 * the half-page area or the page area for every size up to a page; larger
 * sizes are large objects. An alignment request moves the object up to
 * the first class whose objects are naturally that aligned (power-of-two
 * classes are aligned to their size), then to the half-page and page
 * areas, and past a page to a large object aligned by the buddy allocator.
 *
 * Free: the owner is (p - MM_AREA_BASE) >> MM_AREA_SHIFT. The mempool test
 * comes first and is a single compare (its area starts at MM_AREA_BASE),
 * so the common free is: subtract, compare, shift, one frame-table load,
 * a push. NULL and foreign pointers land in the slow path's default case.
 *
 * realloc stays in place whenever the new size routes to the same class
 * or area (and a large object shrinks by giving back its tail pages);
 * otherwise it moves, which also returns memory when an object shrinks a
 * lot. Debug objects always move, so a stale pointer to the old copy
 * faults.
 *
 * The call site recorded for debug objects is the return address of the
 * public entry point, i.e. the caller's instruction after the call.
 */
#include "internal.h"

#define SITE() ((uintptr_t)__builtin_return_address(0))

static void *alloc_plain(size_t size)
{
	if (likely(size <= MM_PAGE_SIZE)) {
		unsigned r = mempool_route[(size + 7) >> 3];

		if (likely(r < MEMPOOL_NCLASS))
			return mempool_alloc(r);
		return r == ROUTE_HALF ? half_alloc() : pageobj_alloc();
	}
	return large_alloc(size, 0);
}

/* align: a power of two above 8. */
static void *alloc_aligned(size_t size, size_t align)
{
	if (size <= MM_PAGE_SIZE && align <= MM_PAGE_SIZE) {
		unsigned r = mempool_route[(size + 7) >> 3];

		if (r < MEMPOOL_NCLASS) {
			r = mempool_class_aligned(r, align);
			if (r < MEMPOOL_NCLASS)
				return mempool_alloc(r);
		}
		if (size <= MM_PAGE_SIZE / 2 && align <= MM_PAGE_SIZE / 2)
			return half_alloc();
		return pageobj_alloc();
	}
	return large_alloc(size, align);
}

/*
 * The general path: early objects before mm_page_init(), debug objects
 * when debugging is on (the ordinary allocators when they cannot serve).
 */
static void *alloc_any(size_t size, size_t align, uintptr_t site)
{
	if (unlikely(mm_alloc_slow)) {
		void *p;

		if (!mm_ready)
			return early_alloc(size, align);
		p = debug_alloc(size, align, site);
		if (p)
			return p;
	}
	return align > 8 ? alloc_aligned(size, align) : alloc_plain(size);
}

void *mm_malloc(size_t size)
{
	if (unlikely(mm_alloc_slow))
		return alloc_any(size, 0, SITE());
	return alloc_plain(size);
}

void *mm_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	p = alloc_any(bytes, 0, SITE());
	if (p)
		__builtin_memset(p, 0, bytes);
	return p;
}

void *mm_aligned_alloc(size_t align, size_t size)
{
	if (!is_pow2(align))
		return NULL;
	return alloc_any(size, align, SITE());
}

int mm_posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!is_pow2(align) || align < sizeof(void *))
		return MM_EINVAL;
	p = alloc_any(size, align, SITE());
	if (!p)
		return MM_ENOMEM;
	*out = p;
	return 0;
}

static void free_slow(void *p, unsigned long owner, uintptr_t site)
{
	switch (owner) {
	case MM_OWNER_PAGE:
		pageobj_free(p);
		return;
	case MM_OWNER_HALF:
		half_free(p);
		return;
	case MM_OWNER_LARGE:
		large_free(p);
		return;
	case MM_OWNER_DEBUG:
		debug_free(p, site);
		return;
	case MM_OWNER_EARLY:
		early_free(p);
		return;
	default:
		if (p)
			mm_backend_corruption("free: pointer from no allocator", p);
	}
}

/* The frame of a mempool object, or FRAME_NIL (reported). */
static uint32_t mempool_frame(const void *p, const char *who)
{
	uint32_t i = frame_of(mm_virt_to_phys(p));

	if (i == FRAME_NIL || mm_frames[i].kind != FRAME_SLAB) {
		mm_backend_corruption(who, p);
		return FRAME_NIL;
	}
	return i;
}

static inline void free_at(void *p, uintptr_t site)
{
	uintptr_t off = (uintptr_t)p - MM_AREA_BASE;

	if (likely(off < MM_AREA_SIZE)) {
		uint32_t i = mempool_frame(p, "free: not in a mempool slab");

		if (i != FRAME_NIL)
			mempool_free(p, i);
		return;
	}
	free_slow(p, mm_owner_of(p), site);
}

void mm_free(void *p)
{
	free_at(p, SITE());
}

size_t mm_malloc_usable_size(const void *p)
{
	uint32_t i;

	switch (mm_owner_of(p)) {
	case MM_OWNER_MEMPOOL:
		i = mempool_frame(p, "malloc_usable_size: not in a mempool slab");
		return i == FRAME_NIL ? 0 : mempool_classes[mm_frames[i].order].size;
	case MM_OWNER_PAGE:
		return MM_PAGE_SIZE;
	case MM_OWNER_HALF:
		return MM_PAGE_SIZE / 2;
	case MM_OWNER_LARGE:
		return large_size(p);
	case MM_OWNER_DEBUG:
		return debug_size(p);
	case MM_OWNER_EARLY:
		return early_size(p);
	default:
		if (p)
			mm_backend_corruption("malloc_usable_size: pointer from no allocator", p);
		return 0;
	}
}

/* Whether p (of usable size old) can simply stay where it is for size bytes. */
static bool fits_in_place(void *p, size_t old, size_t size)
{
	unsigned long owner = mm_owner_of(p);

	if (size > MM_PAGE_SIZE)
		return owner == MM_OWNER_LARGE && large_shrink(p, size);
	switch (owner) {
	case MM_OWNER_MEMPOOL:
		return mempool_route[(size + 7) >> 3] < MEMPOOL_NCLASS &&
		       mempool_classes[mempool_route[(size + 7) >> 3]].size == old;
	case MM_OWNER_HALF:
		return mempool_route[(size + 7) >> 3] == ROUTE_HALF;
	case MM_OWNER_PAGE:
		return mempool_route[(size + 7) >> 3] == ROUTE_PAGE;
	case MM_OWNER_EARLY:
		return size <= old && !mm_ready;
	default:
		return false;
	}
}

void *mm_realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (!p)
		return alloc_any(size, 0, SITE());
	if (!size) {
		free_at(p, SITE());
		return NULL;
	}
	old = mm_malloc_usable_size(p);
	if (!old && mm_owner_of(p) != MM_OWNER_DEBUG)
		return NULL;	/* not ours: reported */
	if (!mm_debug_on && fits_in_place(p, old, size))
		return p;
	q = alloc_any(size, 0, SITE());
	if (!q)
		return NULL;
	__builtin_memcpy(q, p, old < size ? old : size);
	free_at(p, SITE());
	return q;
}
