/*
 * Self-tests of mm's per-CPU caches (mm/pcp.c) on every online CPU: one
 * pinned thread per CPU allocating and freeing single pages and mempool
 * objects concurrently, each block tagged and checked before it is
 * freed (a block handed to two CPUs at once shows up as a wrong tag),
 * part of them left behind and freed by the test thread on its own CPU,
 * and the free page count after mm_trim() exactly what it was before.
 * Also passes on one CPU.
 */
#include <lib/err.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>

#define SLOTS 48
#define ROUNDS 3000

struct pcp_worker {
	unsigned cpu;
	struct semaphore *go, *done, *leave;
	void *slot[SLOTS];
	unsigned long ops;
	bool bad;
};

static void release(void *p)
{
	if (mm_owner_of(p) == MM_OWNER_DIRECT)
		page_free(p, 0);
	else
		mm_free(p);
}

static bool tag_ok(struct pcp_worker *w, void *p)
{
	return *(volatile uint64_t *)p == ((uintptr_t)p ^ w->cpu);
}

static void *pcp_work(void *arg)
{
	struct pcp_worker *w = arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (w->cpu + 1);

	sem_down(w->go);
	for (unsigned it = 0; it < ROUNDS; it++) {
		unsigned k = it % SLOTS;
		void *p;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		if (cpu_self()->id != w->cpu)
			w->bad = true;
		if (w->slot[k]) {
			if (!tag_ok(w, w->slot[k]))
				w->bad = true;
			release(w->slot[k]);
			w->slot[k] = 0;
		}
		p = (s & 1) ? page_alloc(0) : mm_malloc(8 + (s >> 8) % 1500);
		if (!p) {
			w->bad = true;
			continue;
		}
		*(volatile uint64_t *)p = (uintptr_t)p ^ w->cpu;
		w->slot[k] = p;
		w->ops++;
		if (it % 256 == 255)
			sched_yield();
	}
	for (unsigned k = 0; k < SLOTS; k++)
		if (w->slot[k] && !tag_ok(w, w->slot[k]))
			w->bad = true;
	sem_up(w->done);
	sem_down(w->leave);	/* stay alive (stack and all) until the count is taken */
	return 0;
}

KTEST(mm_percpu_caches_smp)
{
	struct pcp_worker *w = mm_calloc(MAX_CPUS, sizeof(*w));	/* not in .bss: 27 KiB */
	struct thread *t[MAX_CPUS];
	struct cpu_set sets[MAX_CPUS];
	struct semaphore go, done, leave;
	unsigned n = 0;
	size_t before, after;
	unsigned long ops = 0;
	bool bad = false;

	KT_ASSERT(w);
	sem_init(&go, 0);
	sem_init(&done, 0);
	sem_init(&leave, 0);
	for (unsigned cpu = 0; cpu < cpu_count() && cpu < MAX_CPUS; cpu++) {
		struct thread_attr attr = { .name = "mm-pcp", .affinity = &sets[n] };

		if (!sched_cpu_active(cpu))
			continue;
		cpu_set_clear(&sets[n]);
		cpu_set_add(&sets[n], cpu);
		w[n] = (struct pcp_worker){ .cpu = cpu, .go = &go, .done = &done, .leave = &leave };
		t[n] = thread_create(pcp_work, &w[n], &attr);
		KT_ASSERT(!IS_ERR(t[n]));
		n++;
	}
	mm_trim();
	before = page_free_count();
	for (unsigned i = 0; i < n; i++)
		sem_up(&go);
	for (unsigned i = 0; i < n; i++)
		sem_down(&done);
	/* What they still hold was allocated on their CPUs; free it on this one. */
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < SLOTS; k++)
			if (w[i].slot[k])
				release(w[i].slot[k]);
		ops += w[i].ops;
		bad |= w[i].bad;
	}
	mm_trim();
	after = page_free_count();
	for (unsigned i = 0; i < n; i++)
		sem_up(&leave);
	for (unsigned i = 0; i < n; i++)
		KT_EXPECT(thread_join(t[i], 0) == 0);
	KT_EXPECT(!bad);
	KT_EXPECT(ops == (unsigned long)n * ROUNDS);
	KT_EXPECT(after == before);
	if (after != before || bad)
		printk("ktest:   %u CPUs, %lu allocations, pages free %zu before, %zu after\n", n, ops,
		       before, after);
	mm_free(w);
}
