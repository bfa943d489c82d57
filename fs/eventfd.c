/*
 * eventfd (see mote/eventfd.h): a counter under a wait queue's lock.
 * Readers and writers both sleep on that one queue, each for its own
 * condition, and every change wakes them all: an eventfd rarely has more
 * than one thread waiting, and the two conditions are never both false
 * for long. Watchers are notified after the lock is dropped (poll heads
 * rank below wait queues).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/eventfd.h>
#include <mote/mm.h>
#include <mote/sync.h>

#define EVENTFD_MAX 0xfffffffffffffffeULL

struct eventfd {
	struct waitq wq;	/* its lock guards count */
	uint64_t count;
	bool semaphore;
	struct poll_head poll;
};

/* With wq's lock held: waits for ready(e, arg); 0, -EAGAIN or -EINTR. */
static int efd_wait(struct file *f, bool (*ready)(struct eventfd *e, uint64_t arg), uint64_t arg)
{
	struct eventfd *e = f->priv;
	int ret = 0;

	while (!ready(e, arg) && !ret) {
		struct waiter w;

		if (f->flags & FILE_NONBLOCK)
			return -EAGAIN;
		waitq_add(&e->wq, &w);
		ret = waitq_sleep(&w, 0, WAIT_INTERRUPTIBLE);
	}
	return ready(e, arg) ? 0 : ret;
}

static bool can_read(struct eventfd *e, uint64_t unused)
{
	(void)unused;
	return e->count != 0;
}

static bool can_add(struct eventfd *e, uint64_t v)
{
	return EVENTFD_MAX - e->count >= v;
}

static long efd_read(struct file *f, void *buf, size_t len)
{
	struct eventfd *e = f->priv;
	unsigned long flags;
	uint64_t v = 0;
	int ret;

	if (len < 8)
		return -EINVAL;
	flags = spin_lock_irqsave(&e->wq.lock);
	if (!(ret = efd_wait(f, can_read, 0))) {
		v = e->semaphore ? 1 : e->count;
		e->count -= v;
		waitq_wake_locked(&e->wq, ~0u);
	}
	spin_unlock_irqrestore(&e->wq.lock, flags);
	if (ret)
		return ret;
	memcpy(buf, &v, 8);
	poll_notify(&e->poll, POLLOUT | POLLWRNORM);
	return 8;
}

static long efd_write(struct file *f, const void *buf, size_t len)
{
	struct eventfd *e = f->priv;
	unsigned long flags;
	uint64_t v;
	int ret;

	if (len < 8)
		return -EINVAL;
	memcpy(&v, buf, 8);
	if (v == UINT64_MAX)
		return -EINVAL;
	flags = spin_lock_irqsave(&e->wq.lock);
	if (!(ret = efd_wait(f, can_add, v)) && v) {
		e->count += v;
		waitq_wake_locked(&e->wq, ~0u);
	}
	spin_unlock_irqrestore(&e->wq.lock, flags);
	if (ret)
		return ret;
	if (v)
		poll_notify(&e->poll, POLLIN | POLLRDNORM);
	return 8;
}

static unsigned efd_poll(struct file *f, struct poll_watch *w)
{
	struct eventfd *e = f->priv;
	uint64_t count;
	unsigned mask = 0;

	if (w)
		poll_watch_add(&e->poll, w);
	count = __atomic_load_n(&e->count, __ATOMIC_RELAXED);
	if (count)
		mask |= POLLIN | POLLRDNORM;
	if (count < EVENTFD_MAX)
		mask |= POLLOUT | POLLWRNORM;
	return mask;
}

static void efd_release(struct file *f)
{
	mm_free(f->priv);
}

static const struct file_ops eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.release = efd_release,
};

struct file *eventfd_create(unsigned initval, unsigned flags)
{
	struct eventfd *e;
	struct file *f;

	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return ERR_PTR(-EINVAL);
	if (!(e = mm_calloc(1, sizeof(*e))))
		return ERR_PTR(-ENOMEM);
	waitq_init(&e->wq);
	poll_head_init(&e->poll);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	f = file_alloc(&eventfd_ops, (flags & ~EFD_SEMAPHORE) | 2 /* O_RDWR */, e);
	if (IS_ERR(f))
		mm_free(e);
	return f;
}
