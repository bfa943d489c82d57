/*
 * The futex core (see mote/sync.h).
 *
 * Waiters hang in FUTEX_BUCKETS wait queues chosen by a multiplicative
 * hash of the address (Fibonacci hashing: the top bits of addr * 2^64/phi,
 * which spreads nearby word addresses across buckets). A bucket's lock
 * guards its list and the keys of the waiters on it; a requeue holds both
 * buckets' locks (in address order) while it moves waiters, updating each
 * waiter's key and queue, and a moved waiter finds its new queue through
 * waiter->wq when it wakes. Collisions only cost a longer list walk: every
 * waiter carries its own key.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/usermode.h>

#define FUTEX_HASH_BITS 8
#define FUTEX_BUCKETS   (1u << FUTEX_HASH_BITS)

/*
 * Initialized statically, so boot runs no loop over them; a bucket's list
 * head is made on first use (an all-zero head means "never used").
 */
static struct waitq buckets[FUTEX_BUCKETS] = {
	[0 ... FUTEX_BUCKETS - 1] = {
		SPINLOCK_INIT("futex bucket", SPIN_RANK_FUTEX | SPIN_RANK_NEST_BY_ADDRESS),
		{ 0, 0 },
	},
};

/* Bucket lock held: makes the list head of a bucket never used before. */
static void bucket_ready(struct waitq *b)
{
	if (!b->waiters.next)
		list_init(&b->waiters);
}

static struct waitq *bucket_of(const uint32_t *uaddr)
{
	return &buckets[((uintptr_t)uaddr * 0x9e3779b97f4a7c15ULL) >> (64 - FUTEX_HASH_BITS)];
}

/*
 * The word is read with a load that may fault harmlessly: the application
 * can unmap it at any moment, and this runs under a spinlock where a page
 * fault could not be resolved anyway. Not resident or not mapped: -EFAULT
 * (the Linux layer has faulted it in just before, so only a racing unmap
 * gets here).
 */
static int read_word(const uint32_t *uaddr, uint32_t *v)
{
	int ret = arch_read_u32(uaddr, v);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ret;
}

int futex_wait(uint32_t *uaddr, uint32_t expected, uint64_t timeout_ns, uint32_t bitset)
{
	struct waitq *b = bucket_of(uaddr);
	uint64_t deadline;
	unsigned long flags;
	struct waiter w;
	uint32_t value;
	int ret;

	if (!bitset)
		return -EINVAL;
	deadline = wait_deadline(timeout_ns);
	flags = spin_lock_irqsave(&b->lock);
	bucket_ready(b);
	ret = read_word(uaddr, &value);
	if (ret || value != expected) {
		spin_unlock_irqrestore(&b->lock, flags);
		return ret ? ret : -EAGAIN;
	}
	waitq_add(b, &w);
	w.key = (uintptr_t)uaddr;
	w.bitset = bitset;
	ret = waitq_sleep(&w, deadline, WAIT_INTERRUPTIBLE);
	spin_unlock_irqrestore(&w.wq->lock, flags);
	return ret;
}

/* Wakes up to n waiters on key in b (lock held) whose bitset meets `bitset`. */
static unsigned wake_key(struct waitq *b, uintptr_t key, unsigned n, uint32_t bitset)
{
	struct list_node *node, *tmp;
	unsigned woken = 0;

	list_for_each_safe(node, tmp, &b->waiters) {
		struct waiter *w = list_entry(node, struct waiter, node);

		if (woken == n)
			break;
		if (w->key != key || !(w->bitset & bitset))
			continue;
		list_remove(node);
		w->woken = true;
		sched_wake(w->thread);
		woken++;
	}
	return woken;
}

int futex_wake(uint32_t *uaddr, unsigned n, uint32_t bitset)
{
	struct waitq *b = bucket_of(uaddr);
	unsigned long flags;
	unsigned woken;

	if (!bitset)
		return -EINVAL;
	flags = spin_lock_irqsave(&b->lock);
	bucket_ready(b);
	woken = wake_key(b, (uintptr_t)uaddr, n, bitset);
	spin_unlock_irqrestore(&b->lock, flags);
	sched_maybe_preempt();
	return (int)woken;
}

static void lock_buckets(struct waitq *a, struct waitq *b)
{
	if (a > b) {
		struct waitq *t = a;

		a = b;
		b = t;
	}
	spin_lock(&a->lock);
	if (a != b)
		spin_lock(&b->lock);
	bucket_ready(a);
	bucket_ready(b);
}

static void unlock_buckets(struct waitq *a, struct waitq *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

/* Moves up to n waiters on key from b1 to key2 in b2 (both locked). */
static unsigned requeue_key(struct waitq *b1, uintptr_t key, struct waitq *b2, uintptr_t key2,
			    unsigned n)
{
	struct list_node *node, *tmp;
	unsigned moved = 0;

	list_for_each_safe(node, tmp, &b1->waiters) {
		struct waiter *w = list_entry(node, struct waiter, node);

		if (moved == n)
			break;
		if (w->key != key)
			continue;
		list_remove(node);
		w->key = key2;
		__atomic_store_n(&w->wq, b2, __ATOMIC_RELAXED);
		list_add_tail(&b2->waiters, node);
		moved++;
	}
	return moved;
}

int futex_requeue(uint32_t *uaddr, unsigned n_wake, uint32_t *uaddr2, unsigned n_requeue,
		  int64_t expected)
{
	struct waitq *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	unsigned long flags = arch_irq_save();
	unsigned woken, moved = 0;
	uint32_t value = 0;
	int ret = 0;

	lock_buckets(b1, b2);
	if (expected >= 0)
		ret = read_word(uaddr, &value);
	if (ret || (expected >= 0 && value != (uint32_t)expected)) {
		unlock_buckets(b1, b2);
		arch_irq_restore(flags);
		return ret ? ret : -EAGAIN;
	}
	woken = wake_key(b1, (uintptr_t)uaddr, n_wake, FUTEX_BITSET_ANY);
	if (uaddr2 != uaddr)
		moved = requeue_key(b1, (uintptr_t)uaddr, b2, (uintptr_t)uaddr2, n_requeue);
	unlock_buckets(b1, b2);
	arch_irq_restore(flags);
	sched_maybe_preempt();
	return (int)(woken + moved);
}

unsigned futex_waiters(const uint32_t *uaddr)
{
	struct waitq *b = bucket_of(uaddr);
	unsigned long flags = spin_lock_irqsave(&b->lock);
	struct list_node *node;
	unsigned n = 0;

	bucket_ready(b);
	list_for_each(node, &b->waiters)
		n += list_entry(node, struct waiter, node)->key == (uintptr_t)uaddr;
	spin_unlock_irqrestore(&b->lock, flags);
	return n;
}
