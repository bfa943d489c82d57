/*
 * fs/mmap.c: memory mappings of files (vfs_mmap_file in mote/vfs.h): the
 * VM layer's file hook (mote/vm.h struct vm_file_ops) over a vnode.
 *
 * A filesystem with map_page (the image filesystem) hands out its cache
 * page: a shared or read-only private mapping maps that very page (one
 * reference per translation, mm.h page_ref), so a program's text and its
 * libraries cost no copy; a private write gets a copy of it. A filesystem
 * without it (ramfs) is mapped by reading each page into a new frame on
 * the first touch: exact for private mappings, a snapshot for shared
 * read-only ones; shared writable mappings of it are refused (-ENODEV at
 * mmap, -EACCES from a later mprotect), as there would be no page to share.
 *
 * Faults run with the process's VM lock held and take vn->lock inside it;
 * nothing takes them the other way round (reads and writes go through a
 * kernel bounce buffer, never touching user memory under vn->lock).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/mm.h>
#include <mote/vfs.h>
#include <mote/vm.h>

static int read_page(struct vnode *vn, uint64_t off, void *page)
{
	long n = 0;

	mutex_lock(&vn->lock);
	if (off < vn->size)
		n = vn->fs->ops->read(vn, page, vn->size - off < VM_PAGE_SIZE ? vn->size - off
									      : VM_PAGE_SIZE, off);
	mutex_unlock(&vn->lock);
	if (n < 0)
		return (int)n;
	memset((char *)page + n, 0, VM_PAGE_SIZE - (size_t)n);
	return 0;
}

static int vnode_fault(void *obj, uint64_t off, bool copy, vm_frame_t *frame)
{
	struct vnode *vn = obj;
	void *cache = NULL, *page;
	int ret;

	if (off >= __atomic_load_n(&vn->size, __ATOMIC_RELAXED))
		return -ENXIO;		/* past the end: SIGBUS */
	if (vn->fs->ops->map_page) {
		cache = vn->fs->ops->map_page(vn, off);
		if (IS_ERR(cache))
			return (int)PTR_ERR(cache);
		if (!copy) {
			page_ref(cache);
			*frame = mm_virt_to_phys(cache);
			return 0;
		}
	}
	page = page_alloc(0);
	if (!page)
		return -ENOMEM;
	if (cache) {
		memcpy(page, cache, VM_PAGE_SIZE);
	} else if ((ret = read_page(vn, off, page))) {
		page_free(page, 0);
		return ret;
	}
	*frame = mm_virt_to_phys(page);
	return 0;
}

static void vnode_ref(void *obj)
{
	vnode_get(obj);
}

static void vnode_unref(void *obj)
{
	vnode_put(obj);
}

static void vnode_describe(void *obj, struct vm_file_info *info)
{
	const struct vnode *vn = obj;

	info->dev_major = (uint32_t)(vn->fs->dev >> 8);
	info->dev_minor = (uint32_t)(vn->fs->dev & 0xff);
	info->ino = vn->ino;
}

static const struct vm_file_ops vnode_vm_ops = {
	.fault = vnode_fault,
	.ref = vnode_ref,
	.unref = vnode_unref,
	.describe = vnode_describe,
};

int vfs_mmap_file(struct file *f, bool shared, unsigned prot, struct vm_file *out)
{
	struct vnode *vn = f->vnode;
	unsigned acc = f->flags & FILE_ACCMODE;

	if (f->flags & FILE_PATH)
		return -EBADF;
	if (!vn || !VFS_ISREG(vn->mode))
		return -ENODEV;
	out->ops = &vnode_vm_ops;
	out->obj = vn;
	out->max_prot = VM_PROT_EXEC;
	if (acc == VFS_O_RDONLY || acc == VFS_O_RDWR)
		out->max_prot |= VM_PROT_READ;
	if (acc != VFS_O_RDONLY && !(f->flags & FILE_APPEND))
		out->max_prot |= VM_PROT_WRITE;
	if (shared && !vn->fs->ops->map_page) {
		if (prot & out->max_prot & VM_PROT_WRITE)
			return -ENODEV;
		out->max_prot &= ~VM_PROT_WRITE;	/* and mprotect cannot add it */
	}
	return 0;
}
