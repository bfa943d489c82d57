/*
 * epoll (see mote/epoll.h for the interface and docs/poll.md for the
 * design).
 *
 * An instance has:
 *  - `mtx`, a mutex held by epoll_ctl and by each epoll_wait scan: the
 *    item tree and the use of item->file happen only under it, which is
 *    what keeps a watched file alive while it is polled (its final
 *    file_put waits here, in epoll_file_release, before the file goes);
 *  - `wq`, a wait queue whose lock also guards the ready list and every
 *    item's `state`, `renotified` and event mask: item notifications come
 *    from poll heads, possibly in interrupt context, and take only it;
 *  - `poll`, its own poll head (ranked above ordinary heads) for poll()
 *    and select() on the instance, notified after `wq`'s lock is dropped.
 *
 * An item is IDLE, READY (on the ready list) or SCANNING (taken off the
 * list by an epoll_wait that is polling it). A notification moves IDLE to
 * READY, and marks a SCANNING item `renotified` so the scan puts it back:
 * an edge that arrives while the scanner looks the other way is not lost.
 *
 * The global `links` table maps a struct file to its items in every
 * instance (hash chains under a mutex), for epoll_file_release. Lock
 * order: links.lock, then an instance's mtx, then spinlocks.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/rbtree.h>
#include <mote/epoll.h>
#include <mote/mm.h>
#include <mote/poll.h>
#include <mote/sync.h>

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
			 EPOLLEXCLUSIVE)
#define EP_LINK_BUCKETS 64

enum epitem_state { EPI_IDLE, EPI_READY, EPI_SCANNING };

struct epoll {
	struct mutex mtx;
	struct rb_tree items;		/* struct epitem by (file, fd); mtx */
	struct waitq wq;		/* epoll_wait sleepers; its lock guards `ready` */
	struct list_node ready;		/* struct epitem, READY */
	struct poll_head poll;
};

struct epitem {
	struct rb_node node;		/* in ep->items */
	struct list_node link;		/* in a links bucket */
	struct list_node rdlink;	/* in ep->ready, or a scan's private list */
	struct poll_watch watch;	/* on the file's poll head */
	struct epoll *ep;
	struct file *file;
	int fd;
	uint32_t events;		/* asked for, with EPOLLERR | EPOLLHUP; wq lock */
	uint64_t data;
	enum epitem_state state;	/* wq lock */
	bool renotified;		/* notified while SCANNING; wq lock */
};

struct epkey {
	const struct file *file;
	int fd;
};

static struct {
	struct mutex lock;
	struct list_node *buckets;	/* EP_LINK_BUCKETS, allocated with the first instance */
	unsigned long count;		/* items in all instances: the hook's fast path */
} links = { .lock = MUTEX_INIT(links.lock) };

static const struct file_ops epoll_ops;

bool file_is_epoll(const struct file *f)
{
	return f->ops == &epoll_ops;
}

/* ---- Items ---------------------------------------------------------------------- */

static int epkey_cmp(const void *key, const struct rb_node *node)
{
	const struct epkey *k = key;
	const struct epitem *it = rb_entry(node, struct epitem, node);

	if (k->file != it->file)
		return (uintptr_t)k->file < (uintptr_t)it->file ? -1 : 1;
	return k->fd < it->fd ? -1 : k->fd > it->fd;
}

static struct epitem *ep_find(struct epoll *ep, int fd, struct file *f)
{
	struct epkey key = { f, fd };

	return rb_entry_or_null(rb_find(&ep->items, &key, epkey_cmp), struct epitem, node);
}

static struct list_node *link_bucket(const struct file *f)
{
	uintptr_t h = (uintptr_t)f >> 4;

	return &links.buckets[(h ^ h >> 6 ^ h >> 12) % EP_LINK_BUCKETS];
}

/*
 * wq lock held: puts an IDLE item on the ready list and wakes a waiter;
 * true if it queued it. *woke (if not NULL) says whether a waiter was woken.
 */
static bool ep_queue_woke(struct epoll *ep, struct epitem *it, bool *woke)
{
	if (it->state == EPI_SCANNING)
		it->renotified = true;
	if (it->state != EPI_IDLE)
		return false;
	it->state = EPI_READY;
	list_add_tail(&ep->ready, &it->rdlink);
	if (waitq_wake_locked(&ep->wq, 1) && woke)
		*woke = true;
	return true;
}

static bool ep_queue_locked(struct epoll *ep, struct epitem *it)
{
	return ep_queue_woke(ep, it, NULL);
}

static void ep_queue(struct epoll *ep, struct epitem *it)
{
	unsigned long flags = spin_lock_irqsave(&ep->wq.lock);
	bool queued = ep_queue_locked(ep, it);

	spin_unlock_irqrestore(&ep->wq.lock, flags);
	if (queued)
		poll_notify(&ep->poll, POLLIN | POLLRDNORM);
}

/*
 * The watch's notify: under the file's poll head lock, maybe in interrupt
 * context. EPOLLEXCLUSIVE items, as Linux's: once one of them has woken a
 * waiter in this notify pass, the others of the pass are left alone (not
 * even queued), so one wake-up wakes one instance rather than all of
 * them; an exclusive item whose instance has nobody waiting only queues
 * and lets the pass go on to the next.
 */
static void ep_item_notify(struct poll_watch *w, unsigned events)
{
	struct epitem *it = w->ctx;
	struct epoll *ep = it->ep;
	bool exclusive = __atomic_load_n(&it->events, __ATOMIC_RELAXED) & EPOLLEXCLUSIVE;
	bool queued = false, woke = false;
	unsigned long flags;
	unsigned interest;

	if (exclusive && poll_notify_exclusive_taken())
		return;
	flags = spin_lock_irqsave(&ep->wq.lock);
	interest = it->events & ~EP_PRIVATE_BITS;
	if (interest && (!events || (events & interest)))
		queued = ep_queue_woke(ep, it, &woke);
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	if (exclusive && woke)
		poll_notify_exclusive_take();
	if (queued)
		poll_notify(&ep->poll, POLLIN | POLLRDNORM);
}

/* links.lock and ep->mtx held: unregisters and frees it. */
static void ep_remove(struct epoll *ep, struct epitem *it)
{
	unsigned long flags;

	poll_watch_remove(&it->watch);
	flags = spin_lock_irqsave(&ep->wq.lock);
	if (it->state == EPI_READY)
		list_remove(&it->rdlink);
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	rb_erase(&ep->items, &it->node);
	list_remove(&it->link);
	__atomic_store_n(&links.count, links.count - 1, __ATOMIC_RELAXED);
	mm_free(it);
}

void epoll_file_release(struct file *f)
{
	struct list_node *bucket, *n, *tmp;

	if (!__atomic_load_n(&links.count, __ATOMIC_RELAXED))
		return;
	mutex_lock(&links.lock);
	bucket = link_bucket(f);
	list_for_each_safe(n, tmp, bucket) {
		struct epitem *it = list_entry(n, struct epitem, link);
		struct epoll *ep = it->ep;

		if (it->file != f)
			continue;
		mutex_lock(&ep->mtx);
		ep_remove(ep, it);
		mutex_unlock(&ep->mtx);
	}
	mutex_unlock(&links.lock);
}

/* ---- epoll_ctl -------------------------------------------------------------------- */

static int ep_check(struct file *epf, int op, struct file *f, const struct epoll_event_k *ev)
{
	if (!file_is_epoll(epf) || f == epf || file_is_epoll(f))
		return -EINVAL;
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (!f->ops || !f->ops->poll)
		return -EPERM;
	if (op == EPOLL_CTL_DEL)
		return 0;
	if (!ev)
		return -EFAULT;
	if (ev->events & EPOLLEXCLUSIVE) {
		if (op == EPOLL_CTL_MOD || (ev->events & ~EP_EXCLUSIVE_OK))
			return -EINVAL;
	}
	return 0;
}

static int ep_add(struct epoll *ep, int fd, struct file *f, const struct epoll_event_k *ev)
{
	struct epkey key = { f, fd };
	struct epitem *it;
	unsigned ready;

	if (ep_find(ep, fd, f))
		return -EEXIST;
	if (!(it = mm_calloc(1, sizeof(*it))))
		return -ENOMEM;
	it->ep = ep;
	it->file = f;
	it->fd = fd;
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data;
	it->state = EPI_IDLE;
	it->watch = (struct poll_watch){ .notify = ep_item_notify, .ctx = it };
	rb_insert(&ep->items, &it->node, &key, epkey_cmp);
	list_add_tail(link_bucket(f), &it->link);
	__atomic_store_n(&links.count, links.count + 1, __ATOMIC_RELAXED);
	ready = f->ops->poll(f, &it->watch);
	if (ready & it->events)
		ep_queue(ep, it);
	return 0;
}

static int ep_modify(struct epoll *ep, struct epitem *it, const struct epoll_event_k *ev)
{
	unsigned long flags;

	if (it->events & EPOLLEXCLUSIVE)
		return -EINVAL;
	flags = spin_lock_irqsave(&ep->wq.lock);
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data;
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	if (poll_file_now(it->file) & it->events)
		ep_queue(ep, it);
	return 0;
}

int epoll_ctl_k(struct file *epf, int op, int fd, struct file *f, const struct epoll_event_k *ev)
{
	struct epoll *ep = epf->priv;
	struct epitem *it;
	int ret;

	if ((ret = ep_check(epf, op, f, ev)))
		return ret;
	mutex_lock(&links.lock);
	mutex_lock(&ep->mtx);
	it = ep_find(ep, fd, f);
	if (op == EPOLL_CTL_ADD)
		ret = ep_add(ep, fd, f, ev);
	else if (!it)
		ret = -ENOENT;
	else if (op == EPOLL_CTL_MOD)
		ret = ep_modify(ep, it, ev);
	else
		ep_remove(ep, it);
	mutex_unlock(&ep->mtx);
	mutex_unlock(&links.lock);
	return ret;
}

/* ---- epoll_wait --------------------------------------------------------------------- */

/*
 * After a scan: where a polled item goes. wq lock held. (Items the scan
 * had no room for go back to the front of the list, in ep_scan.)
 */
static void ep_settle(struct epoll *ep, struct epitem *it, bool reported)
{
	bool requeue;

	if (!reported)
		requeue = it->renotified;
	else if (it->events & EPOLLONESHOT)
		requeue = false, it->events &= EP_PRIVATE_BITS;
	else if (it->events & EPOLLET)
		requeue = it->renotified;
	else
		requeue = true;		/* level-triggered: look again next time */
	it->renotified = false;
	it->state = EPI_IDLE;
	if (requeue) {
		it->state = EPI_READY;
		list_add_tail(&ep->ready, &it->rdlink);
	}
}

/* ep->mtx held: reports what the ready items really have, up to max. */
static int ep_scan(struct epoll *ep, struct epoll_event_k *out, int max)
{
	struct list_node scan, *n, *tmp;
	unsigned long flags = spin_lock_irqsave(&ep->wq.lock);
	int count = 0;

	list_init(&scan);
	list_for_each_safe(n, tmp, &ep->ready) {
		struct epitem *it = list_entry(n, struct epitem, rdlink);

		list_remove(n);
		list_add_tail(&scan, n);
		it->state = EPI_SCANNING;
		it->renotified = false;
	}
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	while (count < max && (n = list_first(&scan))) {
		struct epitem *it = list_entry(n, struct epitem, rdlink);
		unsigned revents = poll_file_now(it->file) & it->events & ~EP_PRIVATE_BITS;

		list_remove(n);
		if (revents) {
			out[count].events = revents;
			out[count].data = it->data;
			count++;
		}
		flags = spin_lock_irqsave(&ep->wq.lock);
		ep_settle(ep, it, revents != 0);
		spin_unlock_irqrestore(&ep->wq.lock, flags);
	}
	flags = spin_lock_irqsave(&ep->wq.lock);
	/* Items there was no room for: still pending, and first in line next time. */
	while ((n = scan.prev) != &scan) {
		list_remove(n);
		list_add_head(&ep->ready, n);
		list_entry(n, struct epitem, rdlink)->state = EPI_READY;
	}
	/* Items left for later (level-triggered, or no room): let another waiter see them. */
	if (!list_empty(&ep->ready))
		waitq_wake_locked(&ep->wq, 1);
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	return count;
}

/* Sleeps until the ready list is not empty: 0, -ETIMEDOUT or -EINTR. */
static int ep_sleep(struct epoll *ep, uint64_t deadline)
{
	unsigned long flags = spin_lock_irqsave(&ep->wq.lock);
	int ret = 0;

	while (list_empty(&ep->ready) && !ret) {
		struct waiter w;

		waitq_add(&ep->wq, &w);
		ret = waitq_sleep(&w, deadline == POLL_FOREVER ? 0 : deadline, WAIT_INTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	return ret;
}

int epoll_wait_k(struct file *epf, struct epoll_event_k *out, int max, uint64_t deadline)
{
	struct epoll *ep = epf->priv;
	bool last = !deadline;

	if (!file_is_epoll(epf) || max <= 0)
		return -EINVAL;
	for (;;) {
		int n, ret;

		mutex_lock(&ep->mtx);
		n = ep_scan(ep, out, max);
		mutex_unlock(&ep->mtx);
		if (n || last)
			return n;
		ret = ep_sleep(ep, deadline);
		if (ret == -EINTR)
			return ret;
		last = ret == -ETIMEDOUT;
	}
}

/* ---- The instance as a file ------------------------------------------------------------ */

static unsigned epoll_poll(struct file *f, struct poll_watch *w)
{
	struct epoll *ep = f->priv;
	unsigned long flags;
	bool any;

	if (w)
		poll_watch_add(&ep->poll, w);
	flags = spin_lock_irqsave(&ep->wq.lock);
	any = !list_empty(&ep->ready);
	spin_unlock_irqrestore(&ep->wq.lock, flags);
	return any ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;
	struct rb_node *n;

	mutex_lock(&links.lock);
	mutex_lock(&ep->mtx);
	while ((n = rb_first(&ep->items)))
		ep_remove(ep, rb_entry(n, struct epitem, node));
	mutex_unlock(&ep->mtx);
	mutex_unlock(&links.lock);
	mm_free(ep);
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.release = epoll_release,
};

/* The links table, on first use (a kernel that never sees epoll never pays for it). */
static bool ep_links_init(void)
{
	mutex_lock(&links.lock);
	if (!links.buckets && (links.buckets = mm_malloc(EP_LINK_BUCKETS * sizeof(*links.buckets))))
		for (unsigned i = 0; i < EP_LINK_BUCKETS; i++)
			list_init(&links.buckets[i]);
	mutex_unlock(&links.lock);
	return links.buckets != NULL;
}

struct file *epoll_create_k(unsigned flags)
{
	struct epoll *ep;
	struct file *f;

	if (flags & ~EPOLL_CLOEXEC)
		return ERR_PTR(-EINVAL);
	if (!(ep = mm_calloc(1, sizeof(*ep))))
		return ERR_PTR(-ENOMEM);
	mutex_init(&ep->mtx);
	rb_init(&ep->items);
	waitq_init(&ep->wq);
	list_init(&ep->ready);
	poll_head_init(&ep->poll);
	spin_init(&ep->poll.lock, "epoll head", SPIN_RANK_POLL_EPOLL);
	if (!ep_links_init()) {
		mm_free(ep);
		return ERR_PTR(-ENOMEM);
	}
	f = file_alloc(&epoll_ops, flags | 2 /* O_RDWR */, ep);
	if (IS_ERR(f))
		mm_free(ep);
	return f;
}
