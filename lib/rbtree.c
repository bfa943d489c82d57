/*
 * lib/rbtree: an intrusive red-black tree (the contract is in
 * include/lib/rbtree.h).
 *
 * Why these shapes:
 *
 * - Children are child[0] and child[1], and every rebalancing case is
 *   written once with a direction `dir` and its opposite `!dir`. The mirror
 *   cases of the textbook presentation then cost nothing, and there is one
 *   rotation function instead of two.
 *
 * - Insertion is split into the search (rb_find_link, which the caller
 *   drives with its own comparison) and the linking (rb_insert_at). The
 *   tree never sees a key, so one implementation serves address ranges,
 *   integers and strings, and a caller that already knows the place skips
 *   the search.
 *
 * - Erase reduces every case to removing a node with at most one child. A
 *   node with two children is first replaced by its in-order successor:
 *   the successor (which has no left child) is unlinked from its own place,
 *   then takes over the victim's place, links and colour wholesale. That
 *   is simpler than swapping two nodes that may be parent and child.
 *
 * - When the node to unlink is a black leaf, removing it would leave its
 *   path one black short. The repair (erase_fixup) runs while the leaf is
 *   still in the tree, standing in for the "missing" black; only then is
 *   the leaf cut off. This avoids tracking a NULL node's parent separately.
 *
 * No recursion except in rb_check (a debugging aid); no allocation.
 */
#include <lib/rbtree.h>

static int dir_of(const struct rb_node *node)
{
	return node->parent->child[1] == node;
}

static bool is_red(const struct rb_node *node)
{
	return node && node->red;
}

/* Makes new take old's place under old's parent (or at the root). */
static void replace_child(struct rb_tree *t, struct rb_node *old, struct rb_node *new)
{
	struct rb_node *p = old->parent;

	if (!p)
		t->root = new;
	else
		p->child[dir_of(old)] = new;
	if (new)
		new->parent = p;
}

/*
 * Rotates node down towards dir: its child on the other side rises into
 * its place, and that child's inner subtree moves across to node.
 */
static void rotate(struct rb_tree *t, struct rb_node *node, int dir)
{
	struct rb_node *up = node->child[!dir];
	struct rb_node *inner = up->child[dir];

	node->child[!dir] = inner;
	if (inner)
		inner->parent = node;
	replace_child(t, node, up);
	up->child[dir] = node;
	node->parent = up;
}

static struct rb_node *extreme(struct rb_node *node, int dir)
{
	if (node)
		while (node->child[dir])
			node = node->child[dir];
	return node;
}

struct rb_node **rb_find_link(struct rb_tree *t, const void *key, rb_cmp_fn *cmp,
			      struct rb_node **parent)
{
	struct rb_node **link = &t->root;

	*parent = NULL;
	while (*link) {
		int c = cmp(key, *link);

		if (c == 0)
			break;
		*parent = *link;
		link = &(*link)->child[c > 0];
	}
	return link;
}

/* Restores the red rules after node, red, was hung under a parent. */
static void insert_fixup(struct rb_tree *t, struct rb_node *node)
{
	struct rb_node *p;

	while ((p = node->parent) && p->red) {
		struct rb_node *g = p->parent;	/* exists: a red node is never the root */
		int dir = dir_of(p);
		struct rb_node *uncle = g->child[!dir];

		if (is_red(uncle)) {
			p->red = uncle->red = false;
			g->red = true;
			node = g;
			continue;
		}
		if (node == p->child[!dir]) {	/* inner grandchild: make it outer */
			rotate(t, p, dir);
			p = node;
		}
		rotate(t, g, !dir);
		p->red = false;
		g->red = true;
		break;
	}
	t->root->red = false;
}

void rb_insert_at(struct rb_tree *t, struct rb_node *node, struct rb_node *parent,
		  struct rb_node **link)
{
	node->parent = parent;
	node->child[0] = node->child[1] = NULL;
	node->red = true;
	*link = node;
	insert_fixup(t, node);
}

struct rb_node *rb_insert(struct rb_tree *t, struct rb_node *node, const void *key,
			  rb_cmp_fn *cmp)
{
	struct rb_node *parent;
	struct rb_node **link = rb_find_link(t, key, cmp, &parent);

	if (*link)
		return *link;
	rb_insert_at(t, node, parent, link);
	return NULL;
}

/*
 * node is black and in the tree, and the paths through it are about to
 * lose one black (node is a black leaf being removed). Rebalances around
 * it; node itself stays a leaf where it is.
 */
static void erase_fixup(struct rb_tree *t, struct rb_node *node)
{
	while (node->parent && !node->red) {
		struct rb_node *p = node->parent;
		int dir = dir_of(node);
		struct rb_node *sib = p->child[!dir];	/* exists: node's side has a black */

		if (sib->red) {			/* make the sibling black */
			rotate(t, p, dir);
			sib->red = false;
			p->red = true;
			sib = p->child[!dir];
		}
		if (!is_red(sib->child[0]) && !is_red(sib->child[1])) {
			sib->red = true;	/* both sides one short: push up */
			node = p;
			continue;
		}
		if (!is_red(sib->child[!dir])) {	/* only the near nephew is red */
			rotate(t, sib, !dir);
			sib->red = true;
			sib = p->child[!dir];
			sib->red = false;
		}
		sib->red = p->red;
		p->red = false;
		sib->child[!dir]->red = false;
		rotate(t, p, dir);
		return;
	}
	node->red = false;
}

/* Removes node, which has at most one child. */
static void unlink_simple(struct rb_tree *t, struct rb_node *node)
{
	struct rb_node *child = node->child[0] ? node->child[0] : node->child[1];

	if (child) {			/* then node is black and child a red leaf */
		child->red = false;
		replace_child(t, node, child);
		return;
	}
	if (!node->red)
		erase_fixup(t, node);
	replace_child(t, node, NULL);
}

/* Puts new, which is not in the tree, where old is; old leaves the tree. */
static void take_place(struct rb_tree *t, struct rb_node *old, struct rb_node *new)
{
	*new = *old;
	replace_child(t, old, new);
	for (int d = 0; d < 2; d++)
		if (new->child[d])
			new->child[d]->parent = new;
}

void rb_erase(struct rb_tree *t, struct rb_node *node)
{
	if (node->child[0] && node->child[1]) {
		struct rb_node *succ = extreme(node->child[1], 0);

		unlink_simple(t, succ);
		take_place(t, node, succ);
	} else {
		unlink_simple(t, node);
	}
}

void rb_replace(struct rb_tree *t, struct rb_node *victim, struct rb_node *replacement)
{
	take_place(t, victim, replacement);
}

struct rb_node *rb_first(const struct rb_tree *t)
{
	return extreme(t->root, 0);
}

struct rb_node *rb_last(const struct rb_tree *t)
{
	return extreme(t->root, 1);
}

/* The in-order neighbour of node in direction dir. */
static struct rb_node *step(const struct rb_node *node, int dir)
{
	if (node->child[dir])
		return extreme(node->child[dir], !dir);
	while (node->parent && dir_of(node) == dir)
		node = node->parent;
	return node->parent;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	return step(node, 1);
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	return step(node, 0);
}

struct rb_node *rb_find(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp)
{
	struct rb_node *n = t->root;

	while (n) {
		int c = cmp(key, n);

		if (c == 0)
			return n;
		n = n->child[c > 0];
	}
	return NULL;
}

/* The first node with cmp(key, node) < bias (bias 1: <= 0, bias 0: < 0). */
static struct rb_node *bound(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp,
			     int bias)
{
	struct rb_node *n = t->root, *best = NULL;

	while (n) {
		if (cmp(key, n) < bias) {
			best = n;
			n = n->child[0];
		} else {
			n = n->child[1];
		}
	}
	return best;
}

struct rb_node *rb_lower_bound(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp)
{
	return bound(t, key, cmp, 1);
}

struct rb_node *rb_upper_bound(const struct rb_tree *t, const void *key, rb_cmp_fn *cmp)
{
	return bound(t, key, cmp, 0);
}

/* Black height of the subtree at n, or a negative RB_CHECK_* code. */
static int check_subtree(const struct rb_node *n)
{
	int h[2];

	if (!n)
		return 1;
	for (int d = 0; d < 2; d++) {
		const struct rb_node *c = n->child[d];

		if (c && c->parent != n)
			return RB_CHECK_LINK;
		if (c && n->red && c->red)
			return RB_CHECK_RED;
		h[d] = check_subtree(c);
		if (h[d] < 0)
			return h[d];
	}
	if (h[0] != h[1])
		return RB_CHECK_BLACK;
	return h[0] + !n->red;
}

static int check_order(const struct rb_tree *t, rb_order_fn *order)
{
	const struct rb_node *prev = NULL;

	for (const struct rb_node *n = rb_first(t); n; prev = n, n = rb_next(n))
		if (prev && order(prev, n) >= 0)
			return RB_CHECK_ORDER;
	return 0;
}

int rb_check(const struct rb_tree *t, rb_order_fn *order)
{
	int h;

	if (t->root && (t->root->red || t->root->parent))
		return RB_CHECK_ROOT;
	h = check_subtree(t->root);
	if (h < 0)
		return h;
	if (order && check_order(t, order))
		return RB_CHECK_ORDER;
	return h;
}
