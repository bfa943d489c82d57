/*
 * The local APIC and the IOAPIC, for arch/ code (the portable interface is
 * include/mote/irq.h and timer.h). x2APIC when the CPU offers it (MSR
 * access, no VM exit on KVM for most registers), xAPIC through an uncached
 * mapping otherwise (QEMU TCG has no x2APIC).
 */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* This CPU's local APIC: enable it, mask the legacy LINT lines. Each CPU, once. */
void lapic_cpu_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* Inter-processor interrupts and the start-up sequence for application processors. */
void lapic_send_ipi(uint32_t apic_id, unsigned vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, unsigned page);

/* The local timer, one-shot: fire `vector` at TSC value `deadline` (approximately, never early). */
void lapic_timer_arm(uint64_t deadline_tsc, unsigned vector);
void lapic_timer_stop(void);

/* IOAPIC: boot CPU, once (reads the topology; inputs stay masked until routed). */
void ioapic_init(void);

#endif
