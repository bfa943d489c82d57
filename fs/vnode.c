/*
 * fs/vnode.c: vnode life cycle and the attribute operations.
 *
 * Attributes live in struct vnode, so stat, chmod, chown, utimensat and
 * access are the same for every filesystem and need no filesystem op: they
 * take vn->lock, read or change the fields, and (on a change) set ctime.
 */
#include <lib/errno.h>
#include <lib/string.h>

#include "internal.h"

void *malloc(size_t size);
void free(void *p);

/* ---- Allocation with failure injection --------------------------------------------- */

static unsigned long fail_countdown;	/* atomic; 0: off */

void vfs_fail_alloc_after(unsigned long n)
{
	__atomic_store_n(&fail_countdown, n, __ATOMIC_SEQ_CST);
}

static bool injected_failure(void)
{
	unsigned long n = __atomic_load_n(&fail_countdown, __ATOMIC_SEQ_CST);

	while (n) {
		if (__atomic_compare_exchange_n(&fail_countdown, &n, n - 1, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return n == 1;
	}
	return false;
}

void *fs_alloc(size_t size)
{
	return injected_failure() ? NULL : malloc(size);
}

void *fs_zalloc(size_t size)
{
	void *p = fs_alloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void fs_free(void *p)
{
	free(p);
}

void *fs_page_alloc(void)
{
	void *p = injected_failure() ? NULL : fs_page_backend_alloc();

	if (p)
		memset(p, 0, 4096);
	return p;
}

void fs_page_release(void *page)
{
	fs_page_backend_release(page);
}

/* ---- Clock ------------------------------------------------------------------------- */

static uint64_t (*clock_hook)(void);

void vfs_set_clock(uint64_t (*realtime_ns)(void))
{
	clock_hook = realtime_ns;
}

struct ktimespec vfs_now(void)
{
	uint64_t ns = clock_hook ? clock_hook() : 0;

	return (struct ktimespec){ (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u) };
}

void vfs_touch(struct vnode *vn, unsigned which)
{
	struct ktimespec now = vfs_now();

	if (which & VFS_TOUCH_A)
		vn->atime = now;
	if (which & VFS_TOUCH_M)
		vn->mtime = now;
	if (which & VFS_TOUCH_C)
		vn->ctime = now;
}

/* ---- Life cycle ----------------------------------------------------------------------- */

void vnode_init(struct vnode *vn, struct vfs_fs *fs, uint32_t mode)
{
	memset(vn, 0, sizeof(*vn));
	vn->refs = 1;
	vn->fs = fs;
	vn->mode = mode;
	vn->nlink = 1;
	mutex_init(&vn->lock);
	vn->btime = vn->atime = vn->mtime = vn->ctime = vfs_now();
}

void vnode_get(struct vnode *vn)
{
	__atomic_add_fetch(&vn->refs, 1, __ATOMIC_RELAXED);
}

void vnode_put(struct vnode *vn)
{
	if (__atomic_sub_fetch(&vn->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		fs_free(vn->unlinked_name);
		vn->fs->ops->evict(vn);
	}
}

static uint64_t next_dev = 1;	/* atomic */

void vfs_fs_init(struct vfs_fs *fs, const struct vfs_fs_ops *ops, unsigned flags)
{
	memset(fs, 0, sizeof(*fs));
	fs->ops = ops;
	fs->flags = flags;
	fs->next_ino = 1;
	fs->dev = __atomic_fetch_add(&next_dev, 1, __ATOMIC_RELAXED);
	mutex_init(&fs->ns_lock);
}

/* ---- Attributes ------------------------------------------------------------------------ */

int vfs_stat(struct vnode *vn, struct kstat *st)
{
	mutex_lock(&vn->lock);
	*st = (struct kstat){
		.dev = vn->fs->dev, .ino = vn->ino, .mode = vn->mode, .nlink = vn->nlink,
		.uid = vn->uid, .gid = vn->gid, .rdev = vn->rdev, .size = (int64_t)vn->size,
		.blksize = 4096, .blocks = vn->blocks,
		.atime = vn->atime, .mtime = vn->mtime, .ctime = vn->ctime, .btime = vn->btime,
	};
	mutex_unlock(&vn->lock);
	return 0;
}

static bool read_only(const struct vnode *vn)
{
	return vn->fs->flags & VFS_FS_RDONLY;
}

int vfs_chmod(struct vnode *vn, uint32_t mode)
{
	if (read_only(vn))
		return -EROFS;
	mutex_lock(&vn->lock);
	vn->mode = (vn->mode & VFS_S_IFMT) | (mode & VFS_PERM_MASK);
	vfs_touch(vn, VFS_TOUCH_C);
	mutex_unlock(&vn->lock);
	return 0;
}

int vfs_chown(struct vnode *vn, uint32_t uid, uint32_t gid)
{
	if (read_only(vn))
		return -EROFS;
	mutex_lock(&vn->lock);
	if (uid != (uint32_t)-1)
		vn->uid = uid;
	if (gid != (uint32_t)-1)
		vn->gid = gid;
	/* Like Linux: a chown of a non-directory clears set-user-ID (root keeps nothing). */
	if (!VFS_ISDIR(vn->mode) && (uid != (uint32_t)-1 || gid != (uint32_t)-1))
		vn->mode &= ~(uint32_t)(VFS_S_ISUID | ((vn->mode & 010) ? VFS_S_ISGID : 0));
	vfs_touch(vn, VFS_TOUCH_C);
	mutex_unlock(&vn->lock);
	return 0;
}

static bool utime_valid(const struct ktimespec *t)
{
	return t->nsec == VFS_UTIME_NOW || t->nsec == VFS_UTIME_OMIT ||
	       (t->nsec >= 0 && t->nsec < 1000000000);
}

static void utime_apply(struct ktimespec *field, const struct ktimespec *t,
			struct ktimespec now)
{
	if (t->nsec == VFS_UTIME_NOW)
		*field = now;
	else if (t->nsec != VFS_UTIME_OMIT)
		*field = *t;
}

int vfs_utimens(struct vnode *vn, const struct ktimespec *ts)
{
	struct ktimespec now = vfs_now();

	if (ts && (!utime_valid(&ts[0]) || !utime_valid(&ts[1])))
		return -EINVAL;
	if (ts && ts[0].nsec == VFS_UTIME_OMIT && ts[1].nsec == VFS_UTIME_OMIT)
		return 0;
	if (read_only(vn))
		return -EROFS;
	mutex_lock(&vn->lock);
	if (ts) {
		utime_apply(&vn->atime, &ts[0], now);
		utime_apply(&vn->mtime, &ts[1], now);
	} else {
		vn->atime = vn->mtime = now;
	}
	vn->ctime = now;
	mutex_unlock(&vn->lock);
	return 0;
}

int vfs_access(struct vnode *vn, int mode)
{
	if (mode & ~(VFS_R_OK | VFS_W_OK | VFS_X_OK))
		return -EINVAL;
	if ((mode & VFS_W_OK) && read_only(vn))
		return -EROFS;
	/* Root may search any directory and run anything with some x bit. */
	if ((mode & VFS_X_OK) && !VFS_ISDIR(vn->mode) && !(vn->mode & 0111))
		return -EACCES;
	return 0;
}

int vfs_check_exec(struct vnode *vn)
{
	if (!VFS_ISREG(vn->mode) || !(vn->mode & 0111))
		return -EACCES;
	return 0;
}

int vfs_truncate(struct vnode *vn, uint64_t len)
{
	int ret;

	if (VFS_ISDIR(vn->mode))
		return -EISDIR;
	if (!VFS_ISREG(vn->mode))
		return -EINVAL;
	if (len > INT64_MAX)
		return -EINVAL;
	if (read_only(vn))
		return -EROFS;
	if (!vn->fs->ops->truncate)
		return -EINVAL;
	mutex_lock(&vn->lock);
	ret = vn->fs->ops->truncate(vn, len);
	if (!ret)
		vfs_touch(vn, VFS_TOUCH_M | VFS_TOUCH_C);
	mutex_unlock(&vn->lock);
	return ret;
}

long vfs_readlink_vnode(struct vnode *vn, char *buf, size_t len)
{
	long ret;

	if (!VFS_ISLNK(vn->mode) || !vn->fs->ops->readlink)
		return -EINVAL;
	mutex_lock(&vn->lock);
	ret = vn->fs->ops->readlink(vn, buf, len);
	mutex_unlock(&vn->lock);
	return ret;
}
