# mm/: page frames and the allocator family (include/mote/mm.h).
#
# mm-srcs compile unchanged for the kernel and for the host; mm-host-srcs
# adds the host backend (memfd-backed areas) for tests/unit/mm and
# bench/alloc. mm/libc.c gives the kernel the standard malloc names.
mm-srcs := mm/ranges.c mm/early.c mm/page.c mm/mempool.c mm/objects.c mm/debug.c \
	mm/init.c mm/malloc.c mm/pcp.c
mm-host-srcs := $(mm-srcs) mm/host/backend.c

# The kernel adds its backend and boot glue (mm/kernel.c) and the standard names.
kernel-srcs += $(mm-srcs) mm/kernel.c mm/libc.c
# Address spaces (docs/vm.md): portable, plus the kernel's page-table backend.
vm-srcs := mm/vma.c mm/vma_map.c mm/vma_remap.c mm/vma_fault.c mm/vma_maps.c
kernel-srcs += $(vm-srcs) mm/vm_kernel.c
