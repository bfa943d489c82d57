/*
 * Anonymous pipes (see mote/pipe.h for the semantics).
 *
 * State: a ring buffer (allocated on the first write, so an unused pipe
 * costs a few dozen bytes), the count of bytes in it, and the number of
 * open read and write ends, all under `lock`, a mutex: copies of up to
 * 64 KiB happen under it, which is too long for interrupts to stay off.
 * Holding the mutex for a whole copy is what makes small writes atomic
 * and gives each read a contiguous run of bytes.
 *
 * Sleeping: nobody sleeps holding the mutex. A reader that finds nothing
 * notes rd_seq (under rd_wait's lock, while still holding the mutex),
 * drops the mutex, and sleeps on rd_wait until rd_seq moves; a writer
 * bumps rd_seq and wakes rd_wait after it has changed the state. Since
 * the waiter noted the counter before letting go of the mutex, and the
 * waker changed the state after taking it, the bump cannot come too early
 * to be seen: no wake-up is lost. Writers waiting for room use wr_wait
 * and wr_seq the same way.
 *
 * Readiness: the fields poll reads (len, readers, writers) are stored
 * atomically, so ops->poll needs no mutex; watchers are notified after
 * every change that can make an end ready or hung up.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/mm.h>
#include <mote/pipe.h>
#include <mote/sync.h>

struct pipe {
	struct mutex lock;
	struct waitq rd_wait, wr_wait;
	unsigned rd_seq, wr_seq;	/* under rd_wait.lock, wr_wait.lock */
	struct poll_head poll;
	char *buf;			/* PIPE_CAPACITY bytes, NULL until the first write */
	size_t start;			/* index of the oldest byte */
	size_t len;			/* bytes buffered */
	unsigned readers, writers;	/* open ends */
	unsigned ends;			/* ends not yet released: the last frees the pipe */
};

static const struct file_ops pipe_read_ops, pipe_write_ops;

static size_t load_size(const size_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static unsigned load_count(const unsigned *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Wakes everyone sleeping on wq: bumps its counter first. */
static void pipe_kick(struct waitq *wq, unsigned *seq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	(*seq)++;
	waitq_wake_locked(wq, ~0u);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* With p->lock held: sleeps until *seq moves (0) or the thread is interrupted (-EINTR). */
static int pipe_wait(struct pipe *p, struct waitq *wq, unsigned *seq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	unsigned seen = *seq;
	int ret = 0;

	spin_unlock_irqrestore(&wq->lock, flags);
	mutex_unlock(&p->lock);
	flags = spin_lock_irqsave(&wq->lock);
	while (*seq == seen && !ret) {
		struct waiter w;

		waitq_add(wq, &w);
		ret = waitq_sleep(&w, 0, WAIT_INTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	mutex_lock(&p->lock);
	return ret;
}

/* Copies n bytes out of the ring (n <= p->len). */
static void ring_take(struct pipe *p, char *dst, size_t n)
{
	size_t first = PIPE_CAPACITY - p->start < n ? PIPE_CAPACITY - p->start : n;

	memcpy(dst, p->buf + p->start, first);
	memcpy(dst + first, p->buf, n - first);
	p->start = (p->start + n) % PIPE_CAPACITY;
	__atomic_store_n(&p->len, p->len - n, __ATOMIC_RELAXED);
}

/* Copies n bytes into the ring (n <= room). */
static void ring_put(struct pipe *p, const char *src, size_t n)
{
	size_t end = (p->start + p->len) % PIPE_CAPACITY;
	size_t first = PIPE_CAPACITY - end < n ? PIPE_CAPACITY - end : n;

	memcpy(p->buf + end, src, first);
	memcpy(p->buf, src + first, n - first);
	__atomic_store_n(&p->len, p->len + n, __ATOMIC_RELAXED);
}

static long pipe_read(struct file *f, void *buf, size_t len)
{
	struct pipe *p = f->priv;
	long ret;

	if (!len)
		return 0;
	mutex_lock(&p->lock);
	for (;;) {
		if (p->len) {
			ret = len < p->len ? len : p->len;
			ring_take(p, buf, ret);
			break;
		}
		if (!p->writers) {
			ret = 0;
			break;
		}
		if (f->flags & FILE_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if ((ret = pipe_wait(p, &p->rd_wait, &p->rd_seq)))
			break;
	}
	mutex_unlock(&p->lock);
	if (ret > 0) {
		pipe_kick(&p->wr_wait, &p->wr_seq);
		poll_notify(&p->poll, POLLOUT | POLLWRNORM);
	}
	return ret;
}

/* How much of the rest (len - done) can go in now; 0 if the writer must wait. */
static size_t write_chunk(const struct pipe *p, size_t len, size_t done)
{
	size_t room = PIPE_CAPACITY - p->len;

	if (len <= PIPE_BUF)
		return room >= len ? len : 0;	/* all or nothing: atomic */
	return room < len - done ? room : len - done;
}

static long pipe_write(struct file *f, const void *buf, size_t len)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	long ret = 0;

	if (!len)
		return 0;
	mutex_lock(&p->lock);
	if (!p->buf && !(p->buf = mm_malloc(PIPE_CAPACITY)))
		ret = -ENOMEM;
	while (!ret) {
		size_t n;

		if (!p->readers) {
			ret = -EPIPE;
			break;
		}
		if ((n = write_chunk(p, len, done))) {
			ring_put(p, (const char *)buf + done, n);
			done += n;
			pipe_kick(&p->rd_wait, &p->rd_seq);
			poll_notify(&p->poll, POLLIN | POLLRDNORM);
			if (done == len)
				break;
			continue;
		}
		if (f->flags & FILE_NONBLOCK)
			ret = -EAGAIN;
		else
			ret = pipe_wait(p, &p->wr_wait, &p->wr_seq);
	}
	mutex_unlock(&p->lock);
	return done ? (long)done : ret;
}

static unsigned pipe_poll_read(struct file *f, struct poll_watch *w)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;

	if (w)
		poll_watch_add(&p->poll, w);
	if (load_size(&p->len))
		mask |= POLLIN | POLLRDNORM;
	if (!load_count(&p->writers))
		mask |= POLLHUP;
	return mask;
}

static unsigned pipe_poll_write(struct file *f, struct poll_watch *w)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;

	if (w)
		poll_watch_add(&p->poll, w);
	if (PIPE_CAPACITY - load_size(&p->len) >= PIPE_BUF)
		mask |= POLLOUT | POLLWRNORM;
	if (!load_count(&p->readers))
		mask |= POLLERR;
	return mask;
}

static void pipe_free_if_last(struct pipe *p)
{
	if (__atomic_sub_fetch(&p->ends, 1, __ATOMIC_ACQ_REL))
		return;
	mm_free(p->buf);
	mm_free(p);
}

static void pipe_release_read(struct file *f)
{
	struct pipe *p = f->priv;

	mutex_lock(&p->lock);
	__atomic_store_n(&p->readers, p->readers - 1, __ATOMIC_RELAXED);
	mutex_unlock(&p->lock);
	pipe_kick(&p->wr_wait, &p->wr_seq);
	poll_notify(&p->poll, POLLERR);
	pipe_free_if_last(p);
}

static void pipe_release_write(struct file *f)
{
	struct pipe *p = f->priv;

	mutex_lock(&p->lock);
	__atomic_store_n(&p->writers, p->writers - 1, __ATOMIC_RELAXED);
	mutex_unlock(&p->lock);
	pipe_kick(&p->rd_wait, &p->rd_seq);
	poll_notify(&p->poll, POLLHUP);
	pipe_free_if_last(p);
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read,
	.poll = pipe_poll_read,
	.release = pipe_release_read,
};

static const struct file_ops pipe_write_ops = {
	.write = pipe_write,
	.poll = pipe_poll_write,
	.release = pipe_release_write,
};

int pipe_create(struct file **rd, struct file **wr, unsigned flags)
{
	struct pipe *p;
	struct file *r, *w;

	if (flags & ~(FILE_NONBLOCK | FILE_CLOEXEC))
		return -EINVAL;
	if (!(p = mm_calloc(1, sizeof(*p))))
		return -ENOMEM;
	mutex_init(&p->lock);
	waitq_init(&p->rd_wait);
	waitq_init(&p->wr_wait);
	poll_head_init(&p->poll);
	p->readers = p->writers = p->ends = 1;
	r = file_alloc(&pipe_read_ops, flags | 0 /* O_RDONLY */, p);
	if (IS_ERR(r)) {
		mm_free(p);
		return PTR_ERR(r);
	}
	w = file_alloc(&pipe_write_ops, flags | 1 /* O_WRONLY */, p);
	if (IS_ERR(w)) {
		r->ops = 0;	/* free r without running the read end's release */
		file_put(r);
		mm_free(p);
		return PTR_ERR(w);
	}
	p->ends = 2;
	*rd = r;
	*wr = w;
	return 0;
}

long pipe_bytes_readable(struct file *f)
{
	struct pipe *p = f->priv;

	if (f->ops != &pipe_read_ops && f->ops != &pipe_write_ops)
		return -EINVAL;
	return (long)load_size(&p->len);
}
