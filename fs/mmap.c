/*
 * fs/mmap.c: memory mappings of files (vfs_mmap_file in mote/vfs.h): the
 * VM layer's file hook (mote/vm.h struct vm_file_ops) over a vnode.
 *
 * A filesystem with map_page (imgfs, ramfs) hands out the page holding the
 * data: a shared or read-only private mapping maps that very page (one
 * reference per translation, mm.h page_ref), so a program's text and its
 * libraries cost no copy and a shared mapping's writes are the file's; a
 * private write gets a copy. A filesystem without it (the generated files
 * of /proc) is mapped by reading each page into a new frame on the first
 * touch: exact for private mappings, a snapshot for shared read-only ones;
 * shared writable mappings of it are refused (-ENODEV at mmap, -EACCES
 * from a later mprotect), as there would be no page to share.
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

#include "internal.h"

void *fs_page_backend_alloc(void)
{
	return page_alloc(0);
}

void fs_page_backend_release(void *page)
{
	page_unref(page);
}

static int read_page(struct vnode *vn, uint64_t off, void *page)
{
	long n = vnode_read(vn, page, VM_PAGE_SIZE, off);

	if (n < 0)
		return (int)n;
	memset((char *)page + n, 0, VM_PAGE_SIZE - (size_t)n);
	return 0;
}

/*
 * What a mapping's areas share (the VM layer's `obj`): the vnode, and the
 * path the file was opened by, for /proc/self/maps. Counted: one reference
 * per area, plus the mapper's until vfs_mmap_done.
 */
struct mapped_file {
	unsigned long refs;	/* atomic */
	struct vnode *vn;	/* referenced */
	bool unlinked;		/* already when mapped: path says so */
	char path[];		/* "" when the file has none */
};

static int vnode_fault(void *obj, uint64_t off, bool copy, vm_frame_t *frame)
{
	struct vnode *vn = ((struct mapped_file *)obj)->vn;
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

static void mapped_ref(void *obj)
{
	__atomic_add_fetch(&((struct mapped_file *)obj)->refs, 1, __ATOMIC_RELAXED);
}

static void mapped_unref(void *obj)
{
	struct mapped_file *m = obj;

	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		vnode_put(m->vn);
		mm_free(m);
	}
}

static void mapped_describe(void *obj, struct vm_file_info *info)
{
	const struct mapped_file *m = obj;

	info->dev_major = (uint32_t)(m->vn->fs->dev >> 8);
	info->dev_minor = (uint32_t)(m->vn->fs->dev & 0xff);
	info->ino = m->vn->ino;
	info->path = m->path[0] ? m->path : NULL;
	info->deleted = info->path && !m->unlinked && !__atomic_load_n(&m->vn->nlink, __ATOMIC_RELAXED);
}

static const struct vm_file_ops vnode_vm_ops = {
	.fault = vnode_fault,
	.ref = mapped_ref,
	.unref = mapped_unref,
	.describe = mapped_describe,
};

/* The mapping's shared part, with f's path copied in (exactly its length). */
static struct mapped_file *mapped_new(struct file *f)
{
	char *path = mm_malloc(VFS_PATH_MAX);
	long len = path ? vfs_file_path(f, path, VFS_PATH_MAX - 1) : 0;
	struct mapped_file *m;

	if (len < 0)
		len = 0;
	m = mm_malloc(sizeof(*m) + (size_t)len + 1);
	if (m) {
		memcpy(m->path, path, (size_t)len);
		m->path[len] = 0;
		m->refs = 1;
		m->unlinked = !__atomic_load_n(&f->vnode->nlink, __ATOMIC_RELAXED);
		m->vn = f->vnode;
		vnode_get(m->vn);
	}
	mm_free(path);
	return m;
}

int vfs_mmap_file(struct file *f, bool shared, unsigned prot, struct vm_file *out)
{
	struct vnode *vn = f->vnode;
	unsigned acc = f->flags & FILE_ACCMODE;
	struct mapped_file *m;

	if (f->flags & FILE_PATH)
		return -EBADF;
	if (!vn || !VFS_ISREG(vn->mode))
		return -ENODEV;
	if (!(m = mapped_new(f)))
		return -ENOMEM;
	out->ops = &vnode_vm_ops;
	out->obj = m;
	out->max_prot = VM_PROT_EXEC;
	if (acc == VFS_O_RDONLY || acc == VFS_O_RDWR)
		out->max_prot |= VM_PROT_READ;
	if (acc != VFS_O_RDONLY && !(f->flags & FILE_APPEND))
		out->max_prot |= VM_PROT_WRITE;
	if (shared && !vn->fs->ops->map_page) {
		if (prot & out->max_prot & VM_PROT_WRITE) {
			mapped_unref(m);
			return -ENODEV;
		}
		out->max_prot &= ~VM_PROT_WRITE;	/* and mprotect cannot add it */
	}
	return 0;
}

void vfs_mmap_done(struct vm_file *vf)
{
	mapped_unref(vf->obj);
}
