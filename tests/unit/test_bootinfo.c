/*
 * platform/bootinfo.c and the bundle check: PVH start info and Linux
 * boot_params laid out in a fake physical memory, converted, validated;
 * and every kind of bad input the issue names (missing or absurd memory
 * map, overlaps, bad pointers, truncated modules) rejected with a message.
 */
#include <abi/bundle.h>
#include <lib/errno.h>
#include <mote/platform.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define RAM_SIZE (2u << 20)
#define KSTART 0x100000
#define KEND   0x180000

static uint8_t ram[RAM_SIZE];
static struct boot_info bi;
static struct boot_error err;

static int fake_read(void *ctx, uint64_t pa, void *dst, size_t len)
{
	(void)ctx;
	if (pa >= RAM_SIZE || len > RAM_SIZE - pa)
		return -EFAULT;
	memcpy(dst, ram + pa, len);
	return 0;
}

static const struct phys_reader reader = { fake_read, NULL };

static void put(uint64_t pa, const void *src, size_t len)
{
	memcpy(ram + pa, src, len);
}

static void put32(uint64_t pa, uint32_t v) { put(pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { put(pa, &v, 8); }

/* hvm_start_info at 0x1000, modlist at 0x2000, memmap at 0x3000, cmdline at 0x4000. */
static void pvh_setup(uint32_t nr_mem, uint32_t nr_modules)
{
	memset(ram, 0, sizeof(ram));
	put32(0x1000, 0x336ec578);
	put32(0x1004, 1);			/* version */
	put32(0x100c, nr_modules);
	put64(0x1010, 0x2000);			/* modlist */
	put64(0x1018, 0x4000);			/* cmdline */
	put64(0x1020, 0xf5000);			/* rsdp */
	put64(0x1028, 0x3000);			/* memmap */
	put32(0x1030, nr_mem);
	put(0x4000, "console=ttyS0 --bootchart", 26);
}

static void pvh_mem(unsigned i, uint64_t base, uint64_t size, uint32_t type)
{
	put64(0x3000 + 24 * i, base);
	put64(0x3000 + 24 * i + 8, size);
	put32(0x3000 + 24 * i + 16, type);
}

static void pvh_module(unsigned i, uint64_t base, uint64_t size)
{
	put64(0x2000 + 32 * i, base);
	put64(0x2000 + 32 * i + 8, size);
}

static int pvh_convert(void)
{
	int ret = boot_info_from_pvh(&bi, 0x1000, &reader, &err);

	return ret ? ret : boot_info_check(&bi, KSTART, KEND, &err);
}

static void pvh_typical(void)
{
	/* As qboot gives it: unsorted is allowed, plus the all-zero trailing entry. */
	pvh_setup(4, 1);
	pvh_mem(0, 0x100000, 0x7f00000, 1);
	pvh_mem(1, 0, 0x9fc00, 1);
	pvh_mem(2, 0x9fc00, 0x400, 2);
	pvh_mem(3, 0, 0, 0);
	pvh_module(0, 0x1c0000, 0x1234);
	EXPECT(pvh_convert() == 0);
	EXPECT(bi.version == BOOT_INFO_VERSION && bi.protocol == BOOT_PROTO_PVH);
	EXPECT(!strcmp(bi.cmdline, "console=ttyS0 --bootchart"));
	EXPECT(bi.rsdp == 0xf5000);
	EXPECT(bi.nr_mem == 3 && bi.mem[0].base == 0 && bi.mem[1].base == 0x9fc00 &&
	       bi.mem[2].base == 0x100000 && bi.mem[1].type == BOOT_MEM_RESERVED);
	EXPECT(bi.nr_modules == 1 && bi.modules[0].base == 0x1c0000 && bi.modules[0].size == 0x1234);
}

static void pvh_unknown_type_is_reserved(void)
{
	pvh_setup(2, 0);
	pvh_mem(0, 0, 0x200000, 1);
	pvh_mem(1, 0xfee00000, 0x1000, 77);
	EXPECT(pvh_convert() == 0 && bi.mem[1].type == BOOT_MEM_RESERVED);
}

static void pvh_bad_input(void)
{
	pvh_setup(1, 0);
	pvh_mem(0, 0, 0x200000, 1);
	put32(0x1000, 0x12345678);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "bad magic"));

	pvh_setup(1, 0);
	put32(0x1004, 0);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "version 0"));

	pvh_setup(0, 0);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "no memory map"));

	pvh_setup(1000000, 0);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "claims 1000000 entries"));

	pvh_setup(1, 0);
	put64(0x1028, 0xfffffff000);	/* memmap pointer outside memory */
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "not readable"));

	pvh_setup(1, 0);
	pvh_mem(0, 0, 0x200000, 1);
	put64(0x1018, RAM_SIZE - 4);	/* command line runs off the end */
	memset(ram + RAM_SIZE - 4, 'x', 4);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "command line"));

	pvh_setup(1, 0);
	pvh_mem(0, 0, 0x200000, 1);
	memset(ram + 0x4000, 'y', 5000);	/* no NUL within 4 KiB */
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "longer than"));

	pvh_setup(1, 100);
	pvh_mem(0, 0, 0x200000, 1);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "100 modules"));
}

static void memory_map_checks(void)
{
	pvh_setup(2, 0);
	pvh_mem(0, 0, 0x180000, 1);
	pvh_mem(1, 0x100000, 0x100000, 1);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "overlap"));

	pvh_setup(2, 0);
	pvh_mem(0, 0, 0x200000, 1);
	pvh_mem(1, 0x1ff000, 0x2000, 2);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "overlap"));

	pvh_setup(1, 0);
	pvh_mem(0, 0xfffffffffffff000, 0x2000, 1);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "52-bit"));

	pvh_setup(1, 0);
	pvh_mem(0, 0, 0x140000, 1);	/* RAM ends inside the kernel */
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "kernel image"));

	pvh_setup(2, 0);
	pvh_mem(0, 0, 0x100000, 1);
	pvh_mem(1, 0x100000, 0x100000, 1);	/* adjacent regions cover the kernel together */
	EXPECT(pvh_convert() == 0);

	pvh_setup(1, 0);
	pvh_mem(0, 0, 0x200000, 2);	/* nothing usable */
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "kernel image"));
}

static void module_checks(void)
{
	pvh_setup(1, 1);
	pvh_mem(0, 0, 0x200000, 1);
	pvh_module(0, 0x1ff000, 0x2000);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "not inside usable RAM"));

	pvh_setup(1, 1);
	pvh_mem(0, 0, 0x200000, 1);
	pvh_module(0, 0x170000, 0x20000);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "overlaps the kernel"));

	pvh_setup(1, 1);
	pvh_mem(0, 0, 0x200000, 1);
	pvh_module(0, 0xffffffffffff0000, 0x20000);
	EXPECT(pvh_convert() == -EINVAL && strstr(err.message, "not inside usable RAM"));
}

/* boot_params at 0x7000 (Firecracker's address), command line at 0x20000. */
static void linux_setup(uint8_t nr_e820)
{
	memset(ram, 0, sizeof(ram));
	put32(0x7000 + 0x202, 0x53726448);
	put32(0x7000 + 0x228, 0x20000);
	put(0x20000, "reboot=k panic=1", 17);
	ram[0x7000 + 0x1e8] = nr_e820;
}

static void linux_e820(unsigned i, uint64_t base, uint64_t size, uint32_t type)
{
	put64(0x7000 + 0x2d0 + 20 * i, base);
	put64(0x7000 + 0x2d0 + 20 * i + 8, size);
	put32(0x7000 + 0x2d0 + 20 * i + 16, type);
}

static int linux_convert(void)
{
	int ret = boot_info_from_linux(&bi, 0x7000, &reader, &err);

	return ret ? ret : boot_info_check(&bi, KSTART, KEND, &err);
}

static void linux_typical(void)
{
	linux_setup(2);
	linux_e820(0, 0, 0x9fc00, 1);
	linux_e820(1, 0x100000, 0x100000, 1);
	put32(0x7000 + 0x218, 0x1c0000);	/* ramdisk_image */
	put32(0x7000 + 0x21c, 0x1000);	/* ramdisk_size */
	put64(0x7000 + 0x70, 0xe0000);	/* acpi_rsdp_addr */
	EXPECT(linux_convert() == 0);
	EXPECT(bi.protocol == BOOT_PROTO_LINUX && !strcmp(bi.cmdline, "reboot=k panic=1"));
	EXPECT(bi.nr_mem == 2 && bi.mem[1].size == 0x100000);
	EXPECT(bi.nr_modules == 1 && bi.modules[0].base == 0x1c0000 && bi.modules[0].size == 0x1000);
	EXPECT(bi.rsdp == 0xe0000);
}

static void linux_bad_input(void)
{
	linux_setup(1);
	put32(0x7000 + 0x202, 0);
	EXPECT(linux_convert() == -EINVAL && strstr(err.message, "HdrS"));

	linux_setup(0);
	EXPECT(linux_convert() == -EINVAL && strstr(err.message, "no memory map"));

	linux_setup(200);
	EXPECT(linux_convert() == -EINVAL && strstr(err.message, "200 e820 entries"));

	linux_setup(2);
	linux_e820(0, 0, 0x180000, 1);
	linux_e820(1, 0x170000, 0x90000, 1);
	EXPECT(linux_convert() == -EINVAL && strstr(err.message, "overlap"));

	EXPECT(boot_info_from_linux(&bi, RAM_SIZE - 16, &reader, &err) == -EINVAL &&
	       strstr(err.message, "not readable"));
}

static void bundles(void)
{
	struct bundle_header h = { .version = BUNDLE_VERSION, .header_size = sizeof(h) };
	uint8_t buf[64] = { 0 };

	/* The full set of refusals is tests/unit/test_bundle.c; this is the boot hook. */
	memcpy(h.magic, BUNDLE_MAGIC, 8);
	h.total_size = sizeof(h);
	memcpy(buf, &h, sizeof(h));
	EXPECT(bundle_check(buf, 32, &err) == 0);
	EXPECT(bundle_check(buf, 100, &err) == 0);	/* padded by the loader */
	EXPECT(bundle_check(buf, 30, &err) == -EINVAL && strstr(err.message, "truncated"));
	EXPECT(bundle_check(buf, 10, &err) == -EINVAL && strstr(err.message, "too short"));
	buf[0] = 'X';
	EXPECT(bundle_check(buf, 64, &err) == -EINVAL && strstr(err.message, "bad magic"));
	buf[0] = 'M';
	buf[8] = 9;
	EXPECT(bundle_check(buf, 64, &err) == -EINVAL && strstr(err.message, "not supported"));
}

/* What boot_info_check promises whenever it accepts: sorted, disjoint, non-empty regions. */
static bool invariants_hold(void)
{
	for (uint32_t i = 0; i < bi.nr_mem; i++) {
		if (!bi.mem[i].size)
			return false;
		if (i && bi.mem[i].base < bi.mem[i - 1].base + bi.mem[i - 1].size)
			return false;
	}
	return bi.nr_mem > 0 && bi.nr_mem <= BOOT_INFO_MAX_MEM &&
	       bi.nr_modules <= BOOT_INFO_MAX_MODULES && memchr(bi.cmdline, 0, sizeof(bi.cmdline));
}

static void check_random_result(int ret, unsigned *accepted)
{
	if (ret == 0) {
		ret = boot_info_check(&bi, KSTART, KEND, &err);
		if (ret == 0) {
			(*accepted)++;
			EXPECT(invariants_hold());
		}
	}
	EXPECT(ret == 0 || (ret == -EINVAL && err.message[0]));
}

/* Random bytes in every field: always an answer (ASan watches), and any acceptance is sound. */
static void garbage(void)
{
	unsigned accepted = 0;

	srand(1);
	for (int round = 0; round < 4000; round++) {
		memset(ram, 0, 0x30000);
		for (size_t i = 0; i < 0x5000; i++)
			ram[i] = rand();
		if (round & 1) {
			/* Plausible headers with random contents get further into the code. */
			put32(0x1000, 0x336ec578);
			put32(0x1030, rand() % 8);
			put64(0x1028, 0x3000);
			put32(0x100c, rand() % 3);
			put64(0x1010, 0x2000);
			for (unsigned i = 0; i < 8; i++)
				pvh_mem(i, (uint64_t)(rand() % 0x400) << 12,
					(uint64_t)(rand() % 0x100) << 12, rand() % 6);
			pvh_mem(rand() % 8, 0, 0x200000, 1);
			for (unsigned i = 0; i < 3; i++)
				pvh_module(i, (uint64_t)(rand() % 0x200) << 12, rand() % 0x10000);
		}
		err.message[0] = 0;
		check_random_result(boot_info_from_pvh(&bi, 0x1000, &reader, &err), &accepted);
		put32(0x7000 + 0x202, 0x53726448);
		ram[0x7000 + 0x1e8] = rand() % 8;
		if (round & 1) {
			for (unsigned i = 0; i < 8; i++)
				linux_e820(i, (uint64_t)(rand() % 0x400) << 12,
					   (uint64_t)(rand() % 0x100) << 12, rand() % 6);
			linux_e820(rand() % 8, 0, 0x200000, 1);
		}
		err.message[0] = 0;
		check_random_result(boot_info_from_linux(&bi, 0x7000, &reader, &err), &accepted);
	}
	printf("  garbage: %u of 8000 random inputs accepted\n", accepted);
}

int main(void)
{
	RUN(pvh_typical);
	RUN(pvh_unknown_type_is_reserved);
	RUN(pvh_bad_input);
	RUN(memory_map_checks);
	RUN(module_checks);
	RUN(linux_typical);
	RUN(linux_bad_input);
	RUN(bundles);
	RUN(garbage);
	return test_summary();
}
