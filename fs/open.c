/*
 * fs/open.c: open(2) on a path. Resolution, O_CREAT, then the checks in
 * the order Linux's do_open() makes them (EEXIST, EISDIR, ENOTDIR, ELOOP,
 * EISDIR for writing a directory), then O_TRUNC, then a struct file whose
 * ops suit the vnode's type (fs/vnode_file.c), or the file a device driver
 * (character device nodes) or the filesystem (generated files) makes.
 */
#include <lib/errno.h>
#include <lib/err.h>

#include "internal.h"
#include "vnode_file.h"

/* The flags a file keeps (the rest only matter while opening). */
#define KEPT_FLAGS (VFS_O_ACCMODE | VFS_O_APPEND | VFS_O_NONBLOCK | VFS_O_DIRECTORY | \
		    VFS_O_CLOEXEC | VFS_O_PATH)
#define PATH_FLAGS (VFS_O_PATH | VFS_O_DIRECTORY | VFS_O_NOFOLLOW | VFS_O_CLOEXEC)

static bool wants_write(unsigned oflags)
{
	return (oflags & VFS_O_ACCMODE) != VFS_O_RDONLY || (oflags & VFS_O_TRUNC);
}

/* The checks on an existing (or just created) vnode; O_TRUNC too. */
static int open_checks(struct vnode *vn, unsigned oflags, bool created)
{
	if (oflags & VFS_O_PATH)
		return 0;
	if (VFS_ISLNK(vn->mode))
		return -ELOOP;
	if (VFS_ISDIR(vn->mode) && wants_write(oflags))
		return -EISDIR;
	if (wants_write(oflags) && (vn->fs->flags & VFS_FS_RDONLY) && !VFS_ISCHR(vn->mode))
		return -EROFS;
	if ((oflags & VFS_O_TRUNC) && !created && VFS_ISREG(vn->mode))
		return vfs_truncate(vn, 0);
	return 0;
}

/* A device's or a filesystem's own file for vn, or NULL for the generic ops. */
static struct file *special_file(struct vnode *vn, unsigned oflags)
{
	if (oflags & VFS_O_PATH)
		return NULL;
	if (VFS_ISCHR(vn->mode))
		return chrdev_open(vn, oflags & KEPT_FLAGS);
	if (vn->fs->ops->open)
		return vn->fs->ops->open(vn, oflags & KEPT_FLAGS);
	return NULL;
}

/* A file on vn (whose reference it takes over on success). */
static struct file *file_on(struct vnode *vn, unsigned oflags)
{
	struct file *f = special_file(vn, oflags);

	if (f) {
		if (!IS_ERR(f))
			vnode_put(vn);	/* the special file took its own if it keeps one */
		return f;
	}
	f = file_alloc(vnode_file_ops(vn, oflags), oflags & KEPT_FLAGS, NULL);
	if (!IS_ERR(f))
		f->vnode = vn;
	return f;
}

struct file *vfs_open_vnode(struct vnode *vn, unsigned oflags)
{
	struct file *f;
	int ret;

	if (oflags & VFS_O_PATH)
		oflags &= PATH_FLAGS;
	if ((oflags & VFS_O_DIRECTORY) && !VFS_ISDIR(vn->mode))
		return ERR_PTR(-ENOTDIR);
	ret = open_checks(vn, oflags, false);
	if (ret)
		return ERR_PTR(ret);
	vnode_get(vn);
	f = file_on(vn, oflags);
	if (IS_ERR(f))
		vnode_put(vn);
	return f;
}

/* O_CREAT of a name the walk did not find. 0 with w->vn set, or -errno. */
static int open_create(struct walk *w, unsigned oflags, uint32_t mode, bool *created)
{
	struct vfs_fs *fs = w->dir->fs;
	int ret = 0;

	mutex_lock(&fs->ns_lock);
	w->vn = fs->ops->lookup(w->dir, w->name, w->len);	/* created meanwhile? */
	if (!w->vn) {
		ret = vfs_create_locked(w->dir, w->name, w->len, VFS_S_IFREG | (mode & 07777),
					NULL, &w->vn);
		*created = !ret;
	} else if (oflags & VFS_O_EXCL) {
		ret = -EEXIST;
	}
	mutex_unlock(&fs->ns_lock);
	return ret;
}

static int open_walked(struct walk *w, unsigned oflags, uint32_t mode)
{
	bool created = false;
	int ret;

	if (oflags & VFS_O_CREAT) {
		if (w->last == LAST_NORM && w->slash)
			return -EISDIR;	/* a link's target ending in "/" */
		if (w->last == LAST_NORM && !w->vn) {
			ret = open_create(w, oflags, mode, &created);
			if (ret)
				return ret;
		} else if (oflags & VFS_O_EXCL) {
			return -EEXIST;
		}
		if (VFS_ISDIR(w->vn->mode))
			return -EISDIR;
	}
	if (!w->vn)
		return -ENOENT;
	if ((w->slash || (oflags & VFS_O_DIRECTORY)) && !VFS_ISDIR(w->vn->mode))
		return -ENOTDIR;
	return open_checks(w->vn, oflags, created);
}

struct file *vfs_open(struct vnode *dir, const char *path, unsigned oflags, uint32_t mode)
{
	bool nofollow;
	struct file *f;
	struct walk w;
	int ret;

	if (oflags & VFS_O_PATH)
		oflags &= PATH_FLAGS;
	if ((oflags & VFS_O_TMPFILE) == VFS_O_TMPFILE)
		return ERR_PTR(-EOPNOTSUPP);
	if ((oflags & VFS_O_CREAT) && (oflags & VFS_O_DIRECTORY))
		return ERR_PTR(-EINVAL);
	nofollow = (oflags & VFS_O_NOFOLLOW) ||
		   ((oflags & VFS_O_CREAT) && (oflags & VFS_O_EXCL));
	ret = walk_path(dir, path, (nofollow ? VFS_LOOKUP_NOFOLLOW : 0) |
			((oflags & VFS_O_CREAT) ? WALK_CREATE : 0), &w);
	if (ret)
		return ERR_PTR(ret);
	ret = open_walked(&w, oflags, mode);
	if (ret) {
		walk_done(&w);
		return ERR_PTR(ret);
	}
	f = file_on(w.vn, oflags);
	if (!IS_ERR(f)) {
		w.vn = NULL;	/* the file has it now */
		if (w.last == LAST_NORM && f->vnode && !f->dir && !VFS_ISDIR(f->vnode->mode)) {
			f->dir = w.dir;	/* for its path (vfs_file_path) */
			w.dir = NULL;
		}
	}
	walk_done(&w);
	return f;
}
