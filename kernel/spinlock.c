/*
 * Ticket spinlocks and their checks (see mote/spinlock.h).
 *
 * The holder field costs one store per acquisition and turns the most
 * common lock bug, taking a lock twice on one CPU, into a panic naming the
 * lock instead of a silent hang. The order checks keep a small stack of
 * held locks per CPU in a static table indexed by CPU number: a lock can
 * be released by a different thread than the one that took it (the run
 * queue lock is held across a context switch), but never on another CPU.
 */
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/percpu.h>
#include <mote/spinlock.h>

#define MAX_HELD 16

struct held_locks {
	unsigned depth;
	const struct spinlock *lock[MAX_HELD];
};

static bool debug_on;
static struct held_locks held[MAX_CPUS];

void spin_init(struct spinlock *l, const char *name, unsigned rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, (uint8_t)rank);
}

void spin_debug_enable(bool on)
{
	debug_on = on;
}

bool spin_debug_enabled(void)
{
	return debug_on;
}

static unsigned self_tag(void)
{
	return cpu_self()->id + 1;
}

static bool order_ok(const struct spinlock *held_lock, const struct spinlock *l)
{
	unsigned a = held_lock->rank & ~SPIN_RANK_NEST_BY_ADDRESS;
	unsigned b = l->rank & ~SPIN_RANK_NEST_BY_ADDRESS;

	if (!a || !b)
		return true;	/* unranked locks are outside the order */
	if (a != b)
		return b > a;
	return (l->rank & SPIN_RANK_NEST_BY_ADDRESS) && l > held_lock;
}

/* A trylock cannot deadlock, so it is recorded without the order check. */
static void debug_acquire(const struct spinlock *l, bool check_order)
{
	struct held_locks *h = &held[cpu_self()->id];

	if (irq_enabled())
		panic("spinlock %s taken with interrupts on", l->name);
	for (unsigned i = 0; check_order && i < h->depth; i++)
		if (!order_ok(h->lock[i], l))
			panic("lock order: %s (rank %u) taken while holding %s (rank %u)", l->name,
			      l->rank & ~SPIN_RANK_NEST_BY_ADDRESS, h->lock[i]->name,
			      h->lock[i]->rank & ~SPIN_RANK_NEST_BY_ADDRESS);
	if (h->depth == MAX_HELD)
		panic("more than %u spinlocks held at once", MAX_HELD);
	h->lock[h->depth++] = l;
}

static void debug_release(const struct spinlock *l)
{
	struct held_locks *h = &held[cpu_self()->id];

	for (unsigned i = h->depth; i-- > 0;) {
		if (h->lock[i] != l)
			continue;
		for (; i + 1 < h->depth; i++)
			h->lock[i] = h->lock[i + 1];
		h->depth--;
		return;
	}
}

unsigned spin_held_count(void)
{
	return debug_on ? held[cpu_self()->id].depth : 0;
}

void spin_lock(struct spinlock *l)
{
	uint32_t ticket;

	if (__atomic_load_n(&l->holder, __ATOMIC_RELAXED) == self_tag())
		panic("spinlock %s: taken twice on cpu %u", l->name, cpu_self()->id);
	if (debug_on)
		debug_acquire(l, true);
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
		arch_tlb_serve();	/* the holder may be waiting for our TLB (mote/arch.h) */
		arch_cpu_relax();
	}
	l->holder = self_tag();
}

bool spin_trylock(struct spinlock *l)
{
	uint32_t ticket = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);

	if (!__atomic_compare_exchange_n(&l->next, &ticket, ticket + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	if (debug_on)
		debug_acquire(l, false);
	l->holder = self_tag();
	return true;
}

void spin_unlock(struct spinlock *l)
{
	if (l->holder != self_tag())
		panic("spinlock %s: released by cpu %u, which does not hold it", l->name,
		      cpu_self()->id);
	if (debug_on)
		debug_release(l);
	l->holder = 0;
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) == self_tag();
}
