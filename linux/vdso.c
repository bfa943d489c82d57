/*
 * The vDSO in a program's address space (docs/vdso.md). At exec,
 * vdso_map() places two mappings side by side, where vm_mmap finds room
 * (top-down below the mmap base, like any mapping without a hint):
 *
 *     [vvar]  one page, the kernel's live data page (kernel/clock.c keeps it
 *             current), shared and read-only: its max_prot is READ, so
 *             mprotect cannot make it writable (EACCES, as on Linux);
 *     [vdso]  the vDSO image (linux/vdso/, embedded by image.S), private,
 *             read+execute; writing to it after an mprotect (a debugger's
 *             breakpoint) gives the program a private copy of the page.
 *
 * Both are file mappings whose "file" is a range of the kernel image: the
 * fault hook hands out the image's own frames, so no process copies or
 * allocates anything, and every process sees the same vvar frame. Those
 * frames are never freed when unmapped (mm/vm_kernel.c skips kernel-image
 * frames), so the ref/unref hooks have nothing to count.
 *
 * p->vdso_base, the image's address, is what the loader passes as
 * AT_SYSINFO_EHDR. The vvar page is the page below it (include/abi/vdso.h).
 */
#include <abi/vdso.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/layout.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include "linux_internal.h"

extern const uint8_t vdso_image_start[], vdso_image_end[];

/* A page-aligned range of the kernel image, mapped as if it were a file. */
struct vdso_region {
	const uint8_t *start;
	size_t size;		/* whole pages */
	const char *name;
};

static struct vdso_region vvar_region = { .size = VDSO_VVAR_SIZE, .name = "[vvar]" };
static struct vdso_region text_region = { .start = vdso_image_start, .name = "[vdso]" };

static int region_fault(void *obj, uint64_t offset, bool copy, vm_frame_t *frame)
{
	const struct vdso_region *r = obj;
	void *page;

	if (offset >= r->size)
		return -ENXIO;	/* beyond the image: SIGBUS, as past the end of a file */
	if (!copy) {
		*frame = kernel_virt_to_phys(r->start + offset);
		return 0;
	}
	page = page_alloc(0);
	if (!page)
		return -ENOMEM;
	memcpy(page, r->start + offset, VM_PAGE_SIZE);
	*frame = mm_virt_to_phys(page);
	return 0;
}

static void region_ref(void *obj)
{
	(void)obj;	/* kernel image: lives forever */
}

static void region_describe(void *obj, struct vm_file_info *info)
{
	info->path = ((const struct vdso_region *)obj)->name;
}

static const struct vm_file_ops region_ops = {
	.fault = region_fault,
	.ref = region_ref,
	.unref = region_ref,
	.describe = region_describe,
};

static int map_region(struct linux_process *p, uintptr_t at, struct vdso_region *r,
		      unsigned prot, unsigned type, unsigned max_prot)
{
	struct vm_file file = { .ops = &region_ops, .obj = r, .max_prot = max_prot };
	uintptr_t got;

	return vm_mmap(&p->vm, at, r->size, prot, type | VM_MAP_FIXED, &file, 0, &got);
}

int vdso_map(struct linux_process *p)
{
	size_t total;
	uintptr_t base = 0;
	int ret;

	vvar_region.start = clock_vvar_page();
	text_region.size = (size_t)(vdso_image_end - vdso_image_start + VM_PAGE_SIZE - 1) &
			   ~(VM_PAGE_SIZE - 1);
	total = vvar_region.size + text_region.size;
	mutex_lock(&p->vm_lock);
	/* Room for both, then each region over its part (MAP_FIXED replaces the reservation). */
	ret = vm_mmap(&p->vm, 0, total, VM_PROT_NONE, VM_MAP_PRIVATE | VM_MAP_ANONYMOUS, NULL, 0,
		      &base);
	if (!ret)
		ret = map_region(p, base, &vvar_region, VM_PROT_READ, VM_MAP_SHARED, VM_PROT_READ);
	if (!ret)
		ret = map_region(p, base + vvar_region.size, &text_region,
				 VM_PROT_READ | VM_PROT_EXEC, VM_MAP_PRIVATE,
				 VM_PROT_READ | VM_PROT_EXEC);
	if (ret && base)
		vm_munmap(&p->vm, base, total);
	mutex_unlock(&p->vm_lock);
	if (!ret)
		p->vdso_base = base + vvar_region.size;
	return ret;
}
