/*
 * fs/devfs.c: /dev. The device nodes Linux programs open by name, with
 * Linux's numbers (stat shows /dev/null as 1:3), the links into
 * /proc/self/fd that shells and libcs use for /dev/stdin and /dev/fd/N,
 * and an empty shm directory on which a ramfs is mounted (POSIX shared
 * memory: shm_open creates its files there).
 *
 * Only the nodes are here: what a node does is its driver's (registered
 * with vfs_chrdev_register by the Linux layer), as for any node.
 */
#include <lib/errno.h>
#include <mote/pseudofs.h>

#define CHR(name_, perm, dev) { .name = name_, .mode = VFS_S_IFCHR | (perm), .rdev = (dev) }
#define LNK(name_, to) { .name = name_, .mode = VFS_S_IFLNK | 0777, .target = (to) }

static const struct pseudo_entry dev_entries[] = {
	CHR("console", 0600, DEVFS_CONSOLE),
	LNK("fd", "/proc/self/fd"),
	CHR("full", 0666, DEVFS_FULL),
	CHR("null", 0666, DEVFS_NULL),
	CHR("random", 0666, DEVFS_RANDOM),
	{ .name = "shm", .mode = VFS_S_IFDIR | 01777 },
	LNK("stderr", "/proc/self/fd/2"),
	LNK("stdin", "/proc/self/fd/0"),
	LNK("stdout", "/proc/self/fd/1"),
	CHR("tty", 0666, DEVFS_TTY),
	CHR("urandom", 0666, DEVFS_URANDOM),
	CHR("zero", 0666, DEVFS_ZERO),
	{ 0 },
};

struct vfs_fs *devfs_create(void)
{
	return pseudofs_create(dev_entries, EROFS);
}
