/*
 * Open files: allocation and reference counting (see mote/file.h).
 *
 * A file is freed by the file_put() that drops its last reference. Before
 * the release op runs, any epoll registrations of the file are dropped
 * (epoll_file_release): an epoll item holds no reference on the file it
 * watches, so closing the last descriptor of a watched file removes it
 * from every epoll set, as on Linux, and no reference cycle can keep a
 * file or an epoll instance alive. release frees the ops' own state
 * (f->priv); file_put frees the struct file itself afterwards.
 *
 * Context: file_alloc, file_get anywhere in thread context; the last
 * file_put sleeps (epoll's mutexes, release ops) and so is for thread
 * context with no spinlock held.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/epoll.h>
#include <mote/file.h>
#include <mote/log.h>
#include <mote/mm.h>

struct file *file_alloc(const struct file_ops *ops, unsigned flags, void *priv)
{
	struct file *f = mm_calloc(1, sizeof(*f));

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->ops = ops;
	f->refs = 1;
	f->flags = flags;
	f->priv = priv;
	mutex_init(&f->pos_lock);
	return f;
}

void file_get(struct file *f)
{
	unsigned long old = __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);

	if (!old)
		panic("file %p: file_get on a released file", (void *)f);
}

void file_put(struct file *f)
{
	unsigned long old = __atomic_fetch_sub(&f->refs, 1, __ATOMIC_ACQ_REL);

	if (old > 1)
		return;
	if (!old)
		panic("file %p: file_put without a reference", (void *)f);
	epoll_file_release(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	mm_free(f);
}
