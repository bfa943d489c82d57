/*
 * mm/host/host.h: running mm/ in an ordinary Linux process.
 *
 * For the unit tests and bench/alloc only. mm_host_init() builds the
 * machine mm expects: one PROT_NONE reservation of 8 areas at
 * MM_AREA_BASE, a memfd standing in for physical RAM, and that memfd
 * mapped MAP_SHARED at every alias area (0-4 and 6), so that writing
 * through one alias is visible through the others exactly as in the
 * kernel. Area 5 stays PROT_NONE until the debug allocator maps pages
 * there through mm_backend_map(). The backend lock is a plain spinlock,
 * and the current "CPU" (mm's per-CPU cache slot) is a thread-local
 * number, 0 unless set: tests switch it to simulate several CPUs in one
 * thread, or give each thread its own.
 */
#ifndef MM_HOST_HOST_H
#define MM_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* Builds the areas over ram_bytes of "physical memory". 0 or -errno. */
int mm_host_init(size_t ram_bytes);

/* Tears them down again (call mm_early_init() before using mm after the next init). */
void mm_host_fini(void);

/*
 * Corruption reports (mm_backend_corruption). By default they are fatal:
 * printed to stderr, then abort(). Tests that provoke them on purpose
 * turn that off and read the count and the last message instead.
 */
void mm_host_corruption_fatal(bool fatal);
unsigned mm_host_corruptions(void);
const char *mm_host_last_corruption(void);

/* Makes this thread run as CPU `cpu` (mod MM_MAX_CPUS) from now on. */
void mm_host_set_cpu(unsigned cpu);

/* How many mappings mm_backend_map has made and mm_backend_unmap removed. */
size_t mm_host_maps(void);
size_t mm_host_unmaps(void);

#endif
