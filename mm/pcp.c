/*
 * mm/pcp.c: the per-CPU caches of single pages and mempool objects.
 *
 * Each CPU owns one struct mm_pcp (mm/internal.h), found through
 * mm_backend_cpu(). Its owner uses it with interrupts off on that CPU and
 * under the cache's own lock, which only one other party ever takes:
 * mm_trim_locked(), which drains every CPU's cache under the backend
 * lock (lock order: backend lock, then a cache lock). So the fast paths
 * cost one uncontended atomic exchange instead of the global lock, and
 * mm_trim() still brings every cached page back synchronously, whatever
 * the other CPUs are doing, without interrupting them (a trim waits at
 * most for one bounded fast-path operation per CPU). The owner never
 * waits for the backend lock while holding its cache lock: its slow paths
 * (refill, drain) drop the cache lock, take the backend lock, and take
 * the cache lock again, finding the cache perhaps emptied by a trim,
 * never filled by anyone else.
 *
 * The bound per CPU is set from RAM (page.c: page_enable_hot(); mempool.c:
 * mempool_size_caches()); when a page allocation fails anywhere, mm trims,
 * which includes these caches, and retries once, so memory stranded in
 * another CPU's cache never makes an allocation fail.
 */
#include "internal.h"

struct mm_pcp mm_pcp[MM_MAX_CPUS];

void pcp_reset(void)
{
	for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
		struct mm_pcp *pc = &mm_pcp[c];

		__builtin_memset(pc, 0, sizeof(*pc));
		pc->pages = FRAME_NIL;
	}
}

void pcp_drain_all(void)
{
	for (unsigned c = 0; c < MM_MAX_CPUS; c++) {
		struct mm_pcp *pc = &mm_pcp[c];

		pcp_lock(pc);
		for (unsigned ci = 0; ci < MEMPOOL_NCLASS; ci++)
			mempool_flush(ci, &pc->obj[ci], &pc->nobj[ci], 0);
		page_drain_pcp(pc, 0);
		pcp_unlock(pc);
	}
}

size_t pcp_page_count(void)
{
	size_t n = 0;

	for (unsigned c = 0; c < MM_MAX_CPUS; c++)
		n += __atomic_load_n(&mm_pcp[c].npages, __ATOMIC_RELAXED);
	return n;
}
