/*
 * The kernel's backend for the VM layer (include/mote/vm.h): application
 * memory lives in the lower half of the one address space, on the kernel's
 * own page tables (arch_user_*). Frames are page-allocator pages; each
 * translation owns one reference to its frame (mm.h page_ref): an
 * anonymous frame's only one, a file cache page's one among the cache's
 * and other translations'. Dropping a translation drops its reference,
 * which frees an anonymous frame and leaves a cache page to its file.
 * The one exception:
 * frames of the kernel image itself (the vDSO and its data page, which
 * linux/vdso.c maps into every program) are shared and permanent, so
 * dropping their translation frees nothing.
 */
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/layout.h>
#include <mote/mm.h>
#include <mote/vm.h>
#include <mote/vmkernel.h>

static unsigned arch_prot(unsigned prot)
{
	return (prot & VM_PROT_READ ? ARCH_PROT_READ : 0) |
	       (prot & VM_PROT_WRITE ? ARCH_PROT_WRITE : 0) |
	       (prot & VM_PROT_EXEC ? ARCH_PROT_EXEC : 0) |
	       (prot & VM_PTE_COW ? ARCH_PROT_COW : 0);
}

static unsigned vm_prot(unsigned prot)
{
	return (prot & ARCH_PROT_READ ? VM_PROT_READ : 0) |
	       (prot & ARCH_PROT_WRITE ? VM_PROT_WRITE : 0) |
	       (prot & ARCH_PROT_EXEC ? VM_PROT_EXEC : 0) |
	       (prot & ARCH_PROT_COW ? VM_PTE_COW : 0);
}

extern const char _end[];

static void drop_frame(uint64_t pa)
{
	if (pa >= KERNEL_PHYS && pa < kernel_virt_to_phys(_end))
		return;		/* a kernel image frame: not the page allocator's */
	page_unref(mm_phys_to_virt(pa));
}

static int k_map(void *ctx, uintptr_t va, vm_frame_t frame, unsigned prot)
{
	uint64_t old;
	unsigned old_prot;
	bool had = arch_user_query(va, &old, &old_prot);
	int ret = arch_user_map(va, frame, arch_prot(prot));

	(void)ctx;
	if (!ret && had && old != frame)
		drop_frame(old);
	return ret;
}

static void k_unmap(void *ctx, uintptr_t start, uintptr_t end)
{
	(void)ctx;
	arch_user_unmap(start, end, drop_frame);
}

static void k_protect(void *ctx, uintptr_t start, uintptr_t end, unsigned prot)
{
	(void)ctx;
	arch_user_protect(start, end, arch_prot(prot));	/* shoots down what shrank */
}

static int k_reserve(void *ctx, uintptr_t start, uintptr_t end)
{
	(void)ctx;
	return arch_user_reserve(start, end);
}

/*
 * Frames travel to their new address; the old translations go in one
 * batched shootdown at the end (the frames stay owned, so nothing is
 * dropped). Overlapping ranges move page by page, in an order that never
 * overwrites a page not yet moved.
 */
static void k_move(void *ctx, uintptr_t from, uintptr_t to, size_t len)
{
	bool overlap = from < to + len && to < from + len;

	(void)ctx;
	for (size_t i = 0; i < len; i += VM_PAGE_SIZE) {
		size_t off = overlap && to > from ? len - VM_PAGE_SIZE - i : i;
		uint64_t pa;
		unsigned prot;

		if (!arch_user_query(from + off, &pa, &prot))
			continue;
		if (overlap)
			arch_user_unmap(from + off, from + off + VM_PAGE_SIZE, 0);
		arch_user_map(to + off, pa, prot);	/* reserved: cannot fail */
	}
	if (!overlap)
		arch_user_unmap(from, from + len, 0);
}

static bool k_query(void *ctx, uintptr_t va, unsigned *prot)
{
	uint64_t pa;
	unsigned p;

	(void)ctx;
	if (!arch_user_query(va, &pa, &p))
		return false;
	*prot = vm_prot(p);
	return true;
}

static int k_frame_alloc(void *ctx, vm_frame_t *frame)
{
	void *page = page_alloc(0);

	(void)ctx;
	if (!page)
		return -MM_ENOMEM;
	memset(page, 0, VM_PAGE_SIZE);
	*frame = mm_virt_to_phys(page);
	return 0;
}

static void k_frame_free(void *ctx, vm_frame_t frame)
{
	(void)ctx;
	drop_frame(frame);
}

static void *k_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return mm_malloc(size);
}

static void k_free(void *ctx, void *p)
{
	(void)ctx;
	mm_free(p);
}

const struct vm_backend vm_kernel_backend = {
	.map = k_map,
	.unmap = k_unmap,
	.protect = k_protect,
	.reserve = k_reserve,
	.move = k_move,
	.query = k_query,
	.frame_alloc = k_frame_alloc,
	.frame_free = k_frame_free,
	.alloc = k_alloc,
	.free = k_free,
};

static struct vm_space *current_space;

void vm_kernel_set_current(struct vm_space *s)
{
	current_space = s;
}

struct vm_space *vm_kernel_current(void)
{
	return current_space;
}

/* The page-fault hook: lower-half faults in the current space (arch_set_page_fault_handler). */
int vm_kernel_fault(uintptr_t addr, unsigned access, bool user)
{
	unsigned vm_access = access & ARCH_PROT_EXEC ? VM_PROT_EXEC :
			     access & ARCH_PROT_WRITE ? VM_PROT_WRITE : VM_PROT_READ;

	(void)user;
	if (!current_space || addr >= current_space->limits.end)
		return -1;
	return vm_fault(current_space, addr, vm_access);
}
