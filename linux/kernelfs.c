/*
 * The filesystems the kernel provides, mounted under whatever root the
 * boot path made: devfs on /dev with a ramfs on /dev/shm, procfs on /proc,
 * sysfs on /sys (include/mote/pseudofs.h). One function, called by every
 * boot path once its root is mounted, so a program sees the same /dev,
 * /proc and /sys however it was started.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <mote/linux.h>
#include <mote/pseudofs.h>
#include <mote/vfs.h>
#include "linux_internal.h"

struct vfs_fs *linux_procfs;

/* Mounts fs on path (made if missing) and notes it for /proc/mounts. */
static int mount_on(const char *path, struct vfs_fs *fs, const char *source, const char *type,
		    const char *opts)
{
	int ret;

	if (IS_ERR(fs))
		return PTR_ERR(fs);
	if ((ret = vfs_mkdir_p(path, 0755)) || (ret = vfs_mount(path, fs)))
		return ret;
	procfs_note_mount(source, path, type, opts);
	return 0;
}

int linux_mount_kernel_filesystems(void)
{
	struct vfs_fs *proc;
	int ret;

	if ((ret = linux_register_devices()))
		return ret;
	proc = procfs_create(proc_pid_entries, 1);	/* the one process is pid 1 */
	if ((ret = mount_on("/dev", devfs_create(), "devtmpfs", "devtmpfs", "rw,nosuid,relatime")) ||
	    (ret = mount_on("/dev/shm", ramfs_create(0), "shm", "tmpfs", "rw,nosuid,nodev,noexec,relatime")) ||
	    (ret = mount_on("/proc", proc, "proc", "proc", "rw,nosuid,nodev,noexec,relatime")) ||
	    (ret = mount_on("/sys", sysfs_create(), "sysfs", "sysfs", "ro,nosuid,nodev,noexec,relatime")))
		return ret;
	linux_procfs = proc;
	return 0;
}
