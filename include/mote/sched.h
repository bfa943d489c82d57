/*
 * The scheduler: per-CPU run queues, fair shares weighted by priority,
 * preemption, load balancing.
 *
 * Policy (docs/threads.md has the reasoning). Each CPU has its own run
 * queue, hung from struct cpu, holding the runnable threads that are not
 * running, in a min-heap keyed by virtual run time: the CPU time a thread
 * has consumed, scaled by 1024 / its weight, where the weight falls by
 * about 1.25x per nice level (nice 0 weighs 1024). The thread with the
 * smallest virtual run time runs next, so over any window the CPU is shared
 * in proportion to the weights. A running thread gets a slice of
 * SCHED_LATENCY_NS * weight / (total weight on the CPU), at least
 * SCHED_MIN_SLICE_NS; a per-CPU timer ends the slice by setting
 * need_resched, which the interrupt exit acts on (sched_preempt()). A woken
 * thread whose virtual run time is far enough below the running one's
 * preempts it at once, on its CPU or, for another CPU, through a
 * reschedule IPI. Newly woken threads are placed at most half a latency
 * period behind the queue's minimum, so a long sleep banks no unbounded
 * credit.
 *
 * Placement and balance. A new thread goes to the least loaded CPU its
 * affinity allows; a woken one to its previous CPU if that is idle, else an
 * idle allowed CPU, else its previous CPU. A CPU about to idle pulls a
 * thread from the busiest queue; a busy CPU's slice timer kicks an idle CPU
 * (IPI) when it has threads waiting. Threads with a CPU-local timer armed
 * (timed waits) are pinned until it is cancelled.
 *
 * Preemption points: interrupt exit when need_resched is set and the
 * interrupted code had interrupts on; sched_maybe_preempt() (called by the
 * wake-up paths once their locks are dropped); and every voluntary call
 * (sched_yield, sched_block). Code holding a spinlock has interrupts off
 * and so is never preempted.
 *
 * Locking: each run queue has a spinlock (SPIN_RANK_RUNQUEUE, nested in
 * address order when two are needed). A run queue lock is held across the
 * context switch and released by the thread switched to. The scheduler
 * never allocates after sched_cpu_init().
 */
#ifndef MOTE_SCHED_H
#define MOTE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_set;
struct thread;

#define SCHED_LATENCY_NS   (12ULL * 1000 * 1000)	/* every runnable thread runs within it */
#define SCHED_MIN_SLICE_NS (2ULL * 1000 * 1000)
#define SCHED_WAKEUP_GRAN_NS (1ULL * 1000 * 1000)	/* a wake-up preempts if this far ahead */

/*
 * Makes the calling context this CPU's idle thread and starts its run
 * queue. Boot CPU (after memory management and timers) and each AP once,
 * on the stack it will idle on, with interrupts off. Allocates the idle
 * thread's struct on APs: the only allocation the scheduler makes.
 */
void sched_cpu_init(void);

/* This CPU's idle loop: runs threads until the machine stops. */
__attribute__((noreturn)) void sched_idle(void);

/* Gives up the CPU to any runnable thread with a smaller virtual run time. */
void sched_yield(void);

/*
 * Blocking, the protocol every sleep is built on:
 *
 *	flags = spin_lock_irqsave(&lock);
 *	while (!condition) {
 *		sched_prepare_block();
 *		spin_unlock(&lock);
 *		sched_block();
 *		spin_lock(&lock);
 *	}
 *	spin_unlock_irqrestore(&lock, flags);
 *
 * and the waker sets the condition and calls sched_wake() under the same
 * lock. sched_prepare_block() marks the thread blocked while the condition
 * is known false; a wake-up that comes before sched_block() switches away
 * marks it runnable again and sched_block() returns at once, so no wake-up
 * is lost. Spurious returns are allowed: always re-check the condition.
 * Both need interrupts off; sched_block() returns with them still off.
 */
void sched_prepare_block(void);
void sched_block(void);

/* Undoes sched_prepare_block() when the caller decides not to block after all. */
void sched_cancel_block(void);

/*
 * Makes a blocked thread runnable; returns false if it was not blocked.
 * Any context, any CPU; takes only run queue locks.
 */
bool sched_wake(struct thread *t);

/*
 * Makes t, if it is running on another CPU right now, pass through the
 * kernel soon (a reschedule IPI): the Linux layer uses it so a signal
 * reaches a thread busy in user mode.
 */
void sched_kick(struct thread *t);

/* Switches now if this CPU's need_resched is set and the caller may be preempted. */
void sched_maybe_preempt(void);

/* Ends the calling thread (thread_exit's last step): never returns. */
__attribute__((noreturn)) void sched_exit(void);

/*
 * Pins the calling thread to its CPU (nesting) while a CPU-local timer of
 * its is armed. Callable with spinlocks held; an affinity change made
 * meanwhile takes effect at the next preemption point after the last unpin.
 */
void sched_pin(void);
void sched_unpin(void);

/* For thread.c: starts a new thread; and the first thing a new thread does. */
void sched_start(struct thread *t);
void sched_finish_switch(void);

/* thread_set_nice and thread_set_affinity's work: under t's run queue lock, moving t if needed. */
void sched_set_nice(struct thread *t, int nice);
void sched_set_affinity(struct thread *t, const struct cpu_set *set);

/* Statistics, for tests and procfs. */
struct sched_stats {
	uint64_t switches;	/* context switches on this CPU */
	uint64_t preemptions;	/* of which forced at interrupt exit */
	uint64_t wakeup_preemptions;	/* wake-ups that asked to preempt the running thread */
	uint64_t migrations;	/* threads pulled to this CPU */
	unsigned nr_running;	/* runnable threads, the running one included (not idle) */
};
void sched_get_stats(unsigned cpu, struct sched_stats *out);

/* The CPUs the scheduler runs on (online with a run queue). */
bool sched_cpu_active(unsigned cpu);

#endif
