/*
 * fs/vnode_file.c: the file ops of files opened on vnodes.
 *
 * Three tables: regular files (read, write, seek through the filesystem's
 * data ops), directories (getdents, seek by position cookie) and O_PATH
 * handles (nothing but stat: every I/O is -EBADF, as in Linux).
 *
 * Locks: f->pos_lock serialises users of one file's position (two threads
 * reading one descriptor each get their own bytes); vn->lock makes each
 * read or write atomic with respect to the size, so an O_APPEND write
 * finds the end and writes there in one step. Order: pos_lock, then the
 * filesystem's ns_lock (getdents) or vn->lock.
 *
 * Directory positions: 0 is ".", 1 is "..", and from 2 on the positions
 * are the filesystem's stable cookies (ramfs: entry serial numbers), so a
 * directory changed between getdents calls neither repeats nor loses an
 * entry that stayed, and an lseek back to a d_off resumes there.
 */
#include <lib/errno.h>
#include <lib/string.h>

#include "internal.h"
#include "vnode_file.h"

#define MAX_RW_COUNT 0x7ffff000UL	/* Linux's cap on one read or write */

static bool readable(const struct file *f)
{
	unsigned acc = f->flags & FILE_ACCMODE;

	return acc == VFS_O_RDONLY || acc == VFS_O_RDWR;
}

static bool writable(const struct file *f)
{
	unsigned acc = f->flags & FILE_ACCMODE;

	return acc == VFS_O_WRONLY || acc == VFS_O_RDWR;
}

/* ---- Regular files ------------------------------------------------------------------ */

long vnode_read(struct vnode *vn, void *buf, size_t len, uint64_t off)
{
	long n = 0;

	if (off > INT64_MAX)
		return -EINVAL;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	mutex_lock(&vn->lock);
	if (off < vn->size && len) {
		if (len > vn->size - off)
			len = vn->size - off;
		n = vn->fs->ops->read(vn, buf, len, off);
	}
	mutex_unlock(&vn->lock);
	return n;
}

/* Writes at *off (at the end with append); advances *off by what was written. */
static long write_at(struct vnode *vn, const void *buf, size_t len, uint64_t *off, bool append)
{
	long n;

	if (*off > INT64_MAX)
		return -EINVAL;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!vn->fs->ops->write)
		return -EINVAL;
	if (vn->fs->flags & VFS_FS_RDONLY)
		return -EROFS;
	if (!len)
		return 0;
	mutex_lock(&vn->lock);
	if (append)
		*off = vn->size;
	n = vn->fs->ops->write(vn, buf, len, *off);
	if (n > 0) {
		*off += (uint64_t)n;
		vfs_touch(vn, VFS_TOUCH_M | VFS_TOUCH_C);
	}
	mutex_unlock(&vn->lock);
	return n;
}

static long reg_read(struct file *f, void *buf, size_t len)
{
	long n;

	if (!readable(f))
		return -EBADF;
	mutex_lock(&f->pos_lock);
	n = vnode_read(f->vnode, buf, len, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	mutex_unlock(&f->pos_lock);
	return n;
}

static long reg_write(struct file *f, const void *buf, size_t len)
{
	uint64_t off;
	long n;

	if (!writable(f))
		return -EBADF;
	mutex_lock(&f->pos_lock);
	off = f->pos;
	n = write_at(f->vnode, buf, len, &off, f->flags & FILE_APPEND);
	if (n >= 0)
		f->pos = off;
	mutex_unlock(&f->pos_lock);
	return n;
}

static long reg_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	if (!readable(f))
		return -EBADF;
	return vnode_read(f->vnode, buf, len, off);
}

/* Like Linux, pwrite on an O_APPEND file appends (and ignores off). */
static long reg_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	if (!writable(f))
		return -EBADF;
	return write_at(f->vnode, buf, len, &off, f->flags & FILE_APPEND);
}

static int64_t seek_data_hole(struct vnode *vn, int64_t off, int whence)
{
	int64_t ret;

	mutex_lock(&vn->lock);
	if (off < 0 || (uint64_t)off >= vn->size)
		ret = -ENXIO;
	else if (vn->fs->ops->seek_data)
		ret = vn->fs->ops->seek_data(vn, (uint64_t)off, whence);
	else
		ret = whence == VFS_SEEK_DATA ? off : (int64_t)vn->size;
	mutex_unlock(&vn->lock);
	return ret;
}

static int64_t reg_lseek(struct file *f, int64_t off, int whence)
{
	struct vnode *vn = f->vnode;
	int64_t base = 0, pos;

	mutex_lock(&f->pos_lock);
	switch (whence) {
	case VFS_SEEK_SET:
		break;
	case VFS_SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case VFS_SEEK_END:
		mutex_lock(&vn->lock);
		base = (int64_t)vn->size;
		mutex_unlock(&vn->lock);
		break;
	case VFS_SEEK_DATA:
	case VFS_SEEK_HOLE:
		pos = seek_data_hole(vn, off, whence);
		goto done;
	default:
		pos = -EINVAL;
		goto done;
	}
	if (__builtin_add_overflow(base, off, &pos) || pos < 0)
		pos = -EINVAL;
done:
	if (pos >= 0)
		f->pos = (uint64_t)pos;
	mutex_unlock(&f->pos_lock);
	return pos;
}

static unsigned reg_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	(void)w;
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static int vn_stat(struct file *f, struct kstat *st)
{
	return vfs_stat(f->vnode, st);
}

static int reg_truncate(struct file *f, uint64_t len)
{
	if (!writable(f))
		return -EINVAL;
	return vfs_truncate(f->vnode, len);
}

static int vn_fsync(struct file *f)
{
	(void)f;
	return 0;	/* memory is the medium */
}

static void vn_release(struct file *f)
{
	vnode_put(f->vnode);
}

static const struct file_ops reg_ops = {
	.read = reg_read, .write = reg_write, .pread = reg_pread, .pwrite = reg_pwrite,
	.lseek = reg_lseek, .poll = reg_poll, .stat = vn_stat, .truncate = reg_truncate,
	.fsync = vn_fsync, .release = vn_release,
};

/* ---- Directories ------------------------------------------------------------------------ */

struct dirent_buf {
	char *buf;
	size_t len, used;
	bool full;	/* a record did not fit */
};

static bool fill_dirent(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			uint64_t next)
{
	struct dirent_buf *d = ctx;
	size_t reclen = (offsetof(struct vfs_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	struct vfs_dirent64 *de = (struct vfs_dirent64 *)(d->buf + d->used);

	if (d->used + reclen > d->len) {
		d->full = true;
		return false;
	}
	memset(de, 0, reclen);
	de->d_ino = ino;
	de->d_off = (int64_t)next;
	de->d_reclen = (uint16_t)reclen;
	de->d_type = (uint8_t)type;
	memcpy(de->d_name, name, len);
	d->used += reclen;
	return true;
}

/* The inode number ".." reports (ns_lock held). */
static uint64_t parent_ino(struct vnode *dir)
{
	if (vnode_is_fs_root(dir)) {
		struct vnode *covered = mount_covered(dir);
		uint64_t ino = covered ? covered->parent->ino : dir->ino;

		if (covered)
			vnode_put(covered);	/* still covered: never the last reference */
		return ino;
	}
	return dir->parent->ino;
}

/* ".", "..", then the filesystem's entries, from *pos on (ns_lock held). */
static int readdir_locked(struct vnode *dir, uint64_t *pos, struct dirent_buf *d)
{
	if (*pos == 0) {
		if (!fill_dirent(d, ".", 1, dir->ino, VFS_DT_DIR, 1))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		if (!fill_dirent(d, "..", 2, parent_ino(dir), VFS_DT_DIR, 2))
			return 0;
		*pos = 2;
	}
	return dir->fs->ops->readdir(dir, pos, fill_dirent, d);
}

static long dir_getdents(struct file *f, void *buf, size_t len)
{
	struct dirent_buf d = { .buf = buf, .len = len };
	struct vnode *dir = f->vnode;
	int ret;

	mutex_lock(&f->pos_lock);
	mutex_lock(&dir->fs->ns_lock);
	if (dir->nlink == 0) {
		ret = -ENOENT;	/* removed: Linux lists nothing, not even "." */
	} else {
		uint64_t pos = f->pos;

		ret = readdir_locked(dir, &pos, &d);
		f->pos = pos;
	}
	mutex_unlock(&dir->fs->ns_lock);
	mutex_unlock(&f->pos_lock);
	if (ret)
		return ret;
	if (d.used == 0 && d.full)
		return -EINVAL;		/* not even one record fits */
	return (long)d.used;
}

static int64_t dir_lseek(struct file *f, int64_t off, int whence)
{
	int64_t pos;

	mutex_lock(&f->pos_lock);
	if (whence == VFS_SEEK_SET)
		pos = off;
	else if (whence != VFS_SEEK_CUR || __builtin_add_overflow((int64_t)f->pos, off, &pos))
		pos = -EINVAL;
	if (pos < 0)
		pos = -EINVAL;
	else
		f->pos = (uint64_t)pos;
	mutex_unlock(&f->pos_lock);
	return pos;
}

static long dir_read(struct file *f, void *buf, size_t len)
{
	(void)f;
	(void)buf;
	(void)len;
	return -EISDIR;
}

static long dir_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dir_read(f, buf, len);
}

/* A directory is never open for writing (open says -EISDIR), so: not writable. */
static long dir_write(struct file *f, const void *buf, size_t len)
{
	(void)f;
	(void)buf;
	(void)len;
	return -EBADF;
}

static long dir_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	(void)off;
	return dir_write(f, buf, len);
}

static const struct file_ops dir_ops = {
	.read = dir_read, .pread = dir_pread, .write = dir_write, .pwrite = dir_pwrite,
	.lseek = dir_lseek, .poll = reg_poll,
	.stat = vn_stat, .getdents = dir_getdents, .fsync = vn_fsync, .release = vn_release,
};

/* ---- O_PATH handles ------------------------------------------------------------------------ */

static long path_read(struct file *f, void *buf, size_t len)
{
	(void)f;
	(void)buf;
	(void)len;
	return -EBADF;
}

static long path_write(struct file *f, const void *buf, size_t len)
{
	(void)f;
	(void)buf;
	(void)len;
	return -EBADF;
}

static long path_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	(void)off;
	return path_read(f, buf, len);
}

static long path_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	(void)off;
	return path_write(f, buf, len);
}

static int64_t path_lseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return -EBADF;
}

static long path_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	(void)f;
	(void)cmd;
	(void)arg;
	return -EBADF;
}

static unsigned path_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	(void)w;
	return POLLNVAL;
}

static int path_truncate(struct file *f, uint64_t len)
{
	(void)f;
	(void)len;
	return -EBADF;
}

static int path_fsync(struct file *f)
{
	(void)f;
	return -EBADF;
}

static const struct file_ops path_ops = {
	.read = path_read, .write = path_write, .pread = path_pread, .pwrite = path_pwrite,
	.lseek = path_lseek, .ioctl = path_ioctl, .poll = path_poll, .stat = vn_stat,
	.getdents = path_read, .truncate = path_truncate, .fsync = path_fsync,
	.release = vn_release,
};

const struct file_ops *vnode_file_ops(const struct vnode *vn, unsigned oflags)
{
	if (oflags & VFS_O_PATH)
		return &path_ops;
	return VFS_ISDIR(vn->mode) ? &dir_ops : &reg_ops;
}
