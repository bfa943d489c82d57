/*
 * Starting memory management from what the loader described. Separate from
 * mote/mm.h, which is shared with host builds that have no boot_info.
 */
#ifndef MOTE_MMBOOT_H
#define MOTE_MMBOOT_H

#include <mote/mm.h>
#include <mote/platform.h>

/*
 * Hands every usable page except the reserved low pages, the kernel image
 * [kernel_start, kernel_end) and the boot modules to mm, installs the
 * kernel's page tables (arch_paging_init) and starts the page allocator.
 * Module i with bit i set in free_later is noted for mm_free_later() (the
 * caller frees it, or takes its pages, once it has served). 0, or a negative errno with a
 * sentence in err.
 */
int mm_boot(const struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end,
	    uint32_t free_later, struct boot_error *err);

/* The usable RAM mm_boot() was given (page-aligned, sorted, merged), for reports and tests. */
size_t mm_boot_ram(const struct mm_range **ranges);

#endif
