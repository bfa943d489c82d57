/*
 * mm/vma_map.c: mmap, munmap, mprotect and brk over the area tree.
 *
 * Each call is written as Linux's is specified (mmap(2), munmap(2),
 * mprotect(2), brk(2)) and checks its arguments in Linux's order, so that
 * when several things are wrong the application sees the same errno as on
 * Linux; the differential test in tests/unit/vm runs the same sequences
 * against the host kernel to keep it so.
 *
 * Placement mirrors Linux on x86-64: a free hint is taken as is; otherwise
 * the highest gap below mmap_base that fits (top-down, so mappings pile up
 * under the stack and leave the low addresses to the program and its
 * brk), and if there is none, the lowest that fits anywhere. A growsdown
 * area keeps guard_gap free below it from placement (but not from
 * MAP_FIXED, exactly as Linux's stack_guard_gap).
 *
 * Every operation is decode-then-invoke (see mm/vma.c): the *_decode
 * functions only read; the commit functions cannot fail.
 */
#include "vma_internal.h"

/* The flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK). */
#define LEGACY_FLAGS (VM_MAP_SHARED | VM_MAP_PRIVATE | VM_MAP_FIXED | VM_MAP_ANONYMOUS | \
	VM_MAP_DENYWRITE | VM_MAP_EXECUTABLE | VM_MAP_UNINITIALIZED | VM_MAP_GROWSDOWN | \
	VM_MAP_LOCKED | VM_MAP_NORESERVE | VM_MAP_POPULATE | VM_MAP_NONBLOCK | \
	VM_MAP_STACK | VM_MAP_HUGETLB | VM_MAP_32BIT | (0x3fU << 26))

#define LOW_2G_START 0x40000000UL
#define LOW_2G_END   0x80000000UL

/* Whether [a, a + len) is free and clear of the next area's guard gap. */
static bool fits_at(const struct vm_space *s, uintptr_t a, size_t len)
{
	const struct vma *next = vm_find_next(s, a);

	return !next || (next->start >= a + len && vma_start_gap(s, next) >= a + len);
}

/* The highest fit in [lo, top); gaps are walked downwards from top. */
static int place_topdown(const struct vm_space *s, size_t len, uintptr_t lo, uintptr_t top,
			 uintptr_t *out)
{
	const struct vma *next = vm_find_next(s, top - 1);

	for (;;) {
		const struct vma *prev = next ? vm_prev(next) : rb_entry_or_null(
			rb_last(&s->vmas), struct vma, node);
		uintptr_t high = next ? vm_min(top, vma_start_gap(s, next)) : top;
		uintptr_t low = prev ? vm_max(prev->end, lo) : lo;

		if (high > low && high - low >= len) {
			*out = high - len;
			return 0;
		}
		if (!prev || prev->end <= lo)
			return -ENOMEM;
		next = prev;
	}
}

/* The lowest fit in [lo, hi); gaps are walked upwards from lo. */
static int place_bottomup(const struct vm_space *s, size_t len, uintptr_t lo, uintptr_t hi,
			  uintptr_t *out)
{
	const struct vma *next = vm_find_next(s, lo);
	uintptr_t low = lo;

	for (;;) {
		uintptr_t high = next ? vm_min(hi, vma_start_gap(s, next)) : hi;

		if (high > low && high - low >= len) {
			*out = low;
			return 0;
		}
		if (!next || next->end >= hi)
			return -ENOMEM;
		low = vm_max(low, next->end);
		next = vm_next(next);
	}
}

int vm_place(const struct vm_space *s, uintptr_t hint, size_t len, unsigned flags,
	     uintptr_t *out)
{
	uintptr_t lo = s->limits.min_addr, hi = s->limits.end;

	if (len > hi - lo)
		return -ENOMEM;
	if (flags & VM_MAP_32BIT) {
		lo = vm_max(lo, LOW_2G_START);
		hi = vm_min(hi, LOW_2G_END);
		if (lo >= hi || len > hi - lo)
			return -ENOMEM;
	}
	hint = vm_page_down(hint);
	if (hint && hint >= lo && hint <= hi - len && fits_at(s, hint, len)) {
		*out = hint;
		return 0;
	}
	if (!(flags & VM_MAP_32BIT) && s->limits.mmap_base > lo &&
	    !place_topdown(s, len, lo, vm_min(s->limits.mmap_base, hi), out))
		return 0;
	return place_bottomup(s, len, lo, hi, out);
}

/* A decoded mmap: what the new area will be. */
struct mmap_req {
	uintptr_t addr;
	size_t len;
	unsigned flags;		/* the caller's VM_MAP_* */
	unsigned prot, max_prot, vma_flags;
	const struct vm_file *file;	/* NULL: anonymous */
	uint64_t offset;
};

/* The address: MAP_FIXED is checked, anything else placed. */
static int mmap_address(const struct vm_space *s, struct mmap_req *rq)
{
	if (!(rq->flags & VM_MAP_FIXED))
		return vm_place(s, rq->addr, rq->len, rq->flags, &rq->addr);
	if (rq->len > s->limits.end || rq->addr > s->limits.end - rq->len)
		return -ENOMEM;
	if (!vm_aligned(rq->addr))
		return -EINVAL;
	if (rq->addr < s->limits.min_addr)
		return -EPERM;
	if ((rq->flags & VM_MAP_FIXED_NOREPLACE) &&
	    !vma_range_free(s, rq->addr, rq->addr + rq->len))
		return -EEXIST;
	return 0;
}

/* The mapping type of a file mapping, with the open file's permissions. */
static int mmap_type_file(struct mmap_req *rq, unsigned type)
{
	unsigned allowed = rq->file->max_prot;

	if (type == VM_MAP_SHARED_VALIDATE && (rq->flags & ~LEGACY_FLAGS))
		return -EOPNOTSUPP;
	if (type == VM_MAP_SHARED || type == VM_MAP_SHARED_VALIDATE) {
		if ((rq->prot & VM_PROT_WRITE) && !(allowed & VM_PROT_WRITE))
			return -EACCES;
		rq->vma_flags |= VMA_SHARED;
		rq->max_prot = allowed & VM_PROT_RWX;
	} else if (type == VM_MAP_PRIVATE) {
		rq->max_prot = (allowed & VM_PROT_RWX) | VM_PROT_WRITE;
	} else {
		return -EINVAL;
	}
	if (!(allowed & VM_PROT_READ))
		return -EACCES;
	if ((rq->prot & VM_PROT_EXEC) && !(allowed & VM_PROT_EXEC))
		return -EPERM;
	return (rq->flags & VM_MAP_GROWSDOWN) ? -EINVAL : 0;
}

static int mmap_type_anon(struct mmap_req *rq, unsigned type)
{
	rq->max_prot = VM_PROT_RWX;
	if (type == VM_MAP_SHARED) {
		if (rq->flags & VM_MAP_GROWSDOWN)
			return -EINVAL;
		rq->vma_flags |= VMA_SHARED;
		return 0;
	}
	if (type != VM_MAP_PRIVATE && type != VM_MAP_DROPPABLE)
		return -EINVAL;
	if (rq->flags & VM_MAP_GROWSDOWN)
		rq->vma_flags |= VMA_GROWSDOWN;
	return 0;
}

/* Linux's largest file: an offset + length beyond it is EOVERFLOW. */
static bool file_range_ok(uint64_t offset, size_t len)
{
	const uint64_t max = INT64_MAX;

	return len <= max && (offset >> 12) <= ((max - len) >> 12);
}

/* All of mmap's checks, in Linux's order; changes nothing. */
static int mmap_decode(const struct vm_space *s, struct mmap_req *rq)
{
	int r;

	if (rq->offset & VM_PAGE_MASK)
		return -EINVAL;
	if (rq->flags & VM_MAP_ANONYMOUS)
		rq->file = NULL;
	else if (!rq->file || !rq->file->ops)
		return -EBADF;
	if (rq->flags & VM_MAP_FIXED_NOREPLACE)
		rq->flags |= VM_MAP_FIXED;
	if (!rq->len)
		return -EINVAL;
	if (!(rq->flags & VM_MAP_FIXED)) {
		rq->addr = vm_page_down(rq->addr);
		if (rq->addr && rq->addr < s->limits.min_addr)
			rq->addr = s->limits.min_addr;
	}
	if (!vm_round_len(rq->len, &rq->len) || !rq->len)
		return -ENOMEM;
	if (rq->flags & VM_MAP_HUGETLB)
		return -ENOMEM;
	if (rq->file && !file_range_ok(rq->offset, rq->len))
		return -EOVERFLOW;
	r = mmap_address(s, rq);
	if (r)
		return r;
	rq->prot &= VM_PROT_RWX;
	if (rq->file)
		return mmap_type_file(rq, rq->flags & VM_MAP_TYPE);
	return mmap_type_anon(rq, rq->flags & VM_MAP_TYPE);
}

/* The new area as it will be, to test merging (takes no file reference). */
static void mmap_template(const struct mmap_req *rq, struct vma *t)
{
	*t = (struct vma){
		.start = rq->addr, .end = rq->addr + rq->len, .prot = rq->prot,
		.max_prot = rq->max_prot, .flags = rq->vma_flags,
	};
	if (rq->file) {
		t->file = *rq->file;
		t->offset = rq->offset;
	}
}

/* Whether what stays of the area below t (once t's range is cleared) merges with t. */
static bool joins_below(const struct vm_space *s, const struct vma *t)
{
	const struct vma *p = t->start ? vm_find(s, t->start - 1) : NULL;
	struct vma lo;

	if (!p)
		return false;
	lo = *p;
	lo.end = t->start;
	return vma_mergeable(&lo, t);
}

/* Whether what stays of the area above t merges with t. */
static bool joins_above(const struct vm_space *s, const struct vma *t)
{
	const struct vma *n = vm_find(s, t->end);
	struct vma hi;

	if (!n)
		return false;
	hi = *n;
	hi.offset += n->file.ops ? t->end - n->start : 0;
	hi.start = t->end;
	return vma_mergeable(t, &hi);
}

/* Puts the area t into the cleared range: by extending a neighbour, or as a new area. */
static void mmap_insert(struct vm_space *s, const struct vma *t, const struct vm_file *file,
			bool below, bool above, struct vm_spare *sp)
{
	struct vma *v;

	if (below) {
		v = vm_find(s, t->start - 1);
		v->end = t->end;
		vma_merge_around(s, v);
	} else if (above) {
		v = vm_find(s, t->end);
		v->start = t->start;
		v->offset = t->offset;
	} else {
		v = vm_spare_take(sp);
		*v = *t;
		vma_set_backing(v, file, t->offset);
		vma_link(s, v);
		vma_merge_around(s, v);
	}
}

/*
 * Clears the range (MAP_FIXED) and puts the new area in. A new area that
 * extends a neighbour costs no struct vma, so growing the heap or a run
 * of mappings never allocates (and cannot fail for want of memory).
 */
static int mmap_commit(struct vm_space *s, const struct mmap_req *rq)
{
	uintptr_t cuts[2] = { rq->addr, rq->addr + rq->len };
	struct vm_spare sp;
	bool below, above;
	unsigned need;
	struct vma t;

	mmap_template(rq, &t);
	below = joins_below(s, &t);
	above = !below && joins_above(s, &t);
	need = ((rq->flags & VM_MAP_FIXED) ? vma_cuts_needed(s, cuts, 2) : 0) + !(below || above);
	if (!vm_may_add(s, need) || vm_spare_fill(s, &sp, need))
		return -ENOMEM;
	vma_unmap_range(s, t.start, t.end, &sp);
	mmap_insert(s, &t, rq->file, below, above, &sp);
	vm_spare_drain(s, &sp);
	return 0;
}

int vm_mmap(struct vm_space *s, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
	    const struct vm_file *file, uint64_t offset, uintptr_t *result)
{
	struct mmap_req rq = {
		.addr = addr, .len = len, .flags = flags, .prot = prot,
		.file = file, .offset = offset,
	};
	int r = mmap_decode(s, &rq);

	if (!r)
		r = mmap_commit(s, &rq);
	if (r)
		return r;
	if ((flags & (VM_MAP_POPULATE | VM_MAP_LOCKED)) && !(flags & VM_MAP_NONBLOCK))
		vm_populate(s, rq.addr, rq.addr + rq.len);	/* best effort, as Linux */
	*result = rq.addr;
	return 0;
}

int vm_munmap(struct vm_space *s, uintptr_t addr, size_t len)
{
	uintptr_t end, cuts[2];
	struct vma *v;
	struct vm_spare sp;

	if (!vm_aligned(addr) || addr > s->limits.end || len > s->limits.end - addr)
		return -EINVAL;
	if (!vm_round_len(len, &len) || !len)
		return -EINVAL;
	end = addr + len;
	cuts[0] = addr;
	cuts[1] = end;
	v = vm_find(s, addr);
	/* Only a hole punched inside one area adds an area (Linux's rule). */
	if (v && v->start < addr && end < v->end && !vm_may_add(s, 1))
		return -ENOMEM;
	if (vm_spare_fill(s, &sp, vma_cuts_needed(s, cuts, 2)))
		return -ENOMEM;
	vma_unmap_range(s, addr, end, &sp);
	vm_spare_drain(s, &sp);
	return 0;
}

/* mprotect's range [*start, end) after PROT_GROWSDOWN; its first area. */
static int mprotect_first(const struct vm_space *s, uintptr_t *start, uintptr_t end,
			  unsigned grows, struct vma **first)
{
	struct vma *v = vm_find_next(s, *start);

	if (!v)
		return -ENOMEM;
	if (grows & VM_PROT_GROWSDOWN) {
		if (v->start >= end)
			return -ENOMEM;
		*start = v->start;
		if (!(v->flags & VMA_GROWSDOWN))
			return -EINVAL;
	} else if (v->start > *start) {
		return -ENOMEM;
	} else if (grows & VM_PROT_GROWSUP) {
		return -EINVAL;		/* no area grows up on x86-64 */
	}
	*first = v;
	return 0;
}

/* Holes and max_prot over [v->start, end), in address order, as Linux reports them. */
static int mprotect_walk(struct vma *v, uintptr_t end, unsigned prot)
{
	uintptr_t at = v->start;

	for (; v && v->start < end; v = vm_next(v)) {
		if (v->start != at)
			return -ENOMEM;
		if (prot & ~v->max_prot)
			return -EACCES;
		at = v->end;
	}
	return at < end ? -ENOMEM : 0;
}

/* Whether the edge at `at` needs a split: inside an area whose protection changes. */
static bool mprotect_cut(const struct vm_space *s, uintptr_t at, unsigned prot)
{
	const struct vma *v = vm_find(s, at);

	return v && v->start < at && v->prot != prot;
}

static int mprotect_commit(struct vm_space *s, uintptr_t start, uintptr_t end, unsigned prot)
{
	unsigned need = mprotect_cut(s, start, prot) + mprotect_cut(s, end, prot);
	struct vm_spare sp;

	if (!vm_may_add(s, need) || vm_spare_fill(s, &sp, need))
		return -ENOMEM;
	if (mprotect_cut(s, start, prot))
		vma_split_at(s, start, &sp);
	if (mprotect_cut(s, end, prot))
		vma_split_at(s, end, &sp);
	for (struct vma *v = vm_find_next(s, start); v && v->start < end; v = vm_next(v)) {
		if (v->prot == prot)
			continue;
		v->prot = prot;
		s->backend->protect(s->ctx, v->start, v->end, prot);
	}
	vma_merge_range(s, start, end);
	vm_spare_drain(s, &sp);
	return 0;
}

int vm_mprotect(struct vm_space *s, uintptr_t addr, size_t len, unsigned prot)
{
	unsigned grows = prot & (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP);
	uintptr_t end;
	struct vma *first;
	int r;

	prot &= ~grows;
	if (grows == (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP) || !vm_aligned(addr))
		return -EINVAL;
	if (!len)
		return 0;
	if (!vm_round_len(len, &len) || !len || addr + len <= addr)
		return -ENOMEM;
	end = addr + len;
	if (prot & ~(VM_PROT_RWX | VM_PROT_SEM))
		return -EINVAL;
	prot &= VM_PROT_RWX;
	r = mprotect_first(s, &addr, end, grows, &first);
	if (!r)
		r = mprotect_walk(first, end, prot);
	if (!r)
		r = mprotect_commit(s, addr, end, prot);
	return r;
}

void vm_brk_init(struct vm_space *s, uintptr_t start)
{
	s->brk_start = s->brk = start;
}

/* Grows the heap's pages from old_top to new_top; 0 or an error. */
static int brk_grow(struct vm_space *s, uintptr_t old_top, uintptr_t new_top)
{
	const struct vma *next = vm_find_next(s, old_top);
	uintptr_t addr;

	if (new_top > s->limits.end)
		return -ENOMEM;
	/* Linux keeps a page free between the heap and the next mapping. */
	if (next && new_top + VM_PAGE_SIZE > vma_start_gap(s, next))
		return -ENOMEM;
	return vm_mmap(s, old_top, new_top - old_top, VM_PROT_READ | VM_PROT_WRITE,
		       VM_MAP_PRIVATE | VM_MAP_ANONYMOUS | VM_MAP_FIXED, NULL, 0, &addr);
}

uintptr_t vm_brk(struct vm_space *s, uintptr_t want)
{
	uintptr_t old_top = s->brk + VM_PAGE_MASK, new_top = want + VM_PAGE_MASK;
	int r = 0;

	if (want < s->brk_start || new_top < want)
		return s->brk;
	old_top = vm_page_down(old_top);
	new_top = vm_page_down(new_top);
	if (new_top < old_top)
		r = vm_munmap(s, new_top, old_top - new_top);
	else if (new_top > old_top)
		r = brk_grow(s, old_top, new_top);
	if (!r)
		s->brk = want;
	return s->brk;
}
