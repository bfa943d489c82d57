/*
 * fs/internal.h: what the files of fs/ share and nobody else sees.
 *
 * Allocation goes through fs_alloc/fs_free so that tests can make any
 * allocation fail (vfs_fail_alloc_after) and check that exhaustion gives
 * -ENOMEM, never a crash. Underneath is the malloc family: mm/libc.c in
 * the kernel, libc on the host (same prototypes).
 */
#ifndef FS_INTERNAL_H
#define FS_INTERNAL_H

#include <mote/vfs.h>

void *fs_alloc(size_t size);		/* NULL on failure */
void *fs_zalloc(size_t size);		/* zeroed */
void fs_free(void *p);
/*
 * File data pages that programs can map (ramfs blocks): a zeroed 4 KiB
 * page, NULL on failure (failure injection applies). In the kernel it is
 * a page_alloc(0) frame, released with page_unref() so that a mapping
 * holding its own reference keeps it (fs/mmap.c); the host tests use
 * aligned malloc. fs_page_backend_* are each build's (fs/mmap.c,
 * tests/unit/fs/sync_host.c).
 */
void *fs_page_alloc(void);
void fs_page_release(void *page);
void *fs_page_backend_alloc(void);
void fs_page_backend_release(void *page);

/* Where a path resolution ended (namei.c). */
enum walk_last { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct walk {
	struct vnode *dir;	/* the directory holding the last component, referenced */
	struct vnode *vn;	/* the object, referenced; NULL if the name does not exist */
	char name[VFS_NAME_MAX + 1];	/* the last component, NUL-terminated */
	size_t len;
	enum walk_last last;	/* LAST_NORM unless the last component was ".", "..", "/" */
	bool slash;		/* a trailing slash followed the last component */
};

/*
 * For namespace changes (mkdir, unlink, rename, symlink, link): the last
 * component is never followed, even with a trailing slash, as Linux's
 * parent lookups do ("rmdir link/" is -ENOTDIR, "mkdir dangling/" -EEXIST).
 */
#define WALK_PARENT 0x100
/*
 * For open(O_CREAT): a last name (the path's, or a followed link's) with a
 * trailing slash is -EISDIR before it is even looked up, as in Linux.
 */
#define WALK_CREATE 0x200

/*
 * Resolves path from dir (NULL: root). On success w->dir is set, and
 * w->vn unless the last component does not exist (then 0 with vn NULL:
 * creators want that). flags: VFS_LOOKUP_NOFOLLOW, WALK_PARENT, WALK_CREATE. Errors leave nothing
 * referenced.
 */
int walk_path(struct vnode *dir, const char *path, unsigned flags, struct walk *w);
void walk_done(struct walk *w);

/*
 * Creates (name, len) of type and permissions `mode` in dir (symlinks:
 * with target); dir->fs->ns_lock held, the name known to be free. The new
 * vnode goes to *out referenced, if out is not NULL. -ENOENT if dir was
 * removed, -EROFS, -ENOSPC, -ENOMEM.
 */
int vfs_create_locked(struct vnode *dir, const char *name, size_t len, uint32_t mode,
		      const char *target, struct vnode **out);

/* vn's mount crossing: the root of a mount covering vn, or vn; consumes/returns a ref. */
struct vnode *mount_cross(struct vnode *vn);

/* For "..": the directory a mount root hides, referenced, or NULL for the root mount. */
struct vnode *mount_covered(struct vnode *fs_root);

/* Whether vn is the root of its filesystem instance. */
static inline bool vnode_is_fs_root(const struct vnode *vn)
{
	return vn->fs->root == vn;
}

/*
 * Reads up to len bytes of vn's data at off under vn->lock, clipped to its
 * size: bytes read (0 at or past the end) or -errno (vnode_file.c).
 */
long vnode_read(struct vnode *vn, void *buf, size_t len, uint64_t off);

/* Opens character device node vn through its driver (chrdev.c); -ENXIO without one. */
struct file *chrdev_open(struct vnode *vn, unsigned oflags);

static inline unsigned vnode_dtype(uint32_t mode)
{
	return (mode & VFS_S_IFMT) >> 12;
}

#endif
