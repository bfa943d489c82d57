/*
 * mm: physical page frames and the allocator family of seed 000.
 *
 * Physical memory is mapped several times in the kernel's upper half, and
 * the three bits 44..46 of a kernel virtual address name the allocator
 * that owns the object behind it. free(p) therefore needs nothing but p:
 * no header before the object, no offset-in-page convention, no lookup
 * structure. The owner areas (docs/memory.md has the map and the why):
 *
 *   0 mempool     sub-page objects in size classes (8, 16, 32, ... 3264)
 *   1 page        objects of more than 3264 bytes up to a page: one page each
 *   2 half-page   objects of 1809..2048 bytes: two to a page
 *   3 large       objects of more than a page: whole pages, no header
 *   4 direct map  all physical memory; page frames, page tables, DMA.
 *                 Never passed to mm_free().
 *   5 debug       one object per non-identity mapping, guard page after
 *   6 early       objects allocated before the page allocator is up
 *   7 kernel      the kernel image (at -2 GiB), stacks, fixed mappings
 *
 * Areas 0-4 and 6 are aliases of all physical memory: the virtual address
 * of physical address pa in area k is MM_AREA_BASE + (k << MM_AREA_SHIFT)
 * + pa, so converting between an object and its frame is one subtraction
 * and a mask. Area 5 is mapped page by page through the backend below.
 *
 * What a size costs is decided once, by a table indexed by (size + 7) / 8;
 * where an object lives is recorded per physical frame in a 16-byte
 * `struct page_frame` (0.4% of RAM, carved from the managed memory
 * itself), which is what lets slabs span several pages and large objects
 * carry their length without a header.
 *
 * The same sources build for the kernel and for the host (unit tests and
 * bench/alloc); only the address constants and the backend differ. On the
 * host the "physical memory" is a memfd mapped MAP_SHARED at each alias
 * area of a reserved region (mm/host/backend.c).
 *
 * Context and locking: every function here may be called from any thread
 * context; they take the backend lock (an IRQ-safe spinlock in the
 * kernel) for short, bounded sections and never sleep. The common paths
 * (page_alloc(0)/page_free(p, 0) and objects of the mempool classes) take
 * only the current CPU's cache, with interrupts off on that CPU; see
 * mm/pcp.c and docs/memory.md. None may be called
 * from the backend's own map/unmap (which may itself call page_alloc()).
 * Errors: allocation failure returns NULL (or -MM_ENOMEM); nothing an
 * application can cause panics. Freeing a pointer no allocator handed out
 * is a kernel bug, reported through mm_backend_corruption().
 */
#ifndef MOTE_MM_H
#define MOTE_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Address constants. The kernel's live in <mote/layout.h> (shared with
 * the boot assembly); a hosted build cannot use upper-half addresses and
 * reserves 8 areas of 64 GiB at a fixed address instead. 0x4000_0000_0000
 * is chosen because ASan/LSan's allocator owns 0x6000_0000_0000 up to
 * 0x6400_0000_0000 and its shadow ends below 0x1000_8000_0000.
 */
#if __STDC_HOSTED__
#define MM_AREA_BASE  0x400000000000UL
#define MM_AREA_SHIFT 36
#else
#include <mote/layout.h>
#endif

#define MM_PAGE_SHIFT 12
#define MM_PAGE_SIZE  (1UL << MM_PAGE_SHIFT)
#define MM_AREA_SIZE  (1UL << MM_AREA_SHIFT)
#define MM_NR_AREAS   8

/* Linux errno values (the same numbers as <lib/errno.h>, which a hosted build lacks). */
#define MM_ENOMEM 12
#define MM_EINVAL 22

enum mm_owner {
	MM_OWNER_MEMPOOL = 0,
	MM_OWNER_PAGE    = 1,
	MM_OWNER_HALF    = 2,
	MM_OWNER_LARGE   = 3,
	MM_OWNER_DIRECT  = 4,
	MM_OWNER_DEBUG   = 5,
	MM_OWNER_EARLY   = 6,
	MM_OWNER_KERNEL  = 7,
};

/* Which area (enum mm_owner) p lies in; MM_NR_AREAS or more if in none. */
static inline unsigned long mm_owner_of(const void *p)
{
	return ((uintptr_t)p - MM_AREA_BASE) >> MM_AREA_SHIFT;
}

/* The alias of physical address pa in area `owner` (not for MM_OWNER_DEBUG). */
static inline void *mm_area_ptr(unsigned owner, uint64_t pa)
{
	return (void *)(MM_AREA_BASE + ((uintptr_t)owner << MM_AREA_SHIFT) + pa);
}

/* Physical memory through the plain direct map (area 4). */
static inline void *mm_phys_to_virt(uint64_t pa)
{
	return mm_area_ptr(MM_OWNER_DIRECT, pa);
}

/* The physical address behind any alias (areas 0-4, 6); not for areas 5 and 7. */
static inline uint64_t mm_virt_to_phys(const void *va)
{
	return ((uintptr_t)va - MM_AREA_BASE) & (MM_AREA_SIZE - 1);
}

/* ---- Physical ranges --------------------------------------------------- */

/* A range of physical memory [base, base + size). Any alignment. */
struct mm_range {
	uint64_t base;
	uint64_t size;
};

#define MM_MAX_RANGES 128

/*
 * Shrinks each range inward to page boundaries, drops empty ones, sorts by
 * base and merges overlapping or touching ranges. Returns the new count.
 */
size_t mm_ranges_normalize(struct mm_range *r, size_t n);

/*
 * Removes [base, base + size) from the n normalized ranges in r (capacity
 * max), splitting a range when the hole falls inside it. Returns the new
 * count, or -MM_ENOMEM if a split would exceed max (r is then unchanged).
 */
long mm_ranges_remove(struct mm_range *r, size_t n, size_t max, uint64_t base, uint64_t size);

/* ---- Boot ------------------------------------------------------------- */

/*
 * Resets all of mm and starts the early allocator on the usable RAM in
 * `ranges` (copied; at most MM_MAX_RANGES after normalisation). The caller
 * has already removed the kernel image, boot_info, modules and anything
 * else in use. The early allocator hands out only memory below `limit`
 * (what the boot page tables map in areas 4 and 6; UINT64_MAX for all).
 * Returns 0 or -MM_EINVAL if no usable page remains.
 */
int mm_early_init(const struct mm_range *ranges, size_t n, uint64_t limit);

#define MM_LATER_MAX 8

/*
 * Memory in use at boot that is freed once it has served (a boot bundle,
 * once its files are unpacked): noted between mm_early_init() and
 * mm_page_init(), which then sizes the frame table to cover it. Only its
 * whole pages will be freed. 0, or -MM_EINVAL if it holds no whole page or
 * MM_LATER_MAX ranges are noted already.
 */
int mm_early_note_later(uint64_t base, uint64_t size);

/*
 * Gives the whole pages of a range noted with mm_early_note_later() (the
 * same base and size) to the page allocator, but for those taken with
 * mm_later_take_page(); from then on they count in page_total_count(), as
 * Linux counts the initrd it frees. Returns the pages freed by this call, or
 * -MM_EINVAL if the range was not noted or is free already.
 */
long mm_free_later(uint64_t base, uint64_t size);

/*
 * Takes the page at physical address pa, inside a range noted with
 * mm_early_note_later() and not yet freed, as if page_alloc(0) had just
 * returned it, but with its contents: the direct-map address of a page
 * with one reference (page_unref() frees it). So a file can keep the
 * bundle pages that already hold its data. Pages must be taken in
 * ascending order: those the range holds below pa are freed now, and
 * mm_free_later() then frees what is left above it. NULL if pa is not a
 * page the range still holds.
 */
void *mm_later_take_page(uint64_t pa);

/*
 * Whole pages for boot (page tables, the frame metadata): direct-map
 * address, not zeroed. Each page may be given back with page_free(va, 0)
 * once mm_page_init() has run. NULL when nothing fits. Also works after
 * mm_page_init() (then exactly npages are taken from the page allocator).
 */
void *mm_early_alloc_pages(size_t npages);

/*
 * Starts the page-frame allocator: sizes and carves the frame metadata
 * from the managed memory, gives it every page the early allocator did
 * not keep (and, later, every early page whose objects are all freed),
 * and switches the malloc family from the early allocator to the real
 * ones. Returns 0 or -MM_ENOMEM if the metadata does not fit.
 */
int mm_page_init(void);

/* ---- Page frames (buddy allocator) ------------------------------------- */

#define PAGE_MAX_ORDER 20	/* largest block: 2^20 pages = 4 GiB */

/*
 * 2^order physically contiguous pages aligned to their size, as a
 * direct-map address (mm_virt_to_phys() gives the frame), not zeroed.
 * NULL when no such block is free. O(log n).
 */
void *page_alloc(unsigned order);

/* Returns a block from page_alloc() of the same order. O(log n), coalescing. */
void page_free(void *va, unsigned order);

/*
 * Pages with several owners (a file's cache page and the program
 * translations that map it): a page from page_alloc(0) starts with one
 * reference; page_ref() adds one, page_unref() drops one and frees the
 * page with the last. A page that was ever shared is released with
 * page_unref(), never page_free(). Atomic; any context page_free allows.
 */
void page_ref(void *page);
void page_unref(void *page);

/* Pages under management, and those of them free right now. */
size_t page_total_count(void);
size_t page_free_count(void);

/* Free blocks of each order held by the buddy lists (for tests and procfs). */
void page_free_blocks(size_t counts[PAGE_MAX_ORDER + 1]);

/*
 * Returns everything the allocators cache (per-class object caches, hot
 * pages) to the buddy allocator. Called by mm itself when a page
 * allocation fails; callers may use it before measuring memory.
 */
void mm_trim(void);

/* ---- The malloc family -------------------------------------------------- */

/*
 * As in C11/POSIX. Every pointer returned is aligned to 16 bytes when the
 * size is over 8 (8 otherwise), and objects whose size is a power of two
 * up to a page are aligned to their size. mm_malloc(0) returns a unique
 * pointer. mm_realloc(p, 0) frees p and returns NULL (as glibc).
 * mm_aligned_alloc accepts any power-of-two alignment and any size.
 * mm_posix_memalign returns 0, MM_EINVAL or MM_ENOMEM (positive, as POSIX).
 * mm_malloc_usable_size(NULL) is 0. In the kernel these are also linked
 * under the standard names (mm/libc.c).
 */
void *mm_malloc(size_t size);
void *mm_calloc(size_t n, size_t size);
void *mm_realloc(void *p, size_t size);
void mm_free(void *p);
void *mm_aligned_alloc(size_t align, size_t size);
int mm_posix_memalign(void **out, size_t align, size_t size);
size_t mm_malloc_usable_size(const void *p);

/* ---- The debug allocator ---------------------------------------------- */

/*
 * While on (the kernel sets it from mm.debug=1), every malloc-family
 * allocation gets its own mapping in area 5: the object ends exactly at
 * (or at most 7 bytes before) an unmapped guard page, and when freed its
 * pages are unmapped and its addresses not reused for a long time, so an
 * overflow or a use-after-free faults at the faulting instruction. Objects
 * allocated before or while off keep their own allocators; mm_free()
 * routes by address, so the flag may change at any time.
 */
void mm_debug_enable(bool on);

enum mm_debug_kind {
	MM_DEBUG_LIVE = 1,	/* inside a live object (should not fault) */
	MM_DEBUG_OVERFLOW,	/* past the end of a live object (the guard page) */
	MM_DEBUG_UNDERFLOW,	/* before the start of a live object */
	MM_DEBUG_USE_AFTER_FREE,	/* anywhere in a freed object's pages */
};

struct mm_debug_info {
	enum mm_debug_kind kind;
	uintptr_t object;	/* the address malloc returned */
	size_t size;		/* the size asked for */
	long offset;		/* addr - object (negative before it) */
	uintptr_t alloc_site;	/* return address of the malloc-family call */
	uintptr_t free_site;	/* of the free, for MM_DEBUG_USE_AFTER_FREE */
};

/*
 * For a faulting address: true and *info filled if addr is in the pages of
 * a debug object the allocator still remembers (the most recent 2^k
 * objects of each slot size, k scaled from RAM), false otherwise. Takes no
 * lock, allocates nothing: callable from the page-fault handler.
 */
bool mm_debug_lookup(uintptr_t addr, struct mm_debug_info *info);

/*
 * The same as one line of text in buf (always NUL-terminated when len > 0),
 * e.g. "mm.debug: use-after-free at 0x...: byte 16 of the 32-byte object
 * 0x... allocated at 0x..., freed at 0x...". Returns what mm_debug_lookup
 * returns.
 */
bool mm_debug_describe(uintptr_t addr, char *buf, size_t len);

/* ---- Backend: what the kernel (or the host harness) provides ------------- */

/*
 * The lock around all allocator state. Kernel: save RFLAGS, cli, take a
 * spinlock; return the saved flags. Host: nothing. Never held across a
 * call to mm_backend_map/unmap. Not recursive.
 */
unsigned long mm_backend_lock(void);
void mm_backend_unlock(unsigned long flags);

/*
 * Per-CPU caches. mm keeps one cache slot per CPU, found by
 * mm_backend_cpu() (0 .. MM_MAX_CPUS - 1), which must stay the same
 * between mm_backend_irq_save() and the matching restore: kernel, cli and
 * the CPU's id (a thread is not moved while interrupts are off); host, a
 * thread-local slot number that tests set to simulate CPUs. The save
 * disables whatever could re-enter mm on this CPU (interrupts); it takes
 * no lock. Host: nothing.
 */
#define MM_MAX_CPUS 64
unsigned long mm_backend_irq_save(void);
void mm_backend_irq_restore(unsigned long flags);
unsigned mm_backend_cpu(void);

/*
 * Maps npages pages at va (page-aligned, in area 5) to the physical pages
 * starting at pa: present, writable, not executable, supervisor only.
 * Returns 0, or -MM_ENOMEM if page tables cannot be allocated (the mm
 * lock is not held: the kernel may call page_alloc() here).
 */
int mm_backend_map(uintptr_t va, uint64_t pa, size_t npages);

/* Unmaps npages pages at va and flushes them from every CPU's TLB. */
void mm_backend_unmap(uintptr_t va, size_t npages);

/*
 * A broken invariant detected by mm (a free of a pointer no allocator
 * handed out, a double free, a debug object's slack overwritten). Kernel:
 * panic with `what` and p. The caller of mm_free() is the culprit; mm has
 * ignored the request when this returns. May be called with the lock held.
 */
void mm_backend_corruption(const char *what, const void *p);

#endif
