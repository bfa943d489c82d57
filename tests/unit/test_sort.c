/* lib/sort: every permutation of a small array, duplicates, and a large random one. */
#include <lib/sort.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"

static int cmp_int(const void *a, const void *b)
{
	intptr_t x = (intptr_t)a, y = (intptr_t)b;

	return (x > y) - (x < y);
}

static int sorted(void **v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if ((intptr_t)v[i - 1] > (intptr_t)v[i])
			return 0;
	return 1;
}

/* All 7! orders of 0..6 (Heap's algorithm), each sorted from a copy. */
static void permutations(void)
{
	void *base[7], *v[7];
	size_t c[7] = { 0 }, i = 0, ok = 1, count = 0;

	for (int k = 0; k < 7; k++)
		base[k] = (void *)(intptr_t)k;
	for (;;) {
		for (int k = 0; k < 7; k++)
			v[k] = base[k];
		sort_ptrs(v, 7, cmp_int);
		for (int k = 0; k < 7; k++)
			ok &= v[k] == (void *)(intptr_t)k;
		count++;
		while (i < 7 && c[i] >= i) {
			c[i] = 0;
			i++;
		}
		if (i == 7)
			break;
		void *t = base[i % 2 ? c[i] : 0];
		base[i % 2 ? c[i] : 0] = base[i];
		base[i] = t;
		c[i]++;
		i = 0;
	}
	EXPECT(ok && count == 5040);
}

static void edge_cases(void)
{
	void *one[1] = { (void *)5 }, *dup[6] = { (void *)3, (void *)1, (void *)3, (void *)1,
						   (void *)2, (void *)3 };

	sort_ptrs(NULL, 0, cmp_int);
	sort_ptrs(one, 1, cmp_int);
	EXPECT(one[0] == (void *)5);
	sort_ptrs(dup, 6, cmp_int);
	EXPECT(sorted(dup, 6) && dup[0] == (void *)1 && dup[5] == (void *)3);
}

static void large_random(void)
{
	enum { N = 100000 };
	void **v = malloc(N * sizeof(*v));
	long sum = 0, after = 0;

	srand(7);
	for (size_t i = 0; i < N; i++) {
		v[i] = (void *)(intptr_t)(rand() % 1000);
		sum += (intptr_t)v[i];
	}
	sort_ptrs(v, N, cmp_int);
	for (size_t i = 0; i < N; i++)
		after += (intptr_t)v[i];
	EXPECT(sorted(v, N) && sum == after);
	free(v);
}

int main(void)
{
	RUN(permutations);
	RUN(edge_cases);
	RUN(large_random);
	return test_summary();
}
