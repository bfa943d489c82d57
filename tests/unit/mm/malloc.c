/*
 * tests/unit/mm/malloc.c: the malloc family against a model.
 *
 * The model is the list of live objects with their sizes, alignments and
 * a tag byte written over their ends; a random sequence of malloc, calloc,
 * realloc, aligned_alloc and free must keep every tag intact, never let
 * two live objects share a physical byte (the aliases make virtual
 * addresses useless for that), honour every alignment, and give back
 * every page at the end. Around it: each size's owner and cost (the
 * claims of docs/memory.md), alignments up to 4 MiB, running out of
 * memory and recovering, the owner of every area, realloc in place, and
 * frees of pointers no allocator handed out.
 */
#include <malloc.h>

#include "check.h"

struct obj {
	unsigned char *p;
	size_t size, align;
	unsigned char tag;
};

#define EDGE 256	/* bytes checked in full at each end of an object */

static void tag(struct obj *o)
{
	memset(o->p, o->tag, o->size);
}

/* The first `upto` bytes still hold the tag: the ends in full, a sample between. */
static bool tag_ok(const struct obj *o, size_t upto)
{
	size_t n = upto < o->size ? upto : o->size;

	for (size_t i = 0; i < n; i += (i < EDGE || i + EDGE >= n) ? 1 : 61)
		if (o->p[i] != o->tag)
			return false;
	return true;
}

/* The alignment malloc promises: 8 up to 8 bytes, 16 above, and a power-of-two size's own up to a page. */
static size_t promised_align(size_t size, size_t align)
{
	size_t a = size <= 8 ? 8 : 16;

	if (size && !(size & (size - 1)) && size <= MM_PAGE_SIZE && size > a)
		a = size;
	return align > a ? align : a;
}

static size_t random_size(size_t cap)
{
	uint64_t r = rng() % 100;
	size_t s;

	if (r < 50)
		s = rng() % 129;
	else if (r < 75)
		s = 129 + rng() % 896;
	else if (r < 90)
		s = 1025 + rng() % 3072;
	else if (r < 98)
		s = 4097 + rng() % 61440;
	else
		s = 65537 + rng() % (1u << 20);
	return s < cap ? s : cap;
}

struct span {
	uint64_t lo, hi;
};

static int by_lo(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* No two live objects share a physical byte. */
static bool disjoint(const struct obj *live, size_t n)
{
	static struct span s[8192];
	size_t m = 0;

	for (size_t i = 0; i < n && m < 8192; i++) {
		uint64_t pa = mm_virt_to_phys(live[i].p);
		size_t u = mm_malloc_usable_size(live[i].p);

		s[m++] = (struct span){ pa, pa + (u ? u : 1) };
	}
	qsort(s, m, sizeof(s[0]), by_lo);
	for (size_t i = 1; i < m; i++)
		if (s[i].lo < s[i - 1].hi)
			return false;
	return true;
}

static bool check_new(struct obj *o, const char **why)
{
	if (!o->p)
		return true;
	if ((uintptr_t)o->p % promised_align(o->size, o->align)) {
		*why = "misaligned";
		return false;
	}
	if (mm_malloc_usable_size(o->p) < o->size) {
		*why = "usable size below the size asked";
		return false;
	}
	return true;
}

/* One random step on the model; false (and *why) on the first broken promise. */
static bool step(struct obj *live, size_t *n, size_t max, size_t cap, const char **why)
{
	uint64_t op = rng() % 100;
	struct obj o = { NULL, random_size(cap), 0, (unsigned char)rng() };
	size_t victim = *n ? rng() % *n : 0;

	if (*n && (op < 30 || *n == max)) {
		if (!tag_ok(&live[victim], SIZE_MAX))
			return *why = "contents changed", false;
		mm_free(live[victim].p);
		live[victim] = live[--*n];
		return true;
	}
	if (*n && op < 45) {
		struct obj *v = &live[victim];
		size_t keep = o.size < v->size ? o.size : v->size;
		unsigned char *q = mm_realloc(v->p, o.size);

		if (!q && o.size)
			return true;	/* out of memory: v is intact */
		if (!o.size) {
			live[victim] = live[--*n];
			return true;
		}
		v->p = q;
		if (!tag_ok(&(struct obj){ q, keep, 0, v->tag }, keep))
			return *why = "realloc lost contents", false;
		v->size = o.size;
		v->align = 0;
		if (!check_new(v, why))
			return false;
		tag(v);
		return true;
	}
	if (op < 55) {
		o.p = mm_calloc(1, o.size);
		for (size_t i = 0; o.p && i < o.size; i += 61)
			if (o.p[i])
				return *why = "calloc memory not zeroed", false;
	} else if (op < 62) {
		o.align = (size_t)1 << (3 + rng() % 14);
		o.p = mm_aligned_alloc(o.align, o.size);
	} else {
		o.p = mm_malloc(o.size);
	}
	if (!o.p)
		return true;
	if (!check_new(&o, why))
		return false;
	tag(&o);
	live[(*n)++] = o;
	return true;
}

static void random_run(const char *name, size_t ram, int steps, size_t cap)
{
	static struct obj live[4096];
	size_t n = 0, before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1], free0;
	const char *why = "";
	bool ok = true;

	if (!check(name_of("%s.boot", name), boot(ram), "boot failed"))
		return;
	mm_trim();
	page_free_blocks(before);
	free0 = page_free_count();
	for (int i = 0; i < steps && ok; i++) {
		ok = step(live, &n, sizeof(live) / sizeof(live[0]), cap, &why);
		if (ok && i % 2000 == 0 && !disjoint(live, n))
			ok = false, why = "two live objects overlap";
	}
	check(name_of("%s.model", name), ok && disjoint(live, n), "%s", why);
	while (n)
		mm_free(live[--n].p);
	mm_trim();
	page_free_blocks(after);
	check(name_of("%s.all-back", name), page_free_count() == free0 &&
	      !memcmp(before, after, sizeof(before)), "free %zu, want %zu; lists %s",
	      page_free_count(), free0, memcmp(before, after, sizeof(before)) ? "differ" : "same");
	shutdown_mm();
}

static unsigned expected_owner(size_t size)
{
	if (size > 4096)
		return MM_OWNER_LARGE;
	if (size > 3264)
		return MM_OWNER_PAGE;
	if (size > 1808 && size <= 2048)
		return MM_OWNER_HALF;
	return MM_OWNER_MEMPOOL;
}

static void test_sizes(void)
{
	bool ok = true;
	size_t bad = 0;

	boot(64u << 20);
	for (size_t s = 0; s <= 20000 && ok; s += s < 4200 ? 1 : 97) {
		void *p = mm_malloc(s);
		size_t u = p ? mm_malloc_usable_size(p) : 0;

		/* waste bound: the class spacing (at most 1/4 above 64 bytes) */
		ok = p && mm_owner_of(p) == expected_owner(s) && u >= s &&
		     (s < 64 ? u - s < 16 : s > 4096 ? u - s < 4096 : u - s <= s / 4 + 16) &&
		     (uintptr_t)p % promised_align(s, 0) == 0;
		if (!ok)
			bad = s;
		mm_free(p);
	}
	check("malloc.sizes.owner-usable-align", ok, "size %zu", bad);
	shutdown_mm();
}

/* Bytes of memory one live object costs, measured over many. */
static double cost(size_t size)
{
	size_t n = size >= (256u << 10) ? 32 : size >= 4096 ? 256 : 8192, f0;
	static void *p[8192];
	double c;

	mm_trim();
	f0 = page_free_count();
	for (size_t i = 0; i < n; i++)
		p[i] = mm_malloc(size);
	mm_trim();
	c = (double)(f0 - page_free_count()) * 4096 / (double)n;
	for (size_t i = 0; i < n; i++)
		mm_free(p[i]);
	return c;
}

static void test_costs(void)
{
	static const struct {
		size_t size;
		double bytes;
	} want[] = {
		{ 1, 8 }, { 8, 8 }, { 16, 16 }, { 24, 32 }, { 100, 4096.0 / 36 },
		{ 1024, 1024 }, { 1500, 8192.0 / 5 }, { 2048, 2048 }, { 2049, 16384.0 / 7 },
		{ 3000, 16384.0 / 5 }, { 4000, 4096 }, { 4096, 4096 }, { 4097, 8192 },
		{ 8192, 8192 }, { 65536, 65536 }, { 1u << 20, 1u << 20 },
	};

	boot(256u << 20);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		double c = cost(want[i].size);

		check(name_of("malloc.cost.%zu", want[i].size),
		      c <= want[i].bytes * 1.01 + 0.5 && c >= want[i].bytes * 0.97,
		      "%.1f bytes per object, want %.1f", c, want[i].bytes);
	}
	shutdown_mm();
}

static void test_aligned(void)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 9, 100, 1000, 2048, 3000, 4096, 4097, 10000, 100000 };
	size_t bad_a = 0, bad_s = 0, free0;
	void *p;

	boot(64u << 20);
	free0 = page_free_count();
	for (size_t a = 8; a <= (4u << 20); a <<= 1) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p = mm_aligned_alloc(a, sizes[i]);
			if (!p || (uintptr_t)p % a || mm_malloc_usable_size(p) < sizes[i])
				bad_a = a, bad_s = sizes[i];
			mm_free(p);
		}
	}
	check("malloc.aligned", !bad_a, "align %zu size %zu", bad_a, bad_s);
	check("malloc.aligned.page-in-page", (p = mm_aligned_alloc(4096, 3000)) &&
	      mm_owner_of(p) == MM_OWNER_PAGE, "a page-aligned 3000-byte object is one page");
	mm_free(p);
	check("malloc.posix_memalign", mm_posix_memalign(&p, 4, 10) == MM_EINVAL &&
	      mm_posix_memalign(&p, 24, 10) == MM_EINVAL && !mm_aligned_alloc(24, 10) &&
	      mm_posix_memalign(&p, 64, 10) == 0 && (uintptr_t)p % 64 == 0 &&
	      mm_posix_memalign(&p, 64, SIZE_MAX / 2) == MM_ENOMEM,
	      "wrong errors");
	mm_free(p);
	mm_trim();
	check("malloc.aligned.all-back", page_free_count() == free0, "pages leaked");
	shutdown_mm();
}

static void test_exhaust(void)
{
	static void *p[65536];
	size_t n1 = 0, n2 = 0, big = 0, free0;

	boot(4u << 20);
	free0 = page_free_count();
	while (n1 < 65536 && (p[n1] = mm_malloc(100)))
		n1++;
	while (n1)
		mm_free(p[--n1]);
	while (n2 < 65536 && (p[n2] = mm_malloc(100)))
		n2++;
	check("malloc.exhaust.small", n2 > 30000 && n2 < 65536 && !mm_malloc(5000) && !mm_malloc(1),
	      "%zu objects", n2);
	while (n2)
		mm_free(p[--n2]);
	while (big < 1000 && (p[big] = mm_malloc(65536)))
		big++;
	while (n2 < 60000 && (p[big + n2] = mm_malloc(3000)))
		n2++;
	check("malloc.exhaust.mixed", big > 20 && !mm_malloc(65536) && !mm_calloc(1, 3000),
	      "%zu big, %zu small", big, n2);
	mm_free(p[0]);
	p[0] = mm_malloc(65536);
	check("malloc.exhaust.recover", p[0] != NULL, "no 64 KiB object after freeing one");
	for (size_t i = 0; i < big + n2; i++)
		mm_free(p[i]);
	mm_trim();
	check("malloc.exhaust.all-back", page_free_count() == free0, "free %zu want %zu",
	      page_free_count(), free0);
	check("malloc.huge", !mm_malloc(SIZE_MAX) && !mm_malloc(SIZE_MAX / 2) &&
	      !mm_calloc(SIZE_MAX / 2, 4) && !mm_aligned_alloc(1ul << 40, 10) &&
	      !mm_realloc(NULL, 1ul << 40), "absurd sizes must return NULL");
	shutdown_mm();
}

static void test_owners(void)
{
	struct mm_range r[2];
	size_t n = pc_ranges(r, 16u << 20);
	void *early, *obj[5];
	static const size_t sizes[] = { 100, 2000, 4000, 50000 };
	static const unsigned owners[] = { MM_OWNER_MEMPOOL, MM_OWNER_HALF, MM_OWNER_PAGE,
					   MM_OWNER_LARGE };
	bool ok = true;

	for (unsigned k = 0; k < 8; k++)
		ok = ok && mm_owner_of(mm_area_ptr(k, 0)) == k &&
		     mm_owner_of(mm_area_ptr(k, MM_AREA_SIZE - 1)) == k;
	ok = ok && mm_owner_of(NULL) >= MM_NR_AREAS && mm_owner_of(&n) >= MM_NR_AREAS;
	check("malloc.owner.arithmetic", ok, "owner bits wrong");

	mm_host_init(16u << 20);
	mm_early_init(r, n, UINT64_MAX);
	early = mm_malloc(100);
	mm_page_init();
	ok = mm_owner_of(early) == MM_OWNER_EARLY;
	for (int i = 0; i < 4; i++) {
		obj[i] = mm_malloc(sizes[i]);
		ok = ok && mm_owner_of(obj[i]) == owners[i];
	}
	mm_debug_enable(true);
	obj[4] = mm_malloc(100);
	mm_debug_enable(false);
	ok = ok && mm_owner_of(obj[4]) == MM_OWNER_DEBUG;
	check("malloc.owner.areas", ok, "an object is in the wrong area");
	mm_host_corruption_fatal(false);
	for (int i = 0; i < 5; i++)
		mm_free(obj[i]);
	mm_free(early);
	check("malloc.owner.free-each", mm_host_corruptions() == 0, "%s",
	      mm_host_last_corruption());
	mm_host_corruption_fatal(true);
	shutdown_mm();
}

static void test_realloc(void)
{
	static const size_t chain[] = { 10, 200, 1900, 3500, 9000, 300000, 50, 0 };
	unsigned char *p, *q;
	size_t f;
	bool ok = true;

	boot(64u << 20);
	p = mm_malloc(100);
	check("malloc.realloc.same-class", mm_realloc(p, 110) == p && mm_realloc(p, 97) == p,
	      "moved within one class");
	mm_free(p);
	p = mm_malloc(40000);
	f = page_free_count();
	q = mm_realloc(p, 10000);
	check("malloc.realloc.shrink-large", q == p && page_free_count() == f + 7,
	      "shrinking a large object must give back its tail pages in place");
	mm_free(q);
	p = NULL;
	for (size_t i = 0, prev = 0; chain[i]; prev = chain[i], i++) {
		p = mm_realloc(p, chain[i]);
		for (size_t j = 0; j < prev && j < chain[i]; j++)
			ok = ok && p[j] == (unsigned char)j;
		for (size_t j = 0; j < chain[i]; j++)
			p[j] = (unsigned char)j;
	}
	f = page_free_count();
	check("malloc.realloc.chain", ok, "contents lost across areas");
	check("malloc.realloc.zero", mm_realloc(p, 0) == NULL, "realloc(p, 0) returns NULL");
	mm_trim();
	check("malloc.realloc.zero-frees", page_free_count() >= f, "realloc(p, 0) must free");
	p = mm_malloc(200);
	memset(p, 0xff, 200);
	mm_free(p);
	q = mm_calloc(1, 200);
	ok = q == p;
	for (int i = 0; i < 200; i++)
		ok = ok && !q[i];
	check("malloc.calloc.recycled-zeroed", ok, "calloc returned dirty memory");
	mm_free(q);
	shutdown_mm();
}

static void test_bad_frees(void)
{
	unsigned c0;
	char *p;
	void *g = malloc(16);

	boot(16u << 20);
	mm_host_corruption_fatal(false);
	c0 = mm_host_corruptions();
	mm_free(NULL);
	check("malloc.free-null", mm_host_corruptions() == c0, "free(NULL) reported");
	mm_free(g);
	check("malloc.bad.foreign", mm_host_corruptions() == c0 + 1, "a libc pointer was accepted");
	p = mm_malloc(2000);
	mm_free(p);
	mm_free(p);
	check("malloc.bad.half-twice", mm_host_corruptions() == c0 + 2, "double free not seen");
	p = mm_malloc(4000);
	mm_free(p);
	mm_free(p);
	check("malloc.bad.page-twice", mm_host_corruptions() == c0 + 3, "double free not seen");
	p = mm_malloc(10000);
	mm_free(p + 4096);
	mm_free(p);
	mm_free(p);
	check("malloc.bad.large", mm_host_corruptions() == c0 + 5, "interior or double free not seen");
	p = mm_malloc(64);
	mm_free(p + 16);
	mm_trim();
	check("malloc.bad.mempool-interior", mm_host_corruptions() == c0 + 6,
	      "interior pointer not caught when the cache flushed");
	mm_free(p);
	mm_free(mm_phys_to_virt(0x200000));
	check("malloc.bad.direct-map", mm_host_corruptions() == c0 + 7, "direct-map free accepted");
	mm_free(mm_area_ptr(MM_OWNER_MEMPOOL, (64u << 20)));
	check("malloc.bad.beyond-ram", mm_host_corruptions() == c0 + 8, "free beyond RAM accepted");
	mm_host_corruption_fatal(true);
	shutdown_mm();
	free(g);
}

int main(void)
{
	test_sizes();
	test_costs();
	test_aligned();
	test_exhaust();
	test_owners();
	test_realloc();
	test_bad_frees();
	random_run("malloc.random.2MiB", 2u << 20, 20000, 64u << 10);
	random_run("malloc.random.8MiB", 8u << 20, 50000, 512u << 10);
	random_run("malloc.random.64MiB", 64u << 20, 200000, SIZE_MAX);
	random_run("malloc.random.1GiB", 1u << 30, 100000, SIZE_MAX);
	return check_exit();
}
