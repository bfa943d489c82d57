/*
 * Wait queues and sleeps (see mote/sync.h): the one place a thread waits
 * for something other than the CPU.
 *
 * waitq_sleep() loops rather than trusting a single wake-up: the thread
 * may be woken spuriously (thread_interrupt on a wait that is not
 * interruptible, a timer that raced a wake), and only its waiter's own
 * flags say why it may go. A timed wait pins the thread to its CPU before
 * arming the timer there and unpins after cancelling it there: a timer
 * must be cancelled on the CPU that armed it, and the pin is what keeps
 * the thread from being woken onto, or pulled to, another CPU meanwhile.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <mote/timer.h>

void waitq_init(struct waitq *wq)
{
	spin_init(&wq->lock, "waitq", SPIN_RANK_SYNC);
	list_init(&wq->waiters);
}

uint64_t wait_deadline(uint64_t timeout_ns)
{
	uint64_t now;

	if (!timeout_ns)
		return 0;
	now = clock_monotonic_ns();
	return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

void waitq_add(struct waitq *wq, struct waiter *w)
{
	w->wq = wq;
	w->thread = thread_self();
	w->woken = false;
	w->timed_out = false;
	list_add_tail(&wq->waiters, &w->node);
}

static void waiter_timeout(struct timer *tm)
{
	struct waiter *w = tm->data;

	w->timed_out = true;
	sched_wake(w->thread);
}

/* Locks the queue w is on; w->wq may change (futex requeue) until its lock is held. */
static void lock_waiter_queue(struct waiter *w)
{
	for (;;) {
		struct waitq *wq = __atomic_load_n(&w->wq, __ATOMIC_RELAXED);

		spin_lock(&wq->lock);
		if (w->wq == wq)
			return;
		spin_unlock(&wq->lock);
	}
}

/* True once the deadline has really passed (a timer is never early, but check). */
static bool deadline_passed(struct waiter *w, struct timer *tm, uint64_t deadline)
{
	if (!w->timed_out)
		return false;
	if (clock_monotonic_ns() >= deadline)
		return true;
	w->timed_out = false;
	timer_arm(tm, deadline);
	return false;
}

int waitq_sleep(struct waiter *w, uint64_t deadline, unsigned flags)
{
	struct timer tm;
	int ret = 0;

	if (deadline) {
		sched_pin();
		timer_init(&tm, waiter_timeout, w);
		timer_arm(&tm, deadline);
	}
	for (;;) {
		if (w->woken)
			break;
		if (deadline && deadline_passed(w, &tm, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		sched_prepare_block();
		if ((flags & WAIT_INTERRUPTIBLE) && thread_interrupted()) {
			sched_cancel_block();
			ret = -EINTR;
			break;
		}
		spin_unlock(&w->wq->lock);
		sched_block();
		lock_waiter_queue(w);
	}
	if (!w->woken)
		list_remove(&w->node);
	if (deadline) {
		timer_cancel(&tm);
		sched_unpin();
	}
	return ret;
}

unsigned waitq_wake_locked(struct waitq *wq, unsigned n)
{
	unsigned woken = 0;
	struct list_node *node;

	while (woken < n && (node = list_first(&wq->waiters))) {
		struct waiter *w = list_entry(node, struct waiter, node);

		list_remove(node);
		w->woken = true;
		sched_wake(w->thread);
		woken++;
	}
	return woken;
}

static unsigned wake(struct waitq *wq, unsigned n)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	unsigned woken = waitq_wake_locked(wq, n);

	spin_unlock_irqrestore(&wq->lock, flags);
	sched_maybe_preempt();
	return woken;
}

unsigned waitq_wake_one(struct waitq *wq)
{
	return wake(wq, 1);
}

unsigned waitq_wake_all(struct waitq *wq)
{
	return wake(wq, ~0u);
}

/* ---- Sleeping --------------------------------------------------------------- */

static void sleeper_timeout(struct timer *tm)
{
	sched_wake(tm->data);
}

void thread_sleep_until(uint64_t deadline)
{
	struct timer tm;
	unsigned long flags;

	sched_pin();
	timer_init(&tm, sleeper_timeout, thread_self());
	flags = arch_irq_save();
	while (clock_monotonic_ns() < deadline) {
		timer_arm(&tm, deadline);	/* again after a spurious wake-up: it may have fired */
		sched_prepare_block();
		sched_block();
	}
	arch_irq_restore(flags);
	timer_cancel(&tm);
	sched_unpin();
	sched_maybe_preempt();
}

void thread_sleep_ns(uint64_t ns)
{
	thread_sleep_until(wait_deadline(ns ? ns : 1));
}
