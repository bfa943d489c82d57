/* mmap_anon: anonymous memory: private and shared mappings start zeroed and
 * are writable, MAP_FIXED replaces, MAP_FIXED_NOREPLACE refuses, munmap
 * punches holes (a touch there faults), madvise(MADV_DONTNEED) zeroes
 * private pages, a large sparse mapping is lazily backed, and bad arguments
 * answer EINVAL/ENOMEM. */
#include "compat.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static sigjmp_buf jb;

static void on_segv(int sig)
{
	siglongjmp(jb, sig);
}

/* 1 if reading p faults. */
static int faults(volatile char *p)
{
	if (sigsetjmp(jb, 1))
		return 1;
	(void)*p;
	return 0;
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = on_segv };

	sigaction(SIGSEGV, &sa, NULL);
	printf("page size %zu\n", pg);

	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	printf("private: page aligned %d, zeroed %d\n", ((uintptr_t)p % pg) == 0, all_zero(p, 4 * pg));
	memset(p, 'p', 4 * pg);

	char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED);
	printf("shared: zeroed %d\n", all_zero(s, 2 * pg));
	memset(s, 's', 2 * pg);
	printf("shared written: %c %c\n", s[0], s[2 * pg - 1]);

	char *f = mmap(p + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED over page 1: same address %d, zeroed %d, neighbours kept %c %c\n", f == p + pg,
	       all_zero(p + pg, pg), p[pg - 1], p[2 * pg]);
	void *n = mmap(p + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("MAP_FIXED_NOREPLACE on a mapped page: %s %s\n", n == MAP_FAILED ? "MAP_FAILED" : "mapped",
	       errname(errno));

	printf("munmap page 2: %s\n", res(munmap(p + 2 * pg, pg)));
	printf("touch hole faults: %d, page 1 %d, page 3 %d\n", faults(p + 2 * pg), faults(p + pg),
	       faults(p + 3 * pg));
	n = mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("MAP_FIXED_NOREPLACE into the hole: %s, zeroed %d\n", n == p + 2 * pg ? "placed" : "elsewhere",
	       all_zero(p + 2 * pg, pg));
	printf("munmap all 4: %s\n", res(munmap(p, 4 * pg)));
	printf("then page 0 faults %d\n", faults(p));
	printf("munmap again (nothing there): %s\n", res(munmap(p, 4 * pg)));

	p = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 0x77, 8 * pg);
	printf("madvise DONTNEED pages 2-4: %s\n", res(madvise(p + 2 * pg, 3 * pg, MADV_DONTNEED)));
	printf("  page 1 kept %d, pages 2-4 zero %d, page 5 kept %d\n", p[pg] == 0x77, all_zero(p + 2 * pg, 3 * pg),
	       p[5 * pg] == 0x77);
	printf("madvise WILLNEED: %s\n", res(madvise(p, pg, MADV_WILLNEED)));
	printf("madvise bad advice: %s\n", res(madvise(p, pg, 12345)));
	munmap(p, 8 * pg);

	size_t big = (size_t)1 << 30;
	char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(b != MAP_FAILED);
	long sum = 0;
	for (size_t off = 0; off < big; off += big / 64) {
		b[off] = 1;
		sum += b[off] + b[off + pg / 2];
	}
	printf("1 GiB sparse mapping, 64 pages touched: sum %ld\n", sum);
	munmap(b, big);

	errno = 0;
	void *z = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap length 0: %s %s\n", z == MAP_FAILED ? "MAP_FAILED" : "mapped", errname(errno));
	errno = 0;
	z = mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0);
	printf("mmap neither private nor shared: %s %s\n", z == MAP_FAILED ? "MAP_FAILED" : "mapped", errname(errno));
	errno = 0;
	z = mmap((void *)(pg + 1), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED unaligned: %s %s\n", z == MAP_FAILED ? "MAP_FAILED" : "mapped", errname(errno));
	errno = 0;
	z = mmap(NULL, (size_t)1 << 50, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 1 PiB: %s %s\n", z == MAP_FAILED ? "MAP_FAILED" : "mapped", errname(errno));
	printf("munmap unaligned: %s\n", res(munmap((char *)s + 1, pg)));
	printf("munmap length 0: %s\n", res(munmap(s, 0)));
	printf("munmap shared: %s\n", res(munmap(s, 2 * pg)));
	return 0;
}
