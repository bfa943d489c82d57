/*
 * Anonymous pipes (see mote/pipe.h for the semantics).
 *
 * State: a ring buffer, the count of bytes in it, and the number of open
 * read and write ends, all under `lock`, a mutex: copies of up to 64 KiB
 * happen under it, which is too long for interrupts to stay off.
 *
 * The ring is 16 pages allocated as writes reach them, and a pipe that
 * drains restarts at the front and gives back all its pages but the
 * first: a pipe carrying small messages costs one page, however long it
 * lives, and only a pipe that really holds 64 KiB costs 64 KiB (which
 * matters in a VM of 2 MiB).
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
#include <mote/layout.h>
#include <mote/mm.h>
#include <mote/pipe.h>
#include <mote/sync.h>
#include <mote/vfs.h>

#define PIPE_PAGES (PIPE_CAPACITY / PIPE_BUF)

struct pipe {
	struct mutex lock;
	struct waitq rd_wait, wr_wait;
	unsigned rd_seq, wr_seq;	/* under rd_wait.lock, wr_wait.lock */
	struct poll_head poll;
	char *page[PIPE_PAGES];		/* the ring, PIPE_BUF bytes each, NULL until written */
	size_t start;			/* ring index of the oldest byte */
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

/* The bytes from ring index pos on that lie in one page, at most n. */
static size_t page_run(size_t pos, size_t n)
{
	size_t left = PIPE_BUF - pos % PIPE_BUF;

	return n < left ? n : left;
}

/* Copies n bytes out of the ring (n <= p->len); a drained ring starts over at page 0. */
static void ring_take(struct pipe *p, char *dst, size_t n)
{
	size_t pos = p->start;

	for (size_t done = 0, run; done < n; done += run, pos = (pos + run) % PIPE_CAPACITY) {
		run = page_run(pos, n - done);
		memcpy(dst + done, p->page[pos / PIPE_BUF] + pos % PIPE_BUF, run);
	}
	p->start = pos;
	__atomic_store_n(&p->len, p->len - n, __ATOMIC_RELAXED);
	if (p->len)
		return;
	p->start = 0;
	for (unsigned i = 1; i < PIPE_PAGES; i++) {
		mm_free(p->page[i]);
		p->page[i] = NULL;
	}
}

/* Makes sure the n bytes after the end of the data have pages; how many do. */
static size_t ring_reserve(struct pipe *p, size_t n)
{
	size_t pos = (p->start + p->len) % PIPE_CAPACITY, done = 0, run;

	for (; done < n; done += run, pos = (pos + run) % PIPE_CAPACITY) {
		char **page = &p->page[pos / PIPE_BUF];

		run = page_run(pos, n - done);
		if (!*page && !(*page = mm_malloc(PIPE_BUF)))
			break;
	}
	return done;
}

/* Copies n bytes into the ring (n <= room, pages reserved). */
static void ring_put(struct pipe *p, const char *src, size_t n)
{
	size_t pos = (p->start + p->len) % PIPE_CAPACITY;

	for (size_t done = 0, run; done < n; done += run, pos = (pos + run) % PIPE_CAPACITY) {
		run = page_run(pos, n - done);
		memcpy(p->page[pos / PIPE_BUF] + pos % PIPE_BUF, src + done, run);
	}
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
	while (!ret) {
		size_t n, backed;

		if (!p->readers) {
			ret = -EPIPE;
			break;
		}
		if ((n = write_chunk(p, len, done))) {
			backed = ring_reserve(p, n);
			if (backed < n && (len <= PIPE_BUF || !backed)) {
				ret = -ENOMEM;
				break;
			}
			n = backed;
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

static unsigned pipe_poll(struct file *f, struct poll_watch *w)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;

	if (w)
		poll_watch_add(&p->poll, w);
	if (f->ops == &pipe_read_ops) {
		if (load_size(&p->len))
			mask |= POLLIN | POLLRDNORM;
		if (!load_count(&p->writers))
			mask |= POLLHUP;
	} else {
		if (PIPE_CAPACITY - load_size(&p->len) >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!load_count(&p->readers))
			mask |= POLLERR;
	}
	return mask;
}

static void pipe_free_if_last(struct pipe *p)
{
	if (__atomic_sub_fetch(&p->ends, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; i < PIPE_PAGES; i++)
		mm_free(p->page[i]);
	mm_free(p);
}

/* An end closes: the other side's sleepers and watchers learn of it (EOF, EPIPE). */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool reader = f->ops == &pipe_read_ops;
	unsigned *count = reader ? &p->readers : &p->writers;

	mutex_lock(&p->lock);
	__atomic_store_n(count, *count - 1, __ATOMIC_RELAXED);
	mutex_unlock(&p->lock);
	if (reader) {
		pipe_kick(&p->wr_wait, &p->wr_seq);
		poll_notify(&p->poll, POLLERR);
	} else {
		pipe_kick(&p->rd_wait, &p->rd_seq);
		poll_notify(&p->poll, POLLHUP);
	}
	pipe_free_if_last(p);
}

/* fstat: a FIFO of its own (pipefs-like device; the inode numbers the pipe). */
static int pipe_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = 0xc;
	st->ino = (uintptr_t)f->priv >> 4;
	st->mode = VFS_S_IFIFO | 0600;
	st->nlink = 1;
	st->blksize = PAGE_SIZE;
	return 0;
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read,
	.poll = pipe_poll,
	.stat = pipe_stat,
	.release = pipe_release,
};

static const struct file_ops pipe_write_ops = {
	.write = pipe_write,
	.poll = pipe_poll,
	.stat = pipe_stat,
	.release = pipe_release,
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
