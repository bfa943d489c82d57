/*
 * tests/unit/mm/pcp.c: the per-CPU caches (mm/pcp.c).
 *
 * Simulated CPUs in one thread (mm_host_set_cpu) interleaving page and
 * object allocations at random, with every block checked for double
 * hand-out; exhaustion with memory stranded in other CPUs' caches (the
 * allocation must still get every page, by draining them); frees on
 * another CPU than the allocation; page_free_count() staying exact while
 * pages sit in caches; and real threads, one CPU each, against the real
 * backend lock.
 */
#include <pthread.h>

#include "check.h"

#define RAM (64u << 20)
#define NCPU 4
#define MAXP (RAM / MM_PAGE_SIZE)

static uint8_t owned[MAXP];

static size_t all_free(void)
{
	mm_trim();
	return page_free_count();
}

/* Allocates single pages on `cpu` until NULL; returns how many. */
static size_t take_all(unsigned cpu, void **pages, bool *ok)
{
	size_t n = 0;
	void *p;

	mm_host_set_cpu(cpu);
	memset(owned, 0, sizeof(owned));
	while (n < MAXP && (p = page_alloc(0))) {
		uint64_t pfn = mm_virt_to_phys(p) / MM_PAGE_SIZE;

		if (pfn >= MAXP || owned[pfn]++)
			*ok = false;
		pages[n++] = p;
	}
	return n;
}

static void test_interleave(void)
{
	static void *pages[2048];
	static uint64_t *objs[2048];
	size_t free0, np = 0, no = 0;
	bool ok = true;

	boot(RAM);
	free0 = all_free();
	memset(owned, 0, sizeof(owned));
	for (unsigned step = 0; step < 200000; step++) {
		uint64_t r = rng();
		unsigned cpu = (unsigned)(r % NCPU);

		mm_host_set_cpu(cpu);
		switch ((r >> 8) % 4) {
		case 0:
			if (np < 2048) {
				void *p = page_alloc(0);
				uint64_t pfn = p ? mm_virt_to_phys(p) / MM_PAGE_SIZE : 0;

				if (!p || pfn >= MAXP || owned[pfn]++)
					ok = false;
				else
					pages[np++] = p;
			}
			break;
		case 1:
			if (np) {
				size_t k = (r >> 16) % np;

				owned[mm_virt_to_phys(pages[k]) / MM_PAGE_SIZE] = 0;
				page_free(pages[k], 0);
				pages[k] = pages[--np];
			}
			break;
		case 2:
			if (no < 2048) {
				size_t size = 8 + (r >> 20) % 1000;
				uint64_t *o = mm_malloc(size);

				if (!o)
					ok = false;
				else {
					o[0] = (uintptr_t)o ^ 0xabcdef;
					objs[no++] = o;
				}
			}
			break;
		default:
			if (no) {
				size_t k = (r >> 16) % no;

				if (objs[k][0] != ((uintptr_t)objs[k] ^ 0xabcdef))
					ok = false;	/* handed out twice and overwritten */
				mm_free(objs[k]);
				objs[k] = objs[--no];
			}
			break;
		}
	}
	check("pcp.interleave.unique", ok, "a page or object was handed out twice or lost");
	/* Free everything on other CPUs than those that allocated it. */
	for (size_t k = 0; k < np; k++) {
		mm_host_set_cpu((unsigned)k % NCPU);
		page_free(pages[k], 0);
	}
	for (size_t k = 0; k < no; k++) {
		mm_host_set_cpu((unsigned)(k + 1) % NCPU);
		mm_free(objs[k]);
	}
	mm_host_set_cpu(0);
	check("pcp.interleave.no_leak", all_free() == free0, "free %zu after, %zu before",
	      page_free_count(), free0);
	shutdown_mm();
}

static void test_stranded(void)
{
	static void *pages[MAXP];
	size_t free0, n, cached;
	bool ok = true;

	boot(RAM);
	free0 = all_free();
	/* Each of CPUs 1..3 caches pages and objects of several classes. */
	for (unsigned cpu = 1; cpu < NCPU; cpu++) {
		void *o[300];

		mm_host_set_cpu(cpu);
		for (unsigned k = 0; k < 64; k++)
			pages[k] = page_alloc(0);
		for (unsigned k = 0; k < 64; k++)
			page_free(pages[k], 0);
		for (unsigned k = 0; k < 300; k++)
			o[k] = mm_malloc(16 + 48 * (k % 20));
		for (unsigned k = 0; k < 300; k++)
			mm_free(o[k]);
	}
	mm_host_set_cpu(0);
	cached = page_free_count();
	check("pcp.stranded.cached", cached < free0, "no slab stayed in a cache (%zu of %zu)", cached,
	      free0);
	n = take_all(0, pages, &ok);
	check("pcp.stranded.page_all", ok && n == free0, "got %zu pages of %zu on CPU 0", n, free0);
	/* Now truly out: NULL on every CPU, objects too. */
	for (unsigned cpu = 0; cpu < NCPU; cpu++) {
		mm_host_set_cpu(cpu);
		if (page_alloc(0) || mm_malloc(32) || mm_malloc(3000))
			ok = false;
	}
	check("pcp.stranded.out", ok, "an allocation succeeded with no page free");
	/* Free them on CPU 2; allocate objects until out on CPU 3. */
	mm_host_set_cpu(2);
	for (size_t k = 0; k < n; k++)
		page_free(pages[k], 0);
	check("pcp.stranded.free_count", page_free_count() == free0, "%zu free, want %zu",
	      page_free_count(), free0);
	mm_host_set_cpu(3);
	{
		size_t objs = 0;
		void *first = NULL, *p;

		while ((p = mm_malloc(4000))) {	/* one page each (area 1) */
			*(void **)p = first;
			first = p;
			objs++;
		}
		check("pcp.stranded.objects_all", objs == free0, "%zu objects of 4000 bytes, %zu pages",
		      objs, free0);
		mm_host_set_cpu(1);
		while (first) {
			p = *(void **)first;
			mm_free(first);
			first = p;
		}
	}
	mm_host_set_cpu(0);
	check("pcp.stranded.no_leak", all_free() == free0, "free %zu after, %zu before",
	      page_free_count(), free0);
	shutdown_mm();
}

/* Real threads, one simulated CPU each, objects passed between them through a shared ring. */
#define THREADS 4
#define RING 512
static void *ring[RING];
static int ring_lock;
static bool thread_bad;

static void release(void *p)
{
	if (mm_owner_of(p) == MM_OWNER_DIRECT)
		page_free(p, 0);
	else
		mm_free(p);
}

static void *worker(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	uint64_t s = 0x1234567ull * (cpu + 1);
	void *mine[64] = { 0 };

	mm_host_set_cpu(cpu);
	for (unsigned it = 0; it < 100000; it++) {
		unsigned k = it % 64;
		void *p;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		if (mine[k]) {
			if (*(uint64_t *)mine[k] != ((uintptr_t)mine[k] ^ cpu))
				__atomic_store_n(&thread_bad, true, __ATOMIC_RELAXED);
			release(mine[k]);
			mine[k] = NULL;
		}
		p = (s & 1) ? page_alloc(0) : mm_malloc(8 + (s >> 8) % 2000);
		if (!p) {
			__atomic_store_n(&thread_bad, true, __ATOMIC_RELAXED);
			continue;
		}
		if ((s & 2) && !(s & 1)) {	/* an object into the shared ring: someone else frees it */
			unsigned slot = (unsigned)(s >> 32) % RING;
			void *old;

			while (__atomic_exchange_n(&ring_lock, 1, __ATOMIC_ACQUIRE))
				;
			old = ring[slot];
			ring[slot] = p;
			__atomic_store_n(&ring_lock, 0, __ATOMIC_RELEASE);
			if (old)
				mm_free(old);
			continue;
		}
		*(uint64_t *)p = (uintptr_t)p ^ cpu;
		mine[k] = p;
	}
	for (unsigned k = 0; k < 64; k++)
		if (mine[k])
			release(mine[k]);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	size_t free0;

	boot(RAM);
	free0 = all_free();
	for (unsigned i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < RING; i++) {
		mm_free(ring[i]);
		ring[i] = NULL;
	}
	check("pcp.threads.ok", !thread_bad, "an allocation failed or a block was shared");
	check("pcp.threads.no_leak", all_free() == free0, "free %zu after, %zu before",
	      page_free_count(), free0);
	shutdown_mm();
}

int main(void)
{
	test_interleave();
	test_stranded();
	test_threads();
	return check_exit();
}
