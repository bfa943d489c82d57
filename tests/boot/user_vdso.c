/*
 * The vDSO from a program's side (docs/vdso.md), built static with musl and
 * with glibc (tests/boot/build.mk):
 *   - AT_SYSINFO_EHDR names an ELF image, with the data page below it that
 *     mprotect cannot make writable;
 *   - libc's clock_gettime/gettimeofday/time (through the vDSO) and the
 *     system calls agree: read vDSO, syscall, vDSO in a loop and the three
 *     are in order, for every clock the vDSO serves, in two threads at once;
 *     realtime is a plausible date; the clocks the vDSO leaves to the kernel
 *     (CPU time, bad ids) still work through its fallback;
 *   - between the lines "vdso: untraced begin" and "vdso: untraced end" it
 *     only calls the vDSO functions, so with `strace` on the kernel command
 *     line no clock_gettime/gettimeofday/time/getcpu line may appear there
 *     (test-boot.sh checks);
 *   - it prints the cost of a vDSO clock_gettime and of the system call;
 *   - it unmaps the vDSO at the end (the kernel must not free its frames).
 * Prints "vdso: PASS" and exits 0, or "vdso: FAIL ..." lines and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOOPS 300
#define NS    1000000000LL

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("vdso: FAIL line %d: ", __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED); \
		}							\
	} while (0)

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

static int64_t libc_ns(clockid_t c)
{
	struct timespec ts;

	CHECK(clock_gettime(c, &ts) == 0, "clock_gettime(%d) failed", (int)c);
	return ts_ns(&ts);
}

static int64_t sys_ns(clockid_t c)
{
	struct timespec ts;

	CHECK(syscall(SYS_clock_gettime, c, &ts) == 0, "SYS_clock_gettime(%d) failed", (int)c);
	return ts_ns(&ts);
}

static int64_t libc_tod_us(void)
{
	struct timeval tv;

	CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday failed");
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static int64_t sys_tod_us(void)
{
	struct timeval tv;

	CHECK(syscall(SYS_gettimeofday, &tv, NULL) == 0, "SYS_gettimeofday failed");
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void say(const char *s)
{
	fflush(stdout);		/* keep stdio's lines and this one in order */
	if (write(1, s, strlen(s)) < 0)
		failures++;
}

/* Only vDSO functions between the markers (the realtime offset is read before). */
static void untraced(void)
{
	struct timespec ts;
	struct timeval tv;
	int64_t last = 0;

	libc_ns(CLOCK_REALTIME);
	say("vdso: untraced begin\n");
	for (int i = 0; i < 100; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		CHECK(ts_ns(&ts) >= last, "monotonic went back");
		last = ts_ns(&ts);
		clock_gettime(CLOCK_REALTIME, &ts);
		gettimeofday(&tv, NULL);
		time(NULL);
		sched_getcpu();
	}
	say("vdso: untraced end\n");
}

/* vDSO, system call, vDSO: in order, for each clock the vDSO answers. */
static void *compare(void *arg)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME,
					    CLOCK_MONOTONIC_RAW };

	(void)arg;
	for (int i = 0; i < LOOPS; i++) {
		for (unsigned k = 0; k < sizeof(clocks) / sizeof(clocks[0]); k++) {
			int64_t a = libc_ns(clocks[k]), b = sys_ns(clocks[k]), c = libc_ns(clocks[k]);

			CHECK(a <= b && b <= c, "clock %d: vdso %lld, syscall %lld, vdso %lld",
			      (int)clocks[k], (long long)a, (long long)b, (long long)c);
		}
		int64_t a = libc_tod_us(), b = sys_tod_us(), c = libc_tod_us();

		CHECK(a <= b && b <= c, "gettimeofday: %lld %lld %lld", (long long)a, (long long)b,
		      (long long)c);
		time_t ta = time(NULL), tb = syscall(SYS_time, NULL), tc = time(NULL);

		CHECK(ta <= tb && tb <= tc, "time: %lld %lld %lld", (long long)ta, (long long)tb,
		      (long long)tc);
	}
	return NULL;
}

static void check_image(void)
{
	const unsigned char *ehdr = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const uint32_t *vvar = (const uint32_t *)(ehdr - 4096);

	CHECK(ehdr != NULL, "no AT_SYSINFO_EHDR");
	if (!ehdr)
		return;
	CHECK(memcmp(ehdr, "\177ELF", 4) == 0 && ehdr[16] == 3, "AT_SYSINFO_EHDR is not an ET_DYN ELF");
	CHECK((vvar[0] & 1) == 0 && vvar[1] == 1, "data page: seq %u version %u", vvar[0], vvar[1]);
	CHECK(mprotect((void *)vvar, 4096, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "the data page could be made writable");
	/* Words 2 and 3 of struct vdso_data (include/abi/vdso.h): the clock and getcpu modes. */
	printf("vdso: image at %p, clock mode %u, cpu mode %u\n", (void *)ehdr, vvar[2], vvar[3]);
}

static void check_fallbacks(void)
{
	struct timespec ts, res, sres;
	unsigned scpu = 98;
	int cpu;

	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts_ns(&ts) > 0, "process CPU time");
	CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 && ts_ns(&ts) > 0, "thread CPU time");
	errno = 0;
	CHECK(clock_gettime((clockid_t)12345, &ts) == -1 && errno == EINVAL, "bad clock id: errno %d",
	      errno);
	CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
	      syscall(SYS_clock_getres, CLOCK_MONOTONIC, &sres) == 0 &&
	      res.tv_sec == sres.tv_sec && res.tv_nsec == sres.tv_nsec, "clock_getres differs");
	CHECK(clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 &&
	      syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &sres) == 0 &&
	      res.tv_nsec == sres.tv_nsec, "coarse clock_getres differs");
	cpu = sched_getcpu();
	CHECK(syscall(SYS_getcpu, &scpu, NULL, NULL) == 0, "SYS_getcpu failed");
	CHECK(cpu >= 0 && cpu < 64 && scpu < 64, "sched_getcpu %d, SYS_getcpu %u", cpu, scpu);

	int64_t real = libc_ns(CLOCK_REALTIME) / NS;

	CHECK(real > 1577836800 && real < 4102444800, "realtime %lld is not between 2020 and 2100",
	      (long long)real);
}

static int64_t per_call_ns(int use_syscall, int n)
{
	struct timespec ts;
	int64_t start = libc_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < n; i++) {
		if (use_syscall)
			syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		else
			clock_gettime(CLOCK_MONOTONIC, &ts);
	}
	return (libc_ns(CLOCK_MONOTONIC) - start) / n;
}

int main(void)
{
	pthread_t t[2];

	check_image();
	untraced();
	check_fallbacks();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, compare, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("vdso: clock_gettime %lld ns/call, syscall %lld ns/call\n",
	       (long long)per_call_ns(0, 20000), (long long)per_call_ns(1, 1000));

	const unsigned char *ehdr = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);

	if (ehdr)
		CHECK(munmap((void *)(ehdr - 4096), 4096 * 2) == 0, "munmap of the vDSO failed");
	printf(failures ? "vdso: FAIL (%d)\n" : "vdso: PASS\n", failures);
	return failures != 0;
}
