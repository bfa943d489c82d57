/*
 * mm/vma.c: the address-space tree and the primitives every operation is
 * built from (the contract is include/mote/vm.h; docs/vm.md has the map).
 *
 * The tree. Areas are disjoint, so one comparison serves both lookup and
 * insertion: an address against an area is "before", "inside" or "after".
 * vm_find is an exact match, vm_find_next a lower bound (the first area
 * ending above the address), and everything else walks with vm_next and
 * vm_prev from there. No augmented data (such as the largest gap in a
 * subtree): placement walks gaps linearly, which is cheap for the few
 * hundred areas a single application has; docs/vm.md says when to add it.
 *
 * Canonical form. After every operation no two touching areas are
 * mergeable (vma_mergeable: same protection, limits, flags and backing,
 * with contiguous file offsets). Operations split freely at the edges of
 * the range they change and then call vma_merge_range over that range, so
 * the result does not depend on the history. The host tests compare the
 * tree with a page-by-page model and check exactly this.
 *
 * Failure atomicity. Every public operation has two halves:
 *
 *   1. decode: validate against the unchanged tree, compute how many new
 *      struct vma the change can need (vma_cuts_needed: one per range edge
 *      falling strictly inside an area, plus new areas), check max_vmas,
 *      allocate them into a `struct vm_spare`, and (mremap) reserve page
 *      tables through the backend. Any failure here returns with nothing
 *      changed.
 *   2. invoke: split, remove, link and merge, taking memory only from the
 *      spare pool, and call only backend operations that cannot fail
 *      (unmap, protect, move). Unused spares are freed at the end.
 *
 * Removing an area and merging two free their struct vma at once, which
 * cannot fail. The split keeps the lower part in the original struct, so a
 * pointer to the area containing a lower address stays valid across it.
 */
#include "vma_internal.h"

void vm_limits_default(struct vm_limits *l)
{
	l->min_addr = 0x10000;
	l->end = 0x7ffffffff000UL;
	l->mmap_base = l->end - (1UL << 30);
	l->guard_gap = 256 * VM_PAGE_SIZE;
	l->stack_max = 8UL << 20;
	l->max_vmas = 65530;
}

void vm_space_init(struct vm_space *s, const struct vm_backend *backend, void *ctx,
		   const struct vm_limits *limits)
{
	rb_init(&s->vmas);
	s->nr_vmas = 0;
	s->limits = *limits;
	s->backend = backend;
	s->ctx = ctx;
	s->brk_start = s->brk = 0;
	s->stack_start = 0;
}

void vm_space_destroy(struct vm_space *s)
{
	struct vma *v;

	while ((v = rb_entry_or_null(rb_first(&s->vmas), struct vma, node))) {
		s->backend->unmap(s->ctx, v->start, v->end);
		vma_remove(s, v);
	}
}

/* Address against area: before, inside, after. */
static int cmp_addr(const void *key, const struct rb_node *node)
{
	uintptr_t addr = *(const uintptr_t *)key;
	const struct vma *v = rb_entry(node, struct vma, node);

	if (addr < v->start)
		return -1;
	return addr >= v->end;
}

struct vma *vm_find(const struct vm_space *s, uintptr_t addr)
{
	return rb_entry_or_null(rb_find(&s->vmas, &addr, cmp_addr), struct vma, node);
}

struct vma *vm_find_next(const struct vm_space *s, uintptr_t addr)
{
	return rb_entry_or_null(rb_lower_bound(&s->vmas, &addr, cmp_addr), struct vma, node);
}

struct vma *vm_next(const struct vma *v)
{
	return rb_entry_or_null(rb_next(&v->node), struct vma, node);
}

struct vma *vm_prev(const struct vma *v)
{
	return rb_entry_or_null(rb_prev(&v->node), struct vma, node);
}

void vma_link(struct vm_space *s, struct vma *v)
{
	struct rb_node *parent;
	struct rb_node **link = rb_find_link(&s->vmas, &v->start, cmp_addr, &parent);

	VM_ASSERT(!*link);
	rb_insert_at(&s->vmas, &v->node, parent, link);
	s->nr_vmas++;
}

void vma_remove(struct vm_space *s, struct vma *v)
{
	rb_erase(&s->vmas, &v->node);
	s->nr_vmas--;
	if (v->file.ops)
		v->file.ops->unref(v->file.obj);
	s->backend->free(s->ctx, v);
}

void vma_set_backing(struct vma *v, const struct vm_file *file, uint64_t offset)
{
	if (file && file->ops) {
		v->file = *file;
		v->offset = offset;
		file->ops->ref(file->obj);
	} else {
		v->file = (struct vm_file){ 0 };
		v->offset = 0;
	}
}

int vm_spare_fill(struct vm_space *s, struct vm_spare *sp, unsigned n)
{
	VM_ASSERT(n <= VM_SPARE_MAX);
	for (sp->n = 0; sp->n < n; sp->n++) {
		sp->v[sp->n] = s->backend->alloc(s->ctx, sizeof(struct vma));
		if (!sp->v[sp->n]) {
			vm_spare_drain(s, sp);
			return -ENOMEM;
		}
	}
	return 0;
}

struct vma *vm_spare_take(struct vm_spare *sp)
{
	VM_ASSERT(sp->n > 0);
	return sp->v[--sp->n];
}

void vm_spare_drain(struct vm_space *s, struct vm_spare *sp)
{
	while (sp->n)
		s->backend->free(s->ctx, sp->v[--sp->n]);
}

bool vm_may_add(const struct vm_space *s, size_t n)
{
	return s->nr_vmas + n <= s->limits.max_vmas;
}

static bool inside(const struct vma *v, uintptr_t at)
{
	return v && v->start < at && at < v->end;
}

unsigned vma_cuts_needed(const struct vm_space *s, const uintptr_t *cuts, unsigned n)
{
	unsigned needed = 0;

	for (unsigned i = 0; i < n; i++) {
		bool seen = false;

		for (unsigned j = 0; j < i; j++)
			seen |= cuts[j] == cuts[i];
		if (!seen && inside(vm_find(s, cuts[i]), cuts[i]))
			needed++;
	}
	return needed;
}

void vma_split_at(struct vm_space *s, uintptr_t at, struct vm_spare *sp)
{
	struct vma *v = vm_find(s, at);
	struct vma *hi;

	if (!inside(v, at))
		return;
	hi = vm_spare_take(sp);
	*hi = *v;
	hi->start = at;
	vma_set_backing(hi, &v->file, v->offset + (at - v->start));
	v->end = at;
	vma_link(s, hi);
}

void vma_unmap_range(struct vm_space *s, uintptr_t start, uintptr_t end,
		     struct vm_spare *sp)
{
	struct vma *v, *next;

	vma_split_at(s, start, sp);
	vma_split_at(s, end, sp);
	for (v = vm_find_next(s, start); v && v->start < end; v = next) {
		next = vm_next(v);
		s->backend->unmap(s->ctx, v->start, v->end);
		vma_remove(s, v);
	}
}

bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->max_prot != b->max_prot ||
	    a->flags != b->flags || a->file.ops != b->file.ops || a->file.obj != b->file.obj)
		return false;
	return !a->file.ops || a->offset + (a->end - a->start) == b->offset;
}

/* b, the area right after a, joins a. */
static void merge_pair(struct vm_space *s, struct vma *a, struct vma *b)
{
	a->end = b->end;
	vma_remove(s, b);
}

struct vma *vma_merge_around(struct vm_space *s, struct vma *v)
{
	struct vma *prev = vm_prev(v), *next = vm_next(v);

	if (next && vma_mergeable(v, next))
		merge_pair(s, v, next);
	if (prev && vma_mergeable(prev, v)) {
		merge_pair(s, prev, v);
		v = prev;
	}
	return v;
}

void vma_merge_range(struct vm_space *s, uintptr_t start, uintptr_t end)
{
	struct vma *v = vm_find_next(s, start ? start - 1 : 0);

	while (v && v->start <= end) {
		struct vma *next = vm_next(v);

		if (next && vma_mergeable(v, next))
			merge_pair(s, v, next);
		else
			v = next;
	}
}

bool vma_range_free(const struct vm_space *s, uintptr_t start, uintptr_t end)
{
	struct vma *v = vm_find_next(s, start);

	return !v || v->start >= end;
}

uintptr_t vma_start_gap(const struct vm_space *s, const struct vma *v)
{
	if (!(v->flags & VMA_GROWSDOWN))
		return v->start;
	return v->start > s->limits.guard_gap ? v->start - s->limits.guard_gap : 0;
}

/* vm_check helpers: in-order key order, and one area's own consistency. */
static int order_vmas(const struct rb_node *a, const struct rb_node *b)
{
	const struct vma *x = rb_entry(a, struct vma, node);
	const struct vma *y = rb_entry(b, struct vma, node);

	return x->end <= y->start ? -1 : 1;
}

static const char *check_one(const struct vm_space *s, const struct vma *v)
{
	if (v->start >= v->end || !vm_aligned(v->start) || !vm_aligned(v->end))
		return "area empty or not page-aligned";
	if (v->start < s->limits.min_addr || v->end > s->limits.end)
		return "area outside the space";
	if ((v->prot & ~VM_PROT_RWX) || (v->prot & ~v->max_prot))
		return "area protection invalid or beyond its limit";
	if (!v->file.ops && v->offset)
		return "anonymous area with a file offset";
	if ((v->flags & VMA_GROWSDOWN) && (v->file.ops || (v->flags & VMA_SHARED)))
		return "growsdown area that is shared or file-backed";
	return NULL;
}

const char *vm_check(const struct vm_space *s)
{
	const struct vma *prev = NULL;
	size_t n = 0;

	if (rb_check(&s->vmas, order_vmas) < 0)
		return "red-black tree broken or areas out of order";
	for (struct rb_node *r = rb_first(&s->vmas); r; r = rb_next(r)) {
		const struct vma *v = rb_entry(r, struct vma, node);
		const char *why = check_one(s, v);

		if (why)
			return why;
		if (prev && vma_mergeable(prev, v))
			return "two touching areas are mergeable";
		prev = v;
		n++;
	}
	if (n != s->nr_vmas)
		return "area count wrong";
	if (n > s->limits.max_vmas)
		return "more areas than max_vmas";
	return NULL;
}
