/*
 * Path system calls: open, stat, the namespace operations, the working
 * directory. Each copies its path(s) in, resolves the starting directory
 * (AT_FDCWD: the working directory; else the descriptor's vnode), and
 * calls the VFS (mote/vfs.h), whose errors are Linux's.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/fdtable.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
#include "linux_internal.h"
#include "syscall.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_EACCESS          0x200
#define AT_STATX_MASK       0x6000

/* A path from user memory: a kernel copy (mm_free it) or ERR_PTR. Empty is -ENOENT unless allowed. */
static char *path_in(unsigned long u, bool empty_ok)
{
	char *p = mm_malloc(VFS_PATH_MAX);
	long n;

	if (!p)
		return ERR_PTR(-ENOMEM);
	n = strncpy_from_user(p, (const char *)u, VFS_PATH_MAX);
	if (n < 0 || (n == 0 && !empty_ok)) {
		mm_free(p);
		return ERR_PTR(n < 0 ? n : -ENOENT);
	}
	return p;
}

/* The directory relative paths start from, referenced (vnode_put it). */
static int start_dir(int dirfd, struct vnode **out)
{
	struct linux_process *p = current_process();
	struct file *f;

	if (dirfd == AT_FDCWD) {
		mutex_lock(&p->fs_lock);
		vnode_get(p->cwd);
		*out = p->cwd;
		mutex_unlock(&p->fs_lock);
		return 0;
	}
	f = fget(dirfd);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (!f->vnode) {
		file_put(f);
		return -ENOTDIR;
	}
	vnode_get(f->vnode);
	*out = f->vnode;
	file_put(f);
	return 0;
}

/* The vnode a (dirfd, path, flags) names, honouring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
static int resolve_at(int dirfd, unsigned long upath, unsigned flags, struct vnode **out)
{
	struct vnode *dir;
	char *path = path_in(upath, flags & AT_EMPTY_PATH);
	int ret;

	if (IS_ERR(path))
		return PTR_ERR(path);
	if (!path[0]) {		/* AT_EMPTY_PATH: the descriptor itself */
		struct file *f = dirfd == AT_FDCWD ? NULL : fget(dirfd);

		mm_free(path);
		if (dirfd == AT_FDCWD)
			return start_dir(AT_FDCWD, out);
		if (IS_ERR(f))
			return PTR_ERR(f);
		ret = f->vnode ? 0 : -EBADF;	/* pipes and the like: fstat is the way */
		if (!ret) {
			vnode_get(f->vnode);
			*out = f->vnode;
		}
		file_put(f);
		return ret;
	}
	if (!(ret = start_dir(path[0] == '/' ? AT_FDCWD : dirfd, &dir))) {
		ret = vfs_lookup(dir, path, flags & AT_SYMLINK_NOFOLLOW ? VFS_LOOKUP_NOFOLLOW : 0, out);
		vnode_put(dir);
	}
	mm_free(path);
	return ret;
}

static unsigned current_umask(void)
{
	return current_process()->umask;
}

static long do_open(int dirfd, unsigned long upath, unsigned flags, unsigned mode)
{
	struct vnode *dir;
	struct file *f;
	char *path = path_in(upath, false);
	int ret;

	if (IS_ERR(path))
		return PTR_ERR(path);
	if ((ret = start_dir(path[0] == '/' ? AT_FDCWD : dirfd, &dir))) {
		mm_free(path);
		return ret;
	}
	f = vfs_open(dir, path, flags, mode & ~current_umask() & VFS_PERM_MASK);
	vnode_put(dir);
	mm_free(path);
	return install_file(f, flags & VFS_O_CLOEXEC);
}

SYSCALL(openat) { return do_open((int)a0, a1, (unsigned)a2, (unsigned)a3); }
SYSCALL(open) { return do_open(AT_FDCWD, a0, (unsigned)a1, (unsigned)a2); }
SYSCALL(creat) { return do_open(AT_FDCWD, a0, VFS_O_CREAT | VFS_O_WRONLY | VFS_O_TRUNC, (unsigned)a1); }

/* struct stat, x86-64. */
struct stat_k {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t reserved[3];
};

_Static_assert(sizeof(struct stat_k) == 144, "x86-64 struct stat");

static int stat_out(unsigned long u, const struct kstat *st)
{
	struct stat_k s = {
		.dev = st->dev, .ino = st->ino, .nlink = st->nlink, .mode = st->mode,
		.uid = st->uid, .gid = st->gid, .rdev = st->rdev, .size = st->size,
		.blksize = st->blksize, .blocks = (int64_t)st->blocks,
		.atime = st->atime.sec, .atime_ns = st->atime.nsec,
		.mtime = st->mtime.sec, .mtime_ns = st->mtime.nsec,
		.ctime = st->ctime.sec, .ctime_ns = st->ctime.nsec,
	};

	return copy_to_user((void *)u, &s, sizeof(s)) ? -EFAULT : 0;
}

static int file_stat(struct file *f, struct kstat *st)
{
	if (f->ops->stat)
		return f->ops->stat(f, st);
	if (f->vnode)
		return vfs_stat(f->vnode, st);
	/* An anonymous file without its own stat: what Linux shows for anon_inode files. */
	memset(st, 0, sizeof(*st));
	st->mode = 0600;
	st->nlink = 1;
	st->blksize = 4096;
	return 0;
}

/* stat of (dirfd, path, flags), or of the descriptor itself with AT_EMPTY_PATH. */
static int stat_at(int dirfd, unsigned long upath, unsigned flags, struct kstat *st)
{
	struct vnode *vn;
	int ret;

	if (flags & AT_EMPTY_PATH && dirfd != AT_FDCWD) {
		char c;

		if (copy_from_user(&c, (void *)upath, 1))
			return -EFAULT;
		if (!c) {
			struct file *f = fget(dirfd);

			if (IS_ERR(f))
				return PTR_ERR(f);
			ret = file_stat(f, st);
			file_put(f);
			return ret;
		}
	}
	if ((ret = resolve_at(dirfd, upath, flags, &vn)))
		return ret;
	ret = vfs_stat(vn, st);
	vnode_put(vn);
	return ret;
}

SYSCALL(fstat)
{
	struct file *f = fget((int)a0);
	struct kstat st;
	int ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = file_stat(f, &st);
	file_put(f);
	return ret ? ret : stat_out(a1, &st);
}

SYSCALL(newfstatat)
{
	struct kstat st;
	int ret;

	if (a3 & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	ret = stat_at((int)a0, a1, (unsigned)a3, &st);
	return ret ? ret : stat_out(a2, &st);
}

SYSCALL(stat) { return sys_newfstatat((unsigned long)AT_FDCWD, a0, a1, 0, 0, 0); }
SYSCALL(lstat) { return sys_newfstatat((unsigned long)AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW, 0, 0); }

/* struct statx (256 bytes). */
struct statx_ts {
	int64_t sec;
	uint32_t nsec;
	int32_t pad;
};

struct statx_k {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

_Static_assert(sizeof(struct statx_k) == 256, "struct statx");

#define STATX_BASIC_STATS 0x7ff
#define STATX_BTIME       0x800

static uint32_t dev_major(uint64_t dev) { return (uint32_t)((dev >> 8) & 0xfff); }
static uint32_t dev_minor(uint64_t dev) { return (uint32_t)((dev & 0xff) | ((dev >> 12) & 0xfff00)); }

static struct statx_ts sx_ts(struct ktimespec t)
{
	return (struct statx_ts){ t.sec, (uint32_t)t.nsec, 0 };
}

SYSCALL(statx)
{
	struct kstat st;
	struct statx_k sx;
	int ret;

	if (a2 & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
				  AT_STATX_MASK) || (a2 & AT_STATX_MASK) == AT_STATX_MASK ||
	    (a3 & 0x80000000u))
		return -EINVAL;
	if ((ret = stat_at((int)a0, a1, (unsigned)a2, &st)))
		return ret;
	memset(&sx, 0, sizeof(sx));
	sx.mask = STATX_BASIC_STATS | STATX_BTIME;
	sx.blksize = st.blksize;
	sx.nlink = st.nlink;
	sx.uid = st.uid;
	sx.gid = st.gid;
	sx.mode = (uint16_t)st.mode;
	sx.ino = st.ino;
	sx.size = (uint64_t)st.size;
	sx.blocks = st.blocks;
	sx.atime = sx_ts(st.atime);
	sx.btime = sx_ts(st.btime);
	sx.ctime = sx_ts(st.ctime);
	sx.mtime = sx_ts(st.mtime);
	sx.rdev_major = dev_major(st.rdev);
	sx.rdev_minor = dev_minor(st.rdev);
	sx.dev_major = dev_major(st.dev);
	sx.dev_minor = dev_minor(st.dev);
	return copy_to_user((void *)a4, &sx, sizeof(sx)) ? -EFAULT : 0;
}

static long access_at(int dirfd, unsigned long upath, unsigned long mode, unsigned long flags)
{
	struct vnode *vn;
	int ret;

	if (mode & ~7UL || flags & ~(unsigned long)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((ret = resolve_at(dirfd, upath, (unsigned)flags, &vn)))
		return ret;
	ret = vfs_access(vn, (int)mode);
	vnode_put(vn);
	return ret;
}

SYSCALL(access) { return access_at(AT_FDCWD, a0, a1, 0); }
SYSCALL(faccessat) { return access_at((int)a0, a1, a2, 0); }
SYSCALL(faccessat2) { return access_at((int)a0, a1, a2, a3); }

/* Calls taking (dirfd, path) and doing one VFS operation on the pair. */
static long with_dir_path(int dirfd, unsigned long upath,
			  int (*op)(struct vnode *dir, const char *path, unsigned long arg),
			  unsigned long arg)
{
	struct vnode *dir;
	char *path = path_in(upath, false);
	int ret;

	if (IS_ERR(path))
		return PTR_ERR(path);
	if (!(ret = start_dir(path[0] == '/' ? AT_FDCWD : dirfd, &dir))) {
		ret = op(dir, path, arg);
		vnode_put(dir);
	}
	mm_free(path);
	return ret;
}

static int op_mkdir(struct vnode *dir, const char *path, unsigned long mode)
{
	return vfs_mkdir(dir, path, (uint32_t)mode & ~current_umask() & VFS_PERM_MASK);
}

static int op_unlink(struct vnode *dir, const char *path, unsigned long flags)
{
	return vfs_unlink(dir, path, (unsigned)flags);
}

SYSCALL(mkdirat) { return with_dir_path((int)a0, a1, op_mkdir, a2); }
SYSCALL(mkdir) { return with_dir_path(AT_FDCWD, a0, op_mkdir, a1); }
SYSCALL(unlinkat)
{
	if (a2 & ~(unsigned long)AT_REMOVEDIR)
		return -EINVAL;
	return with_dir_path((int)a0, a1, op_unlink, a2);
}
SYSCALL(unlink) { return with_dir_path(AT_FDCWD, a0, op_unlink, 0); }
SYSCALL(rmdir) { return with_dir_path(AT_FDCWD, a0, op_unlink, AT_REMOVEDIR); }

static long two_paths(int olddirfd, unsigned long uold, int newdirfd, unsigned long unew,
		      unsigned flags, bool link)
{
	char *oldp = path_in(uold, false), *newp;
	struct vnode *od = NULL, *nd = NULL;
	int ret;

	if (IS_ERR(oldp))
		return PTR_ERR(oldp);
	newp = path_in(unew, false);
	if (IS_ERR(newp)) {
		mm_free(oldp);
		return PTR_ERR(newp);
	}
	ret = start_dir(oldp[0] == '/' ? AT_FDCWD : olddirfd, &od);
	if (!ret)
		ret = start_dir(newp[0] == '/' ? AT_FDCWD : newdirfd, &nd);
	if (!ret)
		ret = link ? vfs_link(od, oldp, nd, newp, flags) : vfs_rename(od, oldp, nd, newp, flags);
	if (od)
		vnode_put(od);
	if (nd)
		vnode_put(nd);
	mm_free(oldp);
	mm_free(newp);
	return ret;
}

SYSCALL(renameat2)
{
	if (a4 & ~(unsigned long)(VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE) ||
	    (a4 & VFS_RENAME_NOREPLACE && a4 & VFS_RENAME_EXCHANGE))
		return -EINVAL;
	return two_paths((int)a0, a1, (int)a2, a3, (unsigned)a4, false);
}
SYSCALL(renameat) { return two_paths((int)a0, a1, (int)a2, a3, 0, false); }
SYSCALL(rename) { return two_paths(AT_FDCWD, a0, AT_FDCWD, a1, 0, false); }
SYSCALL(linkat)
{
	if (a4 & ~(unsigned long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return two_paths((int)a0, a1, (int)a2, a3, (unsigned)a4 & AT_SYMLINK_FOLLOW, true);
}
SYSCALL(link) { return two_paths(AT_FDCWD, a0, AT_FDCWD, a1, 0, true); }

static int op_symlink(struct vnode *dir, const char *path, unsigned long target)
{
	return vfs_symlink((const char *)target, dir, path);
}

static long symlink_at(unsigned long utarget, int dirfd, unsigned long upath)
{
	char *target = path_in(utarget, false);
	long ret;

	if (IS_ERR(target))
		return PTR_ERR(target);
	ret = with_dir_path(dirfd, upath, op_symlink, (unsigned long)target);
	mm_free(target);
	return ret;
}

SYSCALL(symlinkat) { return symlink_at(a0, (int)a1, a2); }
SYSCALL(symlink) { return symlink_at(a0, AT_FDCWD, a1); }

static long readlink_at(int dirfd, unsigned long upath, unsigned long ubuf, unsigned long len)
{
	struct vnode *vn;
	char *buf;
	long ret;

	if ((long)len <= 0)
		return -EINVAL;
	if ((ret = resolve_at(dirfd, upath, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &vn)))
		return ret;
	len = len < VFS_PATH_MAX ? len : VFS_PATH_MAX;
	buf = mm_malloc(len);
	ret = buf ? vfs_readlink_vnode(vn, buf, len) : -ENOMEM;
	vnode_put(vn);
	if (ret > 0 && copy_to_user((void *)ubuf, buf, (size_t)ret))
		ret = -EFAULT;
	mm_free(buf);
	return ret;
}

SYSCALL(readlinkat) { return readlink_at((int)a0, a1, a2, a3); }
SYSCALL(readlink) { return readlink_at(AT_FDCWD, a0, a1, a2); }

SYSCALL(getcwd)
{
	struct linux_process *p = current_process();
	char *buf = mm_malloc(VFS_PATH_MAX);
	long ret;

	if (!buf)
		return -ENOMEM;
	mutex_lock(&p->fs_lock);
	ret = vfs_getpath(p->cwd, buf, a1 < VFS_PATH_MAX ? a1 : VFS_PATH_MAX);
	mutex_unlock(&p->fs_lock);
	if (ret == -ERANGE && a1 >= VFS_PATH_MAX)
		ret = -ENAMETOOLONG;
	if (ret > 0 && copy_to_user((void *)a0, buf, (size_t)ret))
		ret = -EFAULT;
	mm_free(buf);
	return ret;
}

static long set_cwd(struct vnode *vn)
{
	struct linux_process *p = current_process();
	struct kstat st;
	struct vnode *old;

	if (vfs_stat(vn, &st) || !VFS_ISDIR(st.mode)) {
		vnode_put(vn);
		return -ENOTDIR;
	}
	mutex_lock(&p->fs_lock);
	old = p->cwd;
	p->cwd = vn;
	mutex_unlock(&p->fs_lock);
	vnode_put(old);
	return 0;
}

SYSCALL(chdir)
{
	struct vnode *vn;
	int ret = resolve_at(AT_FDCWD, a0, 0, &vn);

	return ret ? ret : set_cwd(vn);
}

SYSCALL(fchdir)
{
	struct file *f = fget((int)a0);
	struct vnode *vn;

	if (IS_ERR(f))
		return PTR_ERR(f);
	vn = f->vnode;
	if (vn)
		vnode_get(vn);
	file_put(f);
	return vn ? set_cwd(vn) : -ENOTDIR;
}

static long truncate_vnode(struct vnode *vn, long len)
{
	return len < 0 ? -EINVAL : vfs_truncate(vn, (uint64_t)len);
}

SYSCALL(truncate)
{
	struct vnode *vn;
	long ret = resolve_at(AT_FDCWD, a0, 0, &vn);

	if (ret)
		return ret;
	ret = truncate_vnode(vn, (long)a1);
	vnode_put(vn);
	return ret;
}

SYSCALL(ftruncate)
{
	struct file *f = fget((int)a0);
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if ((long)a1 < 0)
		ret = -EINVAL;
	else if (f->ops->truncate)
		ret = f->ops->truncate(f, a1);
	else
		ret = f->flags & FILE_PATH ? -EBADF : -EINVAL;
	file_put(f);
	return ret;
}

/*
 * A file on a writable volume reaches its disk through a write-back of the
 * whole volume (fs/volume.c); elsewhere there is nothing to write (memory
 * filesystems, read-only images).
 */
static long fsync_fd(int fd)
{
	struct file *f = fget(fd);
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = f->ops->fsync ? f->ops->fsync(f) : 0;
	if (!ret && f->vnode)
		ret = volume_sync(f->vnode->fs);
	file_put(f);
	return ret;
}

SYSCALL(fsync) { return fsync_fd((int)a0); }
SYSCALL(fdatasync) { return fsync_fd((int)a0); }
SYSCALL(sync) { volume_sync_all(); return 0; }	/* sync(2) reports nothing */
SYSCALL(syncfs) { return fsync_fd((int)a0); }

static long chmod_at(int dirfd, unsigned long upath, unsigned long mode, unsigned flags)
{
	struct vnode *vn;
	long ret = resolve_at(dirfd, upath, flags, &vn);

	if (ret)
		return ret;
	ret = vfs_chmod(vn, (uint32_t)mode & VFS_PERM_MASK);
	vnode_put(vn);
	return ret;
}

SYSCALL(chmod) { return chmod_at(AT_FDCWD, a0, a1, 0); }
SYSCALL(fchmodat) { return chmod_at((int)a0, a1, a2, 0); }
SYSCALL(fchmod)
{
	struct file *f = fget((int)a0);
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = f->vnode ? vfs_chmod(f->vnode, (uint32_t)a1 & VFS_PERM_MASK) : -EINVAL;
	file_put(f);
	return ret;
}

static long chown_at(int dirfd, unsigned long upath, unsigned long uid, unsigned long gid,
		     unsigned flags)
{
	struct vnode *vn;
	long ret = resolve_at(dirfd, upath, flags, &vn);

	if (ret)
		return ret;
	ret = vfs_chown(vn, (uint32_t)uid, (uint32_t)gid);
	vnode_put(vn);
	return ret;
}

SYSCALL(chown) { return chown_at(AT_FDCWD, a0, a1, a2, 0); }
SYSCALL(lchown) { return chown_at(AT_FDCWD, a0, a1, a2, AT_SYMLINK_NOFOLLOW); }
SYSCALL(fchownat) { return chown_at((int)a0, a1, a2, a3, (unsigned)a4); }
SYSCALL(fchown)
{
	struct file *f = fget((int)a0);
	long ret;

	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = f->vnode ? vfs_chown(f->vnode, (uint32_t)a1, (uint32_t)a2) : -EINVAL;
	file_put(f);
	return ret;
}

SYSCALL(utimensat)
{
	struct ktimespec ts[2];
	struct vnode *vn;
	long ret;

	if (a3 & ~(unsigned long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (a2 && copy_from_user(ts, (void *)a2, sizeof(ts)))
		return -EFAULT;
	if (!a1) {		/* futimens: the descriptor itself */
		struct file *f = fget((int)a0);

		if (IS_ERR(f))
			return PTR_ERR(f);
		vn = f->vnode;
		if (vn)
			vnode_get(vn);
		file_put(f);
		if (!vn)
			return -EINVAL;
	} else if ((ret = resolve_at((int)a0, a1, (unsigned)a3, &vn))) {
		return ret;
	}
	ret = vfs_utimens(vn, a2 ? ts : NULL);
	vnode_put(vn);
	return ret;
}

SYSCALL(umask)
{
	struct linux_process *p = current_process();

	return (long)__atomic_exchange_n(&p->umask, (unsigned)a0 & 0777, __ATOMIC_RELAXED);
}

/* struct statfs, x86-64: ramfs-like numbers. */
static long statfs_out(unsigned long u)
{
	uint64_t s[15] = { 0x858458f6 /* RAMFS_MAGIC */, 4096, 0, 0, 0, 0, 0, 0, 0, 255, 4096, 0 };

	return copy_to_user((void *)u, s, 120) ? -EFAULT : 0;
}

SYSCALL(statfs)
{
	struct vnode *vn;
	long ret = resolve_at(AT_FDCWD, a0, 0, &vn);

	if (ret)
		return ret;
	vnode_put(vn);
	return statfs_out(a1);
}

SYSCALL(fstatfs)
{
	struct file *f = fget((int)a0);

	if (IS_ERR(f))
		return PTR_ERR(f);
	file_put(f);
	return statfs_out(a1);
}

/*
 * Extended attributes: no filesystem here stores any (as a filesystem
 * mounted without xattr support), so every object has none: get and
 * remove answer ENODATA, list an empty list, set EOPNOTSUPP. The object
 * must exist, as in Linux (ls -l asks each file for its ACL).
 */
static int xattr_target(unsigned long upath, bool follow)
{
	struct vnode *vn;
	int ret = resolve_at(AT_FDCWD, upath, follow ? 0 : AT_SYMLINK_NOFOLLOW, &vn);

	if (!ret)
		vnode_put(vn);
	return ret;
}

static int xattr_fd(int fd)
{
	struct file *f = fget(fd);

	if (IS_ERR(f))
		return (int)PTR_ERR(f);
	file_put(f);
	return 0;
}

static long no_xattr(int found, long answer)
{
	return found ? found : answer;
}

SYSCALL(getxattr) { return no_xattr(xattr_target(a0, true), -ENODATA); }
SYSCALL(lgetxattr) { return no_xattr(xattr_target(a0, false), -ENODATA); }
SYSCALL(fgetxattr) { return no_xattr(xattr_fd((int)a0), -ENODATA); }
SYSCALL(listxattr) { return no_xattr(xattr_target(a0, true), 0); }
SYSCALL(llistxattr) { return no_xattr(xattr_target(a0, false), 0); }
SYSCALL(flistxattr) { return no_xattr(xattr_fd((int)a0), 0); }
SYSCALL(setxattr) { return no_xattr(xattr_target(a0, true), -EOPNOTSUPP); }
SYSCALL(lsetxattr) { return no_xattr(xattr_target(a0, false), -EOPNOTSUPP); }
SYSCALL(fsetxattr) { return no_xattr(xattr_fd((int)a0), -EOPNOTSUPP); }
SYSCALL(removexattr) { return no_xattr(xattr_target(a0, true), -ENODATA); }
SYSCALL(lremovexattr) { return no_xattr(xattr_target(a0, false), -ENODATA); }
SYSCALL(fremovexattr) { return no_xattr(xattr_fd((int)a0), -ENODATA); }
