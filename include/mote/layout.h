/*
 * The kernel's virtual memory layout (see docs/memory.md for the reasoning).
 *
 * The lower half belongs to the application. In the upper half, bits 44..46
 * of an address name the area: 0 mempool, 1 page objects, 2 half-page
 * objects, 3 large objects, 4 the direct map of all physical memory, 5 the
 * debug allocator, 6 the early allocator, 7 the kernel image (at -2 GiB).
 * Usable from assembly.
 */
#ifndef MOTE_LAYOUT_H
#define MOTE_LAYOUT_H

#ifdef __ASSEMBLY__
#define LAYOUT_UL(x) x
#else
#define LAYOUT_UL(x) x##UL
#endif

#define KERNEL_PHYS      LAYOUT_UL(0x100000)		/* where loaders put the image: 1 MiB */
#define KERNEL_VMA       LAYOUT_UL(0xffffffff80000000)	/* -2 GiB: the image's virtual base */
#define MM_AREA_BASE     LAYOUT_UL(0xffff800000000000)
#define MM_AREA_SHIFT    44
#define MM_AREA_DIRECT   LAYOUT_UL(4)
#define MM_AREA_DEBUG    LAYOUT_UL(5)
#define DIRECT_MAP_BASE  (MM_AREA_BASE + (MM_AREA_DIRECT << MM_AREA_SHIFT))

/*
 * Low pages kept out of the allocators: page 0 (real-mode leftovers some
 * firmware reads) and the application-processor trampoline with its
 * page tables (a STARTUP IPI can only name a page below 1 MiB).
 */
#define AP_TRAMPOLINE_PHYS LAYOUT_UL(0x1000)
#define LOW_RESERVED_END   LAYOUT_UL(0x5000)

/* Area 7 below the kernel image: uncached device register mappings. */
#define DEVICE_WINDOW_BASE LAYOUT_UL(0xffffff0000000000)
#define DEVICE_WINDOW_SIZE (LAYOUT_UL(1) << 30)

/* The boot page tables map this much physical memory at DIRECT_MAP_BASE. */
#define BOOT_DIRECT_MAP_SIZE (LAYOUT_UL(4) << 30)

#define PAGE_SIZE        4096

/*
 * Area 7, well below the image: kernel thread stacks, one slot of
 * THREAD_STACK_SLOT bytes per thread. A stack occupies the top of its slot;
 * everything below it in the slot stays unmapped (the guard), so an
 * overflow faults instead of corrupting a neighbour.
 */
#define THREAD_STACK_BASE LAYOUT_UL(0xfffff00000000000)
#define THREAD_STACK_SLOT (LAYOUT_UL(1) << 20)
#define THREAD_STACK_AREA (LAYOUT_UL(64) << 30)

#ifndef __ASSEMBLY__
#include <stdint.h>

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}

/* Physical address behind a direct-map (area 4) address. */
static inline uint64_t kernel_direct_to_phys(const void *va)
{
	return (uint64_t)va - DIRECT_MAP_BASE;
}

/* Physical address of something inside the kernel image. */
static inline uint64_t kernel_virt_to_phys(const void *va)
{
	return (uint64_t)va - KERNEL_VMA;
}
#endif

#endif
