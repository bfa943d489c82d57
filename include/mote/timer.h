/*
 * One-shot timers, per CPU, tickless: the CPU's local APIC timer is
 * programmed for the earliest pending deadline only, so an idle CPU with
 * nothing pending sleeps until an interrupt.
 *
 * A timer belongs to the CPU that armed it and its function runs there, in
 * interrupt context (interrupts off, must not sleep or block), at or after
 * its deadline (never before). Arming an armed timer moves it. The caller
 * owns the struct timer's memory and must cancel it before freeing it.
 * Arm/cancel are O(log n), allocate nothing, and are callable with
 * interrupts on or off.
 */
#ifndef MOTE_TIMER_H
#define MOTE_TIMER_H

#include <lib/rbtree.h>
#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *t);

struct timer {
	uint64_t deadline;	/* clock_monotonic_ns() value */
	timer_fn fn;
	void *data;		/* for fn's use */
	struct rb_node node;	/* in its CPU's tree, ordered by deadline */
	bool armed;
	unsigned cpu;
};

void timer_init(struct timer *t, timer_fn fn, void *data);

/* Arms t on this CPU for deadline (absolute, ns); a deadline in the past fires at once. */
void timer_arm(struct timer *t, uint64_t deadline);

/* Disarms t; true if it was armed (and so will not run). Must be called on t's CPU. */
bool timer_cancel(struct timer *t);

/* Boot CPU and each AP once its local APIC is up. */
void timer_cpu_init(void);

#endif
