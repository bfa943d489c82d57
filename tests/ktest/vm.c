/*
 * Self-tests of application address spaces on the real page tables:
 * demand-zero faults, splitting and merging areas, protection changes the
 * hardware enforces, munmap giving frames back, /proc/self/maps text.
 * (The VM layer's logic is tested against Linux itself on the host, in
 * tests/unit/vm; these test the kernel backend and the fault path.)
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/ktest.h>
#include <mote/mm.h>
#include <mote/vm.h>
#include <mote/vmkernel.h>

#define PROT_RW (VM_PROT_READ | VM_PROT_WRITE)
#define ANON (VM_MAP_PRIVATE | VM_MAP_ANONYMOUS)

static struct vm_space space;

static void space_begin(void)
{
	struct vm_limits limits;

	vm_limits_default(&limits);
	vm_space_init(&space, &vm_kernel_backend, 0, &limits);
	vm_kernel_set_current(&space);
}

static void space_end(void)
{
	vm_space_destroy(&space);
	vm_kernel_set_current(0);
}

KTEST(vm_demand_zero_fault)
{
	uintptr_t a;
	volatile uint64_t *p;
	size_t free_before;

	mm_trim();
	free_before = page_free_count();
	space_begin();
	KT_ASSERT(vm_mmap(&space, 0, 3 * VM_PAGE_SIZE, PROT_RW, ANON, 0, 0, &a) == 0);
	KT_EXPECT(a >= space.limits.min_addr && a + 3 * VM_PAGE_SIZE <= space.limits.end);
	p = (volatile uint64_t *)a;
	KT_EXPECT(p[0] == 0);				/* read fault: a zeroed page */
	p[512] = 0x1234;				/* write fault on the second page */
	KT_EXPECT(p[512] == 0x1234 && p[1024 + 7] == 0);
	KT_EXPECT(page_free_count() < free_before);
	space_end();
	mm_trim();
	KT_EXPECT(page_free_count() == free_before);	/* munmap gave every frame back */
}

KTEST(vm_split_merge_and_protect)
{
	uintptr_t a;
	uint64_t pa;
	unsigned prot;
	char maps[512];

	space_begin();
	KT_ASSERT(vm_mmap(&space, 0, 4 * VM_PAGE_SIZE, PROT_RW, ANON, 0, 0, &a) == 0);
	*(volatile char *)(a + VM_PAGE_SIZE) = 1;
	KT_ASSERT(vm_mprotect(&space, a + VM_PAGE_SIZE, VM_PAGE_SIZE, VM_PROT_READ) == 0);
	KT_EXPECT(space.nr_vmas == 3);			/* split in three */
	KT_EXPECT(arch_user_query(a + VM_PAGE_SIZE, &pa, &prot) &&
		  (prot & ARCH_PROT_READ) && !(prot & ARCH_PROT_WRITE));
	vm_format_maps(&space, maps, sizeof(maps));
	KT_EXPECT(strchr(maps, '\n') && strstr(maps, " r--p "));
	KT_ASSERT(vm_mprotect(&space, a + VM_PAGE_SIZE, VM_PAGE_SIZE, PROT_RW) == 0);
	KT_EXPECT(space.nr_vmas == 1);			/* merged back */
	KT_ASSERT(vm_munmap(&space, a + VM_PAGE_SIZE, 2 * VM_PAGE_SIZE) == 0);
	KT_EXPECT(space.nr_vmas == 2);
	KT_EXPECT(!arch_user_query(a + VM_PAGE_SIZE, &pa, &prot));
	KT_EXPECT(vm_check(&space) == 0);
	space_end();
}

KTEST(vm_unmapped_access_is_refused)
{
	space_begin();
	KT_EXPECT(vm_kernel_fault(0x10000000, ARCH_PROT_READ, false) == -EFAULT);
	space_end();
	KT_EXPECT(vm_kernel_fault(0x10000000, ARCH_PROT_READ, false) != 0);	/* no space */
}
