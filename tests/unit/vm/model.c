/*
 * tests/unit/vm/model.c: random operation sequences against a page model.
 *
 * The model is the simplest thing that can describe an address space: one
 * record per page of a small window (mapped?, protection, limits, flags,
 * file and offset, and the page's contents as a tag), plus the contents of
 * two files. Each operation (mmap in every mode, munmap, mprotect, mremap
 * in every mode, madvise DONTNEED/FREE, and reads, writes and executes that
 * fault pages in and grow stacks) is applied to the model by a
 * straightforward page loop written from the man pages, and to the real
 * space; the two results must agree, and after every operation:
 *
 *   - every page has the same attributes in both;
 *   - every present page holds the tag the model expects, and every
 *     absent page would fault in what the model expects (zero, or the file);
 *   - the areas are exactly the maximal runs of mergeable pages (sorted,
 *     disjoint, no mergeable neighbours), and their count matches;
 *   - vm_check and fake_check (translations, frame and file references) hold.
 *
 * Some operations run with an allocation or reservation failure injected;
 * if it hits, the operation must return -ENOMEM and leave everything as
 * it was (the model is not updated). The last operations are printed when
 * a check fails. VM_TEST_SEED picks another seed.
 */
#include <lib/errno.h>

#include "fake.h"
#include "harness.h"

#define NP     192			/* pages in the window */
#define W0     0x100000UL
#define WEND   (W0 + NP * P)
#define MBASE  (W0 + 128 * P)
#define GAP    8			/* guard gap, pages */
#define STACK  32			/* stack_max, pages */
#define FPAGES 12			/* pages per file */
#define NFILES 2

struct mpage {
	bool mapped, priv;	/* priv: a private file page has its own copy */
	unsigned prot, max, flags;
	int file;		/* 0: anonymous, else 1..NFILES */
	uint64_t off;
	uint64_t tag;		/* anonymous contents, or the private copy */
};

static struct mpage M[NP];
static uint64_t ftag[NFILES + 1][FPAGES];
static const unsigned file_max[NFILES + 1] = { 0, VM_PROT_RWX, VM_PROT_READ };
static struct fake_file *files[NFILES + 1];
static struct fake fk;
static struct vm_space s;
static uint64_t next_tag = 1;

/* ---- the operation log, printed on failure ---- */

static char oplog[16][160];
static unsigned opcount;

__attribute__((format(printf, 1, 2)))
static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[opcount++ % 16], sizeof(oplog[0]), fmt, ap);
	va_end(ap);
}

static void dump_log(void)
{
	unsigned first = opcount > 16 ? opcount - 16 : 0;

	for (unsigned i = first; i < opcount; i++)
		printf("  op %u: %s\n", i, oplog[i % 16]);
}

/* ---- the model ---- */

static struct mpage *pg(uintptr_t a)
{
	return a >= W0 && a < WEND ? &M[(a - W0) / P] : NULL;
}

static bool mapped(uintptr_t a)
{
	struct mpage *m = pg(a);

	return m && m->mapped;
}

/* Whether b, the page after a, belongs to the same area. */
static bool same_area(const struct mpage *a, const struct mpage *b)
{
	return a && b && a->mapped && b->mapped && a->prot == b->prot && a->max == b->max &&
	       a->flags == b->flags && a->file == b->file && (!a->file || b->off == a->off + P);
}

static uintptr_t area_start(uintptr_t a)
{
	while (same_area(pg(a - P), pg(a)))
		a -= P;
	return a;
}

static uintptr_t area_end(uintptr_t a)
{
	while (same_area(pg(a), pg(a + P)))
		a += P;
	return a + P;
}

static bool range_free(uintptr_t a, size_t len)
{
	for (uintptr_t x = a; x < a + len; x += P)
		if (mapped(x))
			return false;
	return true;
}

/* The lowest mapped page at or above a, or 0. */
static uintptr_t next_mapped(uintptr_t a)
{
	for (a = a < W0 ? W0 : a; a < WEND; a += P)
		if (mapped(a))
			return a;
	return 0;
}

/* The contents a fresh fault would bring in. */
static uint64_t fresh(const struct mpage *m)
{
	return m->file && m->off / P < FPAGES ? ftag[m->file][m->off / P] : 0;
}

static uint64_t contents(const struct mpage *m)
{
	if (!m->file || m->priv)
		return m->tag;
	return fresh(m);
}

static void unmap_pages(uintptr_t a, size_t len)
{
	for (uintptr_t x = a; x < a + len; x += P)
		if (pg(x))
			*pg(x) = (struct mpage){ 0 };
}

static bool m_fits(uintptr_t a, size_t len)
{
	uintptr_t next;

	if (a < W0 || a + len > WEND || !range_free(a, len))
		return false;
	next = next_mapped(a + len);
	return !next || !(pg(next)->flags & VMA_GROWSDOWN) || a + len + GAP * P <= next;
}

static uintptr_t m_place(uintptr_t hint, size_t len)
{
	if (len > WEND - W0)
		return 0;
	if (hint && hint <= WEND - len && m_fits(hint, len))
		return hint;
	for (uintptr_t a = MBASE - len; a >= W0 && a < MBASE; a -= P)
		if (m_fits(a, len))
			return a;
	for (uintptr_t a = W0; a + len <= WEND; a += P)
		if (m_fits(a, len))
			return a;
	return 0;
}

static size_t round_len(size_t len)
{
	return (len + P - 1) & ~(P - 1);
}

/* mmap's mapping type into page attributes, or an error. */
static int m_mmap_type(unsigned prot, unsigned flags, int file, struct mpage *t)
{
	unsigned type = flags & VM_MAP_TYPE;

	if (file) {
		if (type == VM_MAP_SHARED) {
			if ((prot & VM_PROT_WRITE) && !(file_max[file] & VM_PROT_WRITE))
				return -EACCES;
			t->flags = VMA_SHARED;
			t->max = file_max[file];
		} else if (type == VM_MAP_PRIVATE) {
			t->max = file_max[file] | VM_PROT_WRITE;
		} else {
			return -EINVAL;
		}
		if ((prot & VM_PROT_EXEC) && !(file_max[file] & VM_PROT_EXEC))
			return -EPERM;
		return (flags & VM_MAP_GROWSDOWN) ? -EINVAL : 0;
	}
	t->max = VM_PROT_RWX;
	if (type == VM_MAP_SHARED)
		t->flags = VMA_SHARED;
	else if (type != VM_MAP_PRIVATE)
		return -EINVAL;
	if (flags & VM_MAP_GROWSDOWN) {
		if (type == VM_MAP_SHARED)
			return -EINVAL;
		t->flags = VMA_GROWSDOWN;
	}
	return 0;
}

static long m_mmap(uintptr_t addr, size_t len, unsigned prot, unsigned flags, int file,
		   uint64_t off)
{
	struct mpage t = { .mapped = true, .prot = prot & VM_PROT_RWX, .file = file };
	int r;

	if (flags & VM_MAP_FIXED_NOREPLACE)
		flags |= VM_MAP_FIXED;
	if (!len)
		return -EINVAL;
	len = round_len(len);
	if (flags & VM_MAP_FIXED) {
		if (len > WEND || addr > WEND - len)
			return -ENOMEM;
		if (addr % P)
			return -EINVAL;
		if (addr < W0)
			return -EPERM;
		if ((flags & VM_MAP_FIXED_NOREPLACE) && !range_free(addr, len))
			return -EEXIST;
	} else {
		addr &= ~(P - 1);
		addr = m_place(addr && addr < W0 ? W0 : addr, len);
		if (!addr)
			return -ENOMEM;
	}
	r = m_mmap_type(prot, flags, file, &t);
	if (r)
		return r;
	for (size_t i = 0; i < len / P; i++) {
		struct mpage *m = pg(addr + i * P);

		*m = t;
		m->off = file ? off + i * P : 0;
		if ((flags & VM_MAP_POPULATE) && file && !(t.flags & VMA_SHARED) &&
		    (t.prot & VM_PROT_WRITE) && m->off / P < FPAGES) {
			m->priv = true;
			m->tag = ftag[file][m->off / P];
		}
	}
	return (long)addr;
}

static long m_munmap(uintptr_t addr, size_t len)
{
	if (addr % P || addr > WEND || len > WEND - addr || !len)
		return -EINVAL;
	unmap_pages(addr, round_len(len));
	return 0;
}

/* mprotect's range check: the first problem in address order. */
static int m_mprotect_walk(uintptr_t start, uintptr_t end, unsigned prot)
{
	for (uintptr_t a = start; a < end; a += P) {
		if (!mapped(a))
			return -ENOMEM;
		if (prot & ~pg(a)->max)
			return -EACCES;
	}
	return 0;
}

static long m_mprotect(uintptr_t addr, size_t len, unsigned prot)
{
	unsigned grows = prot & (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP);
	uintptr_t end, first;
	int r;

	prot &= ~grows;
	if (grows == (VM_PROT_GROWSDOWN | VM_PROT_GROWSUP) || addr % P)
		return -EINVAL;
	if (!len)
		return 0;
	end = addr + round_len(len);
	if (prot & ~(VM_PROT_RWX | VM_PROT_SEM))
		return -EINVAL;
	first = mapped(addr) ? addr : next_mapped(addr);
	if (!first)
		return -ENOMEM;
	if (grows & VM_PROT_GROWSDOWN) {
		if (first >= end)
			return -ENOMEM;
		addr = area_start(first);
		if (!(pg(addr)->flags & VMA_GROWSDOWN))
			return -EINVAL;
	} else if (first > addr) {
		return -ENOMEM;
	} else if (grows) {
		return -EINVAL;
	}
	r = m_mprotect_walk(addr, end, prot & VM_PROT_RWX);
	if (r)
		return r;
	for (uintptr_t a = addr; a < end; a += P)
		pg(a)->prot = prot & VM_PROT_RWX;
	return 0;
}

static long m_madvise(uintptr_t addr, size_t len, int advice)
{
	bool hole = false;

	if (addr % P)
		return -EINVAL;
	len = round_len(len);
	for (uintptr_t a = addr; a < addr + len; a += P) {
		struct mpage *m = pg(a);

		if (!m || !m->mapped) {
			hole = true;
			continue;
		}
		if (advice == VM_MADV_FREE && (m->file || (m->flags & VMA_SHARED)))
			return -EINVAL;
		if (!m->file && (m->flags & VMA_SHARED))
			continue;
		m->tag = 0;
		m->priv = false;
	}
	return hole ? -ENOMEM : 0;
}

/* The page attributes at the destination of a move, contents moved along. */
static void m_move(uintptr_t old, size_t ol, size_t nl, unsigned flags, uintptr_t dest)
{
	size_t moved = ol < nl ? ol : nl;
	struct mpage t = *pg(old), src[NP];
	uint64_t off0 = t.off;

	for (size_t i = 0; i < moved / P; i++)
		src[i] = *pg(old + i * P);
	if (ol > nl)
		unmap_pages(old + nl, ol - nl);
	if (flags & VM_MREMAP_FIXED)
		unmap_pages(dest, nl);
	for (size_t i = 0; i < moved / P; i++) {
		struct mpage *m = pg(old + i * P);

		if (flags & VM_MREMAP_DONTUNMAP)
			m->tag = 0, m->priv = false;
		else
			*m = (struct mpage){ 0 };
	}
	for (size_t i = 0; i < nl / P; i++) {
		struct mpage *m = pg(dest + i * P);

		*m = i < moved / P ? src[i] : t;
		if (i >= moved / P)
			m->tag = 0, m->priv = false;
		m->off = t.file ? off0 + i * P : 0;
	}
}

static int m_mremap_args(uintptr_t old, size_t *ol, size_t *nl, unsigned flags, uintptr_t na)
{
	if ((flags & ~7u) || ((flags & 6) && !(flags & VM_MREMAP_MAYMOVE)) || old % P)
		return -EINVAL;
	*ol = round_len(*ol);
	*nl = round_len(*nl);
	if (!*nl || ((flags & VM_MREMAP_DONTUNMAP) && *ol != *nl))
		return -EINVAL;
	if (*ol > WEND || old > WEND - *ol)
		return -EINVAL;
	if (!(flags & (VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP)))
		return 0;
	if (na % P || *nl > WEND || na > WEND - *nl)
		return -EINVAL;
	if (old + *ol > na && na + *nl > old)
		return -EINVAL;
	return (flags & VM_MREMAP_FIXED) && na < W0 ? -EPERM : 0;
}

static long m_mremap(uintptr_t old, size_t ol, size_t nl, unsigned flags, uintptr_t na)
{
	int r = m_mremap_args(old, &ol, &nl, flags, na);
	uintptr_t end, dest;
	struct mpage *m;

	if (r)
		return r;
	if (!mapped(old))
		return -EFAULT;
	m = pg(old);
	end = area_end(old);
	if (!ol && !(m->file && (m->flags & VMA_SHARED)))
		return -EINVAL;
	if (flags & (VM_MREMAP_FIXED | VM_MREMAP_DONTUNMAP)) {
		if ((ol < nl ? ol : nl) > end - old)
			return -EFAULT;
		if ((flags & VM_MREMAP_DONTUNMAP) && !m->file && (m->flags & VMA_SHARED))
			return -EINVAL;
		dest = (flags & VM_MREMAP_FIXED) ? na : m_place(na & ~(P - 1), nl);
		if (!dest)
			return -ENOMEM;
		m_move(old, ol, nl, flags, dest);
		return (long)dest;
	}
	if (nl <= ol) {
		unmap_pages(old + nl, ol - nl);
		return (long)old;
	}
	if (ol > end - old)
		return -EFAULT;
	if (old + ol == end && end + (nl - ol) <= WEND && range_free(end, nl - ol)) {
		struct mpage t = *pg(end - P);

		for (uintptr_t a = end; a < old + nl; a += P) {
			*pg(a) = t;
			pg(a)->tag = 0, pg(a)->priv = false;
			pg(a)->off = t.file ? t.off + (a - end + P) : 0;
		}
		return (long)old;
	}
	if (!(flags & VM_MREMAP_MAYMOVE) || !(dest = m_place(0, nl)))
		return -ENOMEM;
	m_move(old, ol, nl, flags, dest);
	return (long)dest;
}

static bool m_allows(unsigned prot, unsigned access)
{
	if (access == VM_PROT_WRITE)
		return prot & VM_PROT_WRITE;
	if (access == VM_PROT_EXEC)
		return prot & VM_PROT_EXEC;
	return prot & VM_PROT_RWX;
}

/* Whether the stack above the free page a may grow down to it (Linux's rules). */
static bool m_may_grow(uintptr_t a)
{
	uintptr_t next = next_mapped(a), prev = 0;

	if (!next || !(pg(next)->flags & VMA_GROWSDOWN) || area_end(next) - a > STACK * P)
		return false;
	for (uintptr_t x = a; x >= W0 + P && !prev; x -= P)
		if (mapped(x - P))
			prev = x - P;
	if (!prev || (pg(prev)->flags & VMA_GROWSDOWN) || !(pg(prev)->prot & VM_PROT_RWX))
		return true;
	return a - (prev + P) >= GAP * P;
}

static long m_touch(uintptr_t a, unsigned access, uint64_t tag, uint64_t *seen)
{
	uintptr_t page = a & ~(P - 1), next;
	struct mpage *m = pg(page);

	if (!m)
		return -EFAULT;
	if (!m->mapped) {
		if (!m_may_grow(page))
			return -EFAULT;
		next = next_mapped(page);
		if (!m_allows(pg(next)->prot, access))
			return -EACCES;
		for (uintptr_t x = page; x < next; x += P)
			*pg(x) = (struct mpage){ .mapped = true, .prot = pg(next)->prot,
						 .max = VM_PROT_RWX, .flags = VMA_GROWSDOWN };
	}
	if (!m_allows(m->prot, access))
		return -EACCES;
	if (m->file && m->off / P >= FPAGES)
		return -EIO;
	if (access == VM_PROT_READ)
		*seen = contents(m);
	if (access != VM_PROT_WRITE)
		return 0;
	if (m->file && (m->flags & VMA_SHARED)) {
		ftag[m->file][m->off / P] = tag;
	} else {
		m->tag = tag;
		m->priv = m->file != 0;
	}
	return 0;
}

/* ---- checking the space against the model ---- */

static void compare_page(uintptr_t a)
{
	const struct mpage *m = pg(a);
	const struct vma *v = vm_find(&s, a);
	uint64_t tag;

	if (!m->mapped) {
		CHECKF(!v, "page %#lx mapped, model says not", (unsigned long)a);
		return;
	}
	if (!CHECKF(v, "page %#lx not mapped", (unsigned long)a))
		return;
	CHECKF(v->prot == m->prot && v->max_prot == m->max && v->flags == m->flags,
	       "page %#lx: prot %x/%x max %x/%x flags %x/%x", (unsigned long)a, v->prot,
	       m->prot, v->max_prot, m->max, v->flags, m->flags);
	CHECKF(v->file.obj == (m->file ? (void *)files[m->file] : NULL) &&
	       (!m->file || v->offset + (a - v->start) == m->off),
	       "page %#lx: file or offset differs", (unsigned long)a);
	if (fake_peek(&fk, a, &tag))
		CHECKF(tag == contents(m), "page %#lx holds %#llx, model %#llx", (unsigned long)a,
		       (unsigned long long)tag, (unsigned long long)contents(m));
	else
		CHECKF(fresh(m) == contents(m), "page %#lx lost its contents %#llx",
		       (unsigned long)a, (unsigned long long)contents(m));
}

/* The areas are exactly the model's maximal runs. */
static void compare_areas(void)
{
	size_t runs = 0;

	for (uintptr_t a = W0; a < WEND; a += P)
		runs += mapped(a) && !same_area(pg(a - P), pg(a));
	CHECKF(s.nr_vmas == runs, "%zu areas, model has %zu", s.nr_vmas, runs);
	for (const struct vma *v = vm_find_next(&s, 0); v && !failed(); v = vm_next(v))
		CHECKF(area_start(v->start) == v->start && area_end(v->start) == v->end,
		       "area %#lx-%#lx is not a maximal run", (unsigned long)v->start,
		       (unsigned long)v->end);
}

static void compare(void)
{
	const char *why;

	for (uintptr_t a = W0; a < WEND && !failed(); a += P)
		compare_page(a);
	compare_areas();
	why = vm_check(&s);
	CHECKF(!why, "vm_check: %s", why);
	why = fake_check(&fk, &s);
	CHECKF(!why, "fake_check: %s", why);
}

/* ---- random operations ---- */

static uintptr_t rand_addr(void)
{
	uintptr_t a = W0 + rnd(NP + 8) * P - 4 * P;

	return rnd(30) ? a : a + 1 + rnd(P - 1);
}

static size_t rand_len(unsigned max_pages)
{
	size_t pages = rnd(max_pages + 1);

	if (!pages || rnd(4))
		return pages * P;
	return pages * P - rnd(P);
}

static unsigned rand_prot(void)
{
	return (unsigned)rnd(8);
}

/* An address inside some mapping, usually. */
static uintptr_t mapped_addr(void)
{
	for (int i = 0; i < 8; i++) {
		uintptr_t a = W0 + rnd(NP) * P;

		if (mapped(a))
			return a;
	}
	return rand_addr();
}

static long v_result(int r, uintptr_t out)
{
	return r ? r : (long)out;
}

static const unsigned map_types[] = {
	VM_MAP_PRIVATE | VM_MAP_ANONYMOUS, VM_MAP_PRIVATE | VM_MAP_ANONYMOUS,
	VM_MAP_PRIVATE | VM_MAP_ANONYMOUS, VM_MAP_SHARED | VM_MAP_ANONYMOUS,
	VM_MAP_PRIVATE | VM_MAP_ANONYMOUS | VM_MAP_GROWSDOWN, VM_MAP_PRIVATE, VM_MAP_SHARED,
	VM_MAP_ANONYMOUS,
};

static void op_mmap(long *want, long *got)
{
	unsigned flags = map_types[rnd(8)], mode = (unsigned)rnd(10);
	uintptr_t addr = mode < 8 ? rand_addr() : 0, out = 0;
	size_t len = rand_len(20);
	unsigned prot = rand_prot();
	int file = (flags & VM_MAP_ANONYMOUS) ? 0 : 1 + (int)rnd(NFILES);
	uint64_t off = rnd(FPAGES) * P;

	if (mode < 4)
		flags |= VM_MAP_FIXED;
	else if (mode < 5)
		flags |= VM_MAP_FIXED_NOREPLACE;
	if (!rnd(8))
		flags |= VM_MAP_POPULATE;
	logop("mmap(%#lx, %#zx, %u, %#x, file %d, %#llx)", (unsigned long)addr, len, prot, flags,
	      file, (unsigned long long)off);
	*want = m_mmap(addr, len, prot, flags, file, off);
	*got = vm_mmap(&s, addr, len, prot, flags, file ? &files[file]->vf : NULL, off, &out);
	*got = v_result((int)*got, out);
}

static void op_munmap(long *want, long *got)
{
	uintptr_t addr = rnd(2) ? mapped_addr() : rand_addr();
	size_t len = rand_len(24);

	logop("munmap(%#lx, %#zx)", (unsigned long)addr, len);
	*want = m_munmap(addr, len);
	*got = vm_munmap(&s, addr, len);
}

static void op_mprotect(long *want, long *got)
{
	uintptr_t addr = rnd(4) ? mapped_addr() : rand_addr();
	size_t len = rand_len(12);
	unsigned prot = rand_prot();

	if (!rnd(10))
		prot |= VM_PROT_GROWSDOWN;
	if (!rnd(40))
		prot |= rnd(2) ? VM_PROT_GROWSUP : 0x10;
	logop("mprotect(%#lx, %#zx, %#x)", (unsigned long)addr, len, prot);
	*want = m_mprotect(addr, len, prot);
	*got = vm_mprotect(&s, addr, len, prot);
}

static const unsigned remap_flags[] = {
	0, VM_MREMAP_MAYMOVE, VM_MREMAP_MAYMOVE, VM_MREMAP_MAYMOVE | VM_MREMAP_FIXED,
	VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP,
	VM_MREMAP_MAYMOVE | VM_MREMAP_DONTUNMAP | VM_MREMAP_FIXED, VM_MREMAP_FIXED, 8,
};

static void op_mremap(long *want, long *got)
{
	uintptr_t old = rnd(5) ? mapped_addr() : rand_addr(), na = W0 + rnd(NP) * P, out = 0;
	size_t ol = rnd(12) ? rand_len(8) : 0, nl = rand_len(12);
	unsigned flags = remap_flags[rnd(8)];

	if ((flags & VM_MREMAP_DONTUNMAP) && rnd(4))
		nl = ol;
	logop("mremap(%#lx, %#zx, %#zx, %#x, %#lx)", (unsigned long)old, ol, nl, flags,
	      (unsigned long)na);
	*want = m_mremap(old, ol, nl, flags, na);
	*got = vm_mremap(&s, old, ol, nl, flags, na, &out);
	*got = v_result((int)*got, out);
}

static void op_madvise(long *want, long *got)
{
	uintptr_t addr = rnd(4) ? mapped_addr() : rand_addr();
	size_t len = rand_len(10);
	int advice = rnd(3) ? VM_MADV_DONTNEED : VM_MADV_FREE;

	logop("madvise(%#lx, %#zx, %d)", (unsigned long)addr, len, advice);
	*want = m_madvise(addr, len, advice);
	*got = vm_madvise(&s, addr, len, advice);
}

static void op_touch(long *want, long *got)
{
	uintptr_t a = (rnd(3) ? mapped_addr() : rand_addr()) + rnd(P);
	unsigned access = (unsigned []){ VM_PROT_READ, VM_PROT_WRITE, VM_PROT_EXEC }[rnd(3)];
	uint64_t tag = next_tag++, seen_m = ~0ull, seen_v = ~0ull;

	logop("touch(%#lx, %u, tag %#llx)", (unsigned long)a, access, (unsigned long long)tag);
	*want = m_touch(a, access, tag, &seen_m);
	if (access == VM_PROT_READ)
		*got = user_read(&s, a, &seen_v);
	else if (access == VM_PROT_WRITE)
		*got = user_write(&s, a, tag);
	else
		*got = user_exec(&s, a);
	if (*want == 0 && *got == 0)
		CHECKF(seen_m == seen_v, "read %#llx, model %#llx", (unsigned long long)seen_v,
		       (unsigned long long)seen_m);
}

static void (*const ops[])(long *, long *) = {
	op_mmap, op_mmap, op_mmap, op_munmap, op_mprotect, op_mprotect, op_mremap, op_mremap,
	op_madvise, op_touch, op_touch, op_touch, op_touch,
};

/* Arms a failure for the next operation, sometimes; returns it or NULL. */
static struct fake_fail *maybe_inject(void)
{
	unsigned r = (unsigned)rnd(100);

	if (r < 8) {
		fake_fail_nth(&fk.alloc, 1 + (long)rnd(4));
		return &fk.alloc;
	}
	if (r < 11) {
		fake_fail_nth(&fk.reserve, 1);
		return &fk.reserve;
	}
	return NULL;
}

static void step(void)
{
	static struct mpage saved[NP];
	static uint64_t saved_ftag[NFILES + 1][FPAGES];
	struct fake_fail *inj = maybe_inject();
	char *before = inj ? fake_snapshot(&fk, &s) : NULL;
	long want, got;
	bool hit;

	memcpy(saved, M, sizeof(M));
	memcpy(saved_ftag, ftag, sizeof(ftag));
	ops[rnd(sizeof(ops) / sizeof(ops[0]))](&want, &got);
	hit = inj && inj->calls >= inj->at;
	if (inj)
		fake_fail_nth(inj, 0);
	if (hit) {
		char *after = fake_snapshot(&fk, &s);

		CHECKF(got == -ENOMEM && (want >= 0 || want == -ENOMEM),
		       "injected failure: got %ld, model %ld", got, want);
		CHECKF(!strcmp(before, after), "injected failure changed the state");
		memcpy(M, saved, sizeof(M));
		memcpy(ftag, saved_ftag, sizeof(ftag));
		free(after);
	} else {
		CHECKF(got == want, "result %ld, model %ld", got, want);
	}
	free(before);
	if (!failed())
		compare();
}

static void setup(void)
{
	fake_init(&fk);
	fake_space(&s, &fk, W0, WEND, MBASE);
	s.limits.guard_gap = GAP * P;
	s.limits.stack_max = STACK * P;
	memset(M, 0, sizeof(M));
	for (int f = 1; f <= NFILES; f++) {
		files[f] = fake_file_new(&fk, f, FPAGES, file_max[f], f == 1 ? "/one" : "/two");
		for (int i = 0; i < FPAGES; i++)
			ftag[f][i] = file_page_tag(f, (size_t)i);
	}
}

static void teardown(void)
{
	vm_space_destroy(&s);
	CHECK_EQ(fk.live_vmas, 0);
	CHECK_EQ(fk.nr_ptes, 0);
	for (int f = 1; f <= NFILES; f++) {
		CHECK_EQ(files[f]->refs, 0);
		fake_file_free(files[f]);
	}
	CHECK_EQ(fk.used_frames, 0);
	fake_fini(&fk);
}

static void run(uint64_t seed, int steps)
{
	h_seed(seed);
	opcount = 0;
	setup();
	for (int i = 0; i < steps && !failed(); i++)
		step();
	if (failed())
		dump_log();
	teardown();
}

static void model_seed_1(void) { run(1, 30000); }
static void model_seed_2(void) { run(2, 30000); }
static void model_seed_3(void) { run(3, 30000); }
static void model_seed_4(void) { run(4, 30000); }

int main(void)
{
	CASE(model_seed_1);
	CASE(model_seed_2);
	CASE(model_seed_3);
	CASE(model_seed_4);
	return h_exit();
}
