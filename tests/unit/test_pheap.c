/* lib/pheap against a brute-force model: random inserts, pops and removals. */
#include <lib/pheap.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"

#define N 2000

struct item {
	struct pheap_node node;
	unsigned key;
	int in_heap;
};

static struct item items[N];

static bool item_less(const struct pheap_node *a, const struct pheap_node *b)
{
	return pheap_entry(a, struct item, node)->key < pheap_entry(b, struct item, node)->key;
}

static unsigned model_min(void)
{
	unsigned m = UINT32_MAX;

	for (int i = 0; i < N; i++)
		if (items[i].in_heap && items[i].key < m)
			m = items[i].key;
	return m;
}

static void empty_heap(void)
{
	struct pheap h;

	pheap_init(&h, item_less);
	EXPECT(pheap_empty(&h) && !pheap_min(&h) && !pheap_pop(&h));
}

static void sorted_output(void)
{
	struct pheap h;
	unsigned last = 0;

	pheap_init(&h, item_less);
	for (int i = 0; i < N; i++) {
		items[i].key = (unsigned)(i * 7919) % N;
		pheap_insert(&h, &items[i].node);
	}
	for (int i = 0; i < N; i++) {
		struct pheap_node *n = pheap_pop(&h);

		if (!EXPECT(n))
			return;
		EXPECT(pheap_entry(n, struct item, node)->key >= last);
		last = pheap_entry(n, struct item, node)->key;
	}
	EXPECT(pheap_empty(&h));
}

static void random_operations(void)
{
	struct pheap h;

	srand(42);
	pheap_init(&h, item_less);
	for (int i = 0; i < N; i++)
		items[i].in_heap = 0;
	for (int step = 0; step < 200000; step++) {
		int i = rand() % N, op = rand() % 3;

		if (!items[i].in_heap) {
			items[i].key = (unsigned)rand() % 1000;	/* many equal keys */
			items[i].in_heap = 1;
			pheap_insert(&h, &items[i].node);
		} else if (op == 0) {
			unsigned want = model_min();
			struct item *it = pheap_entry(pheap_pop(&h), struct item, node);

			if (!EXPECT(it->in_heap && it->key == want))
				return;
			it->in_heap = 0;
		} else {
			pheap_remove(&h, &items[i].node);
			items[i].in_heap = 0;
		}
		if (!pheap_empty(&h) &&
		    !EXPECT(pheap_entry(pheap_min(&h), struct item, node)->key == model_min()))
			return;
	}
}

int main(void)
{
	RUN(empty_heap);
	RUN(sorted_output);
	RUN(random_operations);
	return test_summary();
}
