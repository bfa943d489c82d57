/*
 * Self-tests of the sleeping primitives: mutual exclusion under contention,
 * condition-variable and semaphore hand-offs, wait queues with timeouts,
 * sleep accuracy, storms of timed sleepers, and the futex semantics the
 * Linux layer relies on.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/clock.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>

/* ---- Mutex ------------------------------------------------------------------ */

#define MUTEX_THREADS 8
#define MUTEX_ROUNDS  400

struct counter {
	struct mutex lock;
	unsigned long value;		/* updated non-atomically on purpose */
	volatile unsigned inside;	/* threads inside the critical section */
	bool overlap;
};

static void *count_up(void *arg)
{
	struct counter *c = arg;

	for (unsigned i = 0; i < MUTEX_ROUNDS; i++) {
		unsigned long v;

		mutex_lock(&c->lock);
		if (c->inside++)
			c->overlap = true;
		v = c->value;
		if (i % 8 == 0)
			sched_yield();	/* invite the others in while holding it */
		c->value = v + 1;
		c->inside--;
		mutex_unlock(&c->lock);
	}
	return 0;
}

KTEST(mutex_contention)
{
	static struct counter c = { MUTEX_INIT(c.lock), 0, 0, false };
	struct thread *t[MUTEX_THREADS];

	for (unsigned i = 0; i < MUTEX_THREADS; i++) {
		t[i] = thread_create(count_up, &c, 0);
		KT_ASSERT(!IS_ERR(t[i]));
	}
	for (unsigned i = 0; i < MUTEX_THREADS; i++)
		KT_EXPECT(thread_join(t[i], 0) == 0);
	KT_EXPECT(c.value == MUTEX_THREADS * MUTEX_ROUNDS);
	KT_EXPECT(!c.overlap);
	KT_EXPECT(!mutex_held(&c.lock) && c.lock.owner == 0);
}

static void *try_other(void *arg)
{
	return (void *)(uintptr_t)mutex_trylock(arg);
}

KTEST(mutex_trylock)
{
	struct mutex m;
	struct thread *t;
	void *got;

	mutex_init(&m);
	KT_EXPECT(mutex_trylock(&m) && mutex_held(&m));
	t = thread_create(try_other, &m, 0);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(thread_join(t, &got) == 0 && !got);
	mutex_unlock(&m);
	KT_EXPECT(!mutex_held(&m));
}

/* ---- Condition variables ---------------------------------------------------------- */

#define PINGPONG_ROUNDS 2000

struct pingpong {
	struct mutex m;
	struct condvar cv;
	unsigned turn;		/* even: ping's move, odd: pong's */
	bool out_of_turn;
};

static void *play(void *arg)
{
	struct pingpong *p = arg;
	unsigned me = thread_self()->name[1] == 'o';	/* "pong" */

	mutex_lock(&p->m);
	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
		while (p->turn % 2 != me)
			cond_wait(&p->cv, &p->m, 0);
		if (p->turn % 2 != me)
			p->out_of_turn = true;
		p->turn++;
		cond_signal(&p->cv);
	}
	mutex_unlock(&p->m);
	return 0;
}

KTEST(condvar_pingpong)
{
	static struct pingpong p = { MUTEX_INIT(p.m), CONDVAR_INIT(p.cv), 0, false };
	struct thread_attr ping = { .name = "ping" }, pong = { .name = "pong" };
	struct thread *a = thread_create(play, &p, &ping), *b = thread_create(play, &p, &pong);
	uint64_t start = clock_monotonic_ns();

	KT_ASSERT(!IS_ERR(a) && !IS_ERR(b));
	KT_EXPECT(thread_join(a, 0) == 0 && thread_join(b, 0) == 0);
	KT_EXPECT(p.turn == 2 * PINGPONG_ROUNDS && !p.out_of_turn);
	printk("ktest:   %u condvar round trips, %lu ns each\n", PINGPONG_ROUNDS,
	       (clock_monotonic_ns() - start) / PINGPONG_ROUNDS);
}

KTEST(condvar_timeout)
{
	struct mutex m;
	struct condvar cv;
	uint64_t start;
	int ret;

	mutex_init(&m);
	cond_init(&cv);
	mutex_lock(&m);
	start = clock_monotonic_ns();
	ret = cond_wait(&cv, &m, 2 * NSEC_PER_MSEC);
	KT_EXPECT(ret == -ETIMEDOUT);
	KT_EXPECT(clock_monotonic_ns() - start >= 2 * NSEC_PER_MSEC);
	KT_EXPECT(mutex_held(&m));
	mutex_unlock(&m);
}

struct crowd {
	struct mutex m;
	struct condvar cv;
	bool go;
	unsigned woke;
};

static void *wait_for_go(void *arg)
{
	struct crowd *c = arg;

	mutex_lock(&c->m);
	while (!c->go)
		cond_wait(&c->cv, &c->m, 0);
	c->woke++;
	mutex_unlock(&c->m);
	return 0;
}

KTEST(condvar_broadcast)
{
	static struct crowd c = { MUTEX_INIT(c.m), CONDVAR_INIT(c.cv), false, 0 };
	struct thread *t[10];

	for (unsigned i = 0; i < 10; i++) {
		t[i] = thread_create(wait_for_go, &c, 0);
		KT_ASSERT(!IS_ERR(t[i]));
	}
	thread_sleep_ns(NSEC_PER_MSEC);
	mutex_lock(&c.m);
	c.go = true;
	cond_broadcast(&c.cv);
	mutex_unlock(&c.m);
	for (unsigned i = 0; i < 10; i++)
		KT_EXPECT(thread_join(t[i], 0) == 0);
	KT_EXPECT(c.woke == 10);
}

/* ---- Semaphores --------------------------------------------------------------------- */

#define RING 4
#define ITEMS 600

struct ring {
	struct semaphore free, used;
	struct mutex m;
	unsigned slot[RING], head, tail;
	unsigned long sum;
};

static void *produce(void *arg)
{
	struct ring *r = arg;

	for (unsigned i = 1; i <= ITEMS; i++) {
		sem_down(&r->free);
		mutex_lock(&r->m);
		r->slot[r->head++ % RING] = i;
		mutex_unlock(&r->m);
		sem_up(&r->used);
	}
	return 0;
}

static void *consume(void *arg)
{
	struct ring *r = arg;

	for (unsigned i = 1; i <= ITEMS; i++) {
		sem_down(&r->used);
		mutex_lock(&r->m);
		r->sum += r->slot[r->tail++ % RING];
		mutex_unlock(&r->m);
		sem_up(&r->free);
	}
	return 0;
}

KTEST(semaphore_bounded_buffer)
{
	static struct ring r = { SEMAPHORE_INIT(r.free, RING), SEMAPHORE_INIT(r.used, 0),
				 MUTEX_INIT(r.m), { 0 }, 0, 0, 0 };
	struct thread *p = thread_create(produce, &r, 0), *c = thread_create(consume, &r, 0);

	KT_ASSERT(!IS_ERR(p) && !IS_ERR(c));
	KT_EXPECT(thread_join(p, 0) == 0 && thread_join(c, 0) == 0);
	KT_EXPECT(r.sum == (unsigned long)ITEMS * (ITEMS + 1) / 2);
	KT_EXPECT(r.free.count == RING && r.used.count == 0);
}

KTEST(semaphore_counts_and_timeout)
{
	struct semaphore s;
	uint64_t start;

	sem_init(&s, 2);
	KT_EXPECT(sem_trydown(&s) && sem_trydown(&s) && !sem_trydown(&s));
	start = clock_monotonic_ns();
	KT_EXPECT(sem_down_timeout(&s, NSEC_PER_MSEC) == -ETIMEDOUT);
	KT_EXPECT(clock_monotonic_ns() - start >= NSEC_PER_MSEC);
	sem_up(&s);
	KT_EXPECT(sem_down_timeout(&s, NSEC_PER_MSEC) == 0);
	KT_EXPECT(s.count == 0);
}

/* ---- Wait queues ---------------------------------------------------------------------- */

struct flag_wait {
	struct waitq wq;
	volatile bool flag;
};

static void *raise_flag(void *arg)
{
	struct flag_wait *f = arg;

	thread_sleep_ns(NSEC_PER_MSEC);
	f->flag = true;
	waitq_wake_all(&f->wq);
	return 0;
}

KTEST(waitq_event_and_timeout)
{
	static struct flag_wait f = { WAITQ_INIT(f.wq), false };
	struct thread *t;
	uint64_t start = clock_monotonic_ns();

	KT_EXPECT(waitq_wait_event(&f.wq, f.flag, NSEC_PER_MSEC) == -ETIMEDOUT);
	KT_EXPECT(clock_monotonic_ns() - start >= NSEC_PER_MSEC);
	t = thread_create(raise_flag, &f, 0);
	KT_ASSERT(!IS_ERR(t));
	KT_EXPECT(waitq_wait_event(&f.wq, f.flag, 0) == 0);
	KT_EXPECT(f.flag);
	KT_EXPECT(thread_join(t, 0) == 0);
	KT_EXPECT(list_empty(&f.wq.waiters));
}

/* ---- Sleeping --------------------------------------------------------------------------- */

KTEST(sleep_accuracy)
{
	static const uint64_t us[] = { 50, 200, 1000, 3000, 10000, 1000, 50 };
	uint64_t worst = 0, total = 0;
	bool early = false;

	for (unsigned i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		uint64_t start = clock_monotonic_ns(), late;

		thread_sleep_ns(us[i] * NSEC_PER_USEC);
		late = clock_monotonic_ns() - start;
		if (late < us[i] * NSEC_PER_USEC)
			early = true;
		late -= us[i] * NSEC_PER_USEC;
		total += late;
		if (late > worst)
			worst = late;
	}
	printk("ktest:   sleep lateness: worst %lu us, mean %lu us\n", worst / 1000,
	       total / 1000 / (sizeof(us) / sizeof(us[0])));
	KT_EXPECT(!early);
	KT_EXPECT(worst < 50 * NSEC_PER_MSEC);
}

#define STORM_THREADS 200
#define STORM_SLEEPS  3

struct storm {
	uint32_t seed;
	bool early;
	uint64_t worst_late;
};

static void *sleep_randomly(void *arg)
{
	struct storm *s = arg;

	for (unsigned i = 0; i < STORM_SLEEPS; i++) {
		uint64_t ns, start, took;

		s->seed = s->seed * 1103515245 + 12345;
		ns = (s->seed >> 8) % (3 * NSEC_PER_MSEC);
		start = clock_monotonic_ns();
		thread_sleep_ns(ns);
		took = clock_monotonic_ns() - start;
		if (took < ns)
			s->early = true;
		else if (took - ns > s->worst_late)
			s->worst_late = took - ns;
	}
	return 0;
}

/* As many as memory allows up to STORM_THREADS (a 2 MiB guest holds fewer stacks). */
KTEST(timer_storm)
{
	static struct storm s[STORM_THREADS];
	static struct thread *t[STORM_THREADS];
	struct thread_attr attr = { .name = "storm" };
	uint64_t worst = 0;
	bool early = false;
	unsigned n = 0;

	while (n < STORM_THREADS) {
		s[n] = (struct storm){ .seed = n * 7919 + 1 };
		t[n] = thread_create(sleep_randomly, &s[n], &attr);
		if (IS_ERR(t[n]))
			break;
		n++;
	}
	KT_EXPECT(n == STORM_THREADS || PTR_ERR(t[n]) == -ENOMEM);
	KT_EXPECT(n >= 16);
	for (unsigned i = 0; i < n; i++) {
		KT_EXPECT(thread_join(t[i], 0) == 0);
		early |= s[i].early;
		if (s[i].worst_late > worst)
			worst = s[i].worst_late;
	}
	printk("ktest:   %u threads x %u random sleeps: worst lateness %lu us\n", n, STORM_SLEEPS,
	       worst / 1000);
	KT_EXPECT(!early);
}

/* ---- Futexes ------------------------------------------------------------------------------ */

struct futex_waiter_arg {
	uint32_t *word;
	uint32_t expected, bitset;
	uint64_t timeout;
	struct semaphore *started;
};

static void *futex_waiter(void *arg)
{
	struct futex_waiter_arg *a = arg;

	if (a->started)
		sem_up(a->started);
	return (void *)(intptr_t)futex_wait(a->word, a->expected, a->timeout, a->bitset);
}

static struct thread *start_waiter(struct futex_waiter_arg *a, uint32_t *word, uint32_t bitset,
				   struct semaphore *started)
{
	*a = (struct futex_waiter_arg){ word, *word, bitset, 0, started };
	return thread_create(futex_waiter, a, 0);
}

static int join_result(struct thread *t)
{
	void *v = 0;

	return thread_join(t, &v) ? -999 : (int)(intptr_t)v;
}

/* Waits (up to 5 s) until n threads are queued on word: a fixed sleep is a race on a busy host. */
static void settle(uint32_t *word, unsigned n)
{
	uint64_t end = clock_monotonic_ns() + 5 * NSEC_PER_SEC;

	while (futex_waiters(word) < n && clock_monotonic_ns() < end)
		thread_sleep_ns(100 * NSEC_PER_USEC);
}

KTEST(futex_wait_semantics)
{
	static uint32_t word = 5;
	uint64_t start;

	KT_EXPECT(futex_wait(&word, 6, 0, FUTEX_BITSET_ANY) == -EAGAIN);
	KT_EXPECT(futex_wait(&word, 5, 0, 0) == -EINVAL);
	KT_EXPECT(futex_wake(&word, 1, FUTEX_BITSET_ANY) == 0);
	start = clock_monotonic_ns();
	KT_EXPECT(futex_wait(&word, 5, 2 * NSEC_PER_MSEC, FUTEX_BITSET_ANY) == -ETIMEDOUT);
	KT_EXPECT(clock_monotonic_ns() - start >= 2 * NSEC_PER_MSEC);
}

KTEST(futex_wake_and_bitset)
{
	static uint32_t word = 1;
	struct semaphore started;
	struct futex_waiter_arg a1, a2;
	struct thread *t1, *t2;

	sem_init(&started, 0);
	t1 = start_waiter(&a1, &word, 0x1, &started);
	t2 = start_waiter(&a2, &word, 0x2, &started);
	KT_ASSERT(!IS_ERR(t1) && !IS_ERR(t2));
	sem_down(&started);
	sem_down(&started);
	settle(&word, 2);
	KT_EXPECT(futex_wake(&word, 10, 0x4) == 0);	/* matches neither */
	KT_EXPECT(futex_wake(&word, 10, 0x2) == 1);
	KT_EXPECT(join_result(t2) == 0);
	KT_EXPECT(futex_wake(&word, 10, FUTEX_BITSET_ANY) == 1);
	KT_EXPECT(join_result(t1) == 0);
}

KTEST(futex_requeue)
{
	static uint32_t a = 10, b = 20;
	struct semaphore started;
	struct futex_waiter_arg arg[4];
	struct thread *t[4];
	unsigned ok = 0;

	sem_init(&started, 0);
	for (unsigned i = 0; i < 4; i++) {
		t[i] = start_waiter(&arg[i], &a, FUTEX_BITSET_ANY, &started);
		KT_ASSERT(!IS_ERR(t[i]));
	}
	for (unsigned i = 0; i < 4; i++)
		sem_down(&started);
	settle(&a, 4);
	KT_EXPECT(futex_requeue(&a, 1, &b, 2, 11) == -EAGAIN);	/* a is 10, not 11 */
	KT_EXPECT(futex_requeue(&a, 1, &b, 2, 10) == 3);	/* one woken, two moved */
	KT_EXPECT(futex_wake(&b, 10, FUTEX_BITSET_ANY) == 2);
	KT_EXPECT(futex_requeue(&a, 1, &b, 0, -1) == 1);	/* the last one, no compare */
	for (unsigned i = 0; i < 4; i++)
		ok += join_result(t[i]) == 0;
	KT_EXPECT(ok == 4);
	KT_EXPECT(futex_wake(&a, 10, FUTEX_BITSET_ANY) == 0 && futex_wake(&b, 10, FUTEX_BITSET_ANY) == 0);
}

KTEST(futex_interrupted)
{
	static uint32_t word = 3;
	struct semaphore started;
	struct futex_waiter_arg a;
	struct thread *t;

	sem_init(&started, 0);
	t = start_waiter(&a, &word, FUTEX_BITSET_ANY, &started);
	KT_ASSERT(!IS_ERR(t));
	sem_down(&started);
	settle(&word, 1);
	thread_interrupt(t);
	KT_EXPECT(join_result(t) == -EINTR);
	KT_EXPECT(futex_wake(&word, 1, FUTEX_BITSET_ANY) == 0);
}
