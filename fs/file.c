/*
 * fs/file.c: open files (the contract is include/mote/file.h).
 *
 * A file is freed by whoever drops the last reference, through its ops'
 * release; the count is atomic so descriptors and operations in progress
 * on several CPUs can hold and drop references without a lock.
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <mote/epoll.h>
#include <mote/file.h>
#include <mote/vfs.h>

#include "internal.h"

struct file *file_alloc(const struct file_ops *ops, unsigned flags, void *priv)
{
	struct file *f = fs_zalloc(sizeof(*f));

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
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

/*
 * Before the release op runs, the file leaves every epoll set it is in
 * (epoll_file_release): an epoll item holds no reference on the file it
 * watches, so the last close removes it, as on Linux, and no reference
 * cycle can keep a file or an epoll instance alive. The last file_put
 * sleeps (epoll's mutexes, release ops): thread context, no spinlock.
 */
void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	epoll_file_release(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->dir)
		vnode_put(f->dir);
	fs_free(f);
}
