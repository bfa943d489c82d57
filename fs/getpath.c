/*
 * fs/getpath.c: a directory's absolute path, for getcwd.
 *
 * Directories know their parent and their name in it (ramfs keeps both
 * up to date under ns_lock through rename), so the path is built from the
 * end backwards, one ns_lock at a time, crossing from a mount's root to
 * the directory it covers. Built in a page-sized buffer as Linux does:
 * longer paths are -ENAMETOOLONG.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/vm.h>

#include "internal.h"

/*
 * Prepends "/name" of cur and moves *cur to its parent (reference passed
 * on). 0, -ENOENT (removed), -ENAMETOOLONG.
 */
static int prepend_name(struct vnode **cur, char *start, char **p)
{
	struct vnode *vn = *cur, *parent;
	int ret = 0;

	mutex_lock(&vn->fs->ns_lock);
	if (vn->nlink == 0) {
		ret = -ENOENT;
	} else if ((size_t)(*p - start) < vn->name_len + 1) {
		ret = -ENAMETOOLONG;
	} else {
		*p -= vn->name_len;
		memcpy(*p, vn->name, vn->name_len);
		*--*p = '/';
	}
	parent = vn->parent;
	vnode_get(parent);
	mutex_unlock(&vn->fs->ns_lock);
	vnode_put(vn);
	*cur = parent;
	return ret;
}

static int build_path(struct vnode *cur, char *start, char **p)
{
	int ret = 0;

	vnode_get(cur);
	while (!ret) {
		if (vnode_is_fs_root(cur)) {
			struct vnode *covered = mount_covered(cur);

			if (!covered)
				break;		/* the root of everything */
			vnode_put(cur);
			cur = covered;
			continue;
		}
		ret = prepend_name(&cur, start, p);
	}
	vnode_put(cur);
	return ret;
}

long vfs_getpath(struct vnode *vn, char *buf, size_t size)
{
	char *tmp = fs_alloc(VFS_PATH_MAX), *end, *p;
	long len;
	int ret;

	if (!tmp)
		return -ENOMEM;
	end = tmp + VFS_PATH_MAX;
	p = end;
	*--p = 0;
	ret = build_path(vn, tmp, &p);
	if (!ret && p == end - 1)
		*--p = '/';
	len = ret ? ret : end - p;
	if (len > 0 && (size_t)len > size)
		len = -ERANGE;
	else if (len > 0)
		memcpy(buf, p, (size_t)len);
	fs_free(tmp);
	return len;
}

/* ---- The path of an open file (/proc/self/fd/N) ------------------------------------- */

struct name_search {
	uint64_t ino;
	char *buf;
	size_t room;
	long found;		/* the name's length, or -ENOENT */
};

static bool match_ino(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		      uint64_t next)
{
	struct name_search *s = ctx;

	(void)type;
	(void)next;
	if (ino != s->ino)
		return true;
	if (len > s->room)
		len = s->room;
	memcpy(s->buf, name, len);
	s->found = (long)len;
	return false;
}

/*
 * The name vn has in dir, found by its inode number (files keep no name:
 * a hard-linked file may show any of its names). Written at buf; its
 * length, or -ENOENT if vn is no longer in dir.
 */
static long name_in_dir(struct vnode *dir, struct vnode *vn, char *buf, size_t room)
{
	struct name_search s = { .ino = vn->ino, .buf = buf, .room = room, .found = -ENOENT };
	uint64_t pos = 2;

	mutex_lock(&dir->fs->ns_lock);
	if (dir->nlink && dir->fs->ops->readdir)
		dir->fs->ops->readdir(dir, &pos, match_ino, &s);
	mutex_unlock(&dir->fs->ns_lock);
	return s.found;
}

/*
 * "NAME (deleted)" at buf for a file whose last link went while it was held, as
 * Linux shows it; its length, or -ENOENT for one moved elsewhere or without a kept name.
 */
static long deleted_name(struct vnode *vn, char *buf)
{
	long n = -ENOENT;

	mutex_lock(&vn->fs->ns_lock);
	if (!vn->nlink && vn->unlinked_name) {
		size_t len = strnlen(vn->unlinked_name, VFS_NAME_MAX);

		memcpy(buf, vn->unlinked_name, len);
		memcpy(buf + len, VM_DELETED_SUFFIX, sizeof(VM_DELETED_SUFFIX) - 1);
		n = (long)(len + sizeof(VM_DELETED_SUFFIX) - 1);
	}
	mutex_unlock(&vn->fs->ns_lock);
	return n;
}

/* A directory's path without the NUL, truncated to len. */
static long dir_path(struct vnode *dir, char *buf, size_t len)
{
	char *tmp = fs_alloc(VFS_PATH_MAX);
	long n = tmp ? vfs_getpath(dir, tmp, VFS_PATH_MAX) : -ENOMEM;

	if (n > 0) {
		n--;
		if ((size_t)n > len)
			n = (long)len;
		memcpy(buf, tmp, (size_t)n);
	}
	fs_free(tmp);
	return n;
}

long vfs_file_path(struct file *f, char *buf, size_t len)
{
	char *tmp;
	long n, name;

	if (!f->vnode)
		return -ENOENT;
	if (VFS_ISDIR(f->vnode->mode))
		return dir_path(f->vnode, buf, len);
	if (!f->dir)
		return -ENOENT;
	tmp = fs_alloc(VFS_PATH_MAX + 1 + VFS_NAME_MAX + sizeof(VM_DELETED_SUFFIX));
	if (!tmp)
		return -ENOMEM;
	n = dir_path(f->dir, tmp, VFS_PATH_MAX);
	if (n > 0) {
		if (n > 1)
			tmp[n++] = '/';
		name = name_in_dir(f->dir, f->vnode, tmp + n, VFS_NAME_MAX);
		if (name == -ENOENT)
			name = deleted_name(f->vnode, tmp + n);
		n = name < 0 ? name : n + name;
	}
	if (n > 0) {
		if ((size_t)n > len)
			n = (long)len;
		memcpy(buf, tmp, (size_t)n);
	}
	fs_free(tmp);
	return n;
}
