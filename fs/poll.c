/*
 * Readiness notification (poll heads and watches, mote/file.h) and the
 * waiting core of poll and select (mote/poll.h).
 *
 * A poll head is a spinlock and a list of watches. poll_notify() calls
 * every watch's notify with the head's lock held and interrupts off, which
 * is what makes poll_watch_remove() a barrier: once it returns, the notify
 * of that watch is not running and never will, so a watch may live on the
 * stack of the thread that polls. The price is that notify callbacks must
 * be short, must not sleep, and may take only locks ranked above
 * SPIN_RANK_POLL (wait queues, run queues; epoll's own head at
 * SPIN_RANK_POLL_EPOLL). Objects call poll_notify() after dropping their
 * own spinlocks.
 *
 * poll_files() builds one watch per file, each pointing at a `struct
 * poller` on the stack: a wait queue and a `triggered` flag under its
 * lock. Order of work: add all watches (the first round of ops->poll
 * calls does it), test, and sleep only if `triggered` is still clear
 * under the queue lock; each later round re-polls without re-adding.
 */
#include <lib/errno.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/poll.h>
#include <mote/sched.h>

/* ---- Heads and watches ----------------------------------------------------------- */

void poll_head_init(struct poll_head *h)
{
	spin_init(&h->lock, "poll head", SPIN_RANK_POLL);
	list_init(&h->watches);
}

/*
 * Whether an exclusive watcher (epoll's EPOLLEXCLUSIVE) already took the
 * notify pass running on each CPU. A pass runs with interrupts off on one
 * CPU, so a per-CPU flag is the pass's own; a nested pass (an epoll
 * instance's head notified from its item's notify) saves and restores it.
 */
static bool excl_claimed[MAX_CPUS];

bool poll_notify_exclusive_taken(void)
{
	return excl_claimed[cpu_self()->id];
}

void poll_notify_exclusive_take(void)
{
	excl_claimed[cpu_self()->id] = true;
}

void poll_notify(struct poll_head *h, unsigned events)
{
	unsigned long flags = spin_lock_irqsave(&h->lock);
	bool *claimed = &excl_claimed[cpu_self()->id], saved = *claimed;
	struct list_node *n, *tmp;

	*claimed = false;
	list_for_each_safe(n, tmp, &h->watches) {
		struct poll_watch *w = list_entry(n, struct poll_watch, node);

		w->notify(w, events);
	}
	*claimed = saved;
	spin_unlock_irqrestore(&h->lock, flags);
}

void poll_watch_add(struct poll_head *h, struct poll_watch *w)
{
	unsigned long flags = spin_lock_irqsave(&h->lock);

	w->head = h;
	list_add_tail(&h->watches, &w->node);
	spin_unlock_irqrestore(&h->lock, flags);
}

void poll_watch_remove(struct poll_watch *w)
{
	struct poll_head *h = w->head;
	unsigned long flags;

	if (!h)
		return;
	flags = spin_lock_irqsave(&h->lock);
	list_remove(&w->node);
	w->head = NULL;
	spin_unlock_irqrestore(&h->lock, flags);
}

/* ---- poll_files ------------------------------------------------------------------ */

struct poller {
	struct waitq wq;	/* its lock guards `triggered` */
	bool triggered;
};

struct poll_entry {
	struct poll_watch watch;
	unsigned interest;	/* events asked for, plus POLLERR | POLLHUP */
};

#define POLL_STACK_ENTRIES 16

unsigned poll_file_now(struct file *f)
{
	return f->ops && f->ops->poll ? f->ops->poll(f, NULL) : POLL_DEFAULT_MASK;
}

static void poller_notify(struct poll_watch *w, unsigned events)
{
	struct poll_entry *e = (struct poll_entry *)w;
	struct poller *p = w->ctx;
	unsigned long flags;

	if (events && !(events & e->interest))
		return;
	flags = spin_lock_irqsave(&p->wq.lock);
	p->triggered = true;
	waitq_wake_locked(&p->wq, 1);
	spin_unlock_irqrestore(&p->wq.lock, flags);
}

/* One round over every entry; with watch, adds the entry's watch as it polls. */
static int poll_round(struct file **files, const short *events, short *revents, unsigned n,
		      struct poll_entry *entries)
{
	int ready = 0;

	for (unsigned i = 0; i < n; i++) {
		struct file *f = files[i];
		unsigned interest = (unsigned short)events[i] | POLLERR | POLLHUP, mask;

		if (!f) {
			revents[i] = 0;
			continue;
		}
		if (f == POLL_FILE_BADF) {
			mask = POLLNVAL;
		} else if (!f->ops || !f->ops->poll) {
			mask = POLL_DEFAULT_MASK & interest;
		} else {
			struct poll_watch *w = entries ? &entries[i].watch : NULL;

			mask = f->ops->poll(f, w) & interest;
		}
		revents[i] = (short)mask;
		ready += mask != 0;
	}
	return ready;
}

/* Sleeps until a watch triggers: 0, -ETIMEDOUT or -EINTR. */
static int poller_sleep(struct poller *p, uint64_t deadline)
{
	unsigned long flags = spin_lock_irqsave(&p->wq.lock);
	int ret = 0;

	while (!p->triggered && !ret) {
		struct waiter w;

		waitq_add(&p->wq, &w);
		ret = waitq_sleep(&w, deadline == POLL_FOREVER ? 0 : deadline, WAIT_INTERRUPTIBLE);
	}
	if (p->triggered)
		ret = 0;
	p->triggered = false;
	spin_unlock_irqrestore(&p->wq.lock, flags);
	return ret;
}

int poll_files(struct file **files, const short *events, short *revents, unsigned n,
	       uint64_t deadline_ns)
{
	struct poll_entry stack_entries[POLL_STACK_ENTRIES], *entries = stack_entries;
	struct poller p;
	int ready;

	if (!deadline_ns)
		return poll_round(files, events, revents, n, NULL);
	if (n > POLL_STACK_ENTRIES && !(entries = mm_malloc(n * sizeof(*entries))))
		return -ENOMEM;
	waitq_init(&p.wq);
	p.triggered = false;
	for (unsigned i = 0; i < n; i++) {
		entries[i].watch = (struct poll_watch){ .notify = poller_notify, .ctx = &p };
		entries[i].interest = (unsigned short)events[i] | POLLERR | POLLHUP;
	}
	ready = poll_round(files, events, revents, n, entries);
	while (!ready) {
		int ret = poller_sleep(&p, deadline_ns);

		if (ret == -EINTR) {
			ready = -EINTR;
			break;
		}
		ready = poll_round(files, events, revents, n, NULL);
		if (ret == -ETIMEDOUT)
			break;
	}
	for (unsigned i = 0; i < n; i++)
		poll_watch_remove(&entries[i].watch);
	if (entries != stack_entries)
		mm_free(entries);
	return ready;
}

/* ---- select ---------------------------------------------------------------------- */

#define SELECT_IN  (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX  POLLPRI

static bool fd_isset(const uint64_t *set, unsigned fd)
{
	return set && (set[fd / 64] >> (fd % 64) & 1);
}

/* Sets or clears fd's bit in set (if set is not NULL); returns 1 if now set. */
static int fd_put(uint64_t *set, unsigned fd, bool on)
{
	if (!set)
		return 0;
	set[fd / 64] &= ~(1ULL << (fd % 64));
	set[fd / 64] |= (uint64_t)on << (fd % 64);
	return on;
}

/* Rewrites the sets to the ready descriptors (rev in descriptor order); the total. */
static int select_results(unsigned nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex,
			  const short *rev)
{
	unsigned i = 0;
	int total = 0;

	for (unsigned fd = 0; fd < nfds; fd++) {
		bool r = fd_isset(rd, fd), w = fd_isset(wr, fd), x = fd_isset(ex, fd);

		if (!r && !w && !x)
			continue;
		total += fd_put(rd, fd, r && (rev[i] & SELECT_IN));
		total += fd_put(wr, fd, w && (rev[i] & SELECT_OUT));
		total += fd_put(ex, fd, x && (rev[i] & SELECT_EX));
		i++;
	}
	return total;
}

int poll_select(struct file **files, unsigned nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex,
		uint64_t deadline_ns)
{
	unsigned n = 0;
	struct file **pf;
	short *ev, *rev;
	int ret;

	for (unsigned fd = 0; fd < nfds; fd++) {
		if (!fd_isset(rd, fd) && !fd_isset(wr, fd) && !fd_isset(ex, fd))
			continue;
		if (!files[fd] || files[fd] == POLL_FILE_BADF)
			return -EBADF;
		n++;
	}
	pf = mm_malloc(n * (sizeof(*pf) + 2 * sizeof(short)) + 1);
	if (!pf)
		return -ENOMEM;
	ev = (short *)(pf + n);
	rev = ev + n;
	n = 0;
	for (unsigned fd = 0; fd < nfds; fd++) {
		short e = (fd_isset(rd, fd) ? SELECT_IN : 0) | (fd_isset(wr, fd) ? SELECT_OUT : 0) |
			  (fd_isset(ex, fd) ? SELECT_EX : 0);

		if (e) {
			pf[n] = files[fd];
			ev[n++] = e;
		}
	}
	/*
	 * One known difference from Linux: a descriptor only in the
	 * exceptional set whose file reports POLLHUP ends the wait with
	 * nothing selected (poll_files always counts POLLHUP).
	 */
	ret = poll_files(pf, ev, rev, n, deadline_ns);
	if (ret >= 0)
		ret = select_results(nfds, rd, wr, ex, rev);
	mm_free(pf);
	return ret;
}
