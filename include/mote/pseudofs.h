/*
 * mote/pseudofs: the filesystems whose contents the kernel makes up, as
 * Linux has them: devfs on /dev, procfs on /proc, sysfs on /sys
 * (docs/fs.md, "devfs, procfs, sysfs").
 *
 * One engine (fs/pseudofs.c) serves all three. A filesystem is a tree of
 * constant `struct pseudo_entry` tables; nothing is stored per file, so an
 * instance costs a vnode per directory and nothing else until something
 * is opened. What an entry can be:
 *
 *   - a directory of fixed entries (`children`) and/or numbered ones
 *     (`each`, with `next` telling which numbers exist: /proc/self/fd,
 *     sysfs's cpuN);
 *   - a regular file whose text `show` writes when the file is opened.
 *     The text is a snapshot kept with the open file, so reads at any
 *     offset, lseek and short reads all see one consistent text, and
 *     nothing is computed when nobody reads. Writes fail with the errno
 *     Linux gives for the file (EIO for most of /proc, EINVAL for the
 *     files of a process, EACCES already at open for read-only sysctls);
 *   - a symlink with a fixed `target`, or a computed one (`link`), and
 *     optionally a magic one (`follow`): a path walk through it continues
 *     at the object it names, not at its text, as Linux's /proc/self/fd/N
 *     and /proc/self/cwd do (so a pipe or a deleted file can be reopened);
 *   - a character device node (`rdev`): opening it is the VFS's business
 *     (vfs_chrdev_register), so a device node means the same on any
 *     filesystem.
 *
 * Numbered entries carry their number (`arg`) to show, link and follow.
 * Inode numbers are derived from the entry and the number, so they are
 * stable for as long as the kernel runs.
 *
 * Context: thread context; show, link and follow may sleep and may take
 * any lock but the pseudo filesystem's own (link runs with the link's
 * vnode lock held).
 */
#ifndef MOTE_PSEUDOFS_H
#define MOTE_PSEUDOFS_H

#include <mote/vfs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where show and link write: grows as needed (output lost to -ENOMEM is reported at open). */
struct pseudo_buf {
	char *data;
	size_t len, cap;
	bool failed;		/* an allocation failed: the open fails with -ENOMEM */
};

void pseudo_write(struct pseudo_buf *b, const void *data, size_t len);
void pseudo_printf(struct pseudo_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct pseudo_entry {
	const char *name;	/* NULL ends a table */
	uint32_t mode;		/* VFS_S_IF* | permissions: says which member below is used */
	union {
		struct {	/* directories */
			/* Fixed children (a table ended by a NULL name) ... */
			const struct pseudo_entry *children;
			/*
			 * ... and/or numbered ones, each made from `each` with arg =
			 * its number and named by it after each->name ("cpu" for
			 * cpu0, cpu1 ...; "" for plain numbers). A numbered
			 * directory may hold fixed entries that are not directories.
			 */
			const struct pseudo_entry *each;
			/* The smallest existing number >= from, or -1 when there is none. */
			long (*next)(long from);
		};
		struct {	/* regular files */
			/* Writes the contents. 0 or -errno (the open fails with it). */
			int (*show)(struct pseudo_buf *b, long arg);
			/* What a write answers (0: EIO, as most of /proc). */
			int write_errno;
			/* Opening for writing fails with EACCES (read-only sysctls). */
			bool no_write_open;
		};
		struct {	/* symlinks */
			/* A fixed target, or a computed one (0 or -errno). */
			const char *target;
			int (*link)(struct pseudo_buf *b, long arg);
			/* Magic: the object a walk continues at, referenced, or ERR_PTR(-errno). */
			struct vnode *(*follow)(long arg);
		};
		uint64_t rdev;	/* character devices: VFS_MKDEV(major, minor) */
	};
};

/*
 * A new instance whose root directory holds `children`; ERR_PTR(-ENOMEM).
 * Every directory's vnode is made now and lives as long as the instance,
 * so directories can be mount points. Creating a name in it fails with
 * create_errno (positive: procfs ENOENT, as Linux's; EROFS elsewhere);
 * other namespace changes with EROFS.
 */
struct vfs_fs *pseudofs_create(const struct pseudo_entry *children, int create_errno);

/*
 * For magic links to files without a filesystem object (pipes, the
 * console, eventfds): a vnode of fs that stands for f (stat shows f's
 * stat; opening it gives f itself, with a new reference). Referenced;
 * ERR_PTR(-ENOMEM).
 */
struct vnode *pseudofs_file_vnode(struct vfs_fs *fs, struct file *f);

/* ---- The three filesystems ------------------------------------------------------- */

/*
 * devfs (fs/devfs.c): null, zero, full, random, urandom, tty, console
 * (nodes only: the drivers register with vfs_chrdev_register), the
 * fd, stdin, stdout, stderr links into /proc/self/fd, and an empty shm
 * directory to mount a ramfs on.
 */
struct vfs_fs *devfs_create(void);

/* Linux's numbers for the devices devfs has nodes for. */
#define DEVFS_NULL    VFS_MKDEV(1, 3)
#define DEVFS_ZERO    VFS_MKDEV(1, 5)
#define DEVFS_FULL    VFS_MKDEV(1, 7)
#define DEVFS_RANDOM  VFS_MKDEV(1, 8)
#define DEVFS_URANDOM VFS_MKDEV(1, 9)
#define DEVFS_TTY     VFS_MKDEV(5, 0)
#define DEVFS_CONSOLE VFS_MKDEV(5, 1)

/*
 * procfs (fs/procfs.c): the system files (cpuinfo, meminfo, uptime,
 * loadavg, stat, version, filesystems, sys/kernel/...), "self" as a
 * symlink to the process's directory, and that directory, whose entries
 * the Linux layer provides (`pid_dir`, named by `pid`): procfs knows
 * nothing of processes.
 */
struct vfs_fs *procfs_create(const struct pseudo_entry *pid_dir, int pid);

/* The kernel release and version uname(2) and /proc agree on. */
#define PROCFS_OSRELEASE "6.1.0-mote"
#define PROCFS_VERSION "#1 SMP mote " MOTE_VERSION

/* The text /proc/mounts shows for the mounts made so far (procfs keeps the list). */
void procfs_note_mount(const char *source, const char *path, const char *type, const char *opts);
int procfs_show_mounts(struct pseudo_buf *b, long arg);
int procfs_show_mountinfo(struct pseudo_buf *b, long arg);

/* sysfs (fs/sysfs.c): devices/system/cpu/{online,possible,present} and little else. */
struct vfs_fs *sysfs_create(void);

#endif
