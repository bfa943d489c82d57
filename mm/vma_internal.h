/*
 * mm/vma_internal.h: what the mm/vma*.c files share and nobody else needs.
 *
 * The primitives here are the two halves of every operation (see the essay
 * in mm/vma.c): the *fallible* half (vm_spare_fill, backend->reserve) that
 * runs before the tree is touched, and the *infallible* half (split,
 * remove, link, merge) that runs after, drawing struct vma memory only
 * from the spare pool filled in the first half.
 */
#ifndef MM_VMA_INTERNAL_H
#define MM_VMA_INTERNAL_H

#include <lib/errno.h>
#include <mote/vm.h>


#define VM_PAGE_MASK (VM_PAGE_SIZE - 1)

/* A broken invariant of this code (never an application's doing): trap. */
#define VM_ASSERT(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static inline bool vm_aligned(uintptr_t a)
{
	return (a & VM_PAGE_MASK) == 0;
}

static inline uintptr_t vm_page_down(uintptr_t a)
{
	return a & ~VM_PAGE_MASK;
}

/* Rounds len up to whole pages; false if that overflows. */
static inline bool vm_round_len(size_t len, size_t *out)
{
	*out = (len + VM_PAGE_MASK) & ~VM_PAGE_MASK;
	return *out >= len;
}

static inline uintptr_t vm_min(uintptr_t a, uintptr_t b)
{
	return a < b ? a : b;
}

static inline uintptr_t vm_max(uintptr_t a, uintptr_t b)
{
	return a > b ? a : b;
}

/* Pre-allocated struct vma for the infallible half of an operation. */
#define VM_SPARE_MAX 8
struct vm_spare {
	struct vma *v[VM_SPARE_MAX];
	unsigned n;
};

int vm_spare_fill(struct vm_space *s, struct vm_spare *sp, unsigned n);
struct vma *vm_spare_take(struct vm_spare *sp);
void vm_spare_drain(struct vm_space *s, struct vm_spare *sp);

/* Whether the space may hold n more areas (max_vmas). */
bool vm_may_add(const struct vm_space *s, size_t n);

/* How many of the n addresses in cuts fall strictly inside an area (each
 * such address costs one split, one struct vma). Duplicates count once. */
unsigned vma_cuts_needed(const struct vm_space *s, const uintptr_t *cuts, unsigned n);

/* Splits the area strictly containing at, if any; the lower part keeps its struct. */
void vma_split_at(struct vm_space *s, uintptr_t at, struct vm_spare *sp);

/* Unmaps [start, end): splits at the edges, drops pages, removes areas. */
void vma_unmap_range(struct vm_space *s, uintptr_t start, uintptr_t end,
		     struct vm_spare *sp);

/* Takes v out of the tree, drops its file reference, frees it (no backend call). */
void vma_remove(struct vm_space *s, struct vma *v);

/* Puts v (not overlapping anything) into the tree. */
void vma_link(struct vm_space *s, struct vma *v);

/* Initialises a fresh area's backing from a template, taking a file reference. */
void vma_set_backing(struct vma *v, const struct vm_file *file, uint64_t offset);

bool vma_mergeable(const struct vma *a, const struct vma *b);

/* Merges v with mergeable neighbours; returns the area now holding v's range. */
struct vma *vma_merge_around(struct vm_space *s, struct vma *v);

/* Merges every mergeable pair among the areas touching [start, end]. */
void vma_merge_range(struct vm_space *s, uintptr_t start, uintptr_t end);

/* Whether no area intersects [start, end). */
bool vma_range_free(const struct vm_space *s, uintptr_t start, uintptr_t end);

/* The lowest address a new mapping below v may end at (guard gap for growsdown). */
uintptr_t vma_start_gap(const struct vm_space *s, const struct vma *v);

/* Chooses an address for len bytes: hint if free, else top-down below
 * mmap_base, else bottom-up; MAP_32BIT in [1 GiB, 2 GiB). 0 or -ENOMEM. */
int vm_place(const struct vm_space *s, uintptr_t hint, size_t len, unsigned flags,
	     uintptr_t *out);

/* Populates the page at va (in v) for access; the core of vm_fault. */
int vma_fault_page(struct vm_space *s, struct vma *v, uintptr_t va, unsigned access);

/* Whether prot allows access (any of R/W/X allows a read). */
bool vm_access_allowed(unsigned prot, unsigned access);

/* Faults in [start, end) as MAP_POPULATE does; stops at the first error. */
int vm_populate(struct vm_space *s, uintptr_t start, uintptr_t end);

#endif
