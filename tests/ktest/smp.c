/*
 * Self-tests of multiprocessing: every CPU the firmware listed and that
 * started is online with its own per-CPU state, and takes interrupts:
 * an IPI to each one is answered on that CPU.
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/ktest.h>
#include <mote/percpu.h>
#include <mote/sched.h>
#include <mote/smp.h>

static unsigned answered_by[MAX_CPUS];

static void answer(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	__atomic_add_fetch(&answered_by[cpu_self()->id], 1, __ATOMIC_RELAXED);
}

/*
 * Pinned, so the CPU it runs on stays the one it checked: the test thread may
 * have been moved off the boot CPU by an earlier test's sleep.
 */
KTEST(smp_every_cpu_answers_an_ipi)
{
	unsigned online = smp_online_count();
	struct cpu *me;

	KT_ASSERT(online >= 1 && online <= cpu_count());
	sched_pin();
	me = cpu_self();
	KT_EXPECT(me->id < cpu_count() && cpu_get(me->id) == me && me->self == me);
	irq_set_handler(IRQ_VECTOR_CALL, answer, 0);
	for (unsigned i = 0; i < cpu_count(); i++) {
		struct cpu *c = cpu_get(i);
		uint64_t end = clock_monotonic_ns() + 2000 * NSEC_PER_MSEC;

		if (!c->online || c == me)
			continue;
		KT_EXPECT(c->timers != 0 && (i == 0 || c->arch_tables != 0));	/* APs' own tables */
		irq_send_ipi(c->apic_id, IRQ_VECTOR_CALL);
		while (!__atomic_load_n(&answered_by[i], __ATOMIC_RELAXED) &&
		       clock_monotonic_ns() < end)
			;
		KT_EXPECT(answered_by[i] == 1);
	}
	KT_EXPECT(answered_by[me->id] == 0);
	sched_unpin();
}
