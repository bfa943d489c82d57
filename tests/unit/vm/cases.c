/*
 * tests/unit/vm/cases.c: targeted cases for mote/vm.
 *
 * Every errno the man pages give for mmap, munmap, mprotect, mremap and
 * madvise that this layer decides (checked against Linux 6.18 by probing
 * it, order of checks included); merging and splitting;
 * brk; the fault decisions including stack growth; the /proc/self/maps
 * text; and failure injection: every operation is run again and again
 * with its 1st, 2nd, ... allocation failing until it succeeds, and each
 * failure must leave the space and the fake page tables exactly as they
 * were.
 *
 * Each case builds a fresh space over the fake backend (fake.h) and ends
 * with vm_check, fake_check (translations, frame and file references) and
 * a leak check after vm_space_destroy.
 */
#include <lib/errno.h>

#include "fake.h"
#include "harness.h"

#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif

#define B     0x10000000UL		/* where fixed mappings go */
#define BASE  0x7f0000000000UL		/* mmap_base of the default space */
#define END   0x7ffffffff000UL
#define RW    (VM_PROT_READ | VM_PROT_WRITE)
#define R     VM_PROT_READ
#define PA    (VM_MAP_PRIVATE | VM_MAP_ANONYMOUS)
#define SA    (VM_MAP_SHARED | VM_MAP_ANONYMOUS)
#define FX    (PA | VM_MAP_FIXED)

static struct fake fk;
static struct vm_space s;

static void begin_space(uintptr_t min, uintptr_t end, uintptr_t base)
{
	fake_init(&fk);
	fake_space(&s, &fk, min, end, base);
}

static void begin(void)
{
	begin_space(0x10000, END, BASE);
}

static void check_state(void)
{
	const char *why = vm_check(&s);

	CHECKF(!why, "vm_check: %s", why);
	why = fake_check(&fk, &s);
	CHECKF(!why, "fake_check: %s", why);
}

/* Checks, destroys, and checks that nothing leaked; files are freed here. */
static void finish(void)
{
	check_state();
	vm_space_destroy(&s);
	CHECK_EQ(fk.live_vmas, 0);
	CHECK_EQ(fk.nr_ptes, 0);
	while (fk.nr_files)
		fake_file_free(fk.files[0]);
	CHECK_EQ(fk.used_frames, 0);
	CHECKF(!fk.error, "fake: %s", fk.error);
	fake_fini(&fk);
}

static long mmap_at(uintptr_t addr, size_t len, unsigned prot, unsigned flags)
{
	uintptr_t out = 0;
	int r = vm_mmap(&s, addr, len, prot, flags, NULL, 0, &out);

	return r ? r : (long)out;
}

static long mmap_file(uintptr_t addr, size_t len, unsigned prot, unsigned flags,
		      struct fake_file *f, uint64_t off)
{
	uintptr_t out = 0;
	int r = vm_mmap(&s, addr, len, prot, flags, f ? &f->vf : NULL, off, &out);

	return r ? r : (long)out;
}

static long remap(uintptr_t old, size_t ol, size_t nl, unsigned flags, uintptr_t na)
{
	uintptr_t out = 0;
	int r = vm_mremap(&s, old, ol, nl, flags, na, &out);

	return r ? r : (long)out;
}

/* The areas as "start-end rwxp" words (addresses in hex, no 0x). */
static const char *areas(void)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (struct vma *v = vm_find_next(&s, 0); v; v = vm_next(v))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lx-%lx %c%c%c%c", n ? " " : "",
				      (unsigned long)v->start, (unsigned long)v->end,
				      v->prot & R ? 'r' : '-', v->prot & VM_PROT_WRITE ? 'w' : '-',
				      v->prot & VM_PROT_EXEC ? 'x' : '-',
				      v->flags & VMA_SHARED ? 's' : 'p');
	return buf;
}

#define CHECK_AREAS(want) \
	CHECKF(!strcmp(areas(), want), "areas \"%s\", expected \"%s\"", areas(), want)

/* Writes tag (page index + base) into each page of [a, a + n pages). */
static void fill(uintptr_t a, int n, uint64_t base)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(user_write(&s, a + (uintptr_t)i * P, base + (uint64_t)i), 0);
}

static uint64_t read_tag(uintptr_t va)
{
	uint64_t tag = ~0ull;
	int r = user_read(&s, va, &tag);

	return r ? (uint64_t)(long)r : tag;
}

/* ---- mmap ---- */

static void mmap_errors_anonymous(void)
{
	begin();
	CHECK_EQ(mmap_at(0, 0, RW, PA), -EINVAL);
	CHECK_EQ(mmap_at(0, P, RW, VM_MAP_ANONYMOUS), -EINVAL);
	CHECK_EQ(mmap_at(0, 0, RW, VM_MAP_ANONYMOUS), -EINVAL);
	CHECK_EQ(mmap_at(0, SIZE_MAX, RW, VM_MAP_ANONYMOUS), -ENOMEM);
	CHECK_EQ(mmap_at(0, P, RW, 4 | VM_MAP_ANONYMOUS), -EINVAL);
	CHECK_EQ(mmap_at(0, P, RW, VM_MAP_SHARED_VALIDATE | VM_MAP_ANONYMOUS), -EINVAL);
	CHECK_EQ(mmap_at(B + 1, P, RW, FX), -EINVAL);
	CHECK_EQ(mmap_at(0x800, P, RW, FX), -EINVAL);
	CHECK_EQ(mmap_at(0x1000, P, RW, FX), -EPERM);
	CHECK_EQ(mmap_at(END, 2 * P, RW, FX), -ENOMEM);
	CHECK_EQ(mmap_at(0x800000000000UL, P, RW, FX), -ENOMEM);
	CHECK_EQ(mmap_at(0, SIZE_MAX, RW, PA), -ENOMEM);
	CHECK_EQ(mmap_at(0, 1UL << 47, RW, PA), -ENOMEM);
	CHECK_EQ(mmap_at(B + 1, 1UL << 47, RW, FX), -ENOMEM);
	CHECK_EQ(mmap_at(0, P, RW, SA | VM_MAP_GROWSDOWN), -EINVAL);
	CHECK_EQ(mmap_at(0, 2UL << 20, RW, PA | VM_MAP_HUGETLB), -ENOMEM);
	CHECK_EQ(vm_mmap(&s, 0, P, RW, PA, NULL, 1, &(uintptr_t){ 0 }), -EINVAL);
	CHECK_EQ(vm_mmap(&s, 0, 0, RW, PA, NULL, 1, &(uintptr_t){ 0 }), -EINVAL);
	CHECK_EQ(s.nr_vmas, 0);
	finish();
}

static void mmap_noreplace(void)
{
	begin();
	CHECK_EQ(mmap_at(B, 4 * P, RW, FX), (long)B);
	CHECK_EQ(mmap_at(B + 1, P, RW, PA | VM_MAP_FIXED_NOREPLACE), -EINVAL);
	CHECK_EQ(mmap_at(B + 3 * P, 4 * P, RW, PA | VM_MAP_FIXED_NOREPLACE), -EEXIST);
	CHECK_EQ(mmap_at(B + 3 * P, 4 * P, RW, VM_MAP_ANONYMOUS | VM_MAP_FIXED_NOREPLACE),
		 -EEXIST);
	CHECK_EQ(mmap_at(B + 4 * P, P, R, PA | VM_MAP_FIXED_NOREPLACE), (long)(B + 4 * P));
	CHECK_AREAS("10000000-10004000 rw-p 10004000-10005000 r--p");
	finish();
}

static void mmap_flags_and_prot_ignored(void)
{
	begin();
	CHECK_EQ(mmap_at(B, P, 0x10, FX), (long)B);
	CHECK_EQ(mmap_at(B + 2 * P, P, R | VM_PROT_GROWSDOWN, FX | 0x200), (long)(B + 2 * P));
	CHECK_EQ(mmap_at(B + 4 * P, P, RW, VM_MAP_DROPPABLE | VM_MAP_ANONYMOUS | VM_MAP_FIXED),
		 (long)(B + 4 * P));
	CHECK_EQ(mmap_at(B + 6 * P, P, RW, FX | VM_MAP_NORESERVE | VM_MAP_STACK |
			 VM_MAP_UNINITIALIZED | VM_MAP_DENYWRITE | VM_MAP_EXECUTABLE), (long)(B + 6 * P));
	CHECK_AREAS("10000000-10001000 ---p 10002000-10003000 r--p 10004000-10005000 rw-p "
		    "10006000-10007000 rw-p");
	finish();
}

static void mmap_errors_file(void)
{
	struct fake_file *rw, *ro, *wo, *noexec;

	begin();
	rw = fake_file_new(&fk, 1, 16, VM_PROT_RWX, "/f");
	ro = fake_file_new(&fk, 2, 16, R | VM_PROT_EXEC, "/ro");
	wo = fake_file_new(&fk, 3, 16, VM_PROT_WRITE, "/wo");
	noexec = fake_file_new(&fk, 4, 16, RW, "/noexec");
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_PRIVATE, NULL, 0), -EBADF);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_PRIVATE | VM_MAP_GROWSDOWN, rw, 0), -EINVAL);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_PRIVATE, wo, 0), -EACCES);
	CHECK_EQ(mmap_file(0, P, RW, VM_MAP_SHARED, ro, 0), -EACCES);
	CHECK_EQ(mmap_file(0, P, R | VM_PROT_EXEC, VM_MAP_PRIVATE, noexec, 0), -EPERM);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_SHARED_VALIDATE | 0x200, rw, 0), -EOPNOTSUPP);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_SHARED_VALIDATE | VM_MAP_SYNC, rw, 0), -EOPNOTSUPP);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_SHARED_VALIDATE | VM_MAP_GROWSDOWN, rw, 0), -EINVAL);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_DROPPABLE, rw, 0), -EINVAL);
	CHECK_EQ(mmap_file(0, 2 * P, R, VM_MAP_PRIVATE, rw, 0x7ffffffffffff000ULL), -EOVERFLOW);
	CHECK_EQ(mmap_file(0, 2 * P, R, VM_MAP_PRIVATE, rw, 0x7fffffffffffe000ULL), -EOVERFLOW);
	CHECK_EQ(mmap_file(0, P, R, VM_MAP_PRIVATE, rw, 123), -EINVAL);
	CHECK_EQ(s.nr_vmas, 0);
	CHECK_EQ(mmap_file(B, P, RW, VM_MAP_PRIVATE | VM_MAP_FIXED, ro, 0), (long)B);
	CHECK_EQ(mmap_file(B + P, P, R, VM_MAP_SHARED | 0x200, rw, 0), (long)(B + P));
	CHECK_EQ(mmap_file(B + 2 * P, P, R, VM_MAP_SHARED_VALIDATE | VM_MAP_FIXED, rw, P),
		 (long)(B + 2 * P));
	/* MAP_ANONYMOUS ignores the file (Linux ignores fd). */
	CHECK_EQ(mmap_file(B + 4 * P, P, R, FX, rw, 0), (long)(B + 4 * P));
	CHECK(vm_find(&s, B + 4 * P) && !vm_find(&s, B + 4 * P)->file.ops);
	CHECK_AREAS("10000000-10001000 rw-p 10001000-10003000 r--s 10004000-10005000 r--p");
	finish();
}

static void mmap_placement_topdown(void)
{
	begin();
	CHECK_EQ(mmap_at(0, P, RW, PA), (long)(BASE - P));
	CHECK_EQ(mmap_at(0, 3 * P, R, PA), (long)(BASE - 4 * P));
	CHECK_EQ(mmap_at(0, 100, RW, PA), (long)(BASE - 5 * P));	/* rounded up to a page */
	CHECK_EQ(vm_munmap(&s, BASE - 4 * P, 2 * P), 0);
	CHECK_EQ(mmap_at(0, P, RW, PA), (long)(BASE - 3 * P));		/* highest hole that fits */
	CHECK_EQ(mmap_at(0, 2 * P, RW, PA), (long)(BASE - 7 * P));	/* the hole is too small */
	finish();
}

static void mmap_placement_hints(void)
{
	begin();
	CHECK_EQ(mmap_at(B, P, RW, PA), (long)B);
	CHECK_EQ(mmap_at(B + 8 * P + 0x123, P, RW, PA), (long)(B + 8 * P));
	CHECK_EQ(mmap_at(B, P, RW, PA), (long)(BASE - P));		/* taken: top-down */
	CHECK_EQ(mmap_at(0x1000, P, RW, PA), 0x10000);			/* raised to min_addr */
	CHECK_EQ(mmap_at(END - P, 2 * P, RW, PA), (long)(BASE - 3 * P));	/* past the end */
	CHECK_EQ(mmap_at(0, P, RW, PA | VM_MAP_32BIT), 0x40000000);
	CHECK_EQ(mmap_at(0x40000000, P, RW, PA | VM_MAP_32BIT), 0x40001000);
	CHECK_EQ(mmap_at(0x7ffff000, 2 * P, RW, PA | VM_MAP_32BIT), 0x40002000);
	CHECK_EQ(mmap_at(0x50000000, P, RW, PA | VM_MAP_32BIT), 0x50000000);
	finish();
}

static void mmap_placement_guard_gap(void)
{
	uintptr_t g = B + 1000 * P, gap = 256 * P;

	begin();
	CHECK_EQ(mmap_at(g, 4 * P, RW, FX | VM_MAP_GROWSDOWN), (long)g);
	CHECK_EQ(mmap_at(g - gap - P, P, RW, PA), (long)(g - gap - P));
	CHECK_EQ(vm_munmap(&s, g - gap - P, P), 0);
	CHECK_EQ(mmap_at(g - gap, P, RW, PA), (long)(BASE - P));	/* inside the gap */
	CHECK_EQ(mmap_at(g + 4 * P, P, RW, PA), (long)(g + 4 * P));	/* above is fine */
	CHECK_EQ(mmap_at(g - P, P, RW, FX), (long)(g - P));		/* MAP_FIXED may */
	finish();
	/* Top-down placement right under a stack keeps the gap too. */
	begin_space(0x10000, END, g + 4 * P);
	CHECK_EQ(mmap_at(g, 4 * P, RW, FX | VM_MAP_GROWSDOWN), (long)g);
	CHECK_EQ(mmap_at(0, P, RW, PA), (long)(g - gap - P));
	finish();
}

static void mmap_placement_fallback_and_full(void)
{
	uintptr_t lo = 0x10000, base = lo + 32 * P, end = lo + 64 * P;

	begin_space(lo, end, base);
	CHECK_EQ(mmap_at(lo, 31 * P, RW, FX), (long)lo);
	CHECK_EQ(mmap_at(0, 2 * P, RW, PA), (long)(base - P));		/* straddles the base */
	CHECK_EQ(mmap_at(0, 4 * P, R, PA), (long)(base + P));		/* bottom-up above */
	CHECK_EQ(mmap_at(0, 27 * P, RW, PA), (long)(base + 5 * P));
	CHECK_EQ(mmap_at(0, P, R, PA), -ENOMEM);
	CHECK_EQ(mmap_at(0, 65 * P, R, PA), -ENOMEM);
	finish();
}

static void mmap_fixed_replaces(void)
{
	begin();
	CHECK_EQ(mmap_at(B, 8 * P, RW, FX), (long)B);
	fill(B, 8, 100);
	CHECK_EQ(mmap_at(B + 2 * P, 2 * P, R, FX), (long)(B + 2 * P));
	CHECK_AREAS("10000000-10002000 rw-p 10002000-10004000 r--p 10004000-10008000 rw-p");
	CHECK_EQ(read_tag(B + P), 101);
	CHECK_EQ(read_tag(B + 2 * P), 0);		/* a fresh zero page */
	CHECK_EQ(read_tag(B + 4 * P), 104);
	/* Over several areas and holes at once; merges with both sides. */
	CHECK_EQ(mmap_at(B + 10 * P, P, R, FX), (long)(B + 10 * P));
	CHECK_EQ(mmap_at(B + P, 10 * P, RW, FX), (long)(B + P));
	CHECK_AREAS("10000000-1000b000 rw-p");
	CHECK_EQ(read_tag(B), 100);
	CHECK_EQ(read_tag(B + 5 * P), 0);
	finish();
}

static void mmap_populate(void)
{
	begin();
	CHECK_EQ(mmap_at(B, 4 * P, RW, FX | VM_MAP_POPULATE), (long)B);
	CHECK_EQ(fk.nr_ptes, 4);
	CHECK_EQ(mmap_at(B + 8 * P, 4 * P, RW, FX | VM_MAP_POPULATE | VM_MAP_NONBLOCK),
		 (long)(B + 8 * P));
	CHECK_EQ(fk.nr_ptes, 4);
	CHECK_EQ(mmap_at(B + 16 * P, 4 * P, 0, FX | VM_MAP_LOCKED), (long)(B + 16 * P));
	CHECK_EQ(fk.nr_ptes, 4);					/* PROT_NONE is not populated */
	fk.max_frames = fk.used_frames + 2;				/* best effort */
	CHECK_EQ(mmap_at(B + 24 * P, 4 * P, RW, FX | VM_MAP_POPULATE), (long)(B + 24 * P));
	CHECK_EQ(fk.nr_ptes, 6);
	finish();
}

/* ---- merging and splitting ---- */

static void merge_rules_anonymous(void)
{
	begin();
	mmap_at(B, P, RW, FX);
	mmap_at(B + P, P, RW, FX);
	CHECK_AREAS("10000000-10002000 rw-p");
	mmap_at(B + 2 * P, P, R, FX);
	mmap_at(B + 3 * P, P, RW, SA | VM_MAP_FIXED);
	mmap_at(B + 4 * P, P, RW, FX | VM_MAP_GROWSDOWN);
	mmap_at(B + 5 * P, P, RW, FX | VM_MAP_GROWSDOWN);
	CHECK_AREAS("10000000-10002000 rw-p 10002000-10003000 r--p 10003000-10004000 rw-s "
		    "10004000-10006000 rw-p");
	CHECK_EQ(s.nr_vmas, 4);
	CHECK_EQ(vm_mprotect(&s, B + 2 * P, P, RW), 0);
	CHECK_AREAS("10000000-10003000 rw-p 10003000-10004000 rw-s 10004000-10006000 rw-p");
	/* Filling a hole between two compatible areas leaves one area. */
	mmap_at(B + 20 * P, P, R, FX);
	mmap_at(B + 22 * P, P, R, FX);
	mmap_at(B + 21 * P, P, R, FX);
	CHECK(vm_find(&s, B + 20 * P) && vm_find(&s, B + 20 * P)->end == B + 23 * P);
	finish();
}

static void merge_rules_file(void)
{
	struct fake_file *f, *g;

	begin();
	f = fake_file_new(&fk, 1, 16, VM_PROT_RWX, "/f");
	g = fake_file_new(&fk, 2, 16, VM_PROT_RWX, "/g");
	mmap_file(B, P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 0);
	mmap_file(B + P, P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, f, P);		/* contiguous */
	mmap_file(B + 2 * P, P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 5 * P);	/* not */
	mmap_file(B + 3 * P, P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, g, 6 * P);	/* other file */
	mmap_at(B + 4 * P, P, R, FX);						/* anonymous */
	mmap_file(B + 5 * P, P, R, VM_MAP_SHARED | VM_MAP_FIXED, f, 0);
	CHECK_AREAS("10000000-10002000 r--p 10002000-10003000 r--p 10003000-10004000 r--p "
		    "10004000-10005000 r--p 10005000-10006000 r--s");
	CHECK_EQ(vm_find(&s, B + P)->offset, 0);
	CHECK_EQ(f->refs, 3);
	CHECK_EQ(g->refs, 1);
	/* Splitting keeps offsets, and the pieces re-merge. */
	CHECK_EQ(vm_mprotect(&s, B + P, P, RW), 0);
	CHECK_EQ(vm_find(&s, B + P)->offset, P);
	CHECK_EQ(f->refs, 4);
	CHECK_EQ(vm_mprotect(&s, B + P, P, R), 0);
	CHECK_EQ(f->refs, 3);
	CHECK_EQ(s.nr_vmas, 5);
	finish();
}

/* ---- munmap ---- */

static void munmap_cases(void)
{
	begin();
	CHECK_EQ(vm_munmap(&s, B + 1, P), -EINVAL);
	CHECK_EQ(vm_munmap(&s, B, 0), -EINVAL);
	CHECK_EQ(vm_munmap(&s, END, 2 * P), -EINVAL);
	CHECK_EQ(vm_munmap(&s, B, SIZE_MAX), -EINVAL);
	CHECK_EQ(vm_munmap(&s, B, P), 0);		/* nothing there: fine */
	CHECK_EQ(vm_munmap(&s, 0, P), 0);
	mmap_at(B, 10 * P, RW, FX);
	fill(B, 10, 1);
	CHECK_EQ(vm_munmap(&s, B + 4 * P, 2 * P - 1), 0);	/* middle, length rounded up */
	CHECK_AREAS("10000000-10004000 rw-p 10006000-1000a000 rw-p");
	CHECK_EQ(fk.nr_ptes, 8);
	CHECK_EQ(vm_munmap(&s, B, P), 0);
	CHECK_EQ(vm_munmap(&s, B + 9 * P, P), 0);
	CHECK_AREAS("10001000-10004000 rw-p 10006000-10009000 rw-p");
	CHECK_EQ(vm_munmap(&s, B + 2 * P, 6 * P), 0);		/* across a hole */
	CHECK_AREAS("10001000-10002000 rw-p 10008000-10009000 rw-p");
	CHECK_EQ(read_tag(B + P), 2);
	CHECK_EQ(read_tag(B + 8 * P), 9);
	CHECK_EQ(user_write(&s, B + 4 * P, 1), -EFAULT);
	finish();
}

static void munmap_and_mprotect_limit(void)
{
	begin();
	s.limits.max_vmas = 2;
	mmap_at(B, 10 * P, RW, FX);
	mmap_at(B + 20 * P, P, RW, FX);
	CHECK_EQ(mmap_at(B + 30 * P, P, RW, FX), -ENOMEM);
	CHECK_EQ(vm_munmap(&s, B + 2 * P, P), -ENOMEM);		/* would make three */
	CHECK_EQ(vm_munmap(&s, B, P), 0);				/* an edge is fine */
	CHECK_EQ(vm_mprotect(&s, B + 3 * P, P, R), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, B + 3 * P, P, RW), 0);			/* no change: no split */
	CHECK_EQ(vm_munmap(&s, B + 20 * P, P), 0);
	CHECK_EQ(vm_mprotect(&s, B + 9 * P, P, R), 0);
	CHECK_EQ(vm_mprotect(&s, B + 3 * P, P, R), -ENOMEM);
	CHECK_AREAS("10001000-10009000 rw-p 10009000-1000a000 r--p");
	finish();
}

/* ---- mprotect ---- */

static void mprotect_errors(void)
{
	begin();
	mmap_at(B, 4 * P, RW, FX);
	mmap_at(B + 5 * P, 2 * P, RW, FX);
	fill(B, 4, 1);
	CHECK_EQ(vm_mprotect(&s, B + 1, P, R), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B + 100 * P, 0, 0x10), 0);		/* len 0 first */
	CHECK_EQ(vm_mprotect(&s, B + 100 * P, P, R), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, B, P, 0x10), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B + 100 * P, P, 0x10), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B, P, R | VM_PROT_GROWSDOWN | VM_PROT_GROWSUP), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B + P, P, R | VM_PROT_GROWSDOWN), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B + P, P, R | VM_PROT_GROWSUP), -EINVAL);
	CHECK_EQ(vm_mprotect(&s, B, SIZE_MAX, R), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, B, 1UL << 47, R), -ENOMEM);
	/* A hole anywhere: ENOMEM, and unlike Linux nothing changed. */
	CHECK_EQ(vm_mprotect(&s, B, 7 * P, R), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, B + 2 * P, 4 * P, R), -ENOMEM);
	CHECK_AREAS("10000000-10004000 rw-p 10005000-10007000 rw-p");
	CHECK_EQ(vm_mprotect(&s, B, 4 * P, R | VM_PROT_SEM), 0);
	CHECK_AREAS("10000000-10004000 r--p 10005000-10007000 rw-p");
	CHECK_EQ(user_write(&s, B, 5), -EACCES);
	CHECK_EQ(read_tag(B + 3 * P), 4);
	finish();
}

static void mprotect_split_merge(void)
{
	begin();
	mmap_at(B, 8 * P, RW, FX);
	fill(B, 8, 1);
	CHECK_EQ(vm_mprotect(&s, B + 2 * P, 3 * P, R), 0);
	CHECK_AREAS("10000000-10002000 rw-p 10002000-10005000 r--p 10005000-10008000 rw-p");
	CHECK_EQ(user_write(&s, B + 3 * P, 9), -EACCES);
	CHECK_EQ(user_write(&s, B + 5 * P, 9), 0);
	CHECK_EQ(vm_mprotect(&s, B + P, 6 * P, VM_PROT_EXEC | R), 0);
	CHECK_AREAS("10000000-10001000 rw-p 10001000-10007000 r-xp 10007000-10008000 rw-p");
	CHECK_EQ(user_exec(&s, B + P), 0);
	CHECK_EQ(user_exec(&s, B), -EACCES);
	CHECK_EQ(vm_mprotect(&s, B, 8 * P, RW), 0);
	CHECK_AREAS("10000000-10008000 rw-p");
	CHECK_EQ(read_tag(B + 5 * P), 9);
	CHECK_EQ(read_tag(B + 7 * P), 8);
	finish();
}

static void mprotect_file_limits(void)
{
	struct fake_file *ro;

	begin();
	ro = fake_file_new(&fk, 1, 16, R | VM_PROT_EXEC, "/ro");
	mmap_file(B, 2 * P, R, VM_MAP_SHARED | VM_MAP_FIXED, ro, 0);
	mmap_file(B + 2 * P, 2 * P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, ro, 0);
	CHECK_EQ(vm_mprotect(&s, B, 2 * P, RW), -EACCES);
	CHECK_EQ(vm_mprotect(&s, B - 2 * P, 4 * P, RW), -ENOMEM);	/* the hole comes first */
	CHECK_EQ(vm_mprotect(&s, B + 2 * P, 2 * P, RW), 0);		/* private: may write */
	CHECK_EQ(vm_mprotect(&s, B, 2 * P, R | VM_PROT_EXEC), 0);
	finish();
}

static void mprotect_growsdown(void)
{
	uintptr_t g = B + 300 * P;

	begin();
	mmap_at(g, 4 * P, RW, FX | VM_MAP_GROWSDOWN);
	CHECK_EQ(vm_mprotect(&s, g + 2 * P, P, R | VM_PROT_GROWSDOWN), 0);
	CHECK_AREAS("1012c000-1012f000 r--p 1012f000-10130000 rw-p");
	CHECK_EQ(vm_mprotect(&s, g - 10 * P, 20 * P, RW | VM_PROT_GROWSDOWN), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, g + 10 * P, P, RW | VM_PROT_GROWSDOWN), -ENOMEM);
	CHECK_EQ(vm_mprotect(&s, g - 10 * P, 14 * P, RW | VM_PROT_GROWSDOWN), 0);
	CHECK_AREAS("1012c000-10130000 rw-p");
	finish();
}

/* ---- mremap ---- */

static void mremap_errors(void)
{
	begin();
	mmap_at(B, 4 * P, RW, FX);
	mmap_at(B + 10 * P, P, R, FX);
	CHECK_EQ(remap(B, P, P, 8, 0), -EINVAL);
	CHECK_EQ(remap(B, P, P, VM_MREMAP_FIXED, B + 20 * P), -EINVAL);
	CHECK_EQ(remap(B, P, P, VM_MREMAP_DONTUNMAP, 0), -EINVAL);
	CHECK_EQ(remap(B + 1, P, P, 0, 0), -EINVAL);
	CHECK_EQ(remap(B, P, 0, 0, 0), -EINVAL);
	CHECK_EQ(remap(B, P, SIZE_MAX, VM_MREMAP_MAYMOVE, 0), -EINVAL);
	CHECK_EQ(remap(B, SIZE_MAX, P, VM_MREMAP_MAYMOVE, 0), -EINVAL);
	CHECK_EQ(remap(B, 1UL << 47, P, VM_MREMAP_MAYMOVE, 0), -EINVAL);
	CHECK_EQ(remap(B + 100 * P, P, 2 * P, 0, 0), -EFAULT);
	CHECK_EQ(remap(B + 100 * P, 2 * P, P, 0, 0), -EFAULT);
	CHECK_EQ(remap(B + 100 * P, P, P, 0, 0), -EFAULT);
	CHECK_EQ(remap(B, 0, P, VM_MREMAP_MAYMOVE, 0), -EINVAL);
	CHECK_EQ(remap(B, 0, P, 0, 0), -EINVAL);
	CHECK_EQ(remap(B + 2 * P, 4 * P, 8 * P, 0, 0), -EFAULT);	/* across the end */
	CHECK_EQ(remap(B, P, 3 * P, 0, 0), -ENOMEM);			/* not at the end */
	CHECK_EQ(remap(B, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + P), -EINVAL);
	CHECK_EQ(remap(B, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B), -EINVAL);
	CHECK_EQ(remap(B, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 20 * P + 1),
		 -EINVAL);
	CHECK_EQ(remap(B, 2 * P, 3 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP, 0), -EINVAL);
	CHECK_EQ(remap(B, P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, END), -EINVAL);
	CHECK_EQ(remap(B, P, 1UL << 47, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 8 * P), -EINVAL);
	CHECK_EQ(remap(B, P, P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, 0x1000), -EPERM);
	/* The destination of a failing FIXED move is left alone (Linux 6.x too). */
	CHECK_EQ(remap(B + 50 * P, P, P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 10 * P),
		 -EFAULT);
	CHECK_EQ(remap(B + 3 * P, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 30 * P),
		 -EFAULT);
	CHECK_AREAS("10000000-10004000 rw-p 1000a000-1000b000 r--p");
	finish();
}

static void mremap_shrink_and_grow(void)
{
	begin();
	mmap_at(B, 2 * P, RW, FX);
	mmap_at(B + 2 * P, 2 * P, R, FX);
	fill(B, 2, 1);
	CHECK_EQ(remap(B, 4 * P, 3 * P, 0, 0), (long)B);	/* the tail may span areas */
	CHECK_AREAS("10000000-10002000 rw-p 10002000-10003000 r--p");
	CHECK_EQ(remap(B, 6 * P, P, 0, 0), (long)B);		/* ... and holes */
	CHECK_AREAS("10000000-10001000 rw-p");
	CHECK_EQ(remap(B, 4 * P, 4 * P, 0, 0), (long)B);	/* same size: nothing */
	CHECK_EQ(remap(B, P, 8 * P, 0, 0), (long)B);		/* grows in place */
	CHECK_AREAS("10000000-10008000 rw-p");
	CHECK_EQ(read_tag(B), 1);
	CHECK_EQ(read_tag(B + 5 * P), 0);
	mmap_at(B + 10 * P, P, RW, FX);
	CHECK_EQ(remap(B, 8 * P, 10 * P, 0, 0), (long)B);	/* and merges with the next */
	CHECK_AREAS("10000000-1000b000 rw-p");
	mmap_at(B + 12 * P, P, R, FX);
	CHECK_EQ(remap(B, 11 * P, 13 * P, 0, 0), -ENOMEM);	/* blocked, may not move */
	finish();
}

static void mremap_moves(void)
{
	long to;

	begin();
	mmap_at(B, 8 * P, RW, FX);
	mmap_at(B + 8 * P, P, R, FX);
	fill(B, 8, 10);
	to = remap(B + 2 * P, 4 * P, 6 * P, VM_MREMAP_MAYMOVE, 0);
	CHECK_EQ(to, (long)(BASE - 6 * P));
	CHECK_AREAS("10000000-10002000 rw-p 10006000-10008000 rw-p 10008000-10009000 r--p "
		    "7effffffa000-7f0000000000 rw-p");
	for (int i = 0; i < 4; i++)
		CHECK_EQ(read_tag((uintptr_t)to + (uintptr_t)i * P), 12 + i);
	CHECK_EQ(read_tag((uintptr_t)to + 5 * P), 0);
	CHECK_EQ(user_write(&s, B + 3 * P, 1), -EFAULT);
	/* FIXED replaces what is at the destination, and merges there. */
	CHECK_EQ(remap((uintptr_t)to, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 2 * P),
		 (long)(B + 2 * P));
	CHECK_AREAS("10000000-10004000 rw-p 10006000-10008000 rw-p 10008000-10009000 r--p "
		    "7effffffc000-7f0000000000 rw-p");
	CHECK_EQ(read_tag(B + 2 * P), 12);
	CHECK_EQ(read_tag(B + 3 * P), 13);
	/* FIXED with a shrink: the tail goes, the rest moves. */
	CHECK_EQ(remap(B, 4 * P, P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 20 * P),
		 (long)(B + 20 * P));
	CHECK_EQ(read_tag(B + 20 * P), 10);
	CHECK_EQ(user_write(&s, B + P, 1), -EFAULT);
	finish();
}

static void mremap_dontunmap(void)
{
	begin();
	mmap_at(B, 4 * P, RW, FX);
	fill(B, 4, 20);
	CHECK_EQ(remap(B + P, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP, 0),
		 (long)(BASE - 2 * P));
	CHECK_AREAS("10000000-10004000 rw-p 7effffffe000-7f0000000000 rw-p");
	CHECK_EQ(read_tag(BASE - P), 22);
	finish();
}

static void mremap_dontunmap_keeps_old(void)
{
	begin();
	mmap_at(B, 4 * P, RW, FX);
	fill(B, 4, 20);
	CHECK_EQ(remap(B + P, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP |
		       VM_MREMAP_FIXED, B + 10 * P), (long)(B + 10 * P));
	CHECK_AREAS("10000000-10004000 rw-p 1000a000-1000c000 rw-p");
	CHECK_EQ(read_tag(B + P), 0);			/* the old range reads zero */
	CHECK_EQ(read_tag(B + 10 * P), 21);
	CHECK_EQ(read_tag(B + 11 * P), 22);
	CHECK_EQ(read_tag(B + 3 * P), 23);
	mmap_at(B + 20 * P, P, RW, SA | VM_MAP_FIXED);
	CHECK_EQ(remap(B + 20 * P, P, P, VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP, 0), -EINVAL);
	finish();
}

static void mremap_files(void)
{
	struct fake_file *f;
	vm_frame_t fr;
	unsigned prot;

	begin();
	f = fake_file_new(&fk, 7, 16, VM_PROT_RWX, "/f");
	mmap_file(B, 4 * P, RW, VM_MAP_SHARED | VM_MAP_FIXED, f, 2 * P);
	CHECK_EQ(remap(B, 0, P, 0, 0), -ENOMEM);		/* a duplicate must move */
	CHECK_EQ(remap(B + P, 0, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 10 * P),
		 (long)(B + 10 * P));
	CHECK_EQ(vm_find(&s, B + 10 * P)->offset, 3 * P);
	CHECK_EQ(user_write(&s, B + 10 * P, 77), 0);	/* shared: seen through both */
	CHECK_EQ(read_tag(B + P), 77);
	CHECK_EQ(fake_file_tag(f, 3), 77);
	/* Moving keeps the offset; the moved page is the same frame. */
	CHECK(fake_query(&fk, B + P, &fr, &prot));
	CHECK_EQ(remap(B, 4 * P, 4 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 20 * P),
		 (long)(B + 20 * P));
	CHECK_EQ(vm_find(&s, B + 20 * P)->offset, 2 * P);
	CHECK(fake_query(&fk, B + 21 * P, &(vm_frame_t){ 0 }, &prot));
	CHECK_EQ(read_tag(B + 21 * P), 77);
	CHECK_EQ(f->refs, 2);
	finish();
}

/* ---- madvise ---- */

static void madvise_cases(void)
{
	struct fake_file *f;

	begin();
	f = fake_file_new(&fk, 3, 16, VM_PROT_RWX, "/f");
	mmap_at(B, 4 * P, RW, FX);
	fill(B, 4, 30);
	CHECK_EQ(vm_madvise(&s, B, P, 77), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B, P, 26), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 1, P, VM_MADV_DONTNEED), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 100 * P, 0, VM_MADV_DONTNEED), 0);
	CHECK_EQ(vm_madvise(&s, B, SIZE_MAX, VM_MADV_NORMAL), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 100 * P, P, VM_MADV_NORMAL), -ENOMEM);
	CHECK_EQ(vm_madvise(&s, B, P, VM_MADV_DONTNEED), 0);
	CHECK_EQ(read_tag(B), 0);				/* zero-filled on next touch */
	CHECK_EQ(read_tag(B + P), 31);
	CHECK_EQ(vm_madvise(&s, B + 2 * P, 4 * P, VM_MADV_DONTNEED), -ENOMEM);
	CHECK_EQ(read_tag(B + 3 * P), 0);			/* applied before the hole */
	CHECK_EQ(vm_madvise(&s, B - P, 2 * P, VM_MADV_FREE), -ENOMEM);
	CHECK_EQ(vm_madvise(&s, B, P, VM_MADV_REMOVE), -EINVAL);
	/* Shared anonymous memory keeps its data. */
	mmap_at(B + 10 * P, P, RW, SA | VM_MAP_FIXED);
	CHECK_EQ(user_write(&s, B + 10 * P, 5), 0);
	CHECK_EQ(vm_madvise(&s, B + 10 * P, P, VM_MADV_DONTNEED), 0);
	CHECK_EQ(read_tag(B + 10 * P), 5);
	CHECK_EQ(vm_madvise(&s, B + 10 * P, P, VM_MADV_FREE), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 10 * P, P, VM_MADV_REMOVE), 0);
	CHECK_EQ(read_tag(B + 10 * P), 0);
	/* A private file page comes back from the file. */
	mmap_file(B + 20 * P, 2 * P, RW, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 0);
	CHECK_EQ(user_write(&s, B + 20 * P, 9), 0);
	CHECK_EQ(vm_madvise(&s, B + 20 * P, P, VM_MADV_DONTNEED), 0);
	CHECK_EQ(read_tag(B + 20 * P), file_page_tag(3, 0));
	CHECK_EQ(vm_madvise(&s, B + 20 * P, P, VM_MADV_FREE), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 20 * P, P, VM_MADV_REMOVE), -EACCES);
	mmap_file(B + 24 * P, P, RW, VM_MAP_SHARED | VM_MAP_FIXED, f, 0);
	CHECK_EQ(vm_madvise(&s, B + 24 * P, P, VM_MADV_REMOVE), -EOPNOTSUPP);
	for (int a = 0; a <= 25; a++)
		if (a != 5 && a != 6 && a != 7 && a != VM_MADV_REMOVE && a != VM_MADV_FREE)
			CHECKF(vm_madvise(&s, B, 2 * P, a) == 0, "advice %d", a);
	finish();
}

static void madvise_populate(void)
{
	begin();
	mmap_at(B, 2 * P, R, FX);
	CHECK_EQ(vm_madvise(&s, B, 4 * P, VM_MADV_POPULATE_READ), -ENOMEM);
	CHECK_EQ(fk.nr_ptes, 2);
	CHECK_EQ(vm_madvise(&s, B, 4 * P, VM_MADV_POPULATE_WRITE), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B - 2 * P, 4 * P, VM_MADV_POPULATE_WRITE), -ENOMEM);
	mmap_at(B + 8 * P, P, 0, FX);
	CHECK_EQ(vm_madvise(&s, B + 8 * P, P, VM_MADV_POPULATE_READ), -EINVAL);
	CHECK_EQ(vm_madvise(&s, B + 8 * P, P, VM_MADV_DONTNEED), 0);
	mmap_at(B + 10 * P, 2 * P, RW, FX);
	fk.max_frames = fk.used_frames + 1;
	CHECK_EQ(vm_madvise(&s, B + 10 * P, 2 * P, VM_MADV_POPULATE_WRITE), -ENOMEM);
	fk.max_frames = SIZE_MAX;
	CHECK_EQ(vm_madvise(&s, B + 10 * P, 2 * P, VM_MADV_POPULATE_WRITE), 0);
	CHECK_EQ(fk.nr_ptes, 4);
	finish();
}

/* ---- brk ---- */

static void brk_cases(void)
{
	uintptr_t h = B + 0x800;	/* the end of the data segment, mid-page */

	begin();
	mmap_at(B, P, RW, FX);		/* the data segment's last page */
	vm_brk_init(&s, h);
	CHECK_EQ(vm_brk(&s, 0), (long)h);
	CHECK_EQ(vm_brk(&s, 0x1000), (long)h);			/* below the start */
	CHECK_EQ(vm_brk(&s, h + 0x100), (long)(h + 0x100));	/* same page: no mapping */
	CHECK_EQ(s.nr_vmas, 1);
	CHECK_EQ(vm_brk(&s, h + 3 * P), (long)(h + 3 * P));
	CHECK_AREAS("10000000-10004000 rw-p");			/* merged with the data */
	CHECK_EQ(user_write(&s, h + 3 * P - 8, 4), 0);
	CHECK_EQ(user_write(&s, B + 4 * P, 4), -EFAULT);
	CHECK_EQ(vm_brk(&s, h + P), (long)(h + P));
	CHECK_AREAS("10000000-10002000 rw-p");
	CHECK_EQ(vm_brk(&s, h), (long)h);
	CHECK_AREAS("10000000-10001000 rw-p");
	/* Another mapping in the way: the break stays, with one free page kept. */
	mmap_at(B + 10 * P, P, R, FX);
	CHECK_EQ(vm_brk(&s, B + 9 * P), (long)(B + 9 * P));
	CHECK_EQ(vm_brk(&s, B + 9 * P + 1), (long)(B + 9 * P));
	CHECK_EQ(vm_brk(&s, B + 20 * P), (long)(B + 9 * P));
	CHECK_EQ(vm_brk(&s, UINTPTR_MAX), (long)(B + 9 * P));
	fake_fail_nth(&fk.alloc, 1);
	CHECK_EQ(vm_brk(&s, B + 3 * P), (long)(B + 9 * P));	/* the split needs memory */
	fake_fail_nth(&fk.alloc, 0);
	CHECK_EQ(vm_brk(&s, B + 3 * P), (long)(B + 3 * P));
	fake_fail_nth(&fk.alloc, 1);
	CHECK_EQ(vm_brk(&s, B + 4 * P), (long)(B + 4 * P));	/* extending needs none */
	fake_fail_nth(&fk.alloc, 0);
	vm_mprotect(&s, B + 3 * P, P, R);
	fake_fail_nth(&fk.alloc, 1);
	CHECK_EQ(vm_brk(&s, B + 4 * P + 8), (long)(B + 4 * P));	/* a new area: refused */
	fake_fail_nth(&fk.alloc, 0);
	CHECK_EQ(vm_brk(&s, B + 4 * P + 8), (long)(B + 4 * P + 8));
	CHECK_AREAS("10000000-10003000 rw-p 10003000-10004000 r--p 10004000-10005000 rw-p "
		    "1000a000-1000b000 r--p");
	finish();
}

/* ---- faults ---- */

static void fault_decisions(void)
{
	uint64_t t;

	begin();
	mmap_at(B, P, 0, FX);
	mmap_at(B + P, P, R, FX);
	mmap_at(B + 2 * P, P, VM_PROT_WRITE, FX);
	mmap_at(B + 3 * P, P, VM_PROT_EXEC, FX);
	CHECK_EQ(vm_fault(&s, B - P, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, B + 4 * P, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, 0, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, UINTPTR_MAX, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, B, R), -EACCES);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_WRITE), -EACCES);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_EXEC), -EACCES);
	CHECK_EQ(vm_fault(&s, B + P + 123, R), 0);
	CHECK_EQ(vm_fault(&s, B + 2 * P, R), 0);		/* write implies read on x86 */
	CHECK_EQ(vm_fault(&s, B + 3 * P, R), 0);		/* so does exec */
	CHECK_EQ(vm_fault(&s, B + 3 * P, VM_PROT_WRITE), -EACCES);
	CHECK_EQ(fk.nr_ptes, 3);
	CHECK(fake_peek(&fk, B + P, &t) && t == 0);		/* a zeroed frame */
	CHECK_EQ(vm_fault(&s, B + P, R), 0);			/* again: nothing new */
	CHECK_EQ(fk.nr_ptes, 3);
	finish();
}

static void fault_out_of_memory(void)
{
	char *before;

	begin();
	mmap_at(B, 4 * P, RW, FX);
	fill(B, 1, 1);
	before = fake_snapshot(&fk, &s);
	fake_fail_nth(&fk.frame, 1);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_WRITE), -ENOMEM);
	fake_fail_nth(&fk.map, 1);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_WRITE), -ENOMEM);	/* the frame goes back */
	{
		char *after = fake_snapshot(&fk, &s);

		CHECKF(!strcmp(before, after), "state changed:\n%s\nvs\n%s", before, after);
		free(after);
	}
	free(before);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_WRITE), 0);
	finish();
}

static void fault_files(void)
{
	struct fake_file *f;
	vm_frame_t fr;
	unsigned prot;

	begin();
	f = fake_file_new(&fk, 5, 4, VM_PROT_RWX, "/f");
	mmap_file(B, 8 * P, RW, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 0);
	mmap_file(B + 10 * P, 2 * P, RW, VM_MAP_SHARED | VM_MAP_FIXED, f, 2 * P);
	/* Private read: the file's own frame, copy-on-write. */
	CHECK_EQ(read_tag(B + P), file_page_tag(5, 1));
	CHECK(fake_query(&fk, B + P, &fr, &prot) && fr == f->cache[1] && (prot & VM_PTE_COW));
	/* Private write: a private copy, the file untouched. */
	CHECK_EQ(user_write(&s, B + P, 42), 0);
	CHECK(fake_query(&fk, B + P, &fr, &prot) && fr != f->cache[1] && !(prot & VM_PTE_COW));
	CHECK_EQ(fake_file_tag(f, 1), file_page_tag(5, 1));
	CHECK_EQ(user_write(&s, B + 2 * P, 43), 0);		/* write fault first: copy at once */
	CHECK_EQ(fake_file_tag(f, 2), file_page_tag(5, 2));
	/* Shared write: lands in the file, and private readers of it see it. */
	CHECK_EQ(user_write(&s, B + 11 * P, 44), 0);
	CHECK_EQ(fake_file_tag(f, 3), 44);
	CHECK_EQ(read_tag(B + 3 * P), 44);
	/* mprotect never makes a COW translation writable. */
	CHECK_EQ(vm_mprotect(&s, B, 8 * P, R), 0);
	CHECK_EQ(vm_mprotect(&s, B, 8 * P, RW), 0);
	CHECK(fake_query(&fk, B + 3 * P, &fr, &prot) && (prot & VM_PTE_COW));
	CHECK_EQ(user_write(&s, B + 3 * P, 45), 0);
	CHECK_EQ(fake_file_tag(f, 3), 44);
	CHECK_EQ(read_tag(B + P), 42);
	/* Beyond the end of the file: SIGBUS. */
	CHECK_EQ(vm_fault(&s, B + 4 * P, R), -EIO);
	CHECK_EQ(vm_fault(&s, B + 5 * P, VM_PROT_WRITE), -EIO);
	finish();
}

static void fault_growsdown(void)
{
	uintptr_t g = B + 1000 * P, gap = 256 * P, t = g - 20 * P;

	begin();
	s.limits.stack_max = 16 * P;
	mmap_at(g, 4 * P, RW, FX | VM_MAP_GROWSDOWN);
	CHECK_EQ(user_write(&s, g - 1, 7), 0);			/* one page below */
	CHECK_AREAS("103e7000-103ec000 rw-p");
	CHECK_EQ(user_write(&s, g - 10 * P, 7), 0);		/* any distance below */
	CHECK_EQ(vm_find(&s, g)->start, g - 10 * P);
	CHECK_EQ(vm_fault(&s, g - 13 * P, R), -EFAULT);		/* beyond stack_max */
	CHECK_EQ(vm_fault(&s, g - 12 * P, R), 0);
	CHECK_EQ(vm_find(&s, g)->start, g - 12 * P);
	/* The previous accessible area must stay guard_gap below. */
	s.limits.stack_max = 2000 * P;
	mmap_at(t - gap, P, R, FX);
	CHECK_EQ(vm_fault(&s, t, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, t + P, R), 0);
	/* ... unless it is inaccessible (or itself a stack: see below). */
	vm_mprotect(&s, t - gap, P, 0);
	CHECK_EQ(vm_fault(&s, t, R), 0);
	CHECK_EQ(s.nr_vmas, 2);
	finish();
	begin();
	mmap_at(B, P, RW, FX | VM_MAP_GROWSDOWN);
	mmap_at(B + 4 * P, P, RW, FX | VM_MAP_GROWSDOWN);
	CHECK_EQ(vm_fault(&s, B + P, VM_PROT_WRITE), 0);
	CHECK_AREAS("10000000-10005000 rw-p");
	/* A refused access does not grow the stack; below min_addr neither. */
	mmap_at(B + 10 * P, P, R, FX | VM_MAP_GROWSDOWN);
	CHECK_EQ(vm_fault(&s, B + 9 * P, VM_PROT_WRITE), -EACCES);
	CHECK_EQ(vm_find(&s, B + 10 * P)->start, B + 10 * P);
	mmap_at(0x11000, P, RW, FX | VM_MAP_GROWSDOWN);
	CHECK_EQ(vm_fault(&s, 0xf000, R), -EFAULT);
	CHECK_EQ(vm_fault(&s, 0x10000, R), 0);
	finish();
}

/* ---- /proc/self/maps ---- */

/* A maps line: the header, then (with a name) padding to column 73 and the name. */
static size_t maps_line(char *buf, size_t size, const char *header, const char *name)
{
	return (size_t)(name ? snprintf(buf, size, "%-72s %s\n", header, name)
			     : snprintf(buf, size, "%s \n", header));
}

static void maps_text(void)
{
	struct fake_file *f;
	char buf[2048], want[2048], small[40];
	size_t n, m, w = 0;

	begin();
	f = fake_file_new(&fk, 9, 16, VM_PROT_RWX, "/usr/lib/libfoo.so.1");
	mmap_at(0x10000, P, R | VM_PROT_EXEC, FX);
	mmap_file(B, 2 * P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 3 * P);
	mmap_file(B + 2 * P, P, RW, VM_MAP_SHARED | VM_MAP_FIXED, f, 0);
	vm_brk_init(&s, B + 4 * P);
	vm_brk(&s, B + 5 * P + 16);
	mmap_at(END - 33 * P, 33 * P, RW, FX | VM_MAP_GROWSDOWN);
	s.stack_start = END - 0x1234;
	w += maps_line(want + w, sizeof(want) - w, "00010000-00011000 r-xp 00000000 00:00 0", NULL);
	w += maps_line(want + w, sizeof(want) - w, "10000000-10002000 r--p 00003000 fe:01 1009",
		       "/usr/lib/libfoo.so.1");
	w += maps_line(want + w, sizeof(want) - w, "10002000-10003000 rw-s 00000000 fe:01 1009",
		       "/usr/lib/libfoo.so.1");
	w += maps_line(want + w, sizeof(want) - w, "10004000-10006000 rw-p 00000000 00:00 0",
		       "[heap]");
	w += maps_line(want + w, sizeof(want) - w, "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0",
		       "[stack]");
	/* The helper's column is Linux's: a [heap] line copied from a real /proc/self/maps. */
	{
		char real[128];

		maps_line(real, sizeof(real), "5654f3412000-5654f3433000 rw-p 00000000 00:00 0",
			  "[heap]");
		CHECK(!strcmp(real, "5654f3412000-5654f3433000 rw-p 00000000 00:00 0"
			      "                          [heap]\n"));
	}
	n = vm_format_maps(&s, buf, sizeof(buf));
	CHECKF(!strcmp(buf, want), "maps:\n%s\nexpected:\n%s", buf, want);
	CHECK_EQ(n, w);
	m = vm_format_maps(&s, small, sizeof(small));
	CHECK_EQ(m, n);
	CHECK(strlen(small) == sizeof(small) - 1 && !strncmp(small, want, sizeof(small) - 1));
	CHECK_EQ(vm_format_maps(&s, NULL, 0), n);
	finish();
}

/* ---- allocation-failure injection ---- */

static void setup_three_areas(void)
{
	struct fake_file *f = fake_file_new(&fk, 2, 32, VM_PROT_RWX, "/f");

	mmap_at(B, 16 * P, RW, FX);
	mmap_file(B + 16 * P, 8 * P, R, VM_MAP_PRIVATE | VM_MAP_FIXED, f, 0);
	mmap_at(B + 30 * P, 10 * P, RW, FX | VM_MAP_GROWSDOWN);
	fill(B, 16, 100);
	read_tag(B + 17 * P);
	fill(B + 30 * P, 10, 200);
	vm_brk_init(&s, B + 45 * P);
}

static int op_mmap_new(void) { return mmap_at(0, 3 * P, RW, PA) < 0 ? -ENOMEM : 0; }
static int op_mmap_fixed_middle(void) { return (int)(mmap_at(B + 4 * P, 16 * P, R, FX) < 0 ? -ENOMEM : 0); }
static int op_munmap_middle(void) { return vm_munmap(&s, B + 4 * P, 2 * P); }
static int op_munmap_across(void) { return vm_munmap(&s, B + 4 * P, 30 * P); }
static int op_mprotect_middle(void) { return vm_mprotect(&s, B + 4 * P, 2 * P, R); }
static int op_mprotect_across(void) { return vm_mprotect(&s, B + 10 * P, 10 * P, R); }

static int op_mremap_move(void)
{
	return remap(B + 4 * P, 4 * P, 6 * P, VM_MREMAP_MAYMOVE, 0) < 0 ? -ENOMEM : 0;
}

static int op_mremap_fixed_shrink(void)
{
	long r = remap(B + 2 * P, 8 * P, 4 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED, B + 18 * P);

	return r < 0 ? (int)r : 0;
}

static int op_mremap_dontunmap(void)
{
	long r = remap(B + 32 * P, 2 * P, 2 * P, VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP |
		       VM_MREMAP_FIXED, B + 3 * P);

	return r < 0 ? (int)r : 0;
}

static int op_mremap_grow(void) { return remap(B + 30 * P, 10 * P, 12 * P, 0, 0) < 0 ? -ENOMEM : 0; }

static int op_brk(void)
{
	return vm_brk(&s, B + 47 * P) == B + 47 * P ? 0 : -ENOMEM;
}

/*
 * Runs op on a fresh copy of the setup with its 1st, 2nd, ... allocation
 * (or reservation) failing, until it succeeds: every failing run must
 * return -ENOMEM and leave the state exactly as it was.
 */
static void inject(const char *what, struct fake_fail *(*which)(void), int (*op)(void),
		   long calls)
{
	for (long n = 1; n < 20 && !failed(); n++) {
		char *before, *after;
		int r;
		bool hit;

		begin();
		setup_three_areas();
		before = fake_snapshot(&fk, &s);
		fake_fail_nth(which(), n);
		r = op();
		hit = which()->calls >= n;
		fake_fail_nth(which(), 0);
		after = fake_snapshot(&fk, &s);
		if (hit) {
			CHECKF(r == -ENOMEM, "%s: failure %ld gave %d", what, n, r);
			CHECKF(!strcmp(before, after), "%s: failure %ld changed the state", what, n);
		} else {
			CHECKF(r == 0, "%s: gave %d without an injected failure", what, r);
		}
		free(before);
		free(after);
		finish();
		if (!hit) {
			CHECKF(n - 1 == calls, "%s: %ld fallible calls, expected %ld", what, n - 1,
			       calls);
			return;
		}
	}
	FAIL("%s: did not finish", what);
}

static struct fake_fail *alloc_fail(void) { return &fk.alloc; }
static struct fake_fail *reserve_fail(void) { return &fk.reserve; }

static void inject_allocation_failures(void)
{
	inject("mmap new", alloc_fail, op_mmap_new, 1);
	inject("mmap fixed", alloc_fail, op_mmap_fixed_middle, 3);
	inject("munmap middle", alloc_fail, op_munmap_middle, 2);
	inject("munmap across", alloc_fail, op_munmap_across, 2);
	inject("mprotect middle", alloc_fail, op_mprotect_middle, 2);
	inject("mprotect across", alloc_fail, op_mprotect_across, 1);
	inject("mremap move", alloc_fail, op_mremap_move, 3);
	inject("mremap fixed shrink", alloc_fail, op_mremap_fixed_shrink, 6);
	inject("mremap dontunmap", alloc_fail, op_mremap_dontunmap, 3);
	inject("mremap grow", alloc_fail, op_mremap_grow, 0);
	inject("brk", alloc_fail, op_brk, 1);
}

static void inject_reserve_failures(void)
{
	inject("mremap move", reserve_fail, op_mremap_move, 1);
	inject("mremap fixed shrink", reserve_fail, op_mremap_fixed_shrink, 1);
	inject("mremap dontunmap", reserve_fail, op_mremap_dontunmap, 1);
}

static void destroy_releases_everything(void)
{
	struct fake_file *f;

	begin();
	setup_three_areas();
	f = fk.files[0];
	CHECK(f->refs > 0);
	vm_space_destroy(&s);
	CHECK_EQ(f->refs, 0);
	CHECK_EQ(s.nr_vmas, 0);
	finish();
}

int main(void)
{
	CASE(mmap_errors_anonymous);
	CASE(mmap_noreplace);
	CASE(mmap_flags_and_prot_ignored);
	CASE(mmap_errors_file);
	CASE(mmap_placement_topdown);
	CASE(mmap_placement_hints);
	CASE(mmap_placement_guard_gap);
	CASE(mmap_placement_fallback_and_full);
	CASE(mmap_fixed_replaces);
	CASE(mmap_populate);
	CASE(merge_rules_anonymous);
	CASE(merge_rules_file);
	CASE(munmap_cases);
	CASE(munmap_and_mprotect_limit);
	CASE(mprotect_errors);
	CASE(mprotect_split_merge);
	CASE(mprotect_file_limits);
	CASE(mprotect_growsdown);
	CASE(mremap_errors);
	CASE(mremap_shrink_and_grow);
	CASE(mremap_moves);
	CASE(mremap_dontunmap);
	CASE(mremap_dontunmap_keeps_old);
	CASE(mremap_files);
	CASE(madvise_cases);
	CASE(madvise_populate);
	CASE(brk_cases);
	CASE(fault_decisions);
	CASE(fault_out_of_memory);
	CASE(fault_files);
	CASE(fault_growsdown);
	CASE(maps_text);
	CASE(inject_allocation_failures);
	CASE(inject_reserve_failures);
	CASE(destroy_releases_everything);
	return h_exit();
}
