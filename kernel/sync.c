/*
 * Mutexes, condition variables and semaphores on wait queues (see
 * mote/sync.h). Each keeps its state under its wait queue's lock, so "test
 * the state, else enqueue" is one critical section and a release can hand
 * the prize to the oldest waiter before waking it.
 */
#include <lib/errno.h>
#include <mote/log.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>

/* The oldest waiter, woken and unlinked; its thread (NULL if none). wq->lock held. */
static struct thread *wake_first(struct waitq *wq)
{
	struct list_node *node = list_first(&wq->waiters);
	struct waiter *w;

	if (!node)
		return NULL;
	w = list_entry(node, struct waiter, node);
	list_remove(node);
	w->woken = true;
	sched_wake(w->thread);
	return w->thread;
}

/* ---- Mutexes ------------------------------------------------------------------- */

void mutex_init(struct mutex *m)
{
	waitq_init(&m->wq);
	m->owner = NULL;
}

/*
 * The owner word: the owning thread, with bit 0 set while threads wait.
 * Taking a free mutex and releasing one nobody waits for are a single
 * compare-and-swap each, with no lock and no interrupt-flag change; a
 * thread that must wait sets the bit under the wait queue's lock before it
 * sleeps, which sends the owner's release down the slow path, where the
 * mutex is handed to the oldest waiter as before.
 */
#define MUTEX_WAITERS 1UL

static struct thread *owner_of(const struct mutex *m)
{
	return (struct thread *)((uintptr_t)__atomic_load_n(&m->owner, __ATOMIC_RELAXED) &
				 ~MUTEX_WAITERS);
}

static bool owner_cas(struct mutex *m, struct thread *from, struct thread *to, int order)
{
	return __atomic_compare_exchange_n(&m->owner, &from, to, false, order, __ATOMIC_RELAXED);
}

static void mutex_lock_slow(struct mutex *m, struct thread *self)
{
	unsigned long flags = spin_lock_irqsave(&m->wq.lock);
	bool handed_over = false;

	for (;;) {
		struct thread *old = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
		struct waiter w;

		if (owner_of(m) == self)
			panic("mutex %p: locked again by its owner, thread %lu '%s'", (void *)m,
			      self->tid, self->name);
		if (!old) {
			if (owner_cas(m, NULL, self, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		if (!((uintptr_t)old & MUTEX_WAITERS) &&
		    !owner_cas(m, old, (struct thread *)((uintptr_t)old | MUTEX_WAITERS),
			       __ATOMIC_RELAXED))
			continue;	/* released or changed meanwhile: look again */
		waitq_add(&m->wq, &w);
		waitq_sleep(&w, 0, 0);	/* returns only when unlock handed m over */
		handed_over = true;
		break;
	}
	if (owner_of(m) != self)
		panic("mutex %p: woken without being handed over", (void *)m);
	if (!handed_over)
		self->mutexes_held++;
	spin_unlock_irqrestore(&m->wq.lock, flags);
}

void mutex_lock(struct mutex *m)
{
	struct thread *self = thread_self();

	if (owner_cas(m, NULL, self, __ATOMIC_ACQUIRE)) {
		self->mutexes_held++;
		return;
	}
	mutex_lock_slow(m, self);
}

bool mutex_trylock(struct mutex *m)
{
	struct thread *self = thread_self();

	if (!owner_cas(m, NULL, self, __ATOMIC_ACQUIRE))
		return false;
	self->mutexes_held++;
	return true;
}

void mutex_unlock(struct mutex *m)
{
	struct thread *self = thread_self(), *next;
	unsigned long flags;

	if (owner_cas(m, self, NULL, __ATOMIC_RELEASE)) {	/* nobody waits */
		self->mutexes_held--;
		sched_maybe_preempt();
		return;
	}
	flags = spin_lock_irqsave(&m->wq.lock);
	if (owner_of(m) != self)
		panic("mutex %p: unlocked by thread %lu '%s', which does not hold it", (void *)m,
		      self->tid, self->name);
	next = wake_first(&m->wq);	/* the waiter cannot look before we drop the lock */
	__atomic_store_n(&m->owner, next && !list_empty(&m->wq.waiters) ?
			 (struct thread *)((uintptr_t)next | MUTEX_WAITERS) : next, __ATOMIC_RELEASE);
	if (next)
		next->mutexes_held++;	/* on the new owner's behalf: it is not running */
	self->mutexes_held--;
	spin_unlock_irqrestore(&m->wq.lock, flags);
	sched_maybe_preempt();
}

bool mutex_held(const struct mutex *m)
{
	return owner_of(m) == thread_self();
}

/* ---- Condition variables ----------------------------------------------------------- */

void cond_init(struct condvar *cv)
{
	waitq_init(&cv->wq);
}

/*
 * The waiter joins the queue before the mutex is released, so a signal
 * sent by whoever takes the mutex next finds it there.
 */
int cond_wait(struct condvar *cv, struct mutex *m, uint64_t timeout_ns)
{
	uint64_t deadline = wait_deadline(timeout_ns);
	unsigned long flags = spin_lock_irqsave(&cv->wq.lock);
	struct waiter w;
	int ret;

	waitq_add(&cv->wq, &w);
	spin_unlock_irqrestore(&cv->wq.lock, flags);
	mutex_unlock(m);
	flags = spin_lock_irqsave(&cv->wq.lock);
	ret = waitq_sleep(&w, deadline, 0);
	spin_unlock_irqrestore(&cv->wq.lock, flags);
	mutex_lock(m);
	return ret;
}

void cond_signal(struct condvar *cv)
{
	waitq_wake_one(&cv->wq);
}

void cond_broadcast(struct condvar *cv)
{
	waitq_wake_all(&cv->wq);
}

/* ---- Semaphores ------------------------------------------------------------------------ */

void sem_init(struct semaphore *s, unsigned long count)
{
	waitq_init(&s->wq);
	s->count = count;
}

int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns)
{
	uint64_t deadline = wait_deadline(timeout_ns);
	unsigned long flags = spin_lock_irqsave(&s->wq.lock);
	struct waiter w;
	int ret = 0;

	if (s->count) {
		s->count--;
	} else {
		waitq_add(&s->wq, &w);
		ret = waitq_sleep(&w, deadline, 0);	/* woken: sem_up handed us its unit */
	}
	spin_unlock_irqrestore(&s->wq.lock, flags);
	return ret;
}

void sem_down(struct semaphore *s)
{
	sem_down_timeout(s, 0);
}

bool sem_trydown(struct semaphore *s)
{
	unsigned long flags = spin_lock_irqsave(&s->wq.lock);
	bool got = s->count > 0;

	if (got)
		s->count--;
	spin_unlock_irqrestore(&s->wq.lock, flags);
	return got;
}

void sem_up(struct semaphore *s)
{
	unsigned long flags = spin_lock_irqsave(&s->wq.lock);

	if (!wake_first(&s->wq))
		s->count++;
	spin_unlock_irqrestore(&s->wq.lock, flags);
	sched_maybe_preempt();
}
