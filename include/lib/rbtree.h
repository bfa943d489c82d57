/*
 * lib/rbtree: an intrusive red-black tree.
 *
 * The node lives inside the caller's object (struct vma embeds one), so the
 * tree never allocates: inserting cannot fail, and a subsystem that must not
 * fail halfway (mm/vma.c) can do all its allocation before it touches a
 * tree. rb_entry() gets from a node back to the object around it.
 *
 * The tree knows nothing about keys. Ordering comes from the caller in two
 * ways:
 *   - a search step, rb_find_link(), walks down with a comparison of a key
 *     against a node and returns the empty link where the key belongs (or
 *     the link holding an equal node); rb_insert_at() then hangs the new
 *     node there and rebalances. Callers that already know where a node
 *     goes skip the comparison entirely.
 *   - lookups (rb_find, rb_lower_bound, rb_upper_bound) take the same kind
 *     of comparison, so a key may be anything: an address compared against
 *     a range [start, end) finds the range that contains it.
 * A comparison returns <0 when the key sorts before the node, 0 when it
 * matches, >0 when it sorts after.
 *
 * Balancing follows the textbook rules (every path from a node to its empty
 * leaves has the same number of black nodes; a red node has no red child;
 * the root is black), so the height stays below 2*log2(n+1) and every
 * operation is O(log n). Children are an array indexed by direction, which
 * lets one function handle a case and its mirror image.
 *
 * Freestanding: needs only <stddef.h>, <stdbool.h> and <stdint.h>.
 * Not thread-safe: the owner of a tree serialises access to it.
 */
#ifndef LIB_RBTREE_H
#define LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rb_node {
	struct rb_node *parent;
	struct rb_node *child[2];	/* [0] smaller keys, [1] larger keys */
	bool red;
};

struct rb_tree {
	struct rb_node *root;
};

#define RB_TREE_INIT { NULL }

/* The object that embeds node as its member `member`. */
#define rb_entry(node, type, member) \
	((type *)((char *)(node) - offsetof(type, member)))

/* rb_entry() that maps NULL to NULL. */
#define rb_entry_or_null(node, type, member) \
	((node) ? rb_entry(node, type, member) : (type *)NULL)

/* Key against node: <0 key sorts before node, 0 equal, >0 after. */
typedef int rb_cmp_fn(const void *key, const struct rb_node *node);

/* Node against node, for rb_check(): <0, 0, >0 like strcmp. */
typedef int rb_order_fn(const struct rb_node *a, const struct rb_node *b);

static inline void rb_init(struct rb_tree *t)
{
	t->root = NULL;
}

static inline bool rb_empty(const struct rb_tree *t)
{
	return t->root == NULL;
}

/*
 * The search step of an insertion. Returns the link (a child pointer, or
 * &t->root) where a node with this key belongs and stores that link's
 * owner in *parent. If a node compares equal the returned link holds it
 * (*link != NULL); the caller decides whether duplicates are allowed. To
 * keep equal keys, make the comparison never return 0.
 */
struct rb_node **rb_find_link(struct rb_tree *t, const void *key, rb_cmp_fn *cmp,
			      struct rb_node **parent);

/* Hangs node at the empty link found by rb_find_link() and rebalances. */
void rb_insert_at(struct rb_tree *t, struct rb_node *node, struct rb_node *parent,
		  struct rb_node **link);

/*
 * Search plus insertion: inserts node under key and returns NULL, or
 * returns the node already in the tree that compares equal (node is then
 * not inserted).
 */
struct rb_node *rb_insert(struct rb_tree *t, struct rb_node *node, const void *key,
			  rb_cmp_fn *cmp);

/* Removes node, which must be in t. */
void rb_erase(struct rb_tree *t, struct rb_node *node);

/* Puts replacement where victim is (same key order assumed); victim leaves the tree. */
void rb_replace(struct rb_tree *t, struct rb_node *victim, struct rb_node *replacement);

/* In-order traversal; NULL past either end. */
struct rb_node *rb_first(const struct rb_tree *t);
struct rb_node *rb_last(const struct rb_tree *t);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* A node comparing equal to key, or NULL. */
struct rb_node *rb_find(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp);

/* The first node not sorting before key (cmp(key, node) <= 0), or NULL. */
struct rb_node *rb_lower_bound(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp);

/* The first node sorting after key (cmp(key, node) < 0), or NULL. */
struct rb_node *rb_upper_bound(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp);

/*
 * Verifies the tree: parent links, colours, equal black heights and, if
 * order is not NULL, strictly increasing in-order keys. Returns the black
 * height (>= 1; an empty tree has 1) or a negative RB_CHECK_* code. For
 * tests and debugging: it visits every node.
 */
enum {
	RB_CHECK_LINK = -1,	/* a child's parent pointer is wrong */
	RB_CHECK_ROOT = -2,	/* the root is red or has a parent */
	RB_CHECK_RED = -3,	/* a red node has a red child */
	RB_CHECK_BLACK = -4,	/* two paths differ in black nodes */
	RB_CHECK_ORDER = -5,	/* in-order keys not increasing */
};
int rb_check(const struct rb_tree *t, rb_order_fn *order);

#endif
