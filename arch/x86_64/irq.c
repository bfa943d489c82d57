/*
 * Interrupt dispatch (include/mote/irq.h): a handler table indexed by
 * vector, the end-of-interrupt, and the decision vectors.S acts on: whether
 * to leave through the scheduler. Handlers run with interrupts off.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/percpu.h>
#include "apic.h"
#include "frame.h"
#include "msi.h"
#include "x86.h"

static struct {
	irq_handler_fn fn;
	void *ctx;
} handlers[256];
static unsigned next_free_vector = IRQ_VECTOR_FIRST;
static uint64_t spurious;

void irq_set_handler(unsigned vector, irq_handler_fn fn, void *ctx)
{
	if (vector < IRQ_VECTOR_FIRST || vector >= IRQ_VECTOR_SPURIOUS)
		panic("irq_set_handler: vector %u is not a device vector", vector);
	handlers[vector].ctx = ctx;
	handlers[vector].fn = fn;
}

int irq_alloc_vector(void)
{
	return next_free_vector < IRQ_VECTOR_TIMER ? (int)next_free_vector++ : -ENOSPC;
}

int irq_msi_compose(unsigned vector, uint32_t apic_id, uint64_t *address, uint32_t *data)
{
	return x86_msi_compose(vector, apic_id, address, data);
}

void irq_send_ipi(uint32_t apic_id, unsigned vector)
{
	lapic_send_ipi(apic_id, vector);
}

void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

bool irq_enabled(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0" : "=r"(flags));
	return flags & RFLAGS_IF;
}

/* Returns nonzero when vectors.S should call sched_preempt() before returning. */
int irq_dispatch(struct trap_frame *f)
{
	struct cpu *c = cpu_self();
	unsigned vec = f->vector;

	if (vec == IRQ_VECTOR_SPURIOUS) {
		spurious++;	/* no EOI for a spurious interrupt */
		return 0;
	}
	c->irq_depth++;
	if (handlers[vec].fn)
		handlers[vec].fn(vec, handlers[vec].ctx);
	lapic_eoi();
	c->irq_depth--;
	/* Preemptible: kernel code that ran with interrupts on, outside any handler. */
	return c->need_resched && c->irq_depth == 0 && (f->rflags & RFLAGS_IF) && !(f->cs & 3);
}

void arch_irq_cpu_init(void)
{
	lapic_cpu_init();
}

void arch_irq_system_init(void)
{
	arch_tlb_init();
	ioapic_init();
}

void arch_timer_arm(uint64_t deadline)
{
	lapic_timer_arm(deadline, IRQ_VECTOR_TIMER);
}

void arch_timer_stop(void)
{
	lapic_timer_stop();
}

void arch_idle(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}
