/* uname_sys: system facts that are the same on every Linux x86-64 machine,
 * or only checked for sanity: uname, the auxiliary vector, getrandom and
 * getentropy lengths (never values), resource limits (get, set lower, read
 * back through getrlimit and prlimit), sysinfo, CPU affinity and counts,
 * sysconf, and process identity relations (never the numbers). */
#include "compat.h"
#include <sched.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static void names(void)
{
	struct utsname u;

	CHECK(uname(&u) == 0);
	printf("sysname %s, machine %s, release non-empty %d, nodename non-empty %d\n", u.sysname, u.machine,
	       u.release[0] != 0, u.nodename[0] != 0);
	int major = 0, minor = 0;
	printf("release parses as N.N with N >= 3: %d\n", sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 3);
	printf("AT_PAGESZ %lu, AT_RANDOM set %d, AT_SECURE %lu, AT_PHDR set %d, AT_ENTRY set %d\n",
	       getauxval(AT_PAGESZ), getauxval(AT_RANDOM) != 0, getauxval(AT_SECURE), getauxval(AT_PHDR) != 0,
	       getauxval(AT_ENTRY) != 0);
	printf("AT_UID/AT_EUID agree %d, AT_GID/AT_EGID agree %d\n", getauxval(AT_UID) == getauxval(AT_EUID),
	       getauxval(AT_GID) == getauxval(AT_EGID));
}

static unsigned char big[1 << 20];

static void randomness(void)
{
	unsigned char a[256], b[256];
	size_t lens[] = { 0, 1, 16, 33, 256 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		printf("getrandom %zu: %s\n", lens[i], res(getrandom(a, lens[i], 0)));
	printf("getrandom GRND_NONBLOCK 64: %s\n", res(getrandom(a, 64, GRND_NONBLOCK)));
	ssize_t r = getrandom(big, sizeof(big), 0);
	printf("getrandom 1 MiB: at least 256 bytes %d\n", r >= 256);
	getrandom(a, sizeof(a), 0);
	getrandom(b, sizeof(b), 0);
	printf("two 256-byte draws differ: %d\n", memcmp(a, b, sizeof(a)) != 0);
	printf("getrandom bad flags: %s\n", res(getrandom(a, 8, 0x1000)));
	printf("getentropy 256: %s\n", res(getentropy(a, 256)));
	printf("getentropy 257: %s\n", res(getentropy(big, 257)));
}

static void limits(void)
{
	struct rlimit rl, got;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	printf("NOFILE soft <= hard: %d, soft >= 64: %d\n", rl.rlim_max == RLIM_INFINITY || rl.rlim_cur <= rl.rlim_max,
	       rl.rlim_cur >= 64);
	struct rlimit lower = { 64, rl.rlim_max };
	printf("setrlimit NOFILE soft 64: %s\n", res(setrlimit(RLIMIT_NOFILE, &lower)));
	getrlimit(RLIMIT_NOFILE, &got);
	printf("getrlimit NOFILE soft: %llu\n", (unsigned long long)got.rlim_cur);
	struct rlimit old, newer = { 48, rl.rlim_max };
	printf("prlimit set 48, get old: %s", res(prlimit(0, RLIMIT_NOFILE, &newer, &old)));
	printf(" old soft %llu\n", (unsigned long long)old.rlim_cur);
	getrlimit(RLIMIT_NOFILE, &got);
	printf("now %llu\n", (unsigned long long)got.rlim_cur);
	struct rlimit bad = { 100, 50 };
	printf("setrlimit soft > hard: %s\n", res(setrlimit(RLIMIT_NOFILE, &bad)));
	printf("getrlimit bad resource: %s\n", res(getrlimit(9999, &got)));
	CHECK(getrlimit(RLIMIT_STACK, &got) == 0);
	printf("STACK soft >= 128 KiB: %d\n", got.rlim_cur == RLIM_INFINITY || got.rlim_cur >= 128 * 1024);
	CHECK(getrlimit(RLIMIT_AS, &got) == 0);
	printf("AS getrlimit ok\n");
}

static void machine(void)
{
	struct sysinfo si;

	CHECK(sysinfo(&si) == 0);
	unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
	printf("sysinfo: totalram > 16 MiB %d, freeram <= totalram %d, procs >= 1 %d\n",
	       si.totalram * unit > (16ull << 20), si.freeram <= si.totalram, si.procs >= 1);
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	printf("sched_getaffinity count >= 1: %s\n", CPU_COUNT(&set) >= 1 ? "ok" : "no");
	long online = sysconf(_SC_NPROCESSORS_ONLN), conf = sysconf(_SC_NPROCESSORS_CONF);
	printf("nprocs online >= 1 %d, configured >= online %d, get_nprocs >= 1 %d\n", online >= 1, conf >= online,
	       get_nprocs() >= 1);
	printf("sysconf PAGESIZE %ld, CLK_TCK %ld, OPEN_MAX matches NOFILE %d\n", sysconf(_SC_PAGESIZE),
	       sysconf(_SC_CLK_TCK), sysconf(_SC_OPEN_MAX) == 48);
	printf("sched_getscheduler: %s\n", sched_getscheduler(0) == SCHED_OTHER ? "SCHED_OTHER" : "other");
	printf("sched_yield: %s\n", res(sched_yield()));
	printf("sched_getcpu >= 0: %d\n", sched_getcpu() >= 0);
}

static void identity(void)
{
	pid_t pid = getpid();

	printf("getpid > 0: %d, gettid == getpid in main: %d, getppid >= 0: %d\n", pid > 0,
	       (pid_t)syscall(SYS_gettid) == pid, getppid() >= 0);
	printf("uid == euid: %d, gid == egid: %d\n", getuid() == geteuid(), getgid() == getegid());
	printf("getpgrp/getsid >= 0: %d\n", getpgrp() >= 0 && getsid(0) >= 0);
	printf("umask old value returned: %d\n", (umask(027), umask(022)) == 027);
}

int main(void)
{
	names();
	randomness();
	limits();
	machine();
	identity();
	return 0;
}
