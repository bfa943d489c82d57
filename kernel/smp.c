/*
 * Bringing up the other CPUs the firmware listed: each gets its own
 * descriptor tables, interrupt stacks and boot stack, enables its local
 * APIC and timers, marks itself online and idles until the scheduler gives
 * it work. One at a time (they share the trampoline); a CPU that does not
 * start is reported and left out rather than waited on.
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/smp.h>
#include <mote/timer.h>

#define AP_STACK_ORDER 2	/* 16 KiB */

static void ap_main(void *arg)
{
	struct cpu *c = arg;

	arch_cpu_init_ap(c->arch_tables);
	percpu_install(c);
	clock_cpu_init();
	arch_irq_cpu_init();
	timer_cpu_init();
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	smp_ap_idle();
}

static int start_one(struct cpu *c)
{
	void *stack = page_alloc(AP_STACK_ORDER);

	c->arch_tables = mm_aligned_alloc(16, arch_cpu_tables_size());
	if (!stack || !c->arch_tables) {
		printk("mote: cpu %u (APIC id %u): no memory to start it\n", c->id, c->apic_id);
		return -1;
	}
	if (arch_start_cpu(c->apic_id, ap_main, c, (char *)stack + (PAGE_SIZE << AP_STACK_ORDER))) {
		printk("mote: cpu %u (APIC id %u) did not start; continuing without it\n", c->id,
		       c->apic_id);
		return -1;
	}
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		;
	return 0;
}

unsigned smp_start_cpus(void)
{
	unsigned online = 1;

	for (unsigned i = 1; i < cpu_count(); i++)
		if (!start_one(cpu_get(i)))
			online++;
	return online;
}

unsigned smp_online_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cpu_count(); i++)
		n += cpu_get(i)->online;
	return n;
}
