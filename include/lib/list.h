/*
 * lib/list: an intrusive, circular, doubly-linked list.
 *
 * The node lives inside the caller's object, so linking never allocates
 * and never fails; list_entry() gets from a node back to its object. A
 * list head is a node pointing at itself when empty. Not thread-safe: the
 * owner of a list serialises access to it.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_INIT(name) { &(name), &(name) }

#define list_entry(node, type, member) \
	((type *)((char *)(node) - offsetof(type, member)))

static inline void list_init(struct list_node *head)
{
	head->next = head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Appends n at the tail (FIFO order with list_first). */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head->prev, head);
}

static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head, head->next);
}

/* Unlinks n and makes it an empty list of its own, so a second removal is harmless. */
static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* The first node, or NULL if the list is empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}

/* Iterates over the nodes; `n` may be removed inside the loop, `tmp` keeps the walk going. */
#define list_for_each_safe(n, tmp, head)					\
	for ((n) = (head)->next, (tmp) = (n)->next; (n) != (head); (n) = (tmp), (tmp) = (n)->next)

#define list_for_each(n, head) for ((n) = (head)->next; (n) != (head); (n) = (n)->next)

#endif
