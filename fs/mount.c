/*
 * fs/mount.c: the mount table.
 *
 * A mount joins a filesystem instance's root to a directory of the tree
 * (the root mount to nothing). Mounts are made at boot and never undone,
 * so a walk reads vn->covered_by and mount->covered without a lock: the
 * pointers are published with release stores after the mount is complete
 * and never change afterwards. mount_lock only serialises the mounters.
 */
#include <lib/errno.h>
#include <lib/err.h>

#include "internal.h"

struct mount {
	struct vfs_fs *fs;
	struct vnode *covered;	/* the directory it hides, referenced; NULL for the root */
};

static struct mutex mount_lock = MUTEX_INIT(mount_lock);
static struct vnode *root_vnode;	/* published with release */

struct vnode *vfs_root(void)
{
	struct vnode *r = __atomic_load_n(&root_vnode, __ATOMIC_ACQUIRE);

	if (r)
		vnode_get(r);
	return r;
}

static int mount_attach(struct vfs_fs *fs, struct vnode *covered)
{
	struct mount *m = fs_zalloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->fs = fs;
	m->covered = covered;
	fs->mount = m;
	if (covered)
		__atomic_store_n(&covered->covered_by, m, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&root_vnode, fs->root, __ATOMIC_RELEASE);
	return 0;
}

int vfs_mount_root(struct vfs_fs *fs)
{
	int ret = -EBUSY;

	mutex_lock(&mount_lock);
	if (!root_vnode && !fs->mount)
		ret = mount_attach(fs, NULL);
	mutex_unlock(&mount_lock);
	return ret;
}

int vfs_mount(const char *path, struct vfs_fs *fs)
{
	struct vnode *dir;
	int ret = vfs_lookup(NULL, path, VFS_LOOKUP_DIRECTORY, &dir);

	if (ret)
		return ret;
	mutex_lock(&mount_lock);
	if (dir->covered_by || fs->mount)
		ret = -EBUSY;
	else
		ret = mount_attach(fs, dir);	/* keeps the reference on dir */
	mutex_unlock(&mount_lock);
	if (ret)
		vnode_put(dir);
	return ret;
}

struct vnode *mount_cross(struct vnode *vn)
{
	struct mount *m;

	while ((m = __atomic_load_n(&vn->covered_by, __ATOMIC_ACQUIRE))) {
		struct vnode *root = m->fs->root;

		vnode_get(root);
		vnode_put(vn);
		vn = root;
	}
	return vn;
}

struct vnode *mount_covered(struct vnode *fs_root)
{
	struct mount *m = fs_root->fs->mount;

	if (!m || !m->covered)
		return NULL;
	vnode_get(m->covered);
	return m->covered;
}
