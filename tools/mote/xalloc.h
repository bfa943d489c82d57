/*
 * Allocation for the host tools: out of memory is not an error a command
 * line tool can do anything useful about, so these abort instead of
 * returning NULL (tools/mote/xalloc.c).
 */
#ifndef MOTE_TOOLS_XALLOC_H
#define MOTE_TOOLS_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
