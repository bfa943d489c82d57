/*
 * fs/namespace.c: the operations that change names: mkdir, symlink,
 * link, unlink/rmdir, rename, and the creation helper open(O_CREAT) uses.
 *
 * Each resolves its path(s) without following a final symlink, which
 * gives the parent directory and the last name, then takes the parent
 * filesystem's ns_lock and looks the name up again under it: every check
 * (exists? a directory? empty? a mount point?) and the change itself then
 * see one consistent namespace. The walk's own answer for the last
 * component is never trusted across the unlock. Checks come in the order
 * Linux makes them, so that a call with several faults reports the same
 * errno (tests/unit/fs compares with the host).
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <lib/string.h>

#include "internal.h"

static bool fs_read_only(const struct vnode *dir)
{
	return dir->fs->flags & VFS_FS_RDONLY;
}

/* ns_lock held: the child named, referenced (not mount-crossed), or NULL. */
static struct vnode *child_locked(struct vnode *dir, const char *name, size_t len)
{
	return dir->fs->ops->lookup(dir, name, len);
}

/*
 * Drops a reference taken under ns_lock, after the unlock: the lookup's
 * reference may be the last one once the entry is gone, and evict runs
 * with no lock held.
 */
static void put_maybe(struct vnode *vn)
{
	if (vn)
		vnode_put(vn);
}

int vfs_create_locked(struct vnode *dir, const char *name, size_t len, uint32_t mode,
		      const char *target, struct vnode **out)
{
	struct vnode *vn;

	if (dir->nlink == 0)
		return -ENOENT;		/* the directory was removed */
	if (!dir->fs->ops->create || fs_read_only(dir))
		return -EROFS;
	vn = dir->fs->ops->create(dir, name, len, mode, target);
	if (IS_ERR(vn))
		return (int)PTR_ERR(vn);
	if (out)
		*out = vn;
	else
		vnode_put(vn);	/* the directory entry keeps it alive */
	return 0;
}

/*
 * The creation half shared by mkdir, symlink and link: the parent and
 * name from w, with Linux's filename_create() rules. want_dir allows a
 * trailing slash (mkdir).
 */
static int create_checks(const struct walk *w, bool want_dir)
{
	if (w->last != LAST_NORM || w->vn)
		return -EEXIST;
	if (w->slash && !want_dir)
		return -ENOENT;
	return 0;
}

int vfs_mkdir(struct vnode *dir, const char *path, uint32_t mode)
{
	struct walk w;
	int ret = walk_path(dir, path, WALK_PARENT, &w);
	struct vnode *old;

	if (ret)
		return ret;
	ret = create_checks(&w, true);
	if (!ret) {
		mutex_lock(&w.dir->fs->ns_lock);
		old = child_locked(w.dir, w.name, w.len);
		ret = old ? -EEXIST : vfs_create_locked(w.dir, w.name, w.len,
						      VFS_S_IFDIR | (mode & 01777), NULL, NULL);
		mutex_unlock(&w.dir->fs->ns_lock);
		put_maybe(old);
	}
	walk_done(&w);
	return ret;
}

int vfs_symlink(const char *target, struct vnode *dir, const char *path)
{
	size_t tlen = strnlen(target, VFS_PATH_MAX);
	struct vnode *old;
	struct walk w;
	int ret;

	if (tlen == 0)
		return -ENOENT;
	if (tlen == VFS_PATH_MAX)
		return -ENAMETOOLONG;
	ret = walk_path(dir, path, WALK_PARENT, &w);
	if (ret)
		return ret;
	ret = create_checks(&w, false);
	if (!ret) {
		mutex_lock(&w.dir->fs->ns_lock);
		old = child_locked(w.dir, w.name, w.len);
		ret = old ? -EEXIST : vfs_create_locked(w.dir, w.name, w.len, VFS_S_IFLNK | 0777,
						      target, NULL);
		mutex_unlock(&w.dir->fs->ns_lock);
		put_maybe(old);
	}
	walk_done(&w);
	return ret;
}

static int link_locked(struct walk *w, struct vnode *src, struct vnode **old)
{
	*old = child_locked(w->dir, w->name, w->len);
	if (*old)
		return -EEXIST;
	if (w->dir->nlink == 0 || src->nlink == 0)
		return -ENOENT;		/* a removed directory, or a file with no name left */
	if (!w->dir->fs->ops->link || fs_read_only(w->dir))
		return -EROFS;
	return w->dir->fs->ops->link(w->dir, w->name, w->len, src);
}

int vfs_link(struct vnode *olddir, const char *oldpath, struct vnode *newdir,
	     const char *newpath, unsigned flags)
{
	struct vnode *src, *old = NULL;
	struct walk w;
	int ret;

	if (flags & ~VFS_AT_SYMLINK_FOLLOW)
		return -EINVAL;
	ret = vfs_lookup(olddir, oldpath,
			 (flags & VFS_AT_SYMLINK_FOLLOW) ? 0 : VFS_LOOKUP_NOFOLLOW, &src);
	if (ret)
		return ret;
	ret = walk_path(newdir, newpath, WALK_PARENT, &w);
	if (ret) {
		vnode_put(src);
		return ret;
	}
	ret = create_checks(&w, false);
	if (!ret && src->fs != w.dir->fs)
		ret = -EXDEV;
	if (!ret && VFS_ISDIR(src->mode))
		ret = -EPERM;
	if (!ret) {
		mutex_lock(&w.dir->fs->ns_lock);
		ret = link_locked(&w, src, &old);
		mutex_unlock(&w.dir->fs->ns_lock);
		put_maybe(old);
	}
	walk_done(&w);
	vnode_put(src);
	return ret;
}

long vfs_readlink(struct vnode *dir, const char *path, char *buf, size_t len)
{
	struct vnode *vn;
	long ret = vfs_lookup(dir, path, VFS_LOOKUP_NOFOLLOW, &vn);

	if (ret)
		return ret;
	ret = vfs_readlink_vnode(vn, buf, len);
	vnode_put(vn);
	return ret;
}

/* ---- unlink and rmdir -------------------------------------------------------------- */

static int unlink_last_checks(const struct walk *w, bool rmdir)
{
	if (!rmdir)
		return w->last == LAST_NORM ? 0 : -EISDIR;
	switch (w->last) {
	case LAST_DOT:
		return -EINVAL;
	case LAST_DOTDOT:
		return -ENOTEMPTY;
	case LAST_ROOT:
		return -EBUSY;
	default:
		return 0;
	}
}

/*
 * ns_lock held, vn's last link just gone: if anyone but the caller still holds
 * vn (an open file, a mapping), its name stays for /proc (vfs_file_path's
 * "NAME (deleted)"). Without memory for it the file shows no name instead.
 */
static void keep_unlinked_name(struct vnode *vn, const char *name, size_t len)
{
	char *copy;

	if (VFS_ISDIR(vn->mode) || vn->nlink || vn->unlinked_name ||
	    __atomic_load_n(&vn->refs, __ATOMIC_RELAXED) < 2 || !(copy = fs_alloc(len + 1)))
		return;
	memcpy(copy, name, len);
	copy[len] = 0;
	vn->unlinked_name = copy;
}

static int unlink_locked(struct walk *w, struct vnode *vn, bool rmdir)
{
	struct vfs_fs *fs = w->dir->fs;
	int ret;

	if (rmdir && !VFS_ISDIR(vn->mode))
		return -ENOTDIR;
	if (!rmdir && VFS_ISDIR(vn->mode))
		return -EISDIR;
	if (!rmdir && w->slash)
		return -ENOTDIR;
	if (vn->covered_by)
		return -EBUSY;
	if (!fs->ops->unlink || fs_read_only(w->dir))
		return -EROFS;
	if (rmdir && !fs->ops->dir_empty(vn))
		return -ENOTEMPTY;
	ret = fs->ops->unlink(w->dir, w->name, w->len, vn);
	if (!ret)
		keep_unlinked_name(vn, w->name, w->len);
	return ret;
}

int vfs_unlink(struct vnode *dir, const char *path, unsigned flags)
{
	bool rmdir = flags & VFS_AT_REMOVEDIR;
	struct vnode *vn = NULL;
	struct walk w;
	int ret;

	if (flags & ~VFS_AT_REMOVEDIR)
		return -EINVAL;
	ret = walk_path(dir, path, WALK_PARENT, &w);
	if (ret)
		return ret;
	ret = unlink_last_checks(&w, rmdir);
	if (!ret) {
		mutex_lock(&w.dir->fs->ns_lock);
		vn = child_locked(w.dir, w.name, w.len);
		ret = vn ? unlink_locked(&w, vn, rmdir) : -ENOENT;
		mutex_unlock(&w.dir->fs->ns_lock);
	}
	put_maybe(vn);
	walk_done(&w);
	return ret;
}

/* ---- rename --------------------------------------------------------------------------- */

/* Whether directory a is d or one of its ancestors (same filesystem, ns_lock held). */
static bool is_ancestor(const struct vnode *a, const struct vnode *d)
{
	for (;;) {
		if (d == a)
			return true;
		if (vnode_is_fs_root(d) || d->nlink == 0)
			return false;
		d = d->parent;
	}
}

struct rename_args {
	struct walk *ow, *nw;
	struct vnode *old, *new;	/* looked up under the lock */
	unsigned flags;
};

static int rename_type_checks(struct rename_args *a)
{
	bool exchange = a->flags & VFS_RENAME_EXCHANGE;

	if (!a->old)
		return -ENOENT;
	if ((a->flags & VFS_RENAME_NOREPLACE) && a->new)
		return -EEXIST;
	if (exchange && !a->new)
		return -ENOENT;
	if (exchange && !VFS_ISDIR(a->new->mode) && a->nw->slash)
		return -ENOTDIR;
	if (!VFS_ISDIR(a->old->mode) && (a->ow->slash || (!exchange && a->nw->slash)))
		return -ENOTDIR;
	if (VFS_ISDIR(a->old->mode) && a->ow->dir != a->nw->dir &&
	    is_ancestor(a->old, a->nw->dir))
		return -EINVAL;
	if (a->new && VFS_ISDIR(a->new->mode) && a->ow->dir != a->nw->dir &&
	    is_ancestor(a->new, a->ow->dir))
		return exchange ? -EINVAL : -ENOTEMPTY;
	return 0;
}

static int rename_locked(struct rename_args *a)
{
	struct vfs_fs *fs = a->ow->dir->fs;
	int ret = rename_type_checks(a);

	if (ret || a->old == a->new)
		return ret;
	if (!(a->flags & VFS_RENAME_EXCHANGE) && a->new) {
		if (VFS_ISDIR(a->old->mode) && !VFS_ISDIR(a->new->mode))
			return -ENOTDIR;
		if (!VFS_ISDIR(a->old->mode) && VFS_ISDIR(a->new->mode))
			return -EISDIR;
	}
	if (a->old->covered_by || (a->new && a->new->covered_by))
		return -EBUSY;
	if (!fs->ops->rename || fs_read_only(a->ow->dir))
		return -EROFS;
	if (a->nw->dir->nlink == 0)
		return -ENOENT;
	if (!(a->flags & VFS_RENAME_EXCHANGE) && a->new && VFS_ISDIR(a->new->mode) &&
	    !fs->ops->dir_empty(a->new))
		return -ENOTEMPTY;
	ret = fs->ops->rename(a->ow->dir, a->ow->name, a->ow->len, a->old, a->nw->dir,
			      a->nw->name, a->nw->len, a->new, a->flags);
	if (!ret && a->new && !(a->flags & VFS_RENAME_EXCHANGE))
		keep_unlinked_name(a->new, a->nw->name, a->nw->len);	/* replaced */
	return ret;
}

static int rename_walked(struct walk *ow, struct walk *nw, unsigned flags)
{
	struct rename_args a = { .ow = ow, .nw = nw, .flags = flags };
	struct vfs_fs *fs = ow->dir->fs;
	int ret;

	if (fs != nw->dir->fs)
		return -EXDEV;
	if (ow->last != LAST_NORM)
		return -EBUSY;
	if (nw->last != LAST_NORM)
		return (flags & VFS_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	mutex_lock(&fs->ns_lock);
	a.old = child_locked(ow->dir, ow->name, ow->len);
	a.new = child_locked(nw->dir, nw->name, nw->len);
	ret = rename_locked(&a);
	mutex_unlock(&fs->ns_lock);
	put_maybe(a.old);
	put_maybe(a.new);
	return ret;
}

int vfs_rename(struct vnode *olddir, const char *oldpath, struct vnode *newdir,
	       const char *newpath, unsigned flags)
{
	struct walk ow, nw;
	int ret;

	if (flags & ~(VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & VFS_RENAME_NOREPLACE) && (flags & VFS_RENAME_EXCHANGE))
		return -EINVAL;
	ret = walk_path(olddir, oldpath, WALK_PARENT, &ow);
	if (ret)
		return ret;
	ret = walk_path(newdir, newpath, WALK_PARENT, &nw);
	if (!ret) {
		ret = rename_walked(&ow, &nw, flags);
		walk_done(&nw);
	}
	walk_done(&ow);
	return ret;
}
