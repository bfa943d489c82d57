/*
 * timerfd (see mote/timerfd.h).
 *
 * Why a service thread and not a struct timer per timerfd: kernel timers
 * are CPU-local and may only be cancelled on the CPU that armed them,
 * while settime and close come from any thread on any CPU. A timer armed
 * by CPU 0 and reset from CPU 1 could neither be cancelled nor re-armed
 * there; working around that (orphaned timers left to fire, reference
 * counts held by pending timers) costs more code than it saves. So one
 * kernel thread, started with the first timerfd, keeps every armed
 * timerfd in a list sorted by deadline and sleeps until the first one is
 * due (a timed wait, which takes care of the CPU-local timer and the
 * pinning itself). settime and close just edit the list under its lock,
 * from any CPU. The cost is a thread switch per expiry, and expiries
 * run in thread context: nothing here runs in interrupt context.
 *
 * Locks: svc.wq.lock (SPIN_RANK_TIMERFD) guards the list and every
 * timerfd's timing fields (armed, deadline, interval); a timerfd's own
 * wq.lock (wait-queue rank, above) guards its expiration count and its
 * readers. The service notifies poll watchers with only the service lock
 * held (poll heads rank between the two). A timerfd is unlinked under the
 * service lock before it is freed, so the service never sees a freed one.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/mm.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <mote/timerfd.h>

struct timerfd {
	/* Service lock. */
	struct list_node node;		/* in svc.armed while armed */
	bool armed;
	uint64_t deadline;		/* monotonic ns of the next expiry */
	uint64_t interval;
	int clock;
	/* wq.lock. */
	struct waitq wq;
	uint64_t ticks;			/* expirations not yet read */
	struct poll_head poll;
};

/* The service's state, allocated with the first timerfd (a kernel that never uses one never pays). */
struct tfd_service {
	struct waitq wq;		/* the service sleeps here; its lock is the service lock */
	struct list_node armed;		/* struct timerfd, by deadline */
};

static struct tfd_service *svc_state;
static struct mutex svc_start = MUTEX_INIT(svc_start);

#define svc (*svc_state)

static const struct file_ops timerfd_ops;

static void tfd_insert(struct timerfd *t)
{
	struct list_node *n;

	list_for_each(n, &svc.armed) {
		if (list_entry(n, struct timerfd, node)->deadline > t->deadline)
			break;
	}
	list_insert_between(&t->node, n->prev, n);
	t->armed = true;
	if (svc.armed.next == &t->node)
		waitq_wake_locked(&svc.wq, 1);	/* a new earliest deadline */
}

static void tfd_unlink(struct timerfd *t)
{
	if (t->armed)
		list_remove(&t->node);
	t->armed = false;
}

/* Service lock held: t is due at `now`. Counts the expiries, re-arms an interval timer. */
static void tfd_expire(struct timerfd *t, uint64_t now)
{
	uint64_t n = 1;
	unsigned long flags;

	tfd_unlink(t);
	if (t->interval) {
		n += (now - t->deadline) / t->interval;
		t->deadline += n * t->interval;
		tfd_insert(t);
	}
	flags = spin_lock_irqsave(&t->wq.lock);
	t->ticks += n;
	waitq_wake_locked(&t->wq, ~0u);
	spin_unlock_irqrestore(&t->wq.lock, flags);
	poll_notify(&t->poll, POLLIN | POLLRDNORM);
}

/* The service thread: runs forever, holding the service lock except while it sleeps. */
static void *tfd_service(void *unused)
{
	(void)unused;
	spin_lock_irqsave(&svc.wq.lock);
	for (;;) {
		struct list_node *first = list_first(&svc.armed);
		struct timerfd *t = first ? list_entry(first, struct timerfd, node) : NULL;
		uint64_t now = clock_monotonic_ns();
		struct waiter w;

		if (t && t->deadline <= now) {
			tfd_expire(t, now);
			continue;
		}
		waitq_add(&svc.wq, &w);
		waitq_sleep(&w, t ? t->deadline : 0, 0);
	}
	return 0;	/* not reached */
}

static int tfd_start_service(void)
{
	static const struct thread_attr attr = { .name = "timerfd", .detached = true };
	struct tfd_service *s;
	struct thread *th;
	int ret = 0;

	mutex_lock(&svc_start);
	if (!__atomic_load_n(&svc_state, __ATOMIC_ACQUIRE)) {
		if (!(s = mm_malloc(sizeof(*s)))) {
			ret = -ENOMEM;
		} else {
			waitq_init(&s->wq);
			spin_init(&s->wq.lock, "timerfd service", SPIN_RANK_TIMERFD);
			list_init(&s->armed);
			__atomic_store_n(&svc_state, s, __ATOMIC_RELEASE);
			th = thread_create(tfd_service, 0, &attr);
			if (IS_ERR(th)) {	/* no timerfd exists yet: undo */
				__atomic_store_n(&svc_state, NULL, __ATOMIC_RELEASE);
				mm_free(s);
				ret = PTR_ERR(th);
			}
		}
	}
	mutex_unlock(&svc_start);
	return ret;
}

static uint64_t add_clamped(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* The monotonic deadline for a settime value; never 0. */
static uint64_t tfd_deadline(const struct timerfd *t, unsigned flags, uint64_t value, uint64_t now)
{
	uint64_t offset;

	if (!(flags & TFD_TIMER_ABSTIME))
		return add_clamped(now, value);
	if (t->clock != CLOCK_REALTIME)
		return value;
	offset = clock_realtime_ns() - clock_monotonic_ns();	/* the wall clock at boot */
	return value > offset ? value - offset : 1;
}

static void tfd_get_locked(const struct timerfd *t, struct timerfd_spec *cur, uint64_t now)
{
	cur->interval_ns = t->interval;
	cur->value_ns = !t->armed ? 0 : t->deadline > now ? t->deadline - now : 1;
}

int timerfd_settime_k(struct file *f, unsigned flags, const struct timerfd_spec *new_spec,
		      struct timerfd_spec *old)
{
	struct timerfd *t = f->priv;
	unsigned long irq;
	uint64_t now;

	if (f->ops != &timerfd_ops || flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	irq = spin_lock_irqsave(&svc.wq.lock);
	now = clock_monotonic_ns();
	if (old)
		tfd_get_locked(t, old, now);
	tfd_unlink(t);
	spin_lock(&t->wq.lock);
	t->ticks = 0;
	spin_unlock(&t->wq.lock);
	t->interval = new_spec->interval_ns;
	if (new_spec->value_ns) {
		t->deadline = tfd_deadline(t, flags, new_spec->value_ns, now);
		tfd_insert(t);
	}
	spin_unlock_irqrestore(&svc.wq.lock, irq);
	return 0;
}

int timerfd_gettime_k(struct file *f, struct timerfd_spec *cur)
{
	unsigned long irq;

	if (f->ops != &timerfd_ops)
		return -EINVAL;
	irq = spin_lock_irqsave(&svc.wq.lock);
	tfd_get_locked(f->priv, cur, clock_monotonic_ns());
	spin_unlock_irqrestore(&svc.wq.lock, irq);
	return 0;
}

static long tfd_read(struct file *f, void *buf, size_t len)
{
	struct timerfd *t = f->priv;
	unsigned long flags;
	uint64_t v = 0;
	int ret = 0;

	if (len < 8)
		return -EINVAL;
	flags = spin_lock_irqsave(&t->wq.lock);
	while (!t->ticks && !ret) {
		struct waiter w;

		if (f->flags & FILE_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		waitq_add(&t->wq, &w);
		ret = waitq_sleep(&w, 0, WAIT_INTERRUPTIBLE);
	}
	if (t->ticks) {
		v = t->ticks;
		t->ticks = 0;
		ret = 0;
	}
	spin_unlock_irqrestore(&t->wq.lock, flags);
	if (ret)
		return ret;
	memcpy(buf, &v, 8);
	return 8;
}

static unsigned tfd_poll(struct file *f, struct poll_watch *w)
{
	struct timerfd *t = f->priv;

	if (w)
		poll_watch_add(&t->poll, w);
	return __atomic_load_n(&t->ticks, __ATOMIC_RELAXED) ? POLLIN | POLLRDNORM : 0;
}

static void tfd_release(struct file *f)
{
	struct timerfd *t = f->priv;
	unsigned long flags = spin_lock_irqsave(&svc.wq.lock);

	tfd_unlink(t);
	spin_unlock_irqrestore(&svc.wq.lock, flags);
	mm_free(t);
}

static const struct file_ops timerfd_ops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.release = tfd_release,
};

struct file *timerfd_create(int clockid, unsigned flags)
{
	struct timerfd *t;
	struct file *f;
	int ret;

	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC && clockid != CLOCK_BOOTTIME)
		return ERR_PTR(-EINVAL);
	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return ERR_PTR(-EINVAL);
	if ((ret = tfd_start_service()))
		return ERR_PTR(ret);
	if (!(t = mm_calloc(1, sizeof(*t))))
		return ERR_PTR(-ENOMEM);
	waitq_init(&t->wq);
	poll_head_init(&t->poll);
	list_init(&t->node);
	t->clock = clockid;
	f = file_alloc(&timerfd_ops, flags | 2 /* O_RDWR */, t);
	if (IS_ERR(f))
		mm_free(t);
	return f;
}
