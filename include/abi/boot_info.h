/*
 * boot_info: what the kernel was told at boot, in one form.
 *
 * Every boot protocol the kernel accepts (PVH's hvm_start_info, Linux's
 * boot_params) is converted into this structure by its entry code in
 * platform/; nothing after that conversion knows which protocol was used.
 * The structure is self-contained (no pointers into loader memory: the
 * command line is copied, regions and modules are physical ranges) so the
 * memory the loader used can be reclaimed once boot_info is filled.
 *
 * It is shared with host code (unit tests drive the converters), hence
 * fixed-width types only and size checks below. Bump BOOT_INFO_VERSION on
 * any layout change.
 */
#ifndef ABI_BOOT_INFO_H
#define ABI_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_VERSION 1

#define BOOT_INFO_MAX_MEM      128	/* the zero page holds 128 e820 entries */
#define BOOT_INFO_MAX_MODULES  8
#define BOOT_INFO_CMDLINE_MAX  4096	/* bytes, including the NUL */

enum boot_protocol {
	BOOT_PROTO_PVH   = 1,	/* Xen PVH start info (QEMU -kernel, Firecracker >= 1.12, ...) */
	BOOT_PROTO_LINUX = 2,	/* Linux x86-64 64-bit boot protocol (boot_params in RSI) */
};

/* Memory region types, numbered as in the e820 map and PVH's memmap. */
enum boot_mem_type {
	BOOT_MEM_USABLE   = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI     = 3,	/* ACPI tables: reclaimable once parsed */
	BOOT_MEM_NVS      = 4,
	BOOT_MEM_UNUSABLE = 5,
};

struct boot_mem_region {
	uint64_t base;
	uint64_t size;
	uint32_t type;		/* enum boot_mem_type; anything else is reserved */
	uint32_t reserved;
};

struct boot_module {
	uint64_t base;		/* physical address */
	uint64_t size;		/* bytes */
};

struct boot_info {
	uint32_t version;	/* BOOT_INFO_VERSION */
	uint32_t protocol;	/* enum boot_protocol */
	uint64_t rsdp;		/* physical address of the ACPI RSDP, 0 if none given */
	uint64_t entry_tsc;	/* TSC at the kernel's first instruction */
	uint32_t nr_mem;
	uint32_t nr_modules;
	struct boot_mem_region mem[BOOT_INFO_MAX_MEM];	/* sorted by base, no overlaps */
	struct boot_module modules[BOOT_INFO_MAX_MODULES];
	char cmdline[BOOT_INFO_CMDLINE_MAX];		/* NUL-terminated */
};

_Static_assert(sizeof(struct boot_mem_region) == 24, "boot_mem_region layout");
_Static_assert(sizeof(struct boot_module) == 16, "boot_module layout");
_Static_assert(sizeof(struct boot_info) ==
	       32 + 24 * BOOT_INFO_MAX_MEM + 16 * BOOT_INFO_MAX_MODULES + BOOT_INFO_CMDLINE_MAX,
	       "boot_info layout");

#endif
