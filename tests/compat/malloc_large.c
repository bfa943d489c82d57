/* malloc_large: allocations past the mmap threshold (1.5 MiB to 24 MiB, every
 * page touched and checked), realloc of large blocks, the aligned allocators
 * (posix_memalign, aligned_alloc, memalign) and their errors, and
 * allocation failure for impossible sizes. */
#include "compat.h"
#include <malloc.h>

static void large(void)
{
	size_t sizes[] = { (size_t)3 << 19, 4 << 20, 12 << 20 };
	int bad = 0;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		unsigned char *p = malloc(n);
		CHECK(p != NULL);
		for (size_t i = 0; i < n; i += 512)
			p[i] = (unsigned char)(i >> 9);
		for (size_t i = 0; i < n; i += 512)
			bad += p[i] != (unsigned char)(i >> 9);
		free(p);
		unsigned char *z = calloc(n, 1);
		CHECK(z != NULL);
		for (size_t i = 0; i < n; i += 256)
			bad += z[i] != 0;
		free(z);
		printf("%zu bytes: ok\n", n);
	}
	printf("large blocks: %d bad\n", bad);

	unsigned char *p = malloc(2 << 20);
	CHECK(p != NULL);
	for (size_t i = 0; i < (2 << 20); i++)
		p[i] = (unsigned char)(i * 13);
	p = realloc(p, 8 << 20);
	CHECK(p != NULL);
	bad = 0;
	for (size_t i = 0; i < (2 << 20); i++)
		bad += p[i] != (unsigned char)(i * 13);
	memset(p + (2 << 20), 1, 6 << 20);
	p = realloc(p, 1 << 20);
	for (size_t i = 0; i < (1 << 20); i++)
		bad += p[i] != (unsigned char)(i * 13);
	free(p);
	printf("large realloc grow and shrink: %d bad\n", bad);

	void *many[20];
	for (int i = 0; i < 20; i++) {
		many[i] = malloc(1 << 20);
		CHECK(many[i] != NULL);
		memset(many[i], i, 1 << 20);
	}
	bad = 0;
	for (int i = 0; i < 20; i += 2)
		free(many[i]);
	for (int i = 1; i < 20; i += 2) {
		bad += ((unsigned char *)many[i])[12345] != i;
		free(many[i]);
	}
	printf("20 x 1 MiB, freed out of order: %d bad\n", bad);
}

static void aligned(void)
{
	size_t aligns[] = { 8, 16, 32, 64, 256, 4096, 65536, 1 << 20 };

	for (size_t k = 0; k < sizeof(aligns) / sizeof(aligns[0]); k++) {
		void *p = NULL;
		int r = posix_memalign(&p, aligns[k], 1000);
		CHECK(r == 0);
		memset(p, 0x11, 1000);
		void *q = aligned_alloc(aligns[k], aligns[k] * 2);
		CHECK(q != NULL);
		memset(q, 0x22, aligns[k] * 2);
		void *m = memalign(aligns[k], 77);
		CHECK(m != NULL);
		printf("align %zu: posix_memalign %d aligned_alloc %d memalign %d\n", aligns[k],
		       ((uintptr_t)p % aligns[k]) == 0, ((uintptr_t)q % aligns[k]) == 0,
		       ((uintptr_t)m % aligns[k]) == 0);
		free(p);
		free(q);
		free(m);
	}
	void *p = (void *)1;
	printf("posix_memalign(align 3): %s\n", errname(posix_memalign(&p, 3, 16)));
	printf("posix_memalign(align 4): %s\n", errname(posix_memalign(&p, 4, 16)));
	p = NULL;
	int r = posix_memalign(&p, 4096, 0);
	printf("posix_memalign(size 0): %s\n", errname(r));
	free(p);
}

static void failures(void)
{
	volatile size_t max = SIZE_MAX;

	errno = 0;
	void *p = malloc(max);
	printf("malloc(SIZE_MAX): %s %s\n", p ? "allocated" : "NULL", errname(errno));
	errno = 0;
	p = malloc(max / 2);
	printf("malloc(SIZE_MAX/2): %s %s\n", p ? "allocated" : "NULL", errname(errno));
	void *q = malloc(100);
	errno = 0;
	p = realloc(q, max - 4096);
	printf("realloc huge: %s %s, old block kept\n", p ? "allocated" : "NULL", errname(errno));
	free(p ? p : q);
}

int main(void)
{
	large();
	aligned();
	failures();
	return 0;
}
