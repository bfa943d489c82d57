/*
 * lib/sort: an in-place heapsort of an array of pointers, O(n log n) in
 * every case, no allocation and no recursion (so a hostile count cannot
 * exhaust a kernel stack). Not stable.
 */
#ifndef LIB_SORT_H
#define LIB_SORT_H

#include <stddef.h>

/* Sorts v[0..n) so that cmp(v[i], v[i + 1]) <= 0. */
void sort_ptrs(void **v, size_t n, int (*cmp)(const void *a, const void *b));

#endif
