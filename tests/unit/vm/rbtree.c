/*
 * tests/unit/vm/rbtree.c: lib/rbtree against a sorted array.
 *
 * Random inserts and erases of keys from a small or a large range (so
 * that duplicates and empty trees both happen), with after every single
 * operation: rb_check (links, colours, black heights, order), the
 * in-order walk forwards and backwards equal to the model, and lookups
 * (find, lower and upper bound) for random keys equal to a binary search
 * of the model. Plus ordered insertions (the worst case for an unbalanced
 * tree: the height must stay within 2*log2(n+1)), a multiset built with a
 * comparison that never says "equal", and rb_replace.
 */
#include <lib/rbtree.h>

#include "harness.h"

struct item {
	struct rb_node node;
	int key;
};

static int cmp_key(const void *key, const struct rb_node *node)
{
	int k = *(const int *)key, n = rb_entry(node, struct item, node)->key;

	return k < n ? -1 : k > n;
}

static int order(const struct rb_node *a, const struct rb_node *b)
{
	int x = rb_entry(a, struct item, node)->key, y = rb_entry(b, struct item, node)->key;

	return x < y ? -1 : x > y;
}

static int key_of(const struct rb_node *n)
{
	return rb_entry(n, struct item, node)->key;
}

/* The model: sorted distinct keys. */
struct model {
	int *keys;
	int n;
};

/* Index of the first key >= k. */
static int model_lower(const struct model *m, int k)
{
	int lo = 0, hi = m->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_insert(struct model *m, int k)
{
	int i = model_lower(m, k);

	memmove(m->keys + i + 1, m->keys + i, (size_t)(m->n - i) * sizeof(int));
	m->keys[i] = k;
	m->n++;
}

static void model_erase(struct model *m, int i)
{
	memmove(m->keys + i, m->keys + i + 1, (size_t)(m->n - i - 1) * sizeof(int));
	m->n--;
}

static void check_walks(const struct rb_tree *t, const struct model *m)
{
	int i = 0;

	for (struct rb_node *n = rb_first(t); n && !failed(); n = rb_next(n), i++)
		CHECKF(i < m->n && key_of(n) == m->keys[i], "forward walk differs at %d", i);
	CHECK_EQ(i, m->n);
	i = m->n - 1;
	for (struct rb_node *n = rb_last(t); n && !failed(); n = rb_prev(n), i--)
		CHECKF(i >= 0 && key_of(n) == m->keys[i], "backward walk differs at %d", i);
	CHECK_EQ(i, -1);
}

static void check_lookups(const struct rb_tree *t, const struct model *m, int range)
{
	for (int j = 0; j < 8 && !failed(); j++) {
		int k = (int)rnd((uint64_t)range + 2) - 1;
		int i = model_lower(m, k);
		bool present = i < m->n && m->keys[i] == k;
		struct rb_node *f = rb_find(t, &k, cmp_key);
		struct rb_node *lb = rb_lower_bound(t, &k, cmp_key);
		struct rb_node *ub = rb_upper_bound(t, &k, cmp_key);
		int ui = i + present;

		CHECKF(present ? f && key_of(f) == k : !f, "find %d", k);
		CHECKF(i < m->n ? lb && key_of(lb) == m->keys[i] : !lb, "lower bound %d", k);
		CHECKF(ui < m->n ? ub && key_of(ub) == m->keys[ui] : !ub, "upper bound %d", k);
	}
}

static void check_all(const struct rb_tree *t, const struct model *m, int range)
{
	int h = rb_check(t, order);

	CHECKF(h >= 1, "rb_check = %d with %d keys", h, m->n);
	check_walks(t, m);
	check_lookups(t, m, range);
}

static struct rb_node *find_node(struct rb_tree *t, int k)
{
	return rb_find(t, &k, cmp_key);
}

/* One random operation: insert (maybe a duplicate) or erase. */
static void random_step(struct rb_tree *t, struct model *m, struct item *pool, int range)
{
	if (m->n && rnd(100) < 45) {
		int i = (int)rnd((uint64_t)m->n);
		struct rb_node *n = find_node(t, m->keys[i]);

		CHECKF(n != NULL, "key %d missing", m->keys[i]);
		if (n)
			rb_erase(t, n);
		model_erase(m, i);
		return;
	}
	int k = (int)rnd((uint64_t)range);
	struct item *it = &pool[k];
	struct rb_node *dup;

	it->key = k;
	dup = rb_insert(t, &it->node, &k, cmp_key);
	if (dup)
		CHECKF(key_of(dup) == k && model_lower(m, k) < m->n &&
		       m->keys[model_lower(m, k)] == k, "duplicate %d reported wrongly", k);
	else
		model_insert(m, k);
}

static void random_run(int range, int steps)
{
	struct rb_tree t = RB_TREE_INIT;
	struct model m = { calloc((size_t)range, sizeof(int)), 0 };
	struct item *pool = calloc((size_t)range, sizeof(*pool));

	for (int s = 0; s < steps && !failed(); s++) {
		random_step(&t, &m, pool, range);
		check_all(&t, &m, range);
	}
	while (m.n && !failed()) {		/* drain to empty, checking all the way */
		int i = (int)rnd((uint64_t)m.n);

		rb_erase(&t, find_node(&t, m.keys[i]));
		model_erase(&m, i);
		check_all(&t, &m, range);
	}
	CHECK(rb_empty(&t));
	free(m.keys);
	free(pool);
}

static void random_small_range(void)
{
	h_seed(1);
	random_run(16, 20000);
}

static void random_medium_range(void)
{
	h_seed(2);
	random_run(300, 40000);
}

static void random_large_range(void)
{
	h_seed(3);
	random_run(5000, 30000);
}

static int height(const struct rb_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = height(n->child[0]);
	r = height(n->child[1]);
	return 1 + (l > r ? l : r);
}

static void ordered_inserts_stay_balanced(void)
{
	enum { N = 4095 };
	static struct item up[N], down[N];
	struct rb_tree a = RB_TREE_INIT, b = RB_TREE_INIT;

	for (int i = 0; i < N; i++) {
		up[i].key = i;
		down[i].key = N - i;
		rb_insert(&a, &up[i].node, &up[i].key, cmp_key);
		rb_insert(&b, &down[i].node, &down[i].key, cmp_key);
	}
	CHECK(rb_check(&a, order) >= 1 && rb_check(&b, order) >= 1);
	CHECKF(height(a.root) <= 24 && height(b.root) <= 24, "heights %d %d for %d keys",
	       height(a.root), height(b.root), N);
	for (int i = 0; i < N; i += 2)		/* erase every other one, in order */
		rb_erase(&a, &up[i].node);
	CHECK(rb_check(&a, order) >= 1);
	CHECK(key_of(rb_first(&a)) == 1 && key_of(rb_last(&a)) == N - 2);
}

/* Equal keys kept: a comparison that sends equal keys right never returns 0. */
static int cmp_multi(const void *key, const struct rb_node *node)
{
	return cmp_key(key, node) < 0 ? -1 : 1;
}

static void multiset_with_find_link(void)
{
	struct item items[60];
	struct rb_tree t = RB_TREE_INIT;
	int prev = -1, count = 0;

	for (int i = 0; i < 60; i++) {
		struct rb_node *parent, **link;

		items[i].key = i % 7;
		link = rb_find_link(&t, &items[i].key, cmp_multi, &parent);
		CHECK(*link == NULL);
		rb_insert_at(&t, &items[i].node, parent, link);
	}
	CHECK(rb_check(&t, NULL) >= 1);
	for (struct rb_node *n = rb_first(&t); n; n = rb_next(n), count++) {
		CHECK(key_of(n) >= prev);
		prev = key_of(n);
	}
	CHECK_EQ(count, 60);
	/* A lower bound with the plain comparison finds the first of the equal run. */
	int k = 3;
	struct rb_node *lb = rb_lower_bound(&t, &k, cmp_key);

	CHECK(lb && key_of(lb) == 3 && (!rb_prev(lb) || key_of(rb_prev(lb)) == 2));
}

static void replace_keeps_shape(void)
{
	struct item items[100], fresh = { .key = 50 };
	struct rb_tree t = RB_TREE_INIT;

	for (int i = 0; i < 100; i++) {
		items[i].key = i;
		rb_insert(&t, &items[i].node, &items[i].key, cmp_key);
	}
	rb_replace(&t, &items[50].node, &fresh.node);
	CHECK(rb_check(&t, order) >= 1);
	CHECK(find_node(&t, 50) == &fresh.node);
	CHECK(rb_next(&fresh.node) == &items[51].node && rb_prev(&fresh.node) == &items[49].node);
	rb_erase(&t, &fresh.node);
	CHECK(rb_check(&t, order) >= 1 && !find_node(&t, 50));
}

static void empty_tree(void)
{
	struct rb_tree t = RB_TREE_INIT;
	int k = 1;

	CHECK(rb_empty(&t) && !rb_first(&t) && !rb_last(&t));
	CHECK(!rb_find(&t, &k, cmp_key) && !rb_lower_bound(&t, &k, cmp_key));
	CHECK_EQ(rb_check(&t, order), 1);
}

static void check_detects_damage(void)
{
	struct item items[10];
	struct rb_tree t = RB_TREE_INIT;

	for (int i = 0; i < 10; i++) {
		items[i].key = i;
		rb_insert(&t, &items[i].node, &items[i].key, cmp_key);
	}
	t.root->red = true;
	CHECK_EQ(rb_check(&t, order), RB_CHECK_ROOT);
	t.root->red = false;
	items[0].key = 100;
	CHECK_EQ(rb_check(&t, order), RB_CHECK_ORDER);
	items[0].key = 0;
	rb_first(&t)->red = !rb_first(&t)->red;
	CHECK(rb_check(&t, order) < 0);
}

int main(void)
{
	CASE(empty_tree);
	CASE(random_small_range);
	CASE(random_medium_range);
	CASE(random_large_range);
	CASE(ordered_inserts_stay_balanced);
	CASE(multiset_with_find_link);
	CASE(replace_keeps_shape);
	CASE(check_detects_damage);
	return h_exit();
}
