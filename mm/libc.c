/*
 * mm/libc.c: the malloc family under its standard names, for the kernel.
 *
 * Not built for the host, where these names belong to the C library the
 * tests compare against. Each is a tail call (a jmp at -O2), so the call
 * site the debug allocator records is still the caller's.
 */
#include <mote/mm.h>

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
void *aligned_alloc(size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size);
size_t malloc_usable_size(void *p);

void *malloc(size_t size)
{
	return mm_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return mm_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return mm_realloc(p, size);
}

void free(void *p)
{
	mm_free(p);
}

void *aligned_alloc(size_t align, size_t size)
{
	return mm_aligned_alloc(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	return mm_posix_memalign(out, align, size);
}

size_t malloc_usable_size(void *p)
{
	return mm_malloc_usable_size(p);
}
