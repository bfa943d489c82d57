/*
 * Self-tests of threads and the scheduler: lifecycle and its errors,
 * memory not leaked by create/exit churn, priorities and affinity honoured,
 * work spread over the online CPUs. They run on however many CPUs are
 * online and must pass on one.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/clock.h>
#include <mote/arch.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>

/* Waits (sleeping) until at most `n` threads exist; false after a second. */
static bool wait_thread_count(unsigned n)
{
	for (int i = 0; i < 1000 && thread_count() > n; i++)
		thread_sleep_ns(NSEC_PER_MSEC);
	return thread_count() <= n;
}

static void *add_one(void *arg)
{
	return (char *)arg + 1;
}

KTEST(thread_create_join)
{
	struct thread_attr attr = { .name = "a-rather-long-thread-name-that-is-cut" };
	struct thread *t = thread_create(add_one, (void *)41, &attr);
	void *value = 0;

	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(t->tid > 1 && t->name[THREAD_NAME_MAX - 1] == 0);
	KT_EXPECT(thread_join(t, &value) == 0);
	KT_EXPECT(value == (void *)42);
	KT_EXPECT(thread_self()->tid >= 1 && !thread_self()->is_idle);
}

static void *exit_early(void *arg)
{
	thread_exit(arg);
	return 0;
}

static void *wait_on(void *arg)
{
	sem_down(arg);
	return 0;
}

KTEST(thread_errors)
{
	struct semaphore sem = SEMAPHORE_INIT(sem, 0);
	struct thread_attr detached = { .detached = true };
	struct cpu_set none;
	struct thread_attr bad_affinity = { .affinity = &none };
	struct thread_attr bad_nice = { .nice = 20 };
	struct thread_attr bad_stack = { .stack_size = 2 << 20 };
	unsigned before = thread_count();
	struct thread *t;
	void *value;

	cpu_set_clear(&none);
	KT_EXPECT(thread_join(thread_self(), 0) == -EDEADLK);
	KT_EXPECT(PTR_ERR(thread_create(add_one, 0, &bad_affinity)) == -EINVAL);
	KT_EXPECT(PTR_ERR(thread_create(add_one, 0, &bad_nice)) == -EINVAL);
	KT_EXPECT(PTR_ERR(thread_create(add_one, 0, &bad_stack)) == -EINVAL);

	t = thread_create(wait_on, &sem, &detached);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(thread_join(t, &value) == -EINVAL);	/* detached: not joinable */
	KT_EXPECT(thread_detach(t) == -EINVAL);
	sem_up(&sem);

	t = thread_create(exit_early, (void *)7, 0);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(thread_join(t, &value) == 0 && value == (void *)7);

	t = thread_create(wait_on, &sem, 0);	/* detached after it started */
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(thread_detach(t) == 0);
	sem_up(&sem);
	KT_EXPECT(wait_thread_count(before));
}

static void *big_stack_user(void *arg)
{
	volatile char buf[48 * 1024];

	buf[0] = 1;
	buf[sizeof(buf) - 1] = 2;
	return (void *)(uintptr_t)(buf[0] + buf[sizeof(buf) - 1] + (uintptr_t)arg);
}

KTEST(thread_stack_size)
{
	struct thread_attr attr = { .stack_size = 64 * 1024 };
	struct thread *t = thread_create(big_stack_user, (void *)1, &attr);
	void *value;

	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(t->stack_size == 64 * 1024);
	KT_EXPECT(thread_join(t, &value) == 0 && value == (void *)4);
}

static void *churn_child(void *arg)
{
	volatile char buf[256];

	buf[0] = (char)(uintptr_t)arg;
	return (void *)(uintptr_t)buf[0];
}

static bool churn(unsigned rounds, unsigned batch)
{
	struct thread_attr detached = { .detached = true, .name = "churn-detached" };
	struct thread_attr odd_stack = { .stack_size = 20 * 1024, .name = "churn-20k" };
	struct thread *t[16];
	bool ok = true;

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < batch; i++) {
			t[i] = thread_create(churn_child, (void *)(uintptr_t)i, i == 3 ? &odd_stack : 0);
			if (IS_ERR(t[i]))
				return false;
		}
		if (IS_ERR(thread_create(churn_child, 0, &detached)))
			return false;
		for (unsigned i = 0; i < batch; i++) {
			void *v;

			ok &= thread_join(t[i], &v) == 0 && v == (void *)(uintptr_t)i;
		}
	}
	return ok;
}

/*
 * Allocator caches and slabs that stay once filled are filled first: the
 * warm-up holds more threads at once than the churn ever can (its batch,
 * the stack cache and stragglers still exiting on other CPUs).
 */
static bool warm_up_slots(void)
{
	static struct thread *t[64];
	struct semaphore go;
	bool ok = true;

	sem_init(&go, 0);
	for (unsigned i = 0; i < 64; i++) {
		t[i] = thread_create(wait_on, &go, 0);
		if (IS_ERR(t[i]))
			return false;
	}
	for (unsigned i = 0; i < 64; i++)
		sem_up(&go);
	for (unsigned i = 0; i < 64; i++)
		ok &= thread_join(t[i], 0) == 0;
	return ok && churn(2, 16);
}

KTEST(thread_churn_no_leak)
{
	unsigned threads = thread_count();
	size_t pages, tables;
	long new_tables;

	KT_ASSERT(warm_up_slots());	/* allocator caches */
	KT_ASSERT(wait_thread_count(threads));
	thread_trim();
	mm_trim();
	pages = page_free_count();
	tables = arch_page_table_pages();
	KT_EXPECT(churn(40, 16));
	KT_EXPECT(wait_thread_count(threads));
	thread_trim();
	mm_trim();
	KT_EXPECT(thread_count() == threads);
	/*
	 * Stack slots are used round-robin over the whole area, 680 of them here: a page
	 * table goes with the last stack it maps, but a page directory (1 GiB of slots)
	 * the churn reached stays.
	 */
	new_tables = (long)arch_page_table_pages() - (long)tables;
	KT_EXPECT(new_tables >= 0 && new_tables <= 1);
	KT_EXPECT(page_free_count() + (size_t)new_tables == pages);
	if (page_free_count() + (size_t)new_tables != pages || new_tables > 1)
		printk("ktest:   pages free %zu before churn, %zu after (%+ld page tables)\n", pages,
		       page_free_count(), new_tables);
}

struct affinity_probe {
	unsigned want;
	bool wrong_cpu;
};

static void *check_cpu(void *arg)
{
	struct affinity_probe *p = arg;

	for (int i = 0; i < 20; i++) {
		if (cpu_self()->id != p->want)
			p->wrong_cpu = true;
		if (i % 2)
			sched_yield();
		else
			thread_sleep_ns(100 * NSEC_PER_USEC);
	}
	return 0;
}

KTEST(sched_affinity)
{
	struct affinity_probe probe[MAX_CPUS];
	struct thread *t[MAX_CPUS];
	unsigned n = 0;
	struct cpu_set none;

	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		struct cpu_set set;
		struct thread_attr attr = { .name = "affine", .affinity = &set };

		if (!sched_cpu_active(cpu))
			continue;
		cpu_set_clear(&set);
		cpu_set_add(&set, cpu);
		probe[n] = (struct affinity_probe){ cpu, false };
		t[n] = thread_create(check_cpu, &probe[n], &attr);
		KT_ASSERT(!IS_ERR(t[n]));
		n++;
	}
	for (unsigned i = 0; i < n; i++) {
		KT_EXPECT(thread_join(t[i], 0) == 0);
		KT_EXPECT(!probe[i].wrong_cpu);
	}
	cpu_set_clear(&none);
	KT_EXPECT(thread_set_affinity(thread_self(), &none) == -EINVAL);
}

/* Moving the running thread itself: it must continue on the new CPU. */
KTEST(sched_affinity_self)
{
	struct cpu_set saved = thread_self()->affinity;

	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		struct cpu_set one;

		if (!sched_cpu_active(cpu))
			continue;
		cpu_set_clear(&one);
		cpu_set_add(&one, cpu);
		KT_EXPECT(thread_set_affinity(thread_self(), &one) == 0);
		KT_EXPECT(cpu_self()->id == cpu);
	}
	KT_EXPECT(thread_set_affinity(thread_self(), &saved) == 0);
}

static void *sleep_then_report_cpu(void *arg)
{
	thread_sleep_ns(20 * NSEC_PER_MSEC);
	*(unsigned *)arg = cpu_self()->id;
	return 0;
}

/* Moving a thread while it sleeps pinned by its timer: it moves when it wakes. */
KTEST(sched_affinity_while_sleeping)
{
	unsigned here = cpu_self()->id, there = here, landed = ~0u;
	struct cpu_set from, to;
	struct thread_attr attr = { .affinity = &from };
	struct thread *t;

	for (unsigned i = 0; i < cpu_count(); i++)
		if (i != here && sched_cpu_active(i))
			there = i;
	cpu_set_clear(&from);
	cpu_set_add(&from, here);
	cpu_set_clear(&to);
	cpu_set_add(&to, there);
	t = thread_create(sleep_then_report_cpu, &landed, &attr);
	KT_ASSERT(!IS_ERR(t));
	thread_sleep_ns(5 * NSEC_PER_MSEC);
	KT_EXPECT(thread_set_affinity(t, &to) == 0);
	KT_EXPECT(thread_join(t, 0) == 0);
	KT_EXPECT(landed == there);
}

struct yielder {
	volatile unsigned *turn;
	unsigned me, rounds;
	bool ok;
};

static void *take_turns(void *arg)
{
	struct yielder *y = arg;

	for (unsigned i = 0; i < y->rounds; i++) {
		unsigned spins = 0;

		while (*y->turn % 2 != y->me && spins++ < 1000000)
			sched_yield();
		y->ok &= *y->turn % 2 == y->me;
		(*y->turn)++;
	}
	return 0;
}

/* Two threads on one CPU handing over by yielding alone: yield must let the other run. */
KTEST(sched_yield_alternates)
{
	volatile unsigned turn = 0;
	struct cpu_set here;
	struct thread_attr attr = { .affinity = &here };
	struct yielder a = { &turn, 0, 200, true }, b = { &turn, 1, 200, true };
	struct thread *ta, *tb;

	cpu_set_clear(&here);
	cpu_set_add(&here, cpu_self()->id);
	ta = thread_create(take_turns, &a, &attr);
	tb = thread_create(take_turns, &b, &attr);
	KT_ASSERT(!IS_ERR(ta) && !IS_ERR(tb));
	KT_EXPECT(thread_join(ta, 0) == 0 && thread_join(tb, 0) == 0);
	KT_EXPECT(a.ok && b.ok && turn == 400);
}

KTEST(sched_stats)
{
	struct sched_stats st;

	sched_get_stats(cpu_self()->id, &st);
	KT_EXPECT(st.switches > 0 && st.nr_running >= 1);
	sched_get_stats(MAX_CPUS + 1, &st);
	KT_EXPECT(st.switches == 0);
}
