/*
 * TEMPORARY stand-ins, until the real clock, timer and interrupt code
 * lands on main (the lead replaces this file at merge): clock.h from the
 * TSC, timer.h as a polled table, irq.h without interrupts, and arch_idle()
 * as a poll of the timers. No interrupt ever arrives, so nothing is
 * preempted and timers fire only when a CPU idles. Keeps the interfaces
 * of clock.h, timer.h and irq.h exactly.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/percpu.h>
#include <mote/time.h>
#include <mote/timer.h>

#define MAX_TIMERS 4096

static uint64_t boot_cycles;
static struct timer *armed[MAX_TIMERS];
static unsigned nr_armed;

void clock_init(void)
{
	boot_cycles = arch_cycles();
}

uint64_t clock_monotonic_ns(void)
{
	uint64_t khz = time_cycles_khz();
	uint64_t c = arch_cycles() - boot_cycles;

	if (!khz)
		khz = 1000000;
	return c / khz * 1000000 + c % khz * 1000000 / khz;
}

uint64_t clock_realtime_ns(void)
{
	return clock_monotonic_ns();
}

void timer_init(struct timer *t, timer_fn fn, void *data)
{
	*t = (struct timer){ .fn = fn, .data = data, .heap_index = -1 };
}

static void remove_at(unsigned i)
{
	armed[i]->heap_index = -1;
	armed[i] = armed[--nr_armed];
	if (i < nr_armed)
		armed[i]->heap_index = (int)i;
}

void timer_arm(struct timer *t, uint64_t deadline)
{
	unsigned long flags = arch_irq_save();

	t->deadline = deadline;
	t->cpu = cpu_self()->id;
	if (t->heap_index < 0) {
		if (nr_armed == MAX_TIMERS)
			panic("timer_poll: more than %u timers", MAX_TIMERS);
		t->heap_index = (int)nr_armed;
		armed[nr_armed++] = t;
	}
	arch_irq_restore(flags);
}

bool timer_cancel(struct timer *t)
{
	unsigned long flags = arch_irq_save();
	bool was = t->heap_index >= 0;

	if (was)
		remove_at((unsigned)t->heap_index);
	arch_irq_restore(flags);
	return was;
}

void timer_cpu_init(void)
{
}

/* Runs every due timer of this CPU (interrupts off). */
static void timer_poll(void)
{
	uint64_t now = clock_monotonic_ns();

	for (unsigned i = 0; i < nr_armed;) {
		struct timer *t = armed[i];

		if (t->cpu != cpu_self()->id || t->deadline > now) {
			i++;
			continue;
		}
		remove_at(i);
		cpu_self()->irq_depth++;
		t->fn(t);
		cpu_self()->irq_depth--;
	}
}

void arch_idle(void)
{
	timer_poll();
	arch_cpu_relax();
}

void irq_set_handler(unsigned vector, irq_handler_fn fn, void *ctx)
{
	(void)vector;
	(void)fn;
	(void)ctx;
}

int irq_alloc_vector(void)
{
	return -ENOSPC;
}

int irq_route_isa(unsigned line, unsigned vector, uint32_t apic_id)
{
	(void)line;
	(void)vector;
	(void)apic_id;
	return -ENODEV;
}

void irq_send_ipi(uint32_t apic_id, unsigned vector)
{
	(void)apic_id;
	(void)vector;
}

void irq_enable(void)
{
	arch_irq_restore(1UL << 9);
}

void irq_disable(void)
{
	arch_irq_save();
}

bool irq_enabled(void)
{
	unsigned long flags = arch_irq_save();

	arch_irq_restore(flags);
	return flags & (1UL << 9);
}
