/*
 * Pairing heap (see lib/pheap.h). The one subtle step is the two-pass
 * merge of a removed node's children: melding them pairwise left to right
 * and then folding the results right to left is what gives the O(log n)
 * amortized bound; melding them one by one would not.
 */
#include <lib/pheap.h>

/* Melds two heap-ordered trees whose roots have no siblings; returns the new root. */
static struct pheap_node *meld(struct pheap *h, struct pheap_node *a, struct pheap_node *b)
{
	struct pheap_node *t;

	if (!a)
		return b;
	if (!b)
		return a;
	if (h->less(b, a)) {
		t = a;
		a = b;
		b = t;
	}
	b->prev = a;
	b->next = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	return a;
}

static void make_root(struct pheap_node *n)
{
	if (n)
		n->prev = n->next = NULL;
}

/* Merges a sibling list into one tree (the two passes). */
static struct pheap_node *merge_siblings(struct pheap *h, struct pheap_node *first)
{
	struct pheap_node *pairs = NULL, *a, *b, *rest, *result;

	while (first) {
		a = first;
		b = a->next;
		rest = b ? b->next : NULL;
		make_root(a);
		make_root(b);
		a = meld(h, a, b);
		a->next = pairs;	/* a stack of melded pairs, last pair on top */
		pairs = a;
		first = rest;
	}
	result = NULL;
	while (pairs) {
		a = pairs;
		pairs = a->next;
		a->next = NULL;
		result = meld(h, result, a);
	}
	make_root(result);
	return result;
}

void pheap_insert(struct pheap *h, struct pheap_node *n)
{
	n->child = n->next = n->prev = NULL;
	h->root = meld(h, h->root, n);
}

struct pheap_node *pheap_pop(struct pheap *h)
{
	struct pheap_node *n = h->root;

	if (n)
		h->root = merge_siblings(h, n->child);
	return n;
}

void pheap_remove(struct pheap *h, struct pheap_node *n)
{
	if (n == h->root) {
		pheap_pop(h);
		return;
	}
	/* Unlink n (with its subtree) from its parent's child list. */
	if (n->prev->child == n)
		n->prev->child = n->next;
	else
		n->prev->next = n->next;
	if (n->next)
		n->next->prev = n->prev;
	h->root = meld(h, h->root, merge_siblings(h, n->child));
}
