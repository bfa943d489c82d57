/*
 * System information and limits: uname, sysinfo, getrandom, the rlimit calls.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/fdtable.h>
#include <mote/linux.h>
#include <mote/layout.h>
#include <mote/mm.h>
#include <mote/pseudofs.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

struct utsname_k {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

SYSCALL(uname)
{
	struct utsname_k u;

	memset(&u, 0, sizeof(u));
	memcpy(u.sysname, "Linux", 6);
	memcpy(u.nodename, "mote", 5);
	/* A release glibc and runtimes accept as a modern kernel; the version says what runs. */
	memcpy(u.release, PROCFS_OSRELEASE, sizeof(PROCFS_OSRELEASE));
	memcpy(u.version, PROCFS_VERSION, sizeof(PROCFS_VERSION));
	memcpy(u.machine, arch_user_platform(), strlen(arch_user_platform()) + 1);
	memcpy(u.domainname, "(none)", 7);
	return copy_to_user((void *)a0, &u, sizeof(u)) ? -EFAULT : 0;
}

struct sysinfo_k {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

SYSCALL(sysinfo)
{
	struct sysinfo_k si;

	memset(&si, 0, sizeof(si));
	si.uptime = (int64_t)(clock_monotonic_ns() / 1000000000ULL);
	si.totalram = page_total_count() * PAGE_SIZE;
	si.freeram = page_free_count() * PAGE_SIZE;
	si.procs = (uint16_t)thread_count();
	si.mem_unit = 1;
	return copy_to_user((void *)a0, &si, sizeof(si)) ? -EFAULT : 0;
}

SYSCALL(getrandom)
{
	enum { GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4 };
	uint8_t buf[256];
	size_t done = 0, len = a1 > 0x1ffffff ? 0x1ffffff : a1;

	if (a2 & ~7UL || (a2 & GRND_RANDOM && a2 & GRND_INSECURE))
		return -EINVAL;
	while (done < len) {
		size_t chunk = len - done < sizeof(buf) ? len - done : sizeof(buf);

		random_bytes(buf, chunk);
		if (copy_to_user((char *)a0 + done, buf, chunk))
			return done ? (long)done : -EFAULT;
		done += chunk;
		if (signal_pending() && done < len)
			return (long)done;
	}
	return (long)done;
}

#define RLIM_INFINITY (~0ULL)
#define RLIMIT_NLIMITS 16
enum { RLIMIT_STACK = 3, RLIMIT_CORE = 4, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8 };

struct rlimit_k {
	uint64_t cur, max;
};

#define INF { RLIM_INFINITY, RLIM_INFINITY }

/* Linux's defaults for a root process (CPU, FSIZE, DATA, STACK, CORE, RSS, NPROC, NOFILE,
 * MEMLOCK, AS, LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME). */
static struct rlimit_k limits[RLIMIT_NLIMITS] = {
	INF, INF, INF, { 8 << 20, RLIM_INFINITY }, { 0, RLIM_INFINITY }, INF, INF,
	{ 1024, 4096 }, { 8 << 20, 8 << 20 }, INF, INF, INF, { 819200, 819200 }, { 0, 0 },
	{ 0, 0 }, INF,
};

static long do_prlimit(int resource, unsigned long new_u, unsigned long old_u)
{
	struct rlimit_k n;

	if (resource < 0 || resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (new_u) {
		if (copy_from_user(&n, (void *)new_u, sizeof(n)))
			return -EFAULT;
		if (n.cur > n.max)
			return -EINVAL;
		if (resource == RLIMIT_NOFILE && n.max > FD_MAX_LIMIT)
			return -EPERM;
	}
	if (old_u && copy_to_user((void *)old_u, &limits[resource], sizeof(n)))
		return -EFAULT;
	if (new_u) {
		limits[resource] = n;
		if (resource == RLIMIT_NOFILE)	/* what open, socket, dup, accept and poll check */
			fdtable_set_limit(current_process()->fds, n.cur);
		if (resource == RLIMIT_STACK)
			current_process()->rlimit_stack = n.cur;
	}
	return 0;
}

int linux_rlimit(int resource, uint64_t *cur, uint64_t *max)
{
	if (resource < 0 || resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	*cur = limits[resource].cur;
	*max = limits[resource].max;
	return 0;
}

SYSCALL(prlimit64)
{
	if (a0 && (int)a0 != current_process()->pid)
		return -ESRCH;
	return do_prlimit((int)a1, a2, a3);
}

SYSCALL(getrlimit)
{
	return do_prlimit((int)a0, 0, a1);
}
