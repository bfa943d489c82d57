/*
 * mote/file: open files, and readiness notification for poll and epoll.
 *
 * A `struct file` is what a file descriptor points at: an open regular
 * file, directory, pipe end, eventfd, timerfd, epoll instance, console
 * stream, socket later. It carries an ops table, the open flags and a
 * position, and is reference counted: every descriptor naming it holds one
 * reference, and so does every operation in progress on it (fd_get()
 * takes one), so a close() racing a read() never frees the file under the
 * reader. The last file_put() calls ops->release.
 *
 * Every op is optional; a missing one gives the errno Linux gives for a
 * file that cannot do it (read/write: -EINVAL; lseek: -ESPIPE; ioctl:
 * -ENOTTY; getdents: -ENOTDIR; truncate: -EINVAL; poll: always ready for
 * read and write). Ops take kernel buffers: the Linux layer copies user
 * memory in and out around them, so no op ever touches user memory.
 * Blocking ops honour FILE_NONBLOCK (-EAGAIN) and end early with -EINTR
 * when the thread is interrupted (a signal).
 *
 * Readiness (poll, select, epoll). Each pollable object embeds a
 * `struct poll_head`. ops->poll(f, watch) returns the events ready now
 * (POLLIN ... bits, Linux values) and, when watch is not NULL, adds the
 * watch to the object's head so later changes reach watch->notify (with
 * the events that may have become ready; the watcher re-polls to know).
 * poll() and select() add one watch per descriptor whose notify wakes the
 * polling thread, and remove them all before returning; epoll keeps its
 * watches while the descriptor is registered. notify runs with the head's
 * lock held and possibly in interrupt context: it must only queue and
 * wake, never sleep or take a sleeping lock.
 */
#ifndef MOTE_FILE_H
#define MOTE_FILE_H

#include <lib/list.h>
#include <mote/spinlock.h>
#include <mote/sync.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Event bits: Linux's POLL* / EPOLL* values. */
#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP  0x2000

/* Open flags kept in struct file (Linux's O_* values for these bits). */
#define FILE_ACCMODE   0x3		/* O_RDONLY 0, O_WRONLY 1, O_RDWR 2 */
#define FILE_APPEND    0x400
#define FILE_NONBLOCK  0x800
#define FILE_DIRECTORY 0x10000
#define FILE_CLOEXEC   0x80000	/* descriptor flag; kept here for F_GETFD */
#define FILE_PATH      0x200000	/* O_PATH: a handle only, no I/O */

struct poll_head {
	struct spinlock lock;
	struct list_node watches;	/* struct poll_watch */
};

struct poll_watch {
	struct list_node node;
	struct poll_head *head;		/* NULL when not added */
	void (*notify)(struct poll_watch *w, unsigned events);
	void *ctx;
};

void poll_head_init(struct poll_head *h);
/* Tells every watch on h that `events` may have become ready (or gone: POLLHUP). */
void poll_notify(struct poll_head *h, unsigned events);
/* Adds w to h (from an ops->poll implementation). */
void poll_watch_add(struct poll_head *h, struct poll_watch *w);
/* Removes w from whatever head it is on; safe if it is on none. */
void poll_watch_remove(struct poll_watch *w);

struct file;
struct vnode;
struct kstat;

struct file_ops {
	long (*read)(struct file *f, void *buf, size_t len);
	long (*write)(struct file *f, const void *buf, size_t len);
	long (*pread)(struct file *f, void *buf, size_t len, uint64_t off);
	long (*pwrite)(struct file *f, const void *buf, size_t len, uint64_t off);
	int64_t (*lseek)(struct file *f, int64_t off, int whence);
	/* arg is the user's raw argument; an op copying through it uses the uaccess API. */
	long (*ioctl)(struct file *f, unsigned cmd, unsigned long arg);
	unsigned (*poll)(struct file *f, struct poll_watch *w);
	int (*stat)(struct file *f, struct kstat *st);
	/* Fills buf with linux_dirent64 records from f->pos on; bytes written or -errno. */
	long (*getdents)(struct file *f, void *buf, size_t len);
	int (*truncate)(struct file *f, uint64_t len);
	int (*fsync)(struct file *f);
	void (*release)(struct file *f);
	/*
	 * Reads never block and fill what they are given (/dev/zero, /dev/urandom):
	 * a read(2) larger than the syscall layer's bounce buffer takes as many rounds
	 * as it needs, as for a regular file, instead of returning after the first.
	 */
	bool reads_fill;
};

struct file {
	const struct file_ops *ops;
	unsigned long refs;		/* atomic */
	unsigned flags;			/* FILE_* (O_* bits) */
	uint64_t pos;			/* under pos_lock for files that seek */
	struct mutex pos_lock;
	struct vnode *vnode;		/* the filesystem object, NULL for anonymous files */
	struct vnode *dir;		/* referenced: the directory it was opened in, for its
					 * path (vfs_file_path); NULL for directories and others */
	void *priv;			/* the ops' own state */
};

/* A new file with one reference; ERR_PTR(-ENOMEM). */
struct file *file_alloc(const struct file_ops *ops, unsigned flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);

#endif
