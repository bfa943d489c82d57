/* malloc_small: the heap under everyday patterns: every size from 1 to 4096,
 * a PRNG-driven mix of malloc/free/realloc with contents verified, realloc
 * growth from 1 byte to 1 MiB keeping contents, calloc zeroing memory that
 * was dirty before, and alignment of every result. */
#include "compat.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

static void every_size(void)
{
	enum { N = 4096 };
	static unsigned char *p[N + 1];
	int misaligned = 0, bad = 0;

	for (size_t n = 1; n <= N; n++) {
		p[n] = malloc(n);
		CHECK(p[n] != NULL);
		misaligned += ((uintptr_t)p[n] & 15) != 0;
		fill(p[n], n, (unsigned)n);
	}
	for (size_t n = 1; n <= N; n++) {
		bad += !intact(p[n], n, (unsigned)n);
		free(p[n]);
	}
	printf("sizes 1..%d: %d misaligned, %d corrupted\n", N, misaligned, bad);
	void *z = malloc(0);
	printf("malloc(0) usable: %s\n", z ? "non-NULL" : "NULL");
	free(z);
	free(NULL);
	printf("free(NULL) ok\n");
}

/* A random mix over 2000 slots; each live block carries a seed to check. */
static void random_mix(void)
{
	enum { SLOTS = 2000, STEPS = 20000 };
	static unsigned char *p[SLOTS];
	static size_t len[SLOTS];
	static unsigned seed[SLOTS];
	unsigned long mallocs = 0, frees = 0, reallocs = 0, bad = 0;

	for (int s = 0; s < STEPS; s++) {
		int i = (int)rng_below(SLOTS);
		size_t n = rng_below(16) == 0 ? rng_below(70000) + 1 : rng_below(300) + 1;
		if (!p[i]) {
			p[i] = malloc(n);
			CHECK(p[i] != NULL);
			len[i] = n;
			seed[i] = (unsigned)s;
			fill(p[i], n, seed[i]);
			mallocs++;
		} else if (rng_below(3) == 0) {
			size_t keep = n < len[i] ? n : len[i];
			bad += !intact(p[i], len[i], seed[i]);
			unsigned char *q = realloc(p[i], n);
			CHECK(q != NULL);
			bad += !intact(q, keep, seed[i]);
			p[i] = q;
			len[i] = n;
			fill(q, n, seed[i]);
			reallocs++;
		} else {
			bad += !intact(p[i], len[i], seed[i]);
			free(p[i]);
			p[i] = NULL;
			frees++;
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		if (p[i])
			bad += !intact(p[i], len[i], seed[i]);
		free(p[i]);
	}
	printf("random mix: %lu mallocs, %lu reallocs, %lu frees, %lu corrupted\n", mallocs, reallocs,
	       frees, bad);
}

static void realloc_growth(void)
{
	unsigned char *p = malloc(1);
	size_t n = 1;
	int bad = 0, steps = 0;

	CHECK(p != NULL);
	p[0] = 0;
	while (n < (1u << 20)) {
		size_t m = n * 2 + (n & 1);
		p = realloc(p, m);
		CHECK(p != NULL);
		for (size_t i = 0; i < n; i++)
			bad += p[i] != (unsigned char)(i * 31);
		for (size_t i = 0; i < m; i++)
			p[i] = (unsigned char)(i * 31);
		n = m;
		steps++;
	}
	p = realloc(p, 10);
	for (size_t i = 0; i < 10; i++)
		bad += p[i] != (unsigned char)(i * 31);
	free(p);
	printf("realloc growth to %zu in %d steps, shrink back: %d corrupted\n", n, steps, bad);
	p = realloc(NULL, 100);
	printf("realloc(NULL, 100): %s\n", p ? "allocated" : "NULL");
	free(p);
}

static void calloc_zero(void)
{
	size_t sizes[] = { 1, 24, 100, 1000, 4096, 10000, 100000, 300000 };
	int dirty = 0;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int round = 0; round < 20; round++) {
			unsigned char *p = malloc(sizes[k]);
			CHECK(p != NULL);
			memset(p, 0xa5, sizes[k]);
			free(p);
			p = calloc(1, sizes[k]);
			CHECK(p != NULL);
			for (size_t i = 0; i < sizes[k]; i++)
				dirty += p[i] != 0;
			memset(p, 0x5a, sizes[k]);
			free(p);
		}
	}
	printf("calloc after dirty frees: %d nonzero bytes\n", dirty);
	errno = 0;
	volatile size_t big = (size_t)1 << 62;
	void *p = calloc(big, 16);
	printf("calloc overflow: %s %s\n", p ? "allocated" : "NULL", errname(errno));
}

int main(void)
{
	every_size();
	random_mix();
	realloc_growth();
	calloc_zero();
	return 0;
}
