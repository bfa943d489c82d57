/*
 * Interrupts. Vectors 32-255 are device and inter-processor interrupts;
 * a handler is installed per vector and runs with interrupts off on the
 * CPU that took the interrupt, on that CPU's interrupt stack (IST).
 * After the handler returns and the interrupt is acknowledged, if the
 * interrupted code was preemptible and cpu_self()->need_resched is set,
 * sched_preempt() is called (the scheduler's hook) before returning.
 *
 * Legacy ISA lines (the serial port, the PIT) reach the IOAPIC; irq_route_isa()
 * steers one to a vector on a CPU. PCI devices (virtio-pci) signal by MSI-X
 * instead: irq_alloc_vector() gives the vector, irq_msi_compose() the
 * message the device writes to raise it.
 */
#ifndef MOTE_IRQ_H
#define MOTE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_VECTOR_FIRST   32
#define IRQ_VECTOR_TIMER   0xf0		/* the local APIC timer */
#define IRQ_VECTOR_RESCHED 0xf1		/* IPI: look at your run queue */
#define IRQ_VECTOR_CALL    0xf2		/* IPI: run a function */
#define IRQ_VECTOR_TLB     0xf3		/* IPI: serve TLB shootdown requests (arch) */
#define IRQ_VECTOR_SPURIOUS 0xff

typedef void (*irq_handler_fn)(unsigned vector, void *ctx);

/* Installs fn for vector (32-254); replaces any previous handler. */
void irq_set_handler(unsigned vector, irq_handler_fn fn, void *ctx);

/* A free vector for a device (32-0xef), or -ENOSPC. */
int irq_alloc_vector(void);

/* Routes ISA IRQ line `line` through the IOAPIC to vector on the CPU with apic_id; -ENODEV if no IOAPIC. */
int irq_route_isa(unsigned line, unsigned vector, uint32_t apic_id);

/*
 * Routes IOAPIC input gsi (a line above the ISA range: virtio-mmio devices
 * on microvm and Firecracker) to vector on apic_id, edge triggered, active
 * high. -ENODEV if no IOAPIC has that input.
 */
int irq_route_gsi(uint32_t gsi, unsigned vector, uint32_t apic_id);

/*
 * Routes a device's level-triggered, active-high line (virtio-mmio's: the
 * line is high while its interrupt status is nonzero) to vector: an ISA
 * line number (below 16, through the ISA-to-GSI map) or a GSI. The handler
 * must clear the device's status before it returns (the EOI follows it),
 * and nothing is lost when a new event lands while the handler runs: the
 * IOAPIC delivers again while the line stays high. -ENODEV without an IOAPIC.
 */
int irq_route_level(uint32_t line, unsigned vector, uint32_t apic_id);

/*
 * The MSI/MSI-X message that raises vector (32-254) on the CPU with
 * apic_id: the driver writes *address and *data into the device's MSI-X
 * table entry (or MSI capability) and unmasks it. Edge triggered, fixed
 * delivery, physical destination. 0, or -EINVAL for a vector outside
 * 32-254, -ERANGE for an APIC id the message cannot name (above 255 on
 * x86, which would need interrupt remapping).
 */
int irq_msi_compose(unsigned vector, uint32_t apic_id, uint64_t *address, uint32_t *data);

/* Sends an inter-processor interrupt. */
void irq_send_ipi(uint32_t apic_id, unsigned vector);

/* Enables/disables interrupts on this CPU. */
void irq_enable(void);
void irq_disable(void);
bool irq_enabled(void);

/* The scheduler's hook at interrupt exit (kernel/sched.c). */
void sched_preempt(void);

#endif
