/*
 * Sleeping synchronization: wait queues, mutexes, condition variables,
 * semaphores, sleeps, and the futex core the Linux layer builds on.
 *
 * Everything here is built on one mechanism. A wait queue is a spinlock
 * and a list of waiters; a waiter is a small struct on the waiting
 * thread's own stack (so waiting never allocates). A thread enqueues its
 * waiter and tests its condition under the queue's lock, then blocks
 * (sched.h's protocol); a waker changes the condition, then takes the lock,
 * unlinks waiters, marks them woken and wakes their threads. Because the
 * test and the enqueue happen under the lock the wake takes, a wake-up
 * cannot fall between them: none is ever lost. Sleeps with a timeout arm
 * a one-shot timer on the sleeper's CPU and pin the sleeper there until
 * the timer is cancelled (timers are CPU-local).
 *
 * Hand-off: a mutex unlock or a semaphore up with waiters gives the mutex
 * (the unit) directly to the first waiter, in FIFO order, so no waiter
 * starves and a woken thread never finds the prize taken.
 *
 * Timeouts are relative, in nanoseconds, 0 meaning none; deadlines are
 * clock_monotonic_ns() values. Nothing returns before its deadline on a
 * timeout: -ETIMEDOUT means the deadline has passed.
 *
 * Context: every wait is for thread context with interrupts on and no
 * spinlock held. Wakes (waitq_wake_*, mutex_unlock, cond_signal,
 * cond_broadcast, sem_up, futex_wake) may also be called from interrupt
 * handlers, except mutex_unlock (a mutex belongs to a thread).
 *
 * Bugs that panic (kernel invariants, not errors): locking a mutex the
 * caller already holds, unlocking one it does not hold.
 */
#ifndef MOTE_SYNC_H
#define MOTE_SYNC_H

#include <lib/list.h>
#include <mote/spinlock.h>
#include <stdbool.h>
#include <stdint.h>

struct thread;

/* ---- Wait queues --------------------------------------------------------- */

struct waitq {
	struct spinlock lock;
	struct list_node waiters;	/* struct waiter, FIFO */
};

#define WAITQ_INIT(var) { SPINLOCK_INIT(#var, SPIN_RANK_SYNC), LIST_INIT((var).waiters) }

/* One waiting thread; lives on its stack for the duration of the wait. */
struct waiter {
	struct list_node node;
	struct waitq *wq;		/* the queue it is on (a futex requeue moves it) */
	struct thread *thread;
	uintptr_t key;			/* futex: the address waited on */
	uint32_t bitset;		/* futex: which wakes match */
	bool woken;
	bool timed_out;
};

enum { WAIT_INTERRUPTIBLE = 1 };	/* thread_interrupt() ends the wait with -EINTR */

void waitq_init(struct waitq *wq);

/* Deadline for a relative timeout (0: none, the result is 0 too). */
uint64_t wait_deadline(uint64_t timeout_ns);

/*
 * The building blocks, with wq->lock held (interrupts off): waitq_add()
 * queues w for the calling thread; waitq_sleep() then blocks until w is
 * woken (0), the deadline passes (-ETIMEDOUT; 0 deadline: never) or, with
 * WAIT_INTERRUPTIBLE, the thread is interrupted (-EINTR). It returns with
 * the lock of the queue w is on *now* held (w->wq: a futex requeue may
 * have moved it), and w off the queue whatever the result.
 */
void waitq_add(struct waitq *wq, struct waiter *w);
int waitq_sleep(struct waiter *w, uint64_t deadline, unsigned flags);

/* Wakes up to n waiters (the oldest first) with wq->lock held; returns how many. */
unsigned waitq_wake_locked(struct waitq *wq, unsigned n);

/* The same, taking the lock; then yields if a woken thread should run here first. */
unsigned waitq_wake_one(struct waitq *wq);
unsigned waitq_wake_all(struct waitq *wq);

/*
 * Waits until `cond` is true: 0, or -ETIMEDOUT after timeout_ns (0:
 * never). cond is evaluated with wq's lock held and interrupts off, so it
 * must be a cheap test of memory; whoever makes it true calls
 * waitq_wake_*(wq) afterwards.
 */
#define waitq_wait_event(wq, cond, timeout_ns)					\
	({									\
		struct waitq *wq_ = (wq);					\
		uint64_t deadline_ = wait_deadline(timeout_ns);		\
		int ret_ = 0;							\
		unsigned long flags_ = spin_lock_irqsave(&wq_->lock);		\
		while (!(cond) && !ret_) {					\
			struct waiter w_;					\
			waitq_add(wq_, &w_);					\
			ret_ = waitq_sleep(&w_, deadline_, 0);			\
		}								\
		if ((cond))							\
			ret_ = 0;						\
		spin_unlock_irqrestore(&wq_->lock, flags_);			\
		ret_;								\
	})

/* ---- Mutexes -------------------------------------------------------------- */

struct mutex {
	struct waitq wq;
	struct thread *owner;		/* NULL when free */
};

#define MUTEX_INIT(var) { WAITQ_INIT((var).wq), 0 }

void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(const struct mutex *m);	/* by the calling thread */

/* ---- Condition variables ---------------------------------------------------- */

struct condvar {
	struct waitq wq;
};

#define CONDVAR_INIT(var) { WAITQ_INIT((var).wq) }

void cond_init(struct condvar *cv);

/*
 * Releases m (which the caller holds), waits for a signal or the timeout
 * (0: none), takes m again. 0 or -ETIMEDOUT. As with any condition
 * variable, re-check the predicate: a signal says "look", not "true".
 */
int cond_wait(struct condvar *cv, struct mutex *m, uint64_t timeout_ns);
void cond_signal(struct condvar *cv);
void cond_broadcast(struct condvar *cv);

/* ---- Counting semaphores --------------------------------------------------- */

struct semaphore {
	struct waitq wq;
	unsigned long count;
};

#define SEMAPHORE_INIT(var, n) { WAITQ_INIT((var).wq), (n) }

void sem_init(struct semaphore *s, unsigned long count);
void sem_down(struct semaphore *s);
/* 0, or -ETIMEDOUT after timeout_ns (0: never). */
int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);

/* ---- Sleeping --------------------------------------------------------------- */

/* Sleeps at least ns nanoseconds; never returns early. */
void thread_sleep_ns(uint64_t ns);

/* Sleeps until clock_monotonic_ns() >= deadline. */
void thread_sleep_until(uint64_t deadline);

/* ---- Futexes ------------------------------------------------------------------ */

/*
 * The core of Linux's futex(2), keyed by virtual address (one address
 * space) in a hash table of buckets, each with its own lock. *uaddr must be
 * mapped and readable: the Linux layer checks user addresses before
 * calling. A bitset of 0 is -EINVAL.
 *
 * futex_wait: if *uaddr == expected, sleeps until a matching futex_wake
 * (0), the timeout (relative ns, 0: none; -ETIMEDOUT) or thread_interrupt
 * (-EINTR); if not, -EAGAIN at once. The comparison and the enqueue are
 * atomic with respect to futex_wake.
 * futex_wake: wakes up to n waiters on uaddr whose bitset intersects
 * bitset; returns the number woken.
 * futex_requeue: wakes up to n_wake waiters on uaddr, moves up to n_requeue
 * more to uaddr2; with expected >= 0, first checks *uaddr == expected
 * (else -EAGAIN). Returns woken + moved, as Linux's FUTEX_CMP_REQUEUE.
 */
int futex_wait(uint32_t *uaddr, uint32_t expected, uint64_t timeout_ns, uint32_t bitset);
int futex_wake(uint32_t *uaddr, unsigned n, uint32_t bitset);
int futex_requeue(uint32_t *uaddr, unsigned n_wake, uint32_t *uaddr2, unsigned n_requeue,
		  int64_t expected);

/* How many threads wait on uaddr right now (for tests and diagnostics: stale at once). */
unsigned futex_waiters(const uint32_t *uaddr);

#define FUTEX_BITSET_ANY 0xffffffffu

#endif
