/*
 * Spinlocks: the lock under every other lock. A holder keeps interrupts off
 * on its CPU for as long as it holds one, so an interrupt handler can take
 * the same lock without deadlocking against the code it interrupted, and a
 * holder is never preempted (the scheduler only switches threads with
 * interrupts on, or from a thread's own call into it).
 *
 * Ticket locks: waiters are served in arrival order, so no CPU starves
 * under contention.
 *
 * Checks. Always: taking a lock this CPU already holds panics (it would
 * spin forever), as does releasing one it does not hold. With
 * `debug.locks=1` on the command line (spin_debug_enable()), each CPU also
 * records the locks it holds and panics on a lock-order violation: a lock
 * may be taken only if its rank is above the rank of every lock the CPU
 * holds, or equal to it when the rank is SPIN_RANK_NEST_BY_ADDRESS-flagged
 * and the new lock's address is higher (two run queues, two futex
 * buckets). Rank 0 locks are outside the order (leaves that never take
 * another lock). spin_lock() with interrupts on panics too in that mode.
 *
 * Every function may be called from any context, interrupt handlers
 * included, once cpu_self() works (kernel_main's first step).
 */
#ifndef MOTE_SPINLOCK_H
#define MOTE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Lock ranks, lowest taken first. A thread may take a higher-ranked lock
 * while holding a lower one, never the reverse.
 */
enum spin_rank {
	SPIN_RANK_NONE = 0,		/* a leaf: outside the order checks */
	SPIN_RANK_THREAD = 10,		/* struct thread's own lock (join, detach) */
	SPIN_RANK_FUTEX = 20,		/* futex hash buckets (nest by address) */
	SPIN_RANK_TIMERFD = 22,		/* the timerfd service's queue of armed timers */
	SPIN_RANK_POLL = 24,		/* poll heads of pollable objects (notify runs under it) */
	SPIN_RANK_POLL_EPOLL = 26,	/* an epoll instance's own poll head: notified under a POLL one */
	SPIN_RANK_SYNC = 30,		/* wait queues, mutexes, semaphores */
	SPIN_RANK_RUNQUEUE = 40,	/* run queues (nest by address) */
	SPIN_RANK_TIMER = 50,		/* per-CPU timer heaps */
	SPIN_RANK_LEAF = 60,		/* thread list, stack slots */
	SPIN_RANK_MM = 70,		/* the allocators: taken under any of the above */
};

#define SPIN_RANK_NEST_BY_ADDRESS 0x80	/* or'ed into a rank */

struct spinlock {
	uint32_t next;		/* the next ticket to hand out */
	uint32_t serving;	/* the ticket allowed in */
	uint32_t holder;	/* cpu id + 1 of the holder, 0 when free */
	uint8_t rank;
	const char *name;
};

#define SPINLOCK_INIT(lname, lrank) { .name = (lname), .rank = (lrank) }

void spin_init(struct spinlock *l, const char *name, unsigned rank);

/* Disables interrupts, takes l; returns the interrupt state to give back to the unlock. */
unsigned long spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags);

/* For callers that already have interrupts off. */
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* One attempt; true if l is now held. Interrupts must be off. */
bool spin_trylock(struct spinlock *l);

/* Whether this CPU holds l. */
bool spin_held(const struct spinlock *l);

/* Turns the lock-order checks on (debug.locks=1). Boot CPU, before other CPUs start. */
void spin_debug_enable(bool on);
bool spin_debug_enabled(void);

/* How many locks this CPU holds (0 when the checks are off). For the scheduler's assertions. */
unsigned spin_held_count(void);

#endif
