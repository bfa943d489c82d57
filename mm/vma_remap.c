/*
 * mm/vma_remap.c: mremap(2).
 *
 * Four outcomes, chosen in Linux 6.x's order:
 *   shrink    new_len <= old_len without FIXED/DONTUNMAP: the tail is
 *             unmapped (munmap semantics: it may span areas and holes);
 *   grow      the old range ends its area and the pages above are free:
 *             the area is extended (no guard gap, as Linux);
 *   move      MAYMOVE and no room, or FIXED, or DONTUNMAP: a new area
 *             with the same attributes at the new address, the pages
 *             moved by the backend (contents travel with their frames,
 *             nothing is copied), the old range unmapped unless DONTUNMAP;
 *   duplicate old_len 0 on a shared file mapping: a second mapping of the
 *             same file pages.
 *
 * A move is the one place where the backend can fail (page tables for the
 * destination), so it is reserved before anything changes; together with
 * the spare pool (mm/vma.c) that keeps mremap atomic: Linux unmaps the
 * destination of a MREMAP_FIXED before it knows whether the move will
 * work, mote does not.
 */
#include "vma_internal.h"

#define REMAP_FLAGS (VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP)

struct remap_req {
	uintptr_t old;
	size_t old_len, new_len;
	unsigned flags;
	uintptr_t new_addr;	/* FIXED: the destination; DONTUNMAP alone: a hint */
};

/* The argument checks that need no lookup, in Linux's order. */
static int remap_check_args(const struct vm_space *s, struct remap_req *rq)
{
	uintptr_t end = s->limits.end;

	if ((rq->flags & ~REMAP_FLAGS) ||
	    ((rq->flags & (VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP)) &&
	     !(rq->flags & VM_MREMAP_MAYMOVE)) || !vm_aligned(rq->old))
		return -EINVAL;
	if (!vm_round_len(rq->old_len, &rq->old_len) ||
	    !vm_round_len(rq->new_len, &rq->new_len) || !rq->new_len)
		return -EINVAL;
	if ((rq->flags & VM_MREMAP_DONTUNMAP) && rq->old_len != rq->new_len)
		return -EINVAL;
	if (rq->old_len > end || rq->old > end - rq->old_len)
		return -EINVAL;
	/* new_addr means something with FIXED, and is a hint with DONTUNMAP:
	 * either way Linux checks it (otherwise it is ignored). */
	if (!(rq->flags & (VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP)))
		return 0;
	if (!vm_aligned(rq->new_addr) || rq->new_len > end || rq->new_addr > end - rq->new_len)
		return -EINVAL;
	if (rq->old + rq->old_len > rq->new_addr && rq->new_addr + rq->new_len > rq->old)
		return -EINVAL;		/* the ranges overlap */
	if ((rq->flags & VM_MREMAP_FIXED) && rq->new_addr < s->limits.min_addr)
		return -EPERM;
	return 0;
}

/* Room for the area to grow by delta right where it is. */
static bool can_expand(const struct vm_space *s, const struct vma *v, size_t delta)
{
	return delta <= s->limits.end - v->end &&
	       vma_range_free(s, v->end, v->end + delta);
}

/* The new area: v's attributes, at [dest, dest + len), file offset of old. */
static void remap_area(struct vma *nv, const struct vma *v, uintptr_t old, uintptr_t dest,
		       size_t len)
{
	*nv = *v;
	nv->start = dest;
	nv->end = dest + len;
	vma_set_backing(nv, &v->file, v->offset + (old - v->start));
}

/* Whether a move has a shrunk-away tail to unmap. */
static bool has_tail(const struct remap_req *rq)
{
	return rq->old_len > rq->new_len;
}

/* Spares a move needs: one per edge inside an area, plus the new area. */
static unsigned move_spares(const struct vm_space *s, const struct remap_req *rq,
			    uintptr_t dest, size_t moved)
{
	uintptr_t cuts[6];
	unsigned n = 0;

	if (has_tail(rq)) {
		cuts[n++] = rq->old + rq->new_len;
		cuts[n++] = rq->old + rq->old_len;
	}
	if (moved && !(rq->flags & VM_MREMAP_DONTUNMAP)) {
		cuts[n++] = rq->old;
		cuts[n++] = rq->old + moved;
	}
	if (rq->flags & VM_MREMAP_FIXED) {
		cuts[n++] = dest;
		cuts[n++] = dest + rq->new_len;
	}
	return vma_cuts_needed(s, cuts, n) + 1;
}

/* The infallible half of a move. tmpl is a copy of the old area. */
static void move_commit(struct vm_space *s, const struct remap_req *rq, const struct vma *tmpl,
			uintptr_t dest, size_t moved, struct vm_spare *sp)
{
	struct vma *nv = vm_spare_take(sp);

	/* First, while the old area surely holds its file: the new one's reference. */
	remap_area(nv, tmpl, rq->old, dest, rq->new_len);
	if (has_tail(rq))
		vma_unmap_range(s, rq->old + rq->new_len, rq->old + rq->old_len, sp);
	if (rq->flags & VM_MREMAP_FIXED)
		vma_unmap_range(s, dest, dest + rq->new_len, sp);
	if (moved) {
		s->backend->move(s->ctx, rq->old, dest, moved);
		if (!(rq->flags & VM_MREMAP_DONTUNMAP)) {
			vma_split_at(s, rq->old, sp);
			vma_split_at(s, rq->old + moved, sp);
			vma_remove(s, vm_find(s, rq->old));	/* its pages are gone already */
		}
	}
	vma_link(s, nv);
	vma_merge_around(s, nv);
}

static int remap_move(struct vm_space *s, const struct remap_req *rq, const struct vma *v,
		      uintptr_t dest, uintptr_t *result)
{
	size_t moved = vm_min(rq->old_len, rq->new_len);
	unsigned need = move_spares(s, rq, dest, moved);
	struct vma tmpl = *v;
	struct vm_spare sp;

	if (!vm_may_add(s, need) || vm_spare_fill(s, &sp, need))
		return -ENOMEM;
	if (moved && s->backend->reserve(s->ctx, dest, dest + moved)) {
		vm_spare_drain(s, &sp);
		return -ENOMEM;
	}
	move_commit(s, rq, &tmpl, dest, moved, &sp);
	vm_spare_drain(s, &sp);
	*result = dest;
	return 0;
}

/* MREMAP_FIXED and/or MREMAP_DONTUNMAP: always a move. */
static int remap_to(struct vm_space *s, const struct remap_req *rq, const struct vma *v,
		    uintptr_t *result)
{
	uintptr_t dest = rq->new_addr;
	int r;

	if (vm_min(rq->old_len, rq->new_len) > v->end - rq->old)
		return -EFAULT;
	/* Shared anonymous memory is plain memory here: one mapping per page. */
	if ((rq->flags & VM_MREMAP_DONTUNMAP) && !v->file.ops && (v->flags & VMA_SHARED))
		return -EINVAL;
	if (!(rq->flags & VM_MREMAP_FIXED)) {
		r = vm_place(s, dest, rq->new_len, 0, &dest);
		if (r)
			return r;
	}
	return remap_move(s, rq, v, dest, result);
}

static int remap_grow(struct vm_space *s, const struct remap_req *rq, struct vma *v,
		      uintptr_t *result)
{
	size_t delta = rq->new_len - rq->old_len;
	uintptr_t dest;

	if (rq->old_len > v->end - rq->old)
		return -EFAULT;
	if (rq->old + rq->old_len == v->end && can_expand(s, v, delta)) {
		v->end += delta;
		vma_merge_around(s, v);
		*result = rq->old;
		return 0;
	}
	if (!(rq->flags & VM_MREMAP_MAYMOVE) || vm_place(s, 0, rq->new_len, 0, &dest))
		return -ENOMEM;
	return remap_move(s, rq, v, dest, result);
}

int vm_mremap(struct vm_space *s, uintptr_t old_addr, size_t old_len, size_t new_len,
	      unsigned flags, uintptr_t new_addr, uintptr_t *result)
{
	struct remap_req rq = {
		.old = old_addr, .old_len = old_len, .new_len = new_len,
		.flags = flags, .new_addr = new_addr,
	};
	struct vma *v;
	int r = remap_check_args(s, &rq);

	if (r)
		return r;
	v = vm_find(s, rq.old);
	if (!v)
		return -EFAULT;
	/* Duplicating needs a shared object behind the pages: a shared file. */
	if (!rq.old_len && (!(v->flags & VMA_SHARED) || !v->file.ops))
		return -EINVAL;
	if (flags & (VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP))
		return remap_to(s, &rq, v, result);
	if (rq.new_len <= rq.old_len) {
		if (rq.new_len < rq.old_len)
			r = vm_munmap(s, rq.old + rq.new_len, rq.old_len - rq.new_len);
		*result = rq.old;
		return r;
	}
	return remap_grow(s, &rq, v, result);
}
