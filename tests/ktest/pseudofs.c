/*
 * Self-tests of devfs, procfs, sysfs and their engine (mote/pseudofs.h):
 * the shape of every system file, snapshot reads, write errors, character
 * devices through the driver registry, magic links, and the path of an
 * open file. Instances are made here and never mounted (no umount: each
 * is made once and kept), and no program runs, so the process's files
 * answer ESRCH.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/ktest.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/pipe.h>
#include <mote/pseudofs.h>
#include <mote/vfs.h>

#include "fdtest.h"

static const struct pseudo_entry no_pid_entries[] = { { 0 } };

static struct vfs_fs *test_procfs(void)
{
	static struct vfs_fs *fs;

	if (!fs)
		fs = procfs_create(no_pid_entries, 7);
	return IS_ERR(fs) ? NULL : fs;
}

/* The whole of file path under fs's root, read `piece` bytes at a time, NUL-terminated. */
static long read_all(struct vfs_fs *fs, const char *path, char *buf, size_t size, size_t piece)
{
	struct file *f = vfs_open(fs->root, path, VFS_O_RDONLY, 0);
	size_t got = 0;
	long n = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	while (got < size - 1 && (n = f->ops->read(f, buf + got, piece < size - 1 - got ? piece : size - 1 - got)) > 0)
		got += (size_t)n;
	file_put(f);
	buf[got] = 0;
	return n < 0 ? n : (long)got;
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

KTEST(pseudofs_procfs_system_files)
{
	struct vfs_fs *fs = test_procfs();
	char *buf = mm_malloc(16384);

	FT_ASSERT(fs && buf);
	FT_EXPECT(read_all(fs, "meminfo", buf, 16384, 4096) > 0);
	FT_EXPECT(strncmp(buf, "MemTotal:       ", 16) == 0 && strstr(buf, " kB\nMemFree:        "));
	FT_EXPECT(strstr(buf, "\nHugePages_Total:       0\n") != NULL);
	FT_EXPECT(read_all(fs, "cpuinfo", buf, 16384, 4096) > 0);
	FT_EXPECT(strncmp(buf, "processor\t: 0\nvendor_id\t: ", 26) == 0);
	FT_EXPECT(count(buf, "processor\t: ") == cpu_count() && count(buf, "\nflags\t\t: ") == cpu_count());
	FT_EXPECT(read_all(fs, "stat", buf, 16384, 4096) > 0);
	FT_EXPECT(strncmp(buf, "cpu  ", 5) == 0 && count(buf, "\ncpu") == cpu_count() && strstr(buf, "\nbtime "));
	FT_EXPECT(read_all(fs, "uptime", buf, 16384, 4096) > 0);
	FT_EXPECT(count(buf, ".") == 2 && count(buf, " ") == 1 && buf[strlen(buf) - 1] == '\n');
	FT_EXPECT(read_all(fs, "loadavg", buf, 16384, 4096) > 0 && strncmp(buf, "0.00 0.00 0.00 1/", 17) == 0);
	FT_EXPECT(read_all(fs, "version", buf, 16384, 4096) > 0 && strncmp(buf, "Linux version 6.", 16) == 0);
	FT_EXPECT(read_all(fs, "filesystems", buf, 16384, 4096) > 0 && strstr(buf, "nodev\tproc\n"));
	FT_EXPECT(read_all(fs, "sys/kernel/ostype", buf, 16384, 4096) == 6 && strcmp(buf, "Linux\n") == 0);
	FT_EXPECT(read_all(fs, "sys/kernel/osrelease", buf, 16384, 4096) > 0 &&
		  strcmp(buf, PROCFS_OSRELEASE "\n") == 0);
	FT_EXPECT(read_all(fs, "sys/vm/overcommit_memory", buf, 16384, 4096) == 2);
	FT_EXPECT(read_all(fs, "sys/net/core/somaxconn", buf, 16384, 4096) == 5);
	mm_free(buf);
}

KTEST(pseudofs_procfs_uuid_and_boot_id)
{
	struct vfs_fs *fs = test_procfs();
	char a[64], b[64];

	FT_ASSERT(fs);
	FT_EXPECT(read_all(fs, "sys/kernel/random/uuid", a, sizeof(a), 64) == 37);
	FT_EXPECT(a[8] == '-' && a[13] == '-' && a[14] == '4' && a[18] == '-' && a[23] == '-' && a[36] == '\n');
	FT_EXPECT(strchr("89ab", a[19]) != NULL);
	FT_EXPECT(read_all(fs, "sys/kernel/random/uuid", b, sizeof(b), 64) == 37 && strcmp(a, b) != 0);
	FT_EXPECT(read_all(fs, "sys/kernel/random/boot_id", a, sizeof(a), 64) == 37);
	FT_EXPECT(read_all(fs, "sys/kernel/random/boot_id", b, sizeof(b), 64) == 37 && strcmp(a, b) == 0);
}

/* A snapshot: reads in any pieces, pread and lseek all see one text. */
KTEST(pseudofs_snapshot_reads)
{
	struct vfs_fs *fs = test_procfs();
	char *whole = mm_malloc(8192), *pieces = mm_malloc(8192), tail[8];
	struct file *f;
	long n;

	FT_ASSERT(fs && whole && pieces);
	n = read_all(fs, "cpuinfo", whole, 8192, 8192);
	FT_EXPECT(n > 100 && read_all(fs, "cpuinfo", pieces, 8192, 3) == n);
	FT_EXPECT(memcmp(whole, pieces, (size_t)n - 20) == 0);	/* cpu MHz is the same each time */
	f = vfs_open(fs->root, "meminfo", VFS_O_RDONLY, 0);
	FT_ASSERT(!IS_ERR(f));
	n = f->ops->read(f, whole, 8192);
	FT_EXPECT(n > 100);
	FT_EXPECT(f->ops->read(f, pieces, 10) == 0);			/* the end */
	FT_EXPECT(f->ops->lseek(f, -3, VFS_SEEK_END) == n - 3);
	FT_EXPECT(f->ops->read(f, tail, sizeof(tail)) == 3 && memcmp(tail, "kB\n", 3) == 0);
	FT_EXPECT(f->ops->pread(f, pieces, 9, 0) == 9 && memcmp(pieces, "MemTotal:", 9) == 0);
	FT_EXPECT(f->ops->lseek(f, -1, VFS_SEEK_SET) == -EINVAL);
	FT_EXPECT(f->ops->lseek(f, 1000000, VFS_SEEK_SET) == 1000000 && f->ops->read(f, tail, 1) == 0);
	file_put(f);
	mm_free(whole);
	mm_free(pieces);
}

KTEST(pseudofs_write_errors)
{
	struct vfs_fs *fs = test_procfs();
	struct file *f;
	char c;

	FT_ASSERT(fs);
	f = vfs_open(fs->root, "meminfo", VFS_O_WRONLY, 0);
	FT_ASSERT(!IS_ERR(f));
	FT_EXPECT(f->ops->write(f, "1", 1) == -EIO);
	FT_EXPECT(f->ops->read(f, &c, 1) == -EBADF);
	file_put(f);
	f = vfs_open(fs->root, "meminfo", VFS_O_RDONLY, 0);
	FT_EXPECT(!IS_ERR(f) && f->ops->write(f, "1", 1) == -EBADF);
	file_put(f);
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "sys/kernel/random/uuid", VFS_O_RDWR, 0)) == -EACCES);
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "newfile", VFS_O_CREAT | VFS_O_WRONLY, 0644)) == -ENOENT);
	FT_EXPECT(vfs_mkdir(fs->root, "newdir", 0755) == -ENOENT);
	FT_EXPECT(vfs_unlink(fs->root, "meminfo", 0) == -EROFS);
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "nothing", VFS_O_RDONLY, 0)) == -ENOENT);
}

/* No process runs in the self-tests: its files answer ESRCH, its directory is there. */
KTEST(pseudofs_procfs_self_link)
{
	struct vfs_fs *fs = test_procfs();
	struct vnode *vn;
	char buf[16];

	FT_ASSERT(fs);
	FT_EXPECT(vfs_readlink(fs->root, "self", buf, sizeof(buf)) == 1 && buf[0] == '7');
	FT_EXPECT(vfs_readlink(fs->root, "mounts", buf, sizeof(buf)) == 11 && memcmp(buf, "self/mounts", 11) == 0);
	FT_ASSERT(vfs_lookup(fs->root, "self/", 0, &vn) == 0);
	FT_EXPECT(VFS_ISDIR(vn->mode) && vn->name_len == 1 && vn->name[0] == '7');
	vnode_put(vn);
}

struct dir_count {
	unsigned entries, cpus;
};

static long list_dir(struct vfs_fs *fs, const char *path, char *names, size_t size)
{
	struct file *f = vfs_open(fs->root, path, VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
	char *buf = mm_malloc(4096);
	size_t used = 0;
	long n;

	if (IS_ERR(f) || !buf) {
		mm_free(buf);
		return IS_ERR(f) ? PTR_ERR(f) : -ENOMEM;
	}
	names[0] = 0;
	while ((n = f->ops->getdents(f, buf, 4096)) > 0) {
		for (long off = 0; off < n;) {
			struct vfs_dirent64 *de = (struct vfs_dirent64 *)(buf + off);
			size_t len = strlen(de->d_name);

			if (used + len + 2 < size) {
				memcpy(names + used, de->d_name, len);
				used += len;
				names[used++] = ' ';
				names[used] = 0;
			}
			off += de->d_reclen;
		}
	}
	file_put(f);
	mm_free(buf);
	return n;
}

KTEST(pseudofs_sysfs_cpus)
{
	static struct vfs_fs *fs;
	char *names = mm_malloc(4096), text[32];
	unsigned n = cpu_count();

	if (!fs)
		fs = sysfs_create();
	FT_ASSERT(!IS_ERR(fs) && names);
	FT_EXPECT(read_all(fs, "devices/system/cpu/online", text, sizeof(text), 64) > 0);
	FT_EXPECT(n == 1 ? strcmp(text, "0\n") == 0 : strncmp(text, "0-", 2) == 0);
	FT_EXPECT(read_all(fs, "devices/system/cpu/possible", names, 4096, 64) > 0 && strcmp(text, names) == 0);
	FT_EXPECT(list_dir(fs, "devices/system/cpu", names, 4096) == 0);
	FT_EXPECT(strncmp(names, ". .. online possible present cpu0 ", 34) == 0 && count(names, "cpu") == n);
	FT_EXPECT(read_all(fs, "devices/system/cpu/cpu0/online", text, sizeof(text), 64) == 2);
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "devices/system/cpu/cpu999/online", VFS_O_RDONLY, 0)) == -ENOENT);
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "devices/system/cpu/cpu01/online", VFS_O_RDONLY, 0)) == -ENOENT);
	FT_EXPECT(read_all(fs, "kernel/mm/transparent_hugepage/hpage_pmd_size", text, sizeof(text), 64) == 8);
	mm_free(names);
}

/* ---- Character devices ------------------------------------------------------------ */

static int test_dev_opens;

static struct file *open_test_dev(struct vnode *vn, unsigned oflags)
{
	(void)vn;
	(void)oflags;
	test_dev_opens++;
	return ERR_PTR(-EPERM);	/* a recognisable answer */
}

KTEST(pseudofs_devfs_nodes_and_drivers)
{
	static struct vfs_fs *fs;
	struct vnode *vn;
	struct kstat st;
	char *names = mm_malloc(1024);

	if (!fs)
		fs = devfs_create();
	FT_ASSERT(!IS_ERR(fs) && names);
	FT_ASSERT(vfs_lookup(fs->root, "null", 0, &vn) == 0);
	FT_EXPECT(vfs_stat(vn, &st) == 0 && st.mode == (VFS_S_IFCHR | 0666) && st.rdev == ((1 << 8) | 3));
	vnode_put(vn);
	FT_ASSERT(vfs_lookup(fs->root, "urandom", 0, &vn) == 0);
	FT_EXPECT(vn->rdev == DEVFS_URANDOM && VFS_MKDEV(1, 9) == 0x109 && VFS_MKDEV(300, 70000) == 0x11112c70);
	vnode_put(vn);
	FT_EXPECT(vfs_readlink(fs->root, "stdin", names, 64) == 15 && memcmp(names, "/proc/self/fd/0", 15) == 0);
	FT_EXPECT(list_dir(fs, ".", names, 1024) == 0);
	FT_EXPECT(strstr(names, " null ") && strstr(names, " shm ") && strstr(names, " zero "));
	FT_EXPECT(PTR_ERR(vfs_open(fs->root, "shm/x", VFS_O_RDONLY, 0)) == -ENOENT);
	FT_EXPECT(vfs_mkdir(fs->root, "newdir", 0755) == -EROFS);
	mm_free(names);
}

/* ---- Magic links and file paths ------------------------------------------------------ */

static struct vnode *magic_target;

static struct vnode *follow_magic(long arg)
{
	(void)arg;
	vnode_get(magic_target);
	return magic_target;
}

static struct file *wrapped_pipe;
static struct vfs_fs *magic_fs;

static struct vnode *follow_pipe(long arg)
{
	(void)arg;
	return pseudofs_file_vnode(magic_fs, wrapped_pipe);
}

static const struct pseudo_entry magic_entries[] = {
	{ .name = "magic", .mode = VFS_S_IFLNK | 0777, .target = "not/followed", .follow = follow_magic },
	{ .name = "pipe", .mode = VFS_S_IFLNK | 0777, .target = "pipe:[1]", .follow = follow_pipe },
	{ .name = "dev", .mode = VFS_S_IFCHR | 0600, .rdev = VFS_MKDEV(99, 1) },
	{ 0 },
};

/* A node opens its driver: none for 99:1 (ENXIO) until one registers. */
KTEST(pseudofs_chrdev_registry)
{
	if (!magic_fs)
		magic_fs = pseudofs_create(magic_entries, EROFS);
	FT_ASSERT(!IS_ERR(magic_fs));
	if (!test_dev_opens) {	/* the registry is for good: once per boot */
		FT_EXPECT(PTR_ERR(vfs_open(magic_fs->root, "dev", VFS_O_RDWR, 0)) == -ENXIO);
		FT_EXPECT(vfs_chrdev_register(VFS_MKDEV(99, 1), open_test_dev) == 0);
	}
	FT_EXPECT(vfs_chrdev_register(VFS_MKDEV(99, 1), open_test_dev) == -EBUSY);
	FT_EXPECT(PTR_ERR(vfs_open(magic_fs->root, "dev", VFS_O_RDWR, 0)) == -EPERM && test_dev_opens);
	FT_EXPECT(PTR_ERR(vfs_open(magic_fs->root, "dev", VFS_O_PATH, 0)) != -EPERM);
}

KTEST(pseudofs_magic_links)
{
	struct vfs_fs *ram = ramfs_create(0);
	struct file *f, *g, *rd, *wr;
	char buf[32];
	struct kstat st;

	if (!magic_fs)
		magic_fs = pseudofs_create(magic_entries, EROFS);
	FT_ASSERT(!IS_ERR(ram) && !IS_ERR(magic_fs));
	f = vfs_open(ram->root, "target", VFS_O_CREAT | VFS_O_RDWR, 0600);
	FT_ASSERT(!IS_ERR(f));
	FT_EXPECT(f->ops->write(f, "magic!", 6) == 6);
	magic_target = f->vnode;
	/* readlink gives the text; a walk lands on the object itself. */
	FT_EXPECT(vfs_readlink(magic_fs->root, "magic", buf, sizeof(buf)) == 12);
	g = vfs_open(magic_fs->root, "magic", VFS_O_RDONLY, 0);
	FT_ASSERT(!IS_ERR(g));
	FT_EXPECT(g->vnode == magic_target && g->ops->read(g, buf, sizeof(buf)) == 6);
	file_put(g);
	FT_EXPECT(PTR_ERR(vfs_open(magic_fs->root, "magic", VFS_O_RDONLY | VFS_O_NOFOLLOW, 0)) == -ELOOP);
	FT_EXPECT(PTR_ERR(vfs_open(magic_fs->root, "magic/x", VFS_O_RDONLY, 0)) == -ENOTDIR);
	/* A file without a vnode: opening the link gives that very file. */
	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	wrapped_pipe = rd;
	g = vfs_open(magic_fs->root, "pipe", VFS_O_RDONLY, 0);
	FT_EXPECT(g == rd);
	if (!IS_ERR(g))
		file_put(g);
	FT_EXPECT(vfs_lookup(magic_fs->root, "pipe", 0, &magic_target) == 0);
	FT_EXPECT(vfs_stat(magic_target, &st) == 0 && (st.mode & VFS_S_IFMT) == VFS_S_IFIFO);
	vnode_put(magic_target);
	file_put(rd);
	file_put(wr);
	file_put(f);
}

KTEST(pseudofs_file_path)
{
	struct vfs_fs *ram = ramfs_create(0);
	struct file *f, *d;
	char buf[64];

	FT_ASSERT(!IS_ERR(ram));
	FT_ASSERT(vfs_mkdir(ram->root, "dir", 0755) == 0);
	f = vfs_open(ram->root, "dir/file", VFS_O_CREAT | VFS_O_RDWR, 0600);
	d = vfs_open(ram->root, "dir", VFS_O_RDONLY, 0);
	FT_ASSERT(!IS_ERR(f) && !IS_ERR(d));
	/* Unmounted, so the instance's root is "/". */
	FT_EXPECT(vfs_file_path(f, buf, sizeof(buf)) == 9 && memcmp(buf, "/dir/file", 9) == 0);
	FT_EXPECT(vfs_file_path(f, buf, 4) == 4 && memcmp(buf, "/dir", 4) == 0);
	FT_EXPECT(vfs_file_path(d, buf, sizeof(buf)) == 4 && memcmp(buf, "/dir", 4) == 0);
	FT_EXPECT(vfs_rename(ram->root, "dir/file", ram->root, "dir/moved", 0) == 0);
	FT_EXPECT(vfs_file_path(f, buf, sizeof(buf)) == 10 && memcmp(buf, "/dir/moved", 10) == 0);
	FT_EXPECT(vfs_unlink(ram->root, "dir/moved", 0) == 0);
	FT_EXPECT(vfs_file_path(f, buf, sizeof(buf)) == 20 && memcmp(buf, "/dir/moved (deleted)", 20) == 0);
	FT_EXPECT(vfs_rename(ram->root, "dir", ram->root, "gone", 0) == 0);
	FT_EXPECT(vfs_file_path(f, buf, sizeof(buf)) == 21 && memcmp(buf, "/gone/moved (deleted)", 21) == 0);
	file_put(f);
	file_put(d);
}
