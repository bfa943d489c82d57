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
