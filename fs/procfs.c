/*
 * fs/procfs.c: /proc, the system's files. Each text is the one Linux
 * prints (proc(5)), field names, padding and units included, because
 * programs parse them: glibc reads meminfo and stat, Go and Python read
 * cpuinfo, mounts and the sysctls under sys/, and shells print uptime and
 * loadavg as they are.
 *
 * The process's own directory ("1", and "self" linking to it) comes from
 * the Linux layer as a table (procfs knows no processes); "mounts" links
 * into it as in Linux. Mounts are noted here as they are made
 * (procfs_note_mount), since the VFS keeps no names for them.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/pseudofs.h>
#include <mote/thread.h>
#include <mote/time.h>

#include "internal.h"

#define RO(name_, fn) { .name = name_, .mode = VFS_S_IFREG | 0444, .show = fn }
/* Sysctls: read-only here, so opening one for writing is -EACCES, as for Linux's read-only ones. */
#define SYSCTL(name_, fn) { .name = name_, .mode = VFS_S_IFREG | 0444, .show = fn, .no_write_open = true }
#define DIR(name_, ...) { .name = name_, .mode = VFS_S_IFDIR | 0555, .children = (const struct pseudo_entry[]){ __VA_ARGS__, { 0 } } }

#define KIB_PER_PAGE (PAGE_SIZE / 1024)

/* ---- Mounts ------------------------------------------------------------------------- */

#define MAX_MOUNTS 8

struct mount_note {
	const char *source, *path, *type, *opts;
};

static struct mount_note mounts[MAX_MOUNTS];
static unsigned mount_count;

void procfs_note_mount(const char *source, const char *path, const char *type, const char *opts)
{
	if (mount_count < MAX_MOUNTS)
		mounts[mount_count++] = (struct mount_note){ source, path, type, opts };
}

int procfs_show_mounts(struct pseudo_buf *b, long arg)
{
	(void)arg;
	for (unsigned i = 0; i < mount_count; i++)
		pseudo_printf(b, "%s %s %s %s 0 0\n", mounts[i].source, mounts[i].path, mounts[i].type,
			      mounts[i].opts);
	return 0;
}

/* The mount that holds path: the one with the longest prefix of it. */
static unsigned parent_mount(unsigned i)
{
	unsigned best = i, best_len = 0;

	for (unsigned j = 0; j < i; j++) {
		size_t n = strlen(mounts[j].path);

		if (strncmp(mounts[i].path, mounts[j].path, n) == 0 && n >= best_len &&
		    (n == 1 || mounts[i].path[n] == '/')) {
			best = j;
			best_len = (unsigned)n;
		}
	}
	return best;
}

/* mountinfo: id parent major:minor root point options - type source super-options */
int procfs_show_mountinfo(struct pseudo_buf *b, long arg)
{
	(void)arg;
	for (unsigned i = 0; i < mount_count; i++)
		pseudo_printf(b, "%u %u 0:%u / %s %s - %s %s %s\n", 20 + i, 20 + parent_mount(i), 20 + i,
			      mounts[i].path, mounts[i].opts, mounts[i].type, mounts[i].source,
			      strncmp(mounts[i].opts, "ro", 2) == 0 ? "ro" : "rw");
	return 0;
}

/* ---- System files -------------------------------------------------------------------- */

static void cpuinfo_sink(void *ctx, const char *s, size_t n)
{
	pseudo_write(ctx, s, n);
}

static int show_cpuinfo(struct pseudo_buf *b, long arg)
{
	unsigned n = cpu_count();

	(void)arg;
	for (unsigned i = 0; i < n; i++) {
		struct cpu *c = cpu_get(i);

		arch_cpuinfo(i, n, c ? c->apic_id : i, time_cycles_khz(), cpuinfo_sink, b);
	}
	return 0;
}

/* One meminfo line: the name and colon padded to 16 columns, the value in 8, " kB". */
static void meminfo_kb(struct pseudo_buf *b, const char *name, uint64_t kib)
{
	pseudo_printf(b, "%-15s %8llu kB\n", name, (unsigned long long)kib);
}

static int show_meminfo(struct pseudo_buf *b, long arg)
{
	uint64_t total = page_total_count() * KIB_PER_PAGE, free = page_free_count() * KIB_PER_PAGE;
	static const char *const zero_kb[] = {
		"Buffers:", "Cached:", "SwapCached:", "Active:", "Inactive:", "Active(anon):",
		"Inactive(anon):", "Active(file):", "Inactive(file):", "Unevictable:", "Mlocked:",
		"SwapTotal:", "SwapFree:", "Dirty:", "Writeback:", "AnonPages:", "Mapped:", "Shmem:",
		"KReclaimable:", "Slab:", "SReclaimable:", "SUnreclaim:", "KernelStack:", "PageTables:",
		"NFS_Unstable:", "Bounce:", "WritebackTmp:",
	};

	(void)arg;
	meminfo_kb(b, "MemTotal:", total);
	meminfo_kb(b, "MemFree:", free);
	meminfo_kb(b, "MemAvailable:", free);
	for (size_t i = 0; i < sizeof(zero_kb) / sizeof(zero_kb[0]); i++)
		meminfo_kb(b, zero_kb[i], 0);
	meminfo_kb(b, "CommitLimit:", total);
	meminfo_kb(b, "Committed_AS:", total - free);
	meminfo_kb(b, "VmallocTotal:", 34359738367ull);
	meminfo_kb(b, "VmallocUsed:", 0);
	meminfo_kb(b, "VmallocChunk:", 0);
	pseudo_printf(b, "HugePages_Total:       0\nHugePages_Free:        0\n"
		      "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	meminfo_kb(b, "Hugepagesize:", 2048);
	meminfo_kb(b, "Hugetlb:", 0);
	return 0;
}

/* Seconds with two decimals, as uptime and loadavg print them. */
static void put_centi(struct pseudo_buf *b, uint64_t ns)
{
	pseudo_printf(b, "%llu.%02llu", (unsigned long long)(ns / 1000000000u),
		      (unsigned long long)(ns / 10000000u % 100));
}

static int show_uptime(struct pseudo_buf *b, long arg)
{
	uint64_t up = clock_monotonic_ns();

	(void)arg;
	put_centi(b, up);
	pseudo_printf(b, " ");
	put_centi(b, up * cpu_count());	/* idle: every CPU's time (idle is not counted) */
	pseudo_printf(b, "\n");
	return 0;
}

static int show_loadavg(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "0.00 0.00 0.00 1/%u 1\n", thread_count());
	return 0;
}

/* Clock ticks (USER_HZ, 100 a second) since boot. */
static uint64_t ticks(uint64_t ns)
{
	return ns / 10000000u;
}

static int show_stat(struct pseudo_buf *b, long arg)
{
	uint64_t now = clock_monotonic_ns(), idle = ticks(now);
	uint64_t boot = (clock_realtime_ns() - now) / 1000000000u;
	unsigned n = cpu_count();

	(void)arg;
	pseudo_printf(b, "cpu  0 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)(idle * n));
	for (unsigned i = 0; i < n; i++)
		pseudo_printf(b, "cpu%u 0 0 0 %llu 0 0 0 0 0 0\n", i, (unsigned long long)idle);
	pseudo_printf(b, "intr 0\nctxt 0\nbtime %llu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n"
		      "softirq 0 0 0 0 0 0 0 0 0 0 0\n", (unsigned long long)boot);
	return 0;
}

static int show_version(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "Linux version %s (mote@mote) (gcc) %s\n", PROCFS_OSRELEASE, PROCFS_VERSION);
	return 0;
}

static int show_filesystems(struct pseudo_buf *b, long arg)
{
	(void)arg;
	pseudo_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tramfs\n");
	return 0;
}

/* ---- sys/: sysctls ------------------------------------------------------------------------ */

#define SYSCTL_TEXT(fn, text)						\
	static int fn(struct pseudo_buf *b, long arg)			\
	{								\
		(void)arg;						\
		pseudo_printf(b, "%s\n", text);				\
		return 0;						\
	}

SYSCTL_TEXT(show_hostname, "mote")
SYSCTL_TEXT(show_ostype, "Linux")
SYSCTL_TEXT(show_osrelease, PROCFS_OSRELEASE)
SYSCTL_TEXT(show_kversion, PROCFS_VERSION)
SYSCTL_TEXT(show_pid_max, "4194304")
SYSCTL_TEXT(show_ngroups_max, "65536")
SYSCTL_TEXT(show_cap_last_cap, "40")
SYSCTL_TEXT(show_poolsize, "256")
SYSCTL_TEXT(show_zero, "0")
SYSCTL_TEXT(show_max_map_count, "65530")
SYSCTL_TEXT(show_file_max, "9223372036854775807")
SYSCTL_TEXT(show_nr_open, "1048576")
SYSCTL_TEXT(show_somaxconn, "4096")
SYSCTL_TEXT(show_randomize, "2")

/* 16 random bytes as a version 4 UUID. */
static void put_uuid(struct pseudo_buf *b, const uint8_t r[16])
{
	pseudo_printf(b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
		      r[0], r[1], r[2], r[3], r[4], r[5], (r[6] & 0x0f) | 0x40, r[7],
		      (r[8] & 0x3f) | 0x80, r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* Random bits from the CPU, else mixed from the clocks (a UUID needs uniqueness, not secrecy). */
static void uuid_bytes(uint8_t r[16])
{
	for (int i = 0; i < 2; i++) {
		uint64_t v;

		if (!arch_random_u64(&v)) {
			v = clock_realtime_ns() * 0x9e3779b97f4a7c15ull ^ arch_cycles();
			v ^= v >> 29;
			v *= 0xbf58476d1ce4e5b9ull;
			v ^= v >> 32;
		}
		memcpy(r + 8 * i, &v, 8);
	}
}

static int show_uuid(struct pseudo_buf *b, long arg)
{
	uint8_t r[16];

	(void)arg;
	uuid_bytes(r);
	put_uuid(b, r);
	return 0;
}

/* The same for the whole boot: made the first time it is read. */
static int show_boot_id(struct pseudo_buf *b, long arg)
{
	static uint8_t id[16];
	static bool made;	/* races make two ids of which one stays: harmless */

	(void)arg;
	if (!__atomic_load_n(&made, __ATOMIC_ACQUIRE)) {
		uuid_bytes(id);
		__atomic_store_n(&made, true, __ATOMIC_RELEASE);
	}
	put_uuid(b, id);
	return 0;
}

static const struct pseudo_entry sys_entries[] = {
	DIR("fs", SYSCTL("file-max", show_file_max), SYSCTL("nr_open", show_nr_open)),
	DIR("kernel", SYSCTL("cap_last_cap", show_cap_last_cap), SYSCTL("hostname", show_hostname),
	    SYSCTL("ngroups_max", show_ngroups_max), SYSCTL("osrelease", show_osrelease),
	    SYSCTL("ostype", show_ostype), SYSCTL("pid_max", show_pid_max),
	    SYSCTL("randomize_va_space", show_randomize),
	    DIR("random", SYSCTL("boot_id", show_boot_id), SYSCTL("entropy_avail", show_poolsize),
		SYSCTL("poolsize", show_poolsize), SYSCTL("uuid", show_uuid)),
	    SYSCTL("version", show_kversion)),
	DIR("net", DIR("core", SYSCTL("somaxconn", show_somaxconn))),
	DIR("vm", SYSCTL("max_map_count", show_max_map_count),
	    SYSCTL("overcommit_memory", show_zero)),
	{ 0 },
};

/* ---- The root -------------------------------------------------------------------------------- */

static const struct pseudo_entry root_entries[] = {
	RO("cpuinfo", show_cpuinfo),
	RO("filesystems", show_filesystems),
	RO("loadavg", show_loadavg),
	RO("meminfo", show_meminfo),
	{ .name = "mounts", .mode = VFS_S_IFLNK | 0777, .target = "self/mounts" },
	{ .name = "net", .mode = VFS_S_IFLNK | 0777, .target = "self/net" },
	RO("stat", show_stat),
	{ .name = "sys", .mode = VFS_S_IFDIR | 0555, .children = sys_entries },
	RO("uptime", show_uptime),
	RO("version", show_version),
};

#define ROOT_FIXED (sizeof(root_entries) / sizeof(root_entries[0]))

struct vfs_fs *procfs_create(const struct pseudo_entry *pid_dir, int pid)
{
	/* The root table (the process's directory, "self", the fixed entries) and two names. */
	struct pseudo_entry *t = fs_zalloc((ROOT_FIXED + 3) * sizeof(*t) + 2 * 16);
	char *names = (char *)(t + ROOT_FIXED + 3);
	struct vfs_fs *fs;

	if (!t)
		return ERR_PTR(-ENOMEM);
	fmt_snprintf(names, 16, "%d", pid);
	memcpy(names + 16, names, 16);
	t[0] = (struct pseudo_entry){ .name = names, .mode = VFS_S_IFDIR | 0555, .children = pid_dir };
	t[1] = (struct pseudo_entry){ .name = "self", .mode = VFS_S_IFLNK | 0777, .target = names + 16 };
	memcpy(t + 2, root_entries, sizeof(root_entries));
	fs = pseudofs_create(t, ENOENT);
	if (IS_ERR(fs))
		fs_free(t);
	return fs;
}
