/*
 * mm/vma_fault.c: the page-fault decision, population, and madvise.
 *
 * A fault is decided from the tree alone: no area -> -EFAULT, an area that
 * forbids the access -> -EACCES, otherwise the page is populated and the
 * access retried. What is already mapped is asked of the backend (query)
 * rather than trusted from the hardware's error code, which makes the
 * decision idempotent: a second CPU faulting on a page the first one just
 * filled finds it present and returns 0, and a write to a page mapped
 * copy-on-write (VM_PTE_COW) gets its private copy exactly once.
 *
 * Where pages come from:
 *   anonymous            a zeroed frame from the backend;
 *   shared file          the file's own page (writes reach the file);
 *   private file, read   the file's own page, mapped with VM_PTE_COW so
 *                        it can never become writable;
 *   private file, write  a private copy from the file hook, replacing the
 *                        COW translation if there was one.
 * So a read-only private mapping of an executable costs no copy at all.
 *
 * Growsdown areas (stacks) grow on a fault below them, by whole pages, as
 * Linux's: within stack_max of the area's end and never closer than
 * guard_gap above the previous accessible area. Unlike Linux, the
 * permission is checked before the area grows, so a refused access leaves
 * the area as it was.
 *
 * madvise lives here because what it does is drop or populate pages.
 */
#include "vma_internal.h"

bool vm_access_allowed(unsigned prot, unsigned access)
{
	if (access & VM_PROT_WRITE)
		return prot & VM_PROT_WRITE;
	if (access & VM_PROT_EXEC)
		return prot & VM_PROT_EXEC;
	return prot & VM_PROT_RWX;
}

/* What a translation with this backend prot lets the hardware do: a COW
 * one is read-only, and still readable if it was write-only. */
static unsigned effective(unsigned pte)
{
	if (!(pte & VM_PTE_COW) || !(pte & VM_PROT_WRITE))
		return pte;
	return (pte & ~VM_PROT_WRITE) | VM_PROT_READ;
}

/* Maps frame at va, or drops the frame if that fails. */
static int map_or_drop(struct vm_space *s, uintptr_t va, vm_frame_t frame, unsigned prot)
{
	int r = s->backend->map(s->ctx, va, frame, prot);

	if (r)
		s->backend->frame_free(s->ctx, frame);
	return r ? -ENOMEM : 0;
}

/* A file hook's error as vm_fault reports it. */
static int file_error(int r)
{
	return r == -ENOMEM ? -ENOMEM : -EIO;
}

static int file_page(struct vm_space *s, struct vma *v, uintptr_t va, bool copy,
		     unsigned prot)
{
	uint64_t off = v->offset + (va - v->start);
	vm_frame_t frame;
	int r = v->file.ops->fault(v->file.obj, off, copy, &frame);

	if (r)
		return file_error(r);
	return map_or_drop(s, va, frame, prot);
}

/* Fills the empty page at va. */
static int fill_page(struct vm_space *s, struct vma *v, uintptr_t va, unsigned access)
{
	vm_frame_t frame;
	bool private_copy;

	if (!v->file.ops) {
		if (s->backend->frame_alloc(s->ctx, &frame))
			return -ENOMEM;
		return map_or_drop(s, va, frame, v->prot);
	}
	if (v->flags & VMA_SHARED)
		return file_page(s, v, va, false, v->prot);
	private_copy = access & VM_PROT_WRITE;
	return file_page(s, v, va, private_copy, private_copy ? v->prot : v->prot | VM_PTE_COW);
}

int vma_fault_page(struct vm_space *s, struct vma *v, uintptr_t va, unsigned access)
{
	unsigned pte;

	if (!s->backend->query(s->ctx, va, &pte))
		return fill_page(s, v, va, access);
	if ((access & VM_PROT_WRITE) && (pte & VM_PTE_COW))
		return file_page(s, v, va, true, v->prot);
	if (!vm_access_allowed(effective(pte), access))	/* stale: bring it in line */
		s->backend->protect(s->ctx, va, va + VM_PAGE_SIZE, v->prot);
	return 0;
}

/* Whether v may grow down to page; Linux's expand_downwards rules. */
static bool may_grow(const struct vm_space *s, const struct vma *v, uintptr_t page)
{
	const struct vma *prev = vm_prev(v);

	if (!(v->flags & VMA_GROWSDOWN) || page < s->limits.min_addr)
		return false;
	if (v->end - page > s->limits.stack_max)
		return false;
	return !prev || (prev->flags & VMA_GROWSDOWN) || !(prev->prot & VM_PROT_RWX) ||
	       page - prev->end >= s->limits.guard_gap;
}

int vm_fault(struct vm_space *s, uintptr_t addr, unsigned access)
{
	uintptr_t page = vm_page_down(addr);
	struct vma *v = vm_find_next(s, addr);

	if (!v || (addr < v->start && !may_grow(s, v, page)))
		return -EFAULT;
	if (!vm_access_allowed(v->prot, access))
		return -EACCES;
	if (page < v->start) {
		v->start = page;
		v = vma_merge_around(s, v);
	}
	return vma_fault_page(s, v, page, access);
}

/* Faults in v's pages within [start, end) for access. */
static int populate_area(struct vm_space *s, struct vma *v, uintptr_t start, uintptr_t end,
			 unsigned access)
{
	for (uintptr_t va = vm_max(start, v->start); va < vm_min(end, v->end);
	     va += VM_PAGE_SIZE) {
		int r = vma_fault_page(s, v, va, access);

		if (r)
			return r;
	}
	return 0;
}

int vm_populate(struct vm_space *s, uintptr_t start, uintptr_t end)
{
	for (struct vma *v = vm_find_next(s, start); v && v->start < end; v = vm_next(v)) {
		/* Private writable memory is populated for writing (Linux breaks COW). */
		bool write = (v->prot & VM_PROT_WRITE) && !(v->flags & VMA_SHARED);
		int r;

		if (!(v->prot & VM_PROT_RWX))
			continue;
		r = populate_area(s, v, start, end, write ? VM_PROT_WRITE : VM_PROT_READ);
		if (r)
			return r;
	}
	return 0;
}

/* MADV_POPULATE_READ/WRITE: a hole is ENOMEM, an area without PROT_READ
 * (resp. PROT_WRITE) EINVAL, as Linux's get_user_pages sees it, even where
 * the hardware would allow the access; a page that cannot be had EFAULT
 * (it would SIGBUS). */
static int madvise_populate(struct vm_space *s, uintptr_t start, uintptr_t end,
			    unsigned access)
{
	uintptr_t at = start;

	for (struct vma *v = vm_find_next(s, start); at < end; v = vm_next(v)) {
		int r;

		if (!v || v->start > at)
			return -ENOMEM;
		if (!(v->prot & access))
			return -EINVAL;
		r = populate_area(s, v, start, end, access);
		if (r)
			return r == -ENOMEM ? -ENOMEM : -EFAULT;
		at = v->end;
	}
	return 0;
}

/* One advice on the part [lo, hi) of area v. */
static int advise_area(struct vm_space *s, struct vma *v, uintptr_t lo, uintptr_t hi,
		       int advice)
{
	bool anon = !v->file.ops, shared = v->flags & VMA_SHARED;

	switch (advice) {
	case VM_MADV_FREE:
		if (!anon || shared)
			return -EINVAL;
		break;
	case VM_MADV_REMOVE:
		if (anon && !shared)
			return -EINVAL;
		if (!anon && !(shared && (v->max_prot & VM_PROT_WRITE)))
			return -EACCES;
		if (!anon)
			return -EOPNOTSUPP;	/* punching a file is the VFS's, not yet */
		break;
	case VM_MADV_DONTNEED:
	case VM_MADV_DONTNEED_LOCKED:
		if (anon && shared)
			return 0;	/* shared memory keeps its data, as Linux's shmem */
		break;
	default:
		return 0;		/* a hint */
	}
	s->backend->unmap(s->ctx, lo, hi);
	return 0;
}

static bool advice_known(int advice)
{
	return (advice >= VM_MADV_NORMAL && advice <= VM_MADV_DONTNEED) ||
	       (advice >= VM_MADV_FREE && advice <= VM_MADV_COLLAPSE);
}

int vm_madvise(struct vm_space *s, uintptr_t addr, size_t len, int advice)
{
	uintptr_t end, at = addr;
	bool hole = false;

	if (!advice_known(advice) || !vm_aligned(addr))
		return -EINVAL;
	if (!vm_round_len(len, &len) || addr + len < addr)
		return -EINVAL;
	end = addr + len;
	if (end == addr)
		return 0;
	if (advice == VM_MADV_POPULATE_READ || advice == VM_MADV_POPULATE_WRITE)
		return madvise_populate(s, addr, end, advice == VM_MADV_POPULATE_WRITE ?
					VM_PROT_WRITE : VM_PROT_READ);
	for (struct vma *v = vm_find_next(s, addr); v && v->start < end; v = vm_next(v)) {
		int r = advise_area(s, v, vm_max(v->start, addr), vm_min(v->end, end), advice);

		if (r)
			return r;
		hole |= v->start > at;
		at = v->end;
	}
	return hole || at < end ? -ENOMEM : 0;
}
