/*
 * tests/unit/vm/fake.c: the fake backend, fake files and the fake MMU
 * (see fake.h). Contract violations are recorded in fk->error (first one
 * wins) rather than aborting, so a test reports them as a FAIL line.
 */
#include "fake.h"

#include <lib/errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_pte {
	struct rb_node node;
	uintptr_t va;
	vm_frame_t frame;
	unsigned prot;
};

static void violation(struct fake *fk, const char *what)
{
	if (!fk->error)
		fk->error = what;
}

/* Whether this call of a fallible operation is the one to fail. */
static bool should_fail(struct fake_fail *f)
{
	return f->at && ++f->calls == f->at;
}

void fake_fail_nth(struct fake_fail *f, long n)
{
	f->calls = 0;
	f->at = n;
}

/* Frames: address (index + 1) * P, so that 0 is never a frame. */
static struct fake_frame *frame_of(const struct fake *fk, vm_frame_t frame)
{
	size_t i = frame / P - 1;

	if (frame % P || frame < P || i >= fk->nr_frames || !fk->frames[i].refs)
		return NULL;
	return &fk->frames[i];
}

static vm_frame_t frame_new(struct fake *fk, uint64_t tag)
{
	size_t i;

	for (i = 0; i < fk->nr_frames && fk->frames[i].refs; i++)
		;
	if (i == fk->nr_frames) {
		if (fk->nr_frames == fk->cap_frames) {
			fk->cap_frames = fk->cap_frames ? 2 * fk->cap_frames : 64;
			fk->frames = realloc(fk->frames, fk->cap_frames * sizeof(*fk->frames));
		}
		fk->nr_frames++;
	}
	fk->frames[i] = (struct fake_frame){ .refs = 1, .tag = tag };
	fk->used_frames++;
	return (i + 1) * P;
}

static void frame_put(struct fake *fk, vm_frame_t frame)
{
	struct fake_frame *f = frame_of(fk, frame);

	if (!f) {
		violation(fk, "reference dropped on a free or bogus frame");
		return;
	}
	if (!--f->refs)
		fk->used_frames--;
}

uint64_t fake_frame_tag(const struct fake *fk, vm_frame_t frame)
{
	const struct fake_frame *f = frame_of(fk, frame);

	return f ? f->tag : ~0ull;
}

int fake_frame_refs(const struct fake *fk, vm_frame_t frame)
{
	const struct fake_frame *f = frame_of(fk, frame);

	return f ? f->refs : 0;
}

/* Translations. */
static int cmp_va(const void *key, const struct rb_node *node)
{
	uintptr_t va = *(const uintptr_t *)key;
	const struct fake_pte *p = rb_entry(node, struct fake_pte, node);

	return va < p->va ? -1 : va > p->va;
}

static struct fake_pte *pte_find(const struct fake *fk, uintptr_t va)
{
	return rb_entry_or_null(rb_find(&fk->ptes, &va, cmp_va), struct fake_pte, node);
}

static struct fake_pte *pte_from(const struct fake *fk, uintptr_t va)
{
	return rb_entry_or_null(rb_lower_bound(&fk->ptes, &va, cmp_va), struct fake_pte, node);
}

static void pte_insert(struct fake *fk, struct fake_pte *p)
{
	if (rb_insert(&fk->ptes, &p->node, &p->va, cmp_va))
		violation(fk, "translation inserted twice");
	fk->nr_ptes++;
}

static void pte_drop(struct fake *fk, struct fake_pte *p)
{
	rb_erase(&fk->ptes, &p->node);
	fk->nr_ptes--;
	frame_put(fk, p->frame);
	free(p);
}

static int b_map(void *ctx, uintptr_t va, vm_frame_t frame, unsigned prot)
{
	struct fake *fk = ctx;
	struct fake_pte *p;

	if (should_fail(&fk->map))
		return -ENOMEM;
	if (va % P || !frame_of(fk, frame))
		violation(fk, "map of an unaligned address or a free frame");
	p = pte_find(fk, va);
	if (p) {
		frame_put(fk, p->frame);
	} else {
		p = calloc(1, sizeof(*p));
		p->va = va;
		pte_insert(fk, p);
	}
	p->frame = frame;
	p->prot = prot;
	return 0;
}

static void b_unmap(void *ctx, uintptr_t start, uintptr_t end)
{
	struct fake *fk = ctx;
	struct fake_pte *p;

	if (start % P || end % P || start >= end)
		violation(fk, "unmap of an empty or unaligned range");
	while ((p = pte_from(fk, start)) && p->va < end)
		pte_drop(fk, p);
}

static void b_protect(void *ctx, uintptr_t start, uintptr_t end, unsigned prot)
{
	struct fake *fk = ctx;

	if (start % P || end % P || start >= end)
		violation(fk, "protect of an empty or unaligned range");
	for (struct fake_pte *p = pte_from(fk, start); p && p->va < end;
	     p = rb_entry_or_null(rb_next(&p->node), struct fake_pte, node))
		p->prot = prot | (p->prot & VM_PTE_COW);
}

static int b_reserve(void *ctx, uintptr_t start, uintptr_t end)
{
	struct fake *fk = ctx;

	if (should_fail(&fk->reserve))
		return -ENOMEM;
	fk->res_lo = start;
	fk->res_hi = end;
	return 0;
}

static void b_move(void *ctx, uintptr_t from, uintptr_t to, size_t len)
{
	struct fake *fk = ctx;
	struct fake_pte *p, **moving = calloc(len / P + 1, sizeof(*moving));
	size_t n = 0;

	if (to < fk->res_lo || to + len > fk->res_hi)
		violation(fk, "move into a range that was not reserved");
	if ((p = pte_from(fk, to)) && p->va < to + len)
		violation(fk, "move into a range that has translations");
	fk->res_lo = fk->res_hi = 0;
	/* Detach them all first (the ranges do not overlap), then re-insert. */
	while ((p = pte_from(fk, from)) && p->va < from + len) {
		rb_erase(&fk->ptes, &p->node);
		p->va = p->va - from + to;
		moving[n++] = p;
	}
	while (n--)
		rb_insert(&fk->ptes, &moving[n]->node, &moving[n]->va, cmp_va);
	free(moving);
}

static bool b_query(void *ctx, uintptr_t va, unsigned *prot)
{
	struct fake_pte *p = pte_find(ctx, va);

	if (p)
		*prot = p->prot;
	return p != NULL;
}

static int b_frame_alloc(void *ctx, vm_frame_t *frame)
{
	struct fake *fk = ctx;

	if (should_fail(&fk->frame) || fk->used_frames >= fk->max_frames)
		return -ENOMEM;
	*frame = frame_new(fk, 0);
	return 0;
}

static void b_frame_free(void *ctx, vm_frame_t frame)
{
	frame_put(ctx, frame);
}

static void *b_alloc(void *ctx, size_t size)
{
	struct fake *fk = ctx;

	if (should_fail(&fk->alloc))
		return NULL;
	fk->live_vmas++;
	return malloc(size);
}

static void b_free(void *ctx, void *p)
{
	struct fake *fk = ctx;

	fk->live_vmas--;
	free(p);
}

const struct vm_backend fake_backend = {
	.map = b_map, .unmap = b_unmap, .protect = b_protect,
	.reserve = b_reserve, .move = b_move, .query = b_query,
	.frame_alloc = b_frame_alloc, .frame_free = b_frame_free,
	.alloc = b_alloc, .free = b_free,
};

void fake_init(struct fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->max_frames = SIZE_MAX;
}

void fake_fini(struct fake *fk)
{
	struct fake_pte *p;

	while ((p = pte_from(fk, 0)))
		pte_drop(fk, p);
	free(fk->frames);
	fk->frames = NULL;
}

void fake_space(struct vm_space *s, struct fake *fk, uintptr_t min, uintptr_t end,
		uintptr_t mmap_base)
{
	struct vm_limits l;

	vm_limits_default(&l);
	l.min_addr = min;
	l.end = end;
	l.mmap_base = mmap_base;
	vm_space_init(s, &fake_backend, fk, &l);
}

bool fake_query(const struct fake *fk, uintptr_t va, vm_frame_t *frame, unsigned *prot)
{
	struct fake_pte *p = pte_find(fk, va & ~(P - 1));

	if (!p)
		return false;
	*frame = p->frame;
	*prot = p->prot;
	return true;
}

bool fake_peek(const struct fake *fk, uintptr_t va, uint64_t *tag)
{
	vm_frame_t frame;
	unsigned prot;

	if (!fake_query(fk, va, &frame, &prot))
		return false;
	*tag = fake_frame_tag(fk, frame);
	return true;
}

/* What the hardware lets a translation do (COW: never write). */
static bool mmu_allows(unsigned prot, unsigned access)
{
	if ((prot & VM_PTE_COW) && (prot & VM_PROT_WRITE))	/* x86: present is readable */
		prot = (prot & ~VM_PROT_WRITE) | VM_PROT_READ;
	if (access == VM_PROT_WRITE)
		return prot & VM_PROT_WRITE;
	if (access == VM_PROT_EXEC)
		return prot & VM_PROT_EXEC;
	return prot & VM_PROT_RWX;
}

/* The fake MMU: translate, fault, retry (a correct vm needs one fault at most). */
static int user_access(struct vm_space *s, uintptr_t va, unsigned access,
		       struct fake_frame **out)
{
	struct fake *fk = s->ctx;

	for (int tries = 0; tries < 3; tries++) {
		struct fake_pte *p = pte_find(fk, va & ~(P - 1));
		int r;

		if (p && mmu_allows(p->prot, access)) {
			*out = &fk->frames[p->frame / P - 1];
			return 0;
		}
		r = vm_fault(s, va, access);
		if (r)
			return r;
	}
	violation(fk, "access still faults after vm_fault returned 0");
	return -1000;
}

int user_read(struct vm_space *s, uintptr_t va, uint64_t *tag)
{
	struct fake_frame *f;
	int r = user_access(s, va, VM_PROT_READ, &f);

	if (!r)
		*tag = f->tag;
	return r;
}

int user_write(struct vm_space *s, uintptr_t va, uint64_t tag)
{
	struct fake_frame *f;
	int r = user_access(s, va, VM_PROT_WRITE, &f);

	if (!r)
		f->tag = tag;
	return r;
}

int user_exec(struct vm_space *s, uintptr_t va)
{
	struct fake_frame *f;

	return user_access(s, va, VM_PROT_EXEC, &f);
}

/* fake_check: translations against areas. */
static const char *check_ptes(const struct fake *fk, const struct vm_space *s)
{
	for (struct rb_node *n = rb_first(&fk->ptes); n; n = rb_next(n)) {
		const struct fake_pte *p = rb_entry(n, struct fake_pte, node);
		const struct vma *v = vm_find(s, p->va);

		if (!v)
			return "a translation outside every area";
		if ((p->prot & VM_PROT_RWX) != v->prot)
			return "a translation whose protection differs from its area";
		if ((p->prot & VM_PTE_COW) && (!v->file.ops || (v->flags & VMA_SHARED)))
			return "a COW translation outside a private file area";
		if (!frame_of(fk, p->frame))
			return "a translation to a free frame";
	}
	return NULL;
}

/* fake_check: every used frame is held exactly by its translations and files. */
static const char *check_frames(const struct fake *fk)
{
	int *refs = calloc(fk->nr_frames + 1, sizeof(int));
	const char *why = NULL;

	for (struct rb_node *n = rb_first(&fk->ptes); n; n = rb_next(n))
		refs[rb_entry(n, struct fake_pte, node)->frame / P - 1]++;
	for (int i = 0; i < fk->nr_files; i++)
		for (size_t pg = 0; pg < fk->files[i]->npages; pg++)
			refs[fk->files[i]->cache[pg] / P - 1]++;
	for (size_t i = 0; i < fk->nr_frames && !why; i++)
		if (refs[i] != fk->frames[i].refs)
			why = refs[i] > fk->frames[i].refs ? "a frame with too few references"
							   : "a frame leaked (too many references)";
	free(refs);
	return why;
}

/* fake_check: each file is referenced once per area mapping it. */
static const char *check_files(const struct fake *fk, const struct vm_space *s)
{
	for (int i = 0; i < fk->nr_files; i++) {
		int areas = 0;

		for (struct rb_node *n = rb_first(&s->vmas); n; n = rb_next(n))
			areas += rb_entry(n, struct vma, node)->file.obj == fk->files[i];
		if (areas != fk->files[i]->refs)
			return "a file's reference count differs from its areas";
	}
	return NULL;
}

const char *fake_check(const struct fake *fk, const struct vm_space *s)
{
	const char *why = fk->error;

	if (!why)
		why = check_files(fk, s);

	if (!why)
		why = check_ptes(fk, s);
	if (!why)
		why = check_frames(fk);
	if (!why && fk->live_vmas != (long)s->nr_vmas)
		why = "struct vma leaked or freed twice";
	return why;
}

/* A growing string for fake_snapshot. */
struct sbuf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *fake_snapshot(const struct fake *fk, const struct vm_space *s)
{
	struct sbuf b = { 0 };

	sb_printf(&b, "areas %zu brk %#lx-%#lx\n", s->nr_vmas, (unsigned long)s->brk_start,
		  (unsigned long)s->brk);
	for (struct rb_node *n = rb_first(&s->vmas); n; n = rb_next(n)) {
		const struct vma *v = rb_entry(n, struct vma, node);

		sb_printf(&b, "%#lx-%#lx prot %x max %x flags %x file %p off %#llx\n",
			  (unsigned long)v->start, (unsigned long)v->end, v->prot, v->max_prot,
			  v->flags, v->file.obj, (unsigned long long)v->offset);
	}
	for (struct rb_node *n = rb_first(&fk->ptes); n; n = rb_next(n)) {
		const struct fake_pte *p = rb_entry(n, struct fake_pte, node);

		sb_printf(&b, "pte %#lx -> %#llx prot %x tag %#llx refs %d\n", (unsigned long)p->va,
			  (unsigned long long)p->frame, p->prot,
			  (unsigned long long)fake_frame_tag(fk, p->frame),
			  fake_frame_refs(fk, p->frame));
	}
	sb_printf(&b, "frames used %zu\n", fk->used_frames);
	return b.p;
}

/* Files. */
static int f_fault(void *obj, uint64_t offset, bool copy, vm_frame_t *frame)
{
	struct fake_file *f = obj;
	size_t page = offset / P;

	if (offset % P)
		violation(f->fk, "file fault at an unaligned offset");
	if (page >= f->npages)
		return -EIO;
	if (copy) {
		if (should_fail(&f->fk->frame) || f->fk->used_frames >= f->fk->max_frames)
			return -ENOMEM;
		*frame = frame_new(f->fk, fake_frame_tag(f->fk, f->cache[page]));
	} else {
		f->fk->frames[f->cache[page] / P - 1].refs++;
		*frame = f->cache[page];
	}
	return 0;
}

static void f_ref(void *obj)
{
	((struct fake_file *)obj)->refs++;
}

static void f_unref(void *obj)
{
	struct fake_file *f = obj;

	if (--f->refs < 0)
		violation(f->fk, "file reference dropped twice");
}

static void f_describe(void *obj, struct vm_file_info *info)
{
	struct fake_file *f = obj;

	info->dev_major = 0xfe;
	info->dev_minor = 1;
	info->ino = 1000 + (uint64_t)f->id;
	info->path = f->path;
}

const struct vm_file_ops fake_file_ops = {
	.fault = f_fault, .ref = f_ref, .unref = f_unref, .describe = f_describe,
};

struct fake_file *fake_file_new(struct fake *fk, int id, size_t npages, unsigned max_prot,
				const char *path)
{
	struct fake_file *f = calloc(1, sizeof(*f));

	f->fk = fk;
	f->id = id;
	f->npages = npages;
	f->path = path;
	f->cache = calloc(npages, sizeof(vm_frame_t));
	for (size_t i = 0; i < npages; i++)
		f->cache[i] = frame_new(fk, file_page_tag(id, i));
	f->vf = (struct vm_file){ .ops = &fake_file_ops, .obj = f, .max_prot = max_prot };
	fk->files[fk->nr_files++] = f;
	return f;
}

void fake_file_free(struct fake_file *f)
{
	struct fake *fk = f->fk;

	for (size_t i = 0; i < f->npages; i++)
		frame_put(fk, f->cache[i]);
	for (int i = 0; i < fk->nr_files; i++)
		if (fk->files[i] == f)
			fk->files[i] = fk->files[--fk->nr_files];
	free(f->cache);
	free(f);
}

uint64_t fake_file_tag(const struct fake_file *f, size_t page)
{
	return fake_frame_tag(f->fk, f->cache[page]);
}
