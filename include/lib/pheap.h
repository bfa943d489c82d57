/*
 * lib/pheap: an intrusive pairing heap (a min-heap).
 *
 * Why a pairing heap: the node lives in the caller's object, so the heap
 * never allocates (the scheduler's run queues must not), it has no
 * capacity, and besides insert and remove-min it removes an arbitrary node
 * in O(log n) amortized, which migration and affinity changes need.
 * Insert and find-min are O(1).
 *
 * Each node keeps its first child, its next sibling and `prev`: its left
 * sibling, or its parent when it is a first child (NULL for the root).
 * Ordering comes from the caller's `less` function. Not thread-safe: the
 * owner serialises access. Freestanding.
 */
#ifndef LIB_PHEAP_H
#define LIB_PHEAP_H

#include <stdbool.h>
#include <stddef.h>

struct pheap_node {
	struct pheap_node *child, *next, *prev;
};

typedef bool pheap_less_fn(const struct pheap_node *a, const struct pheap_node *b);

struct pheap {
	struct pheap_node *root;
	pheap_less_fn *less;
};

#define pheap_entry(node, type, member) \
	((type *)((char *)(node) - offsetof(type, member)))

static inline void pheap_init(struct pheap *h, pheap_less_fn *less)
{
	h->root = NULL;
	h->less = less;
}

static inline bool pheap_empty(const struct pheap *h)
{
	return h->root == NULL;
}

/* The smallest node (not removed), or NULL. */
static inline struct pheap_node *pheap_min(const struct pheap *h)
{
	return h->root;
}

void pheap_insert(struct pheap *h, struct pheap_node *n);

/* Removes and returns the smallest node, or NULL if the heap is empty. */
struct pheap_node *pheap_pop(struct pheap *h);

/* Removes n, which must be in h. */
void pheap_remove(struct pheap *h, struct pheap_node *n);

#endif
