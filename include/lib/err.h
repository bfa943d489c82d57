/*
 * lib/err: an error number inside a pointer. Functions that return an
 * object or a negative errno return ERR_PTR(-E...) on failure; the top
 * 4095 addresses are never valid objects, so IS_ERR() tells them apart.
 */
#ifndef LIB_ERR_H
#define LIB_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define ERR_MAX 4095

static inline void *ERR_PTR(long err)
{
	return (void *)err;
}

static inline long PTR_ERR(const void *p)
{
	return (long)p;
}

static inline bool IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-ERR_MAX;
}

#endif
