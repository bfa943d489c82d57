/* Heapsort of pointers (lib/sort.h). */
#include <lib/sort.h>

static void swap(void **v, size_t i, size_t j)
{
	void *t = v[i];

	v[i] = v[j];
	v[j] = t;
}

/* Moves v[i] down until the subtree at i, within v[0..n), is a max-heap again. */
static void sift_down(void **v, size_t i, size_t n, int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;

		if (l < n && cmp(v[l], v[big]) > 0)
			big = l;
		if (r < n && cmp(v[r], v[big]) > 0)
			big = r;
		if (big == i)
			return;
		swap(v, i, big);
		i = big;
	}
}

void sort_ptrs(void **v, size_t n, int (*cmp)(const void *a, const void *b))
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n, cmp);
	for (size_t end = n; end > 1; end--) {
		swap(v, 0, end - 1);
		sift_down(v, 0, end - 1, cmp);
	}
}
