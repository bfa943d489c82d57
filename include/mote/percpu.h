/*
 * Per-CPU state. Each CPU owns one struct cpu, reached through the GS
 * segment base (one instruction, no lock, no table lookup): cpu_self() is
 * valid from kernel_main on, in any context, on every CPU once it is
 * online. Subsystems keep their per-CPU state here, in fields of their own,
 * so nothing on a hot path needs to index an array by CPU number.
 *
 * Only the CPU itself writes its struct, except where a field says
 * otherwise (cross-CPU fields name their lock).
 */
#ifndef MOTE_PERCPU_H
#define MOTE_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS 64

struct thread;
struct sched_cpu;
struct timer_cpu;

struct cpu {
	struct cpu *self;		/* %gs:0, so cpu_self() is one load */
	/* For the user-mode entry code (arch; fixed offsets, see asm_offsets.h). */
	uintptr_t kstack_top;		/* the running user thread's kernel stack top */
	uint64_t entry_scratch;		/* the application's RSP during SYSCALL entry */
	void *fpu_owner;		/* whose vector state the registers hold (arch) */
	unsigned id;			/* 0 .. cpu_count() - 1; 0 is the boot CPU */
	uint32_t apic_id;
	bool online;
	struct thread *current;		/* the running thread (sched) */
	struct sched_cpu *sched;	/* run queue (sched) */
	struct timer_cpu *timers;	/* pending timers (timer) */
	unsigned irq_depth;		/* > 0 inside an interrupt handler */
	bool need_resched;		/* set by the scheduler, acted on at interrupt exit */
	void *arch_tables;		/* descriptor tables and interrupt stacks (APs) */
	/*
	 * TLB shootdown mailbox (arch): bit i set means CPU i asks this CPU to
	 * flush its posted range. Set by the asking CPU, cleared by this one
	 * once flushed; atomic operations only.
	 */
	uint64_t tlb_pending;
};

static inline struct cpu *cpu_self(void)
{
	struct cpu *c;

	asm volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/*
 * The thread running on this CPU, read in one instruction. Reading it
 * through cpu_self() takes two, and a thread preempted and moved to another
 * CPU between them reads the thread now running on its old CPU.
 */
static inline struct thread *cpu_current_thread(void)
{
	struct thread *t;

	asm volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(struct cpu, current)));
	return t;
}

/* The CPUs the platform describes, online or not. */
unsigned cpu_count(void);
struct cpu *cpu_get(unsigned id);

/* Makes c this CPU's struct (sets the GS base). Boot and AP start-up only. */
void percpu_install(struct cpu *c);

/* Boot CPU: installs cpu 0 (first thing in kernel_main). */
void percpu_boot(void);

/*
 * Records the CPUs the firmware lists (entry 0 must be the boot CPU;
 * platform_cpus() gives them in firmware order, which starts with it).
 */
struct cpu_list;
void percpu_describe(const struct cpu_list *list);

#endif
