/*
 * The character devices behind the nodes of /dev (fs/devfs.c), registered
 * by number (vfs_chrdev_register) so any node with that number works:
 *
 *   null     reads end at once, writes vanish
 *   zero     reads give zeroes, writes vanish
 *   full     reads give zeroes, writes fail with ENOSPC
 *   random, urandom   reads give random_bytes(), never block; writes are
 *            accepted (and ignored), as Linux accepts entropy from root
 *   console  reads the program's stdin, writes its stdout (linux/stdio.c)
 *   tty      ENXIO: the program has no controlling terminal (its standard
 *            streams are pipes), as a daemon or a container without -t
 *
 * Each open gives a file of its own that keeps the node (stat shows the
 * node: character device, its number); seeking works and does nothing
 * (position 0), as on Linux's memory devices.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/linux.h>
#include <mote/pseudofs.h>
#include <mote/vfs.h>
#include <mote/random.h>
#include "linux_internal.h"

enum memdev { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM };

static enum memdev kind_of(struct file *f)
{
	return (enum memdev)(uintptr_t)f->priv;
}

static bool can_read(struct file *f)
{
	return (f->flags & FILE_ACCMODE) != VFS_O_WRONLY;
}

static bool can_write(struct file *f)
{
	return (f->flags & FILE_ACCMODE) != VFS_O_RDONLY;
}

static long dev_read(struct file *f, void *buf, size_t len)
{
	if (!can_read(f))
		return -EBADF;
	switch (kind_of(f)) {
	case DEV_NULL:
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		memset(buf, 0, len);
		return (long)len;
	case DEV_RANDOM:
		random_bytes(buf, len);
		return (long)len;
	}
	return -EINVAL;
}

static long dev_write(struct file *f, const void *buf, size_t len)
{
	(void)buf;
	if (!can_write(f))
		return -EBADF;
	return kind_of(f) == DEV_FULL ? -ENOSPC : (long)len;
}

static long dev_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dev_read(f, buf, len);
}

static long dev_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dev_write(f, buf, len);
}

static int64_t dev_lseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return 0;
}

static unsigned dev_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	(void)w;
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static int dev_stat(struct file *f, struct kstat *st)
{
	return vfs_stat(f->vnode, st);
}

static void dev_release(struct file *f)
{
	vnode_put(f->vnode);
}

static const struct file_ops dev_ops = {
	.read = dev_read, .write = dev_write, .pread = dev_pread, .pwrite = dev_pwrite,
	.lseek = dev_lseek, .poll = dev_poll, .stat = dev_stat, .release = dev_release,
	.reads_fill = true,
};

static struct file *dev_open(struct vnode *vn, unsigned oflags, enum memdev kind)
{
	struct file *f = file_alloc(&dev_ops, oflags, (void *)(uintptr_t)kind);

	if (!IS_ERR(f)) {
		vnode_get(vn);
		f->vnode = vn;
	}
	return f;
}

static struct file *open_null(struct vnode *vn, unsigned oflags) { return dev_open(vn, oflags, DEV_NULL); }
static struct file *open_zero(struct vnode *vn, unsigned oflags) { return dev_open(vn, oflags, DEV_ZERO); }
static struct file *open_full(struct vnode *vn, unsigned oflags) { return dev_open(vn, oflags, DEV_FULL); }
static struct file *open_random(struct vnode *vn, unsigned oflags) { return dev_open(vn, oflags, DEV_RANDOM); }
static struct file *open_console(struct vnode *vn, unsigned oflags) { return stdio_console_open(vn, oflags); }

static struct file *open_tty(struct vnode *vn, unsigned oflags)
{
	(void)vn;
	(void)oflags;
	return ERR_PTR(-ENXIO);
}

int linux_register_devices(void)
{
	static const struct {
		uint64_t rdev;
		vfs_chrdev_open_fn *open;
	} devs[] = {
		{ DEVFS_NULL, open_null }, { DEVFS_ZERO, open_zero }, { DEVFS_FULL, open_full },
		{ DEVFS_RANDOM, open_random }, { DEVFS_URANDOM, open_random },
		{ DEVFS_CONSOLE, open_console }, { DEVFS_TTY, open_tty },
	};
	int ret;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if ((ret = vfs_chrdev_register(devs[i].rdev, devs[i].open)) && ret != -EBUSY)
			return ret;
	return 0;
}
