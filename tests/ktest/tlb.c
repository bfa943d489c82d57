/*
 * Self-tests of TLB shootdown (mote/arch.h). A reader thread pinned to
 * another CPU reads a page through a mapping, so its TLB caches the
 * translation; this CPU then unmaps (or re-maps) the address to another
 * frame, and the reader must see the new frame's contents: with a local
 * flush only it would still read the old frame. Then a stress test: threads
 * on every CPU map and unmap concurrently, some with a spinlock held that
 * the others spin on with interrupts off, which deadlocks unless spinning
 * CPUs serve shootdown requests.
 *
 * The addresses are in the lower half, far from anything the VM tests
 * place there.
 */
#include <lib/err.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/ktest.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/sched.h>
#include <mote/spinlock.h>
#include <mote/thread.h>

#define TEST_VA   0x0000100000000000UL
#define STRESS_VA 0x0000100040000000UL
#define BIG_PAGES (ARCH_TLB_FLUSH_ALL_PAGES + 8)

struct reader {
	uintptr_t va;
	uint32_t seen;
	unsigned cmd, done;
	bool quit;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned handled = 0;

	for (;;) {
		unsigned cmd = __atomic_load_n(&r->cmd, __ATOMIC_ACQUIRE);

		if (cmd == handled) {
			arch_cpu_relax();
			continue;
		}
		handled = cmd;
		if (r->quit)
			return 0;
		r->seen = *(volatile uint32_t *)r->va;
		__atomic_store_n(&r->done, cmd, __ATOMIC_RELEASE);
	}
}

/* Has the reader read va; returns what it saw, or 0 if it did not answer. */
static uint32_t remote_read(struct reader *r, uintptr_t va)
{
	uint64_t end = clock_monotonic_ns() + 2000 * NSEC_PER_MSEC;
	unsigned cmd = r->cmd + 1;

	r->va = va;
	__atomic_store_n(&r->cmd, cmd, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) != cmd)
		if (clock_monotonic_ns() > end)
			return 0;
	return r->seen;
}

/* Another active CPU than `self`, or -1. */
static int other_cpu(unsigned self)
{
	for (unsigned i = 0; i < cpu_count(); i++)
		if (i != self && sched_cpu_active(i))
			return (int)i;
	return -1;
}

static void fill(void *page, uint32_t v)
{
	for (size_t i = 0; i < PAGE_SIZE / 4; i++)
		((uint32_t *)page)[i] = v;
}

KTEST(tlb_shootdown_reaches_other_cpu)
{
	struct cpu_set here, there, saved = thread_self()->affinity;
	struct thread_attr attr = { .name = "tlb-reader", .affinity = &there };
	struct reader r = { 0 };
	struct thread *t;
	void *a = page_alloc(0), *b = page_alloc(0), *c = page_alloc(0);
	uint64_t pa = mm_virt_to_phys(a), pb = mm_virt_to_phys(b), pc = mm_virt_to_phys(c);
	unsigned self;
	int other;

	KT_ASSERT(a && b && c);
	fill(a, 0xaaaaaaaa);
	fill(b, 0xbbbbbbbb);
	fill(c, 0xcccccccc);
	/* Stay on this CPU for the whole test; the reader stays on another. */
	self = cpu_self()->id;	/* if we move meanwhile, the affinity brings us back */
	cpu_set_clear(&here);
	cpu_set_add(&here, self);
	KT_ASSERT(thread_set_affinity(thread_self(), &here) == 0);
	other = other_cpu(self);
	if (other < 0) {
		thread_set_affinity(thread_self(), &saved);
		page_free(a, 0);
		page_free(b, 0);
		page_free(c, 0);
		return;	/* one CPU: nothing to shoot down */
	}
	cpu_set_clear(&there);
	cpu_set_add(&there, (unsigned)other);
	t = thread_create(reader_main, &r, &attr);
	KT_ASSERT(!IS_ERR(t));

	/* Kernel mappings: arch_unmap_pages. */
	KT_EXPECT(arch_map_pages(TEST_VA, pa, 1, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA) == 0xaaaaaaaa);
	arch_unmap_pages(TEST_VA, 1);
	KT_EXPECT(arch_map_pages(TEST_VA, pb, 1, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA) == 0xbbbbbbbb);
	arch_unmap_pages(TEST_VA, 1);

	/* A range past the batching limit: the whole TLB is flushed. */
	KT_EXPECT(arch_map_pages(TEST_VA, pa, 1, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	for (unsigned i = 1; i < BIG_PAGES; i++)
		KT_EXPECT(arch_map_pages(TEST_VA + i * PAGE_SIZE, pa, 1, ARCH_PROT_READ) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA + (BIG_PAGES - 1) * PAGE_SIZE) == 0xaaaaaaaa);
	arch_unmap_pages(TEST_VA, BIG_PAGES);
	KT_EXPECT(arch_map_pages(TEST_VA + (BIG_PAGES - 1) * PAGE_SIZE, pb, 1, ARCH_PROT_READ) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA + (BIG_PAGES - 1) * PAGE_SIZE) == 0xbbbbbbbb);
	arch_unmap_pages(TEST_VA + (BIG_PAGES - 1) * PAGE_SIZE, 1);

	/* Application mappings: arch_user_unmap, then replacing the frame in place. */
	KT_EXPECT(arch_user_map(TEST_VA, pa, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA) == 0xaaaaaaaa);
	arch_user_unmap(TEST_VA, TEST_VA + PAGE_SIZE, 0);
	KT_EXPECT(arch_user_map(TEST_VA, pb, ARCH_PROT_READ | ARCH_PROT_WRITE) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA) == 0xbbbbbbbb);
	KT_EXPECT(arch_user_map(TEST_VA, pc, ARCH_PROT_READ) == 0);
	KT_EXPECT(remote_read(&r, TEST_VA) == 0xcccccccc);
	arch_user_unmap(TEST_VA, TEST_VA + PAGE_SIZE, 0);

	r.quit = true;
	remote_read(&r, TEST_VA);
	KT_EXPECT(thread_join(t, 0) == 0);
	KT_EXPECT(thread_set_affinity(thread_self(), &saved) == 0);
	page_free(a, 0);
	page_free(b, 0);
	page_free(c, 0);
}

/* ---- Stress: concurrent map/unmap on every CPU ------------------------------ */

#define STRESS_PAGES 8
#define STRESS_ITERS 150
#define STRESS_MAX   8

static struct spinlock stress_lock = SPINLOCK_INIT("tlb stress", SPIN_RANK_NONE);

struct stresser {
	unsigned index;
	unsigned bad;
};

static void *stress_main(void *arg)
{
	struct stresser *s = arg;
	uintptr_t va = STRESS_VA + (uintptr_t)s->index * STRESS_PAGES * PAGE_SIZE;

	for (unsigned it = 0; it < STRESS_ITERS; it++) {
		uint32_t want = s->index << 16 | it;
		size_t n = 1 + it % STRESS_PAGES;
		void *page = page_alloc(0);
		unsigned long flags = 0;
		bool locked = it % 2;

		if (!page) {
			s->bad++;
			continue;
		}
		fill(page, want);
		if (locked)
			flags = spin_lock_irqsave(&stress_lock);
		for (size_t i = 0; i < n; i++)
			if (arch_map_pages(va + i * PAGE_SIZE, mm_virt_to_phys(page), 1,
					   ARCH_PROT_READ | ARCH_PROT_WRITE))
				s->bad++;
		for (size_t i = 0; i < n; i++)
			if (*(volatile uint32_t *)(va + i * PAGE_SIZE) != want)
				s->bad++;
		arch_unmap_pages(va, n);
		if (locked)
			spin_unlock_irqrestore(&stress_lock, flags);
		page_free(page, 0);
		if (it % 16 == 0)
			sched_yield();
	}
	return 0;
}

KTEST(tlb_shootdown_stress)
{
	struct stresser s[STRESS_MAX];
	struct thread *t[STRESS_MAX];
	struct cpu_set sets[STRESS_MAX];
	unsigned cpus[MAX_CPUS], ncpus = 0, n;

	for (unsigned i = 0; i < cpu_count(); i++)
		if (sched_cpu_active(i))
			cpus[ncpus++] = i;
	KT_ASSERT(ncpus > 0);
	/* Page tables first, so the threads never race to create the same table. */
	KT_ASSERT(arch_user_reserve(STRESS_VA, STRESS_VA + STRESS_MAX * STRESS_PAGES * PAGE_SIZE) ==
		  0);
	n = ncpus * 2 < STRESS_MAX ? ncpus * 2 : STRESS_MAX;
	for (unsigned i = 0; i < n; i++) {
		struct thread_attr attr = { .name = "tlb-stress", .affinity = &sets[i] };

		cpu_set_clear(&sets[i]);
		cpu_set_add(&sets[i], cpus[i % ncpus]);
		s[i] = (struct stresser){ i, 0 };
		t[i] = thread_create(stress_main, &s[i], &attr);
		KT_ASSERT(!IS_ERR(t[i]));
	}
	for (unsigned i = 0; i < n; i++) {
		KT_EXPECT(thread_join(t[i], 0) == 0);
		KT_EXPECT(s[i].bad == 0);
	}
}
