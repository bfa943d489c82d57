/*
 * Self-tests that need preemption: CPU-bound threads that never yield
 * must still share the CPU by priority and spread over the online CPUs.
 */
#include <lib/err.h>
#include <mote/clock.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>

static unsigned online_cpus(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cpu_count(); i++)
		n += sched_cpu_active(i);
	return n;
}

struct spinner {
	volatile bool *stop;
	uint64_t loops;
};

static void *spin_until_stopped(void *arg)
{
	struct spinner *s = arg;

	while (!*s->stop)
		s->loops++;
	return 0;
}

/* Two CPU-bound threads on one CPU, nice -10 and 10: the first must get far more of it. */
KTEST(sched_priorities)
{
	volatile bool stop = false;
	struct spinner hi = { &stop, 0 }, lo = { &stop, 0 };
	struct cpu_set here;
	struct thread_attr hi_attr = { .name = "nice-10", .nice = -10, .affinity = &here };
	struct thread_attr lo_attr = { .name = "nice+10", .nice = 10, .affinity = &here };
	struct thread *a, *b;

	cpu_set_clear(&here);
	cpu_set_add(&here, cpu_self()->id);
	a = thread_create(spin_until_stopped, &hi, &hi_attr);
	b = thread_create(spin_until_stopped, &lo, &lo_attr);
	KT_ASSERT(!IS_ERR(a) && !IS_ERR(b));
	thread_sleep_ns(300 * NSEC_PER_MSEC);
	stop = true;
	KT_EXPECT(thread_join(a, 0) == 0 && thread_join(b, 0) == 0);
	printk("ktest:   nice -10 ran %lu loops, nice 10 ran %lu\n", hi.loops, lo.loops);
	KT_EXPECT(hi.loops > 4 * lo.loops);
}

struct spread {
	volatile bool *stop;
	uint64_t cpus_seen;
};

static void *note_cpus(void *arg)
{
	struct spread *s = arg;

	while (!*s->stop)
		s->cpus_seen |= 1ULL << (cpu_self()->id % 64);
	return 0;
}

/* Twice as many CPU-bound threads as CPUs: every online CPU must run some. */
KTEST(sched_spreads_work)
{
	unsigned n = 2 * online_cpus();
	volatile bool stop = false;
	struct spread s[2 * MAX_CPUS];
	struct thread *t[2 * MAX_CPUS];
	uint64_t seen = 0, want = 0;

	for (unsigned i = 0; i < n; i++) {
		s[i] = (struct spread){ &stop, 0 };
		t[i] = thread_create(note_cpus, &s[i], 0);
		KT_ASSERT(!IS_ERR(t[i]));
	}
	thread_sleep_ns(200 * NSEC_PER_MSEC);
	stop = true;
	for (unsigned i = 0; i < n; i++) {
		KT_EXPECT(thread_join(t[i], 0) == 0);
		seen |= s[i].cpus_seen;
	}
	for (unsigned i = 0; i < cpu_count() && i < 64; i++)
		if (sched_cpu_active(i))
			want |= 1ULL << i;
	KT_EXPECT(seen == want);
}

