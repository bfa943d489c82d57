# mm/: page frames and the allocator family (include/mote/mm.h).
#
# mm-srcs compile unchanged for the kernel and for the host; mm-host-srcs
# adds the host backend (memfd-backed areas) for tests/unit/mm and
# bench/alloc. mm/libc.c gives the kernel the standard malloc names.
mm-srcs := mm/ranges.c mm/early.c mm/page.c mm/mempool.c mm/objects.c mm/debug.c \
	mm/init.c mm/malloc.c
mm-host-srcs := $(mm-srcs) mm/host/backend.c

# Kernel: these compile with KCFLAGS (checked), but link only once the
# kernel provides the backend of include/mote/mm.h (mm_backend_lock,
# mm_backend_unlock, mm_backend_map, mm_backend_unmap,
# mm_backend_corruption) and calls mm_early_init()/mm_page_init().
# Then uncomment:
# kernel-srcs += $(mm-srcs) mm/libc.c
