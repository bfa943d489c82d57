/*
 * fs/sysfs.c: the little of /sys that runtimes read at start-up.
 *
 *   devices/system/cpu/{online,possible,present} "0-N": glibc's
 *       get_nprocs (sysconf(_SC_NPROCESSORS_ONLN), Python's os.cpu_count)
 *   devices/system/cpu/cpuN/: glibc's get_nprocs_conf counts these
 *   kernel/mm/transparent_hugepage/{enabled,hpage_pmd_size}: Go reads the
 *       huge page size at start-up, glibc's malloc the THP mode when tuned
 *
 * Everything is read-only; a write is -EIO.
 */
#include <mote/percpu.h>
#include <lib/errno.h>
#include <mote/pseudofs.h>

#define RO_FILE(name_, fn) { .name = name_, .mode = VFS_S_IFREG | 0444, .show = fn, .no_write_open = true }
#define DIR(name_, ...) { .name = name_, .mode = VFS_S_IFDIR | 0755, .children = (const struct pseudo_entry[]){ __VA_ARGS__, { 0 } } }

static int show_cpu_range(struct pseudo_buf *b, long arg)
{
	unsigned n = cpu_count();

	(void)arg;
	if (n > 1)
		pseudo_printf(b, "0-%u\n", n - 1);
	else
		pseudo_printf(b, "0\n");
	return 0;
}

static int show_one(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "1\n");
	return 0;
}

static long next_cpu(long from)
{
	return from >= 0 && from < (long)cpu_count() ? from : -1;
}

static int show_thp_enabled(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "always madvise [never]\n");
	return 0;
}

static int show_pmd_size(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "2097152\n");
	return 0;
}

static const struct pseudo_entry cpu_n = {
	.name = "cpu", .mode = VFS_S_IFDIR | 0755,
	.children = (const struct pseudo_entry[]){ RO_FILE("online", show_one), { 0 } },
};

static const struct pseudo_entry sys_entries[] = {
	DIR("devices", DIR("system", {
		.name = "cpu", .mode = VFS_S_IFDIR | 0755, .each = &cpu_n, .next = next_cpu,
		.children = (const struct pseudo_entry[]){
			RO_FILE("online", show_cpu_range), RO_FILE("possible", show_cpu_range),
			RO_FILE("present", show_cpu_range), { 0 } },
	})),
	DIR("kernel", DIR("mm", DIR("transparent_hugepage", RO_FILE("enabled", show_thp_enabled),
				    RO_FILE("hpage_pmd_size", show_pmd_size)))),
	{ 0 },
};

struct vfs_fs *sysfs_create(void)
{
	return pseudofs_create(sys_entries, EROFS);
}
