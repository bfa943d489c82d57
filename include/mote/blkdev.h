/*
 * mote/blkdev: block devices. A driver (virtio-blk, or the RAM disk below)
 * fills a struct blkdev and registers it; filesystems find it by name and
 * read and write whole 512-byte sectors through it.
 *
 * Names. A disk is named by the serial its device reports (virtio-blk's
 * GET_ID: what `mote run` and QEMU's `serial=` set), else "vdN" in
 * discovery order. Names are unique: a second disk with a name already
 * taken gets the vdN name instead, and the kernel log says so.
 *
 * I/O. blkdev_read/blkdev_write move `count` sectors starting at `sector`
 * between the disk and kernel memory (any alignment, any length; drivers
 * bounce or split as they need) and sleep until the device has answered:
 * thread context only. Requests past the end are -EINVAL (checked here,
 * before the driver is called); a write to a read-only disk is -EROFS; a
 * device error, a device that stopped answering, or a disk that went away
 * is -EIO. blkdev_flush returns once everything written before it is on
 * stable storage (a no-op 0 for devices without a volatile cache).
 * Several threads may issue requests at once; ordering between requests in
 * flight together is not guaranteed (as on Linux): flush is the barrier.
 */
#ifndef MOTE_BLKDEV_H
#define MOTE_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLKDEV_SECTOR_SIZE 512
#define BLKDEV_NAME_MAX    32	/* bytes, NUL included */
#define BLKDEV_MAX         16	/* disks one kernel tracks */

struct blkdev;

struct blkdev_ops {
	/* count >= 1 sectors, already bounds-checked; 0 or -EIO (or -ENOMEM). */
	int (*read)(struct blkdev *bd, uint64_t sector, void *buf, size_t count);
	int (*write)(struct blkdev *bd, uint64_t sector, const void *buf, size_t count);
	/* NULL: the device has no volatile cache. */
	int (*flush)(struct blkdev *bd);
};

struct blkdev {
	char name[BLKDEV_NAME_MAX];
	uint64_t sectors;		/* capacity in 512-byte sectors */
	bool read_only;
	const struct blkdev_ops *ops;
	void *priv;			/* the driver's */
};

/*
 * Adds bd to the registry (bd->name may be "" for "vdN"; a clash is
 * renamed as above). 0, or -ENOSPC when BLKDEV_MAX disks are registered.
 */
int blkdev_register(struct blkdev *bd);

/* The disk named name, or NULL. */
struct blkdev *blkdev_find(const char *name);
/* The index-th disk in registration order, or NULL past the last. */
struct blkdev *blkdev_at(unsigned index);

int blkdev_read(struct blkdev *bd, uint64_t sector, void *buf, size_t count);
int blkdev_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t count);
int blkdev_flush(struct blkdev *bd);

/*
 * A RAM disk over size bytes at data (size a multiple of 512; the memory
 * stays the caller's and must outlive the disk), registered under name.
 * For tests and for images handed over as boot modules. 0 or -errno.
 */
int blkdev_ramdisk_create(const char *name, void *data, uint64_t size, bool read_only);

#endif
