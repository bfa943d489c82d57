/*
 * The scheduler (see mote/sched.h for the policy and the rules).
 *
 * A CPU's run queue holds the runnable threads that are not running, in a
 * pairing heap keyed by virtual run time; the running thread is
 * cpu->current and stays out of the heap, which makes "put back and pick
 * the smallest" one insert and one pop. on_rq says a thread is accounted
 * to a queue (queued or running); only the CPU owning a queue runs its
 * threads, and every change to a queue or to the scheduling fields of the
 * threads on it happens under its lock.
 *
 * The switch: switch_away() takes this CPU's queue lock, decides, and
 * calls arch_context_switch() with the lock held; the thread switched to
 * releases it in sched_finish_switch(). So whoever takes a queue's lock
 * sees every thread on it either running or completely switched out (its
 * stack pointer saved), never half-way, which is what lets another CPU
 * wake or steal a thread the moment the lock is free. A thread that ended
 * (THREAD_DEAD) is handed to thread.c by the next thread, after the
 * switch: nothing runs on its stack any more.
 *
 * Two queue locks are taken in address order (SPIN_RANK_NEST_BY_ADDRESS):
 * a wake-up moving a thread to another CPU, and an idle CPU pulling one.
 * Fields of another CPU's queue read without its lock (loads, counts,
 * minimum virtual run time) are hints for placement, nothing more.
 */
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/sched.h>
#include <mote/smp.h>
#include <mote/spinlock.h>
#include <mote/thread.h>
#include <mote/usermode.h>
#include <mote/timer.h>

#define NICE_0_WEIGHT 1024
#define PULL_SCAN_MAX 16	/* queued threads an idle CPU examines for one it may take */

struct sched_cpu {
	struct spinlock lock;
	struct pheap queue;		/* runnable, not running */
	unsigned nr_queued;
	unsigned nr_running;		/* queued + the running thread unless idle */
	uint64_t load;			/* sum of the weights of those */
	uint64_t min_vruntime;		/* never decreases */
	struct thread *idle;
	struct thread *prev;		/* the thread just switched away from */
	bool prev_rehome;		/* prev left because its affinity excludes this CPU */
	bool slice_armed;		/* the slice tick is pending */
	uint64_t slice_start;		/* when the running thread's slice began */
	struct timer slice_timer;
	struct cpu *cpu;
	struct sched_stats stats;
} __attribute__((aligned(64)));

static struct sched_cpu runqueues[MAX_CPUS];
static struct thread boot_idle;

/*
 * Weight per nice level, nice -20 first: round(1024 / 1.25^nice), so each
 * level is about 10% of CPU when two threads a level apart compete.
 */
static const uint32_t nice_weight[40] = {
	88818, 71054, 56843, 45475, 36380, 29104, 23283, 18626, 14901, 11921,
	9537, 7629, 6104, 4883, 3906, 3125, 2500, 2000, 1600, 1280,
	1024, 819, 655, 524, 419, 336, 268, 215, 172, 137,
	110, 88, 70, 56, 45, 36, 29, 23, 18, 15,
};

static uint32_t weight_of(int nice)
{
	return nice_weight[nice - THREAD_NICE_MIN];
}

static struct sched_cpu *this_rq(void)
{
	return cpu_self()->sched;
}

static struct thread *thread_of(struct pheap_node *n)
{
	return pheap_entry(n, struct thread, rq_node);
}

/* Virtual run times wrap in theory; compare them as a signed difference. */
static bool vruntime_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

static bool thread_less(const struct pheap_node *a, const struct pheap_node *b)
{
	return vruntime_before(thread_of((struct pheap_node *)a)->vruntime,
			       thread_of((struct pheap_node *)b)->vruntime);
}

bool sched_cpu_active(unsigned cpu)
{
	struct cpu *c = cpu_get(cpu);

	return c && __atomic_load_n(&c->sched, __ATOMIC_ACQUIRE);
}

static bool allowed(const struct thread *t, const struct sched_cpu *rq)
{
	return cpu_set_has(&t->affinity, rq->cpu->id);
}

/* ---- Queue bookkeeping (queue lock held) ---------------------------------- */

static void queue_add(struct sched_cpu *rq, struct thread *t)
{
	pheap_insert(&rq->queue, &t->rq_node);
	rq->nr_queued++;
}

static void queue_del(struct sched_cpu *rq, struct thread *t)
{
	pheap_remove(&rq->queue, &t->rq_node);
	rq->nr_queued--;
}

static void account_add(struct sched_cpu *rq, struct thread *t)
{
	t->on_rq = true;
	t->cpu = rq->cpu->id;
	rq->nr_running++;
	rq->load += t->weight;
}

static void account_del(struct sched_cpu *rq, struct thread *t)
{
	t->on_rq = false;
	rq->nr_running--;
	rq->load -= t->weight;
}

static void update_min_vruntime(struct sched_cpu *rq)
{
	struct thread *curr = rq->cpu->current;
	struct pheap_node *first = pheap_min(&rq->queue);
	uint64_t v;
	bool have = false;

	if (!curr->is_idle) {
		v = curr->vruntime;
		have = true;
	}
	if (first && (!have || vruntime_before(thread_of(first)->vruntime, v))) {
		v = thread_of(first)->vruntime;
		have = true;
	}
	if (have && vruntime_before(rq->min_vruntime, v))
		rq->min_vruntime = v;
}

/* Charges the running thread for the time since it was last charged. */
static void update_curr(struct sched_cpu *rq, uint64_t now)
{
	struct thread *curr = rq->cpu->current;
	uint64_t delta = now - curr->run_start;

	if (curr->is_idle || (int64_t)delta <= 0)
		return;
	curr->run_start = now;
	curr->run_total += delta;
	curr->vruntime += delta * NICE_0_WEIGHT / curr->weight;
	update_min_vruntime(rq);
}

static uint64_t slice_of(const struct sched_cpu *rq, const struct thread *t)
{
	uint64_t load = rq->load ? rq->load : t->weight;
	uint64_t slice = SCHED_LATENCY_NS * t->weight / load;

	return slice < SCHED_MIN_SLICE_NS ? SCHED_MIN_SLICE_NS : slice;
}

/* ---- Preemption ------------------------------------------------------- */

static void resched(struct sched_cpu *rq)
{
	struct cpu *c = rq->cpu;

	c->need_resched = true;
	if (c != cpu_self())
		irq_send_ipi(c->apic_id, IRQ_VECTOR_RESCHED);
}

/*
 * The slice tick runs while threads wait in this CPU's queue: it is armed
 * when one is queued behind a running thread, fires when the running
 * thread's slice ends, and re-arms itself while threads wait. A thread
 * running alone has no tick (nothing to share the CPU with). Context
 * switches leave a pending tick alone, because programming the timer
 * hardware is what arming costs, so the tick may find another thread
 * running than the one it was armed for; it judges whoever runs by that
 * thread's own slice. Only rq's own CPU arms it.
 */
static void ensure_tick(struct sched_cpu *rq)
{
	struct thread *curr = rq->cpu->current;

	if (rq->slice_armed || !rq->nr_queued || curr->is_idle)
		return;
	timer_arm(&rq->slice_timer, rq->slice_start + slice_of(rq, curr));
	rq->slice_armed = true;
}

/* Whether t, just queued on rq, should replace the running thread now. */
static void check_preempt(struct sched_cpu *rq, struct thread *t)
{
	struct thread *curr = rq->cpu->current;

	if (curr->is_idle || vruntime_before(t->vruntime + SCHED_WAKEUP_GRAN_NS, curr->vruntime)) {
		rq->stats.wakeup_preemptions++;
		resched(rq);
	} else if (rq->slice_armed)
		return;
	else if (rq->cpu == cpu_self())
		ensure_tick(rq);
	else
		resched(rq);	/* it ran alone, without a tick: have it start one */
}

/* Wakes an idle CPU, if any, to pull work from rq (whose lock is held). */
static void kick_idle_cpu(struct sched_cpu *rq)
{
	for (unsigned i = 0; i < cpu_count(); i++) {
		struct sched_cpu *other = &runqueues[i];

		if (other != rq && sched_cpu_active(i) && !other->nr_running) {
			irq_send_ipi(other->cpu->apic_id, IRQ_VECTOR_RESCHED);
			return;
		}
	}
}

/* The slice tick, in interrupt context on rq's CPU. */
static void slice_expired(struct timer *tm)
{
	struct sched_cpu *rq = tm->data;
	struct thread *curr = rq->cpu->current;
	uint64_t now = clock_monotonic_ns(), end;

	spin_lock(&rq->lock);
	rq->slice_armed = false;
	update_curr(rq, now);
	if (!curr->is_idle && rq->nr_queued) {
		end = rq->slice_start + slice_of(rq, curr);
		if ((int64_t)(now - end) >= 0) {
			rq->cpu->need_resched = true;	/* the switch re-arms the tick */
			if (cpu_count() > 1)
				kick_idle_cpu(rq);
		} else {
			timer_arm(&rq->slice_timer, end);
			rq->slice_armed = true;
		}
	}
	spin_unlock(&rq->lock);
}

static void resched_ipi(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	cpu_self()->need_resched = true;
}

/* ---- The switch -------------------------------------------------------- */

/*
 * Gives the CPU to the best runnable thread, putting the caller back in
 * the queue if it is still runnable here. Interrupts off, no spinlock held.
 * Returns when the caller runs again (maybe on another CPU).
 */
static void switch_away(bool yield)
{
	struct cpu *c = cpu_self();
	struct sched_cpu *rq = c->sched;
	struct thread *prev = c->current, *next;
	uint64_t now = clock_monotonic_ns();
	struct pheap_node *n;

	if (spin_held_count())
		panic("thread %lu '%s' would sleep holding %u spinlock(s)", prev->tid, prev->name,
		      spin_held_count());
	spin_lock(&rq->lock);
	c->need_resched = false;
	update_curr(rq, now);
	if (!prev->is_idle) {
		if (prev->state == THREAD_RUNNABLE && (allowed(prev, rq) || prev->pinned)) {
			queue_add(rq, prev);
		} else {
			account_del(rq, prev);
			if (prev->state == THREAD_RUNNABLE) {
				prev->state = THREAD_BLOCKED;	/* sched_finish_switch re-places it */
				rq->prev_rehome = true;
			}
		}
	}
	n = pheap_pop(&rq->queue);
	next = n ? thread_of(n) : rq->idle;
	if (n)
		rq->nr_queued--;
	if (yield && next == prev && (n = pheap_pop(&rq->queue))) {
		next = thread_of(n);	/* a yield lets the next thread in even if prev is ahead */
		queue_add(rq, prev);
		rq->nr_queued--;
	}
	rq->slice_start = now;
	if (next == prev) {
		ensure_tick(rq);
		spin_unlock(&rq->lock);
		return;
	}
	next->run_start = now;
	c->current = next;
	ensure_tick(rq);
	rq->prev = prev;
	rq->stats.switches++;
	if (prev->user || next->user)
		arch_user_switch(prev, next);
	arch_context_switch(&prev->sp, next->sp);
	sched_finish_switch();
}

void sched_finish_switch(void)
{
	struct sched_cpu *rq = this_rq();
	struct thread *prev = rq->prev;
	bool rehome = rq->prev_rehome;

	rq->prev = NULL;
	rq->prev_rehome = false;
	spin_unlock(&rq->lock);
	if (prev->state == THREAD_DEAD)
		thread_switched_out_dead(prev);
	else if (rehome)
		sched_wake(prev);
}

void sched_yield(void)
{
	unsigned long flags = arch_irq_save();

	switch_away(true);
	arch_irq_restore(flags);
}

void sched_preempt(void)
{
	struct cpu *c = cpu_self();

	if (!c->sched) {
		c->need_resched = false;
		return;
	}
	c->sched->stats.preemptions++;
	switch_away(false);
}

/*
 * A thread holding a mutex is not preempted here: the thread it woke would
 * most likely block on that mutex at once. mutex_unlock() calls this again.
 */
void sched_maybe_preempt(void)
{
	struct cpu *c = cpu_self();
	unsigned long flags;

	if (!c->need_resched || !c->sched || c->irq_depth || c->current->mutexes_held ||
	    !irq_enabled())
		return;
	flags = arch_irq_save();
	switch_away(false);
	arch_irq_restore(flags);
}

void sched_kick(struct thread *t)
{
	unsigned cpu = __atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
	struct cpu *c = cpu_get(cpu);

	if (c && c != cpu_self() && __atomic_load_n(&c->current, __ATOMIC_RELAXED) == t)
		irq_send_ipi(c->apic_id, IRQ_VECTOR_RESCHED);
}

void sched_prepare_block(void)
{
	__atomic_store_n(&thread_self()->state, THREAD_BLOCKED, __ATOMIC_RELAXED);
	/* Pairs with the barrier in a lockless waker's spin_lock (see thread_interrupt). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void sched_cancel_block(void)
{
	__atomic_store_n(&thread_self()->state, THREAD_RUNNABLE, __ATOMIC_RELAXED);
}

void sched_block(void)
{
	switch_away(false);
}

void sched_exit(void)
{
	arch_irq_save();
	thread_self()->state = THREAD_DEAD;
	switch_away(false);
	panic("a dead thread was scheduled");
}

void sched_pin(void)
{
	thread_self()->pinned++;
}

/*
 * Callers may hold a spinlock (waitq_sleep does), so a thread whose
 * affinity changed while it was pinned moves at the next preemption point.
 */
void sched_unpin(void)
{
	struct thread *self = thread_self();

	if (!--self->pinned && !cpu_set_has(&self->affinity, self->cpu))
		cpu_self()->need_resched = true;
}

/* ---- Waking and placement ---------------------------------------------- */

/* Locks the queue t is on (or was last on); t->cpu can change until the lock is held. */
static struct sched_cpu *lock_thread_rq(struct thread *t)
{
	for (;;) {
		unsigned cpu = __atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
		struct sched_cpu *rq = &runqueues[cpu];

		spin_lock(&rq->lock);
		if (t->cpu == cpu)
			return rq;
		spin_unlock(&rq->lock);
	}
}

static void lock_two(struct sched_cpu *a, struct sched_cpu *b)
{
	if (a > b) {
		struct sched_cpu *t = a;

		a = b;
		b = t;
	}
	spin_lock(&a->lock);
	if (b != a)
		spin_lock(&b->lock);
}

static void unlock_two(struct sched_cpu *a, struct sched_cpu *b)
{
	if (b != a)
		spin_unlock(&b->lock);
	spin_unlock(&a->lock);
}

/* The allowed active CPU with the fewest runnable threads (ties: `prefer`). */
static struct sched_cpu *least_loaded(const struct thread *t, struct sched_cpu *prefer)
{
	struct sched_cpu *best = allowed(t, prefer) ? prefer : NULL;

	for (unsigned i = 0; i < cpu_count(); i++) {
		struct sched_cpu *rq = &runqueues[i];

		if (!sched_cpu_active(i) || !allowed(t, rq))
			continue;
		if (!best || rq->nr_running < best->nr_running)
			best = rq;
	}
	return best;
}

static struct sched_cpu *select_rq(struct thread *t)
{
	struct sched_cpu *last = &runqueues[t->cpu], *rq;

	if (t->pinned)
		return last;
	if (allowed(t, last) && !last->nr_running)
		return last;
	rq = least_loaded(t, last);
	return rq ? rq : last;	/* no allowed CPU active: where it was */
}

/* Makes t (off every queue) runnable on rq, whose lock is held; `from` had it last. */
static void activate(struct sched_cpu *rq, struct sched_cpu *from, struct thread *t)
{
	uint64_t floor = rq->min_vruntime - SCHED_LATENCY_NS / 2;

	t->state = THREAD_RUNNABLE;
	if (from != rq)
		t->vruntime = t->vruntime - from->min_vruntime + rq->min_vruntime;
	if (vruntime_before(t->vruntime, floor))
		t->vruntime = floor;
	queue_add(rq, t);
	account_add(rq, t);
	check_preempt(rq, t);
}

bool sched_wake(struct thread *t)
{
	unsigned long flags = arch_irq_save();
	struct sched_cpu *from, *to;
	bool woke = false;

	for (;;) {
		from = lock_thread_rq(t);
		if (t->state != THREAD_BLOCKED) {
			spin_unlock(&from->lock);
			break;
		}
		woke = true;
		if (t->on_rq) {		/* has not switched away yet: it simply carries on */
			t->state = THREAD_RUNNABLE;
			spin_unlock(&from->lock);
			break;
		}
		to = select_rq(t);
		if (to != from) {
			spin_unlock(&from->lock);
			lock_two(from, to);
			if (t->cpu != from->cpu->id || t->state != THREAD_BLOCKED || t->on_rq) {
				unlock_two(from, to);	/* someone else moved or woke it: look again */
				woke = false;
				continue;
			}
		}
		activate(to, from, t);
		unlock_two(from, to);
		break;
	}
	arch_irq_restore(flags);
	return woke;
}

void sched_start(struct thread *t)
{
	unsigned long flags = arch_irq_save();
	struct sched_cpu *rq = least_loaded(t, this_rq());

	spin_lock(&rq->lock);
	t->weight = weight_of(t->nice);
	t->vruntime = rq->min_vruntime;
	t->cpu = rq->cpu->id;
	activate(rq, rq, t);
	spin_unlock(&rq->lock);
	arch_irq_restore(flags);
	sched_maybe_preempt();
}

void sched_set_nice(struct thread *t, int nice)
{
	unsigned long flags = arch_irq_save();
	struct sched_cpu *rq = lock_thread_rq(t);
	bool queued = t->on_rq && t != rq->cpu->current;

	if (queued)
		queue_del(rq, t);
	if (t->on_rq)
		rq->load -= t->weight;
	t->nice = nice;
	t->weight = weight_of(nice);
	if (t->on_rq)
		rq->load += t->weight;
	if (queued)
		queue_add(rq, t);
	spin_unlock(&rq->lock);
	arch_irq_restore(flags);
}

void sched_set_affinity(struct thread *t, const struct cpu_set *set)
{
	unsigned long flags = arch_irq_save();
	struct sched_cpu *rq = lock_thread_rq(t);
	bool moved = false;

	t->affinity = *set;
	if (t->on_rq && !allowed(t, rq) && !t->pinned) {
		if (t == rq->cpu->current) {
			resched(rq);	/* switch_away re-places it */
		} else {
			queue_del(rq, t);
			account_del(rq, t);
			t->state = THREAD_BLOCKED;
			moved = true;
		}
	}
	spin_unlock(&rq->lock);
	if (moved)
		sched_wake(t);
	arch_irq_restore(flags);
	sched_maybe_preempt();
}

/* ---- Idle and balancing ------------------------------------------------- */

/* A queued thread of src that may move to dst: the first few in heap order. */
static struct thread *pull_candidate(struct sched_cpu *src, struct sched_cpu *dst)
{
	struct pheap_node *n = pheap_min(&src->queue);
	unsigned seen = 0;

	if (!n)
		return NULL;
	if (!thread_of(n)->pinned && allowed(thread_of(n), dst))
		return thread_of(n);
	for (n = n->child; n && seen < PULL_SCAN_MAX; n = n->next, seen++) {
		struct thread *t = thread_of(n);

		if (!t->pinned && allowed(t, dst))
			return t;
	}
	return NULL;
}

/* An idle CPU takes a waiting thread from the busiest queue. Interrupts off. */
static bool pull_one(struct sched_cpu *me)
{
	struct sched_cpu *busiest = NULL;
	struct thread *t;

	for (unsigned i = 0; i < cpu_count(); i++) {
		struct sched_cpu *rq = &runqueues[i];

		if (rq != me && sched_cpu_active(i) && rq->nr_queued &&
		    (!busiest || rq->nr_queued > busiest->nr_queued))
			busiest = rq;
	}
	if (!busiest)
		return false;
	lock_two(me, busiest);
	t = pull_candidate(busiest, me);
	if (t) {
		queue_del(busiest, t);
		account_del(busiest, t);
		t->vruntime = t->vruntime - busiest->min_vruntime + me->min_vruntime;
		queue_add(me, t);
		account_add(me, t);
		me->stats.migrations++;
	}
	unlock_two(me, busiest);
	return t != NULL;
}

void sched_idle(void)
{
	for (;;) {
		struct sched_cpu *rq;

		arch_irq_save();
		rq = this_rq();
		if (rq->nr_queued || (cpu_count() > 1 && pull_one(rq)))
			switch_away(false);
		else
			arch_idle();
		irq_enable();
	}
}

/* ---- Set-up and statistics ----------------------------------------------- */

/* An application processor, once online (kernel/smp.c): joins the scheduler. */
void smp_ap_idle(void)
{
	sched_cpu_init();
	sched_idle();
}

void sched_cpu_init(void)
{
	struct cpu *c = cpu_self();
	struct sched_cpu *rq = &runqueues[c->id];
	struct thread *idle = c->id ? mm_calloc(1, sizeof(*idle)) : &boot_idle;

	if (!idle)
		panic("cpu %u: no memory for its idle thread", c->id);
	spin_init(&rq->lock, "runqueue", SPIN_RANK_RUNQUEUE | SPIN_RANK_NEST_BY_ADDRESS);
	pheap_init(&rq->queue, thread_less);
	rq->cpu = c;
	rq->idle = idle;
	timer_init(&rq->slice_timer, slice_expired, rq);
	thread_setup_idle(idle, c->id);
	idle->weight = weight_of(0);
	c->current = idle;
	if (c->id == 0)
		irq_set_handler(IRQ_VECTOR_RESCHED, resched_ipi, NULL);
	__atomic_store_n(&c->sched, rq, __ATOMIC_RELEASE);
}

void sched_get_stats(unsigned cpu, struct sched_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!sched_cpu_active(cpu))
		return;
	*out = runqueues[cpu].stats;
	out->nr_running = runqueues[cpu].nr_running;
}
