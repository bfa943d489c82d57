/*
 * fs/chrdev.c: character device drivers by device number.
 *
 * A device node is only a vnode with VFS_S_IFCHR and an rdev; what it
 * does is the driver's, found here by number when the node is opened, so
 * a node means the same on devfs, on ramfs or in an image. Drivers
 * register at boot and never leave, so lookups read the table without a
 * lock: an entry is published (release) after its fields are written.
 */
#include <lib/errno.h>
#include <lib/err.h>

#include "internal.h"

struct chrdev {
	uint64_t rdev;
	vfs_chrdev_open_fn *open;	/* published last */
};

static struct chrdev chrdevs[VFS_CHRDEV_MAX];
static unsigned chrdev_count;		/* entries in use; under chrdev_lock */
static struct mutex chrdev_lock = MUTEX_INIT(chrdev_lock);

static vfs_chrdev_open_fn *chrdev_find(uint64_t rdev)
{
	for (unsigned i = 0; i < VFS_CHRDEV_MAX; i++) {
		vfs_chrdev_open_fn *open = __atomic_load_n(&chrdevs[i].open, __ATOMIC_ACQUIRE);

		if (!open)
			break;
		if (chrdevs[i].rdev == rdev)
			return open;
	}
	return NULL;
}

int vfs_chrdev_register(uint64_t rdev, vfs_chrdev_open_fn *open)
{
	int ret = 0;

	mutex_lock(&chrdev_lock);
	if (chrdev_find(rdev)) {
		ret = -EBUSY;
	} else if (chrdev_count == VFS_CHRDEV_MAX) {
		ret = -ENOSPC;
	} else {
		chrdevs[chrdev_count].rdev = rdev;
		__atomic_store_n(&chrdevs[chrdev_count].open, open, __ATOMIC_RELEASE);
		chrdev_count++;
	}
	mutex_unlock(&chrdev_lock);
	return ret;
}

struct file *chrdev_open(struct vnode *vn, unsigned oflags)
{
	vfs_chrdev_open_fn *open = chrdev_find(vn->rdev);

	return open ? open(vn, oflags) : ERR_PTR(-ENXIO);
}
