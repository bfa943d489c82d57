/*
 * fs/populate.c: filling the root filesystem at boot (the boot bundle's
 * files, directories and symlinks). Absolute paths only; missing parents
 * are made 0755, as `mkdir -p` would.
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <lib/string.h>
#include <mote/vm.h>

#include "internal.h"

/* mkdir of one prefix: an existing directory is fine, anything else there is not. */
static int mkdir_one(const char *path, uint32_t mode)
{
	struct vnode *vn;
	int ret = vfs_mkdir(NULL, path, mode);

	if (ret != -EEXIST)
		return ret;
	ret = vfs_lookup(NULL, path, VFS_LOOKUP_DIRECTORY, &vn);
	if (!ret)
		vnode_put(vn);
	return ret;
}

/* mkdir -p of the first n bytes of path. */
static int mkdir_prefix(const char *path, size_t n, uint32_t mode)
{
	char *buf;
	int ret = 0;

	if (n >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	buf = fs_alloc(n + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 1; i <= n && !ret; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (path[i - 1] == '/')
			continue;	/* an empty component: "//" */
		memcpy(buf, path, i);
		buf[i] = 0;
		ret = mkdir_one(buf, mode);
	}
	fs_free(buf);
	return ret;
}

int vfs_mkdir_p(const char *path, uint32_t mode)
{
	if (path[0] != '/')
		return -EINVAL;
	return mkdir_prefix(path, strnlen(path, VFS_PATH_MAX), mode);
}

/* Makes the parents of path (absolute). */
static int make_parents(const char *path)
{
	size_t n;

	if (path[0] != '/')
		return -EINVAL;
	n = strnlen(path, VFS_PATH_MAX);
	while (n > 0 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	return mkdir_prefix(path, n, 0755);
}

/*
 * Page off of data: handed to the file if take() gives it up and the
 * filesystem keeps pages, else copied.
 */
static int fill_page(struct file *f, const char *data, size_t len, uint64_t off,
		     void *(*take)(const void *page))
{
	struct vnode *vn = f->vnode;
	size_t n = len - off < VM_PAGE_SIZE ? len - off : VM_PAGE_SIZE;
	void *page = take && vn->fs->ops->give_page ? take(data + off) : NULL;
	long done;
	int ret;

	if (page) {
		mutex_lock(&vn->lock);
		ret = vn->fs->ops->give_page(vn, off, page);
		mutex_unlock(&vn->lock);
		if (ret)
			fs_page_release(page);
		return ret;
	}
	done = f->ops->pwrite(f, data + off, n, off);
	return done == (long)n ? 0 : done < 0 ? (int)done : -EIO;
}

int vfs_create_file_pages(const char *path, uint32_t mode, const void *data, size_t len,
			  void *(*take)(const void *page))
{
	struct file *f;
	int ret = make_parents(path);

	if (ret)
		return ret;
	f = vfs_open(NULL, path, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC | VFS_O_NOFOLLOW,
		     mode);
	if (IS_ERR(f))
		return (int)PTR_ERR(f);
	ret = vfs_truncate(f->vnode, len);	/* all holes, for the pages to fill */
	for (uint64_t off = 0; !ret && off < len; off += VM_PAGE_SIZE)
		ret = fill_page(f, data, len, off, take);
	if (!ret)
		ret = vfs_chmod(f->vnode, mode);	/* an existing file keeps its mode otherwise */
	file_put(f);
	return ret;
}

int vfs_create_file(const char *path, uint32_t mode, const void *data, size_t len)
{
	return vfs_create_file_pages(path, mode, data, len, NULL);
}

int vfs_create_symlink(const char *path, const char *target)
{
	int ret = make_parents(path);

	return ret ? ret : vfs_symlink(target, NULL, path);
}
