/*
 * Self-test of legacy interrupt routing through the IOAPIC: the serial
 * port's "transmitter empty" interrupt (ISA line 4) is routed to a fresh
 * vector on this CPU and must arrive there.
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/ktest.h>
#include <mote/sched.h>
#include <mote/percpu.h>
#include <mote/timer.h>

#define COM1_IER 0x3f9
#define COM1_IIR 0x3fa

static volatile unsigned serial_irqs;

static void serial_irq(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	(void)arch_pio_read8(COM1_IIR);	/* reading IIR acknowledges THRE */
	arch_pio_write8(COM1_IER, 0);
	serial_irqs++;
}

static void wake(struct timer *t)
{
	(void)t;
}

KTEST(irq_isa_line_reaches_its_vector)
{
	int vec = irq_alloc_vector();
	struct timer guard;
	uint64_t end;

	KT_ASSERT(vec >= IRQ_VECTOR_FIRST);
	sched_pin();	/* the line is routed to this CPU, and the guard timer is this CPU's */
	irq_set_handler(vec, serial_irq, 0);
	if (!KT_EXPECT(irq_route_isa(4, vec, cpu_self()->apic_id) == 0)) {
		sched_unpin();
		return;
	}
	end = clock_monotonic_ns() + 500 * NSEC_PER_MSEC;
	timer_init(&guard, wake, 0);
	timer_arm(&guard, end);
	arch_pio_write8(COM1_IER, 0x02);	/* interrupt when the transmitter is empty */
	while (!serial_irqs && clock_monotonic_ns() < end)
		arch_idle();
	timer_cancel(&guard);
	arch_pio_write8(COM1_IER, 0);
	sched_unpin();
	KT_EXPECT(serial_irqs >= 1);
}
