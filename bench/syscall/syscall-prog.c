/*
 * bench-syscall-prog: what one system call costs, seen from the program.
 *
 * One static binary (musl) run unchanged in mote, in the Linux guest
 * (bench/linux/run-guest.sh) and on the host; bench/syscall/syscall.c drives
 * it and compares. Each row times a loop of one operation with
 * clock_gettime(CLOCK_MONOTONIC) around it and prints `NAME ns=X n=N`, the
 * mean cost per call, the median of REPS loops:
 *
 *   getpid             the raw `syscall` instruction (no libc, no pid cache):
 *                      the kernel's entry and exit and nothing else
 *   read_zero          read(2) of one byte from /dev/zero, only where it opens
 *                      (the host; the Linux guest, where the program makes the
 *                      node itself; not mote, which has no devfs yet): `n/a`
 *                      otherwise
 *   pread_file         pread(2) of one byte at offset 0 of a 4 KiB regular file
 *                      in /tmp (ramfs/tmpfs): the read path that exists on every
 *                      side, so the one the ratio of reads is taken on
 *   read_pipe          read(2) of one byte from a pipe kept non-empty: filled
 *                      to capacity outside the clock, drained a byte at a time
 *                      inside it
 *   clock_gettime      libc's clock_gettime(CLOCK_MONOTONIC): the vDSO when the
 *                      kernel offers one (AT_SYSINFO_EHDR), else a system call
 *   futex_wake         futex(FUTEX_WAKE, 1) on a word nobody waits on (shared)
 *   futex_wake_private the same with FUTEX_PRIVATE_FLAG, as pthreads uses it
 *
 * The kernel operations are raw `syscall` instructions, so libc's wrappers
 * cost nothing on any side (they would be the same code everywhere anyway).
 * The loop count is calibrated per row to take about TARGET_NS, so each row
 * takes a few tenths of a second under TCG whatever a call costs; the
 * calibration doubles as a warm-up (QEMU translates the loop once).
 *
 * Also printed: `vdso 0|1` (getauxval(AT_SYSINFO_EHDR)) and `devzero 0|1`.
 * Ends with guest_exit(0) (the Linux guest's way of stopping the VM; exit
 * elsewhere); 1 if a call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../linux/guest-exit.h"

#define TARGET_NS   300000000.0	/* one timed loop: 0.3 s */
#define CALIB_NS    20000000.0	/* calibrate until a loop takes 20 ms */
#define REPS        3
#define FUTEX_WAKE          1	/* <linux/futex.h>, which musl-gcc lacks */
#define FUTEX_PRIVATE_FLAG  128
#define FILE_PATH   "/tmp/bench-syscall.dat"

static int zero_fd = -1, file_fd = -1, pipe_fd[2] = { -1, -1 };
static long pipe_level;	/* bytes in the pipe */
static uint32_t futex_word;
static char buf[4096];

static inline long sys0(long nr)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline long sys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long sys4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static _Noreturn void fail(const char *what, long ret)
{
	printf("error %s: %s\n", what, strerror((int)-ret));
	guest_exit(1);
}

/* Each loop returns the ns its n calls took; a failing call ends the program. */

static double loop_getpid(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		sys0(SYS_getpid);
	return now_ns() - t0;
}

static double loop_read_zero(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sys3(SYS_read, zero_fd, (long)buf, 1);
		if (r != 1)
			fail("read /dev/zero", r);
	}
	return now_ns() - t0;
}

static double loop_pread_file(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sys4(SYS_pread64, file_fd, (long)buf, 1, 0);
		if (r != 1)
			fail("pread " FILE_PATH, r);
	}
	return now_ns() - t0;
}

/* Tops the pipe up to capacity (its write end is non-blocking). */
static void fill_pipe(void)
{
	long r;
	while ((r = sys3(SYS_write, pipe_fd[1], (long)buf, sizeof(buf))) > 0)
		pipe_level += r;
	if (r != -EAGAIN)
		fail("write pipe", r);
}

static double loop_read_pipe(long n)
{
	double ns = 0;
	while (n > 0) {
		if (pipe_level < (long)sizeof(buf))
			fill_pipe();
		long chunk = pipe_level < n ? pipe_level : n;
		double t0 = now_ns();
		for (long i = 0; i < chunk; i++) {
			long r = sys3(SYS_read, pipe_fd[0], (long)buf, 1);
			if (r != 1)
				fail("read pipe", r);
		}
		ns += now_ns() - t0;
		pipe_level -= chunk;
		n -= chunk;
	}
	return ns;
}

static double loop_clock_gettime(long n)
{
	struct timespec ts;
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return now_ns() - t0;
}

static double futex_loop(long n, long op)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sys3(SYS_futex, (long)&futex_word, op, 1);
		if (r != 0)
			fail("futex wake", r);
	}
	return now_ns() - t0;
}

static double loop_futex_wake(long n)
{
	return futex_loop(n, FUTEX_WAKE);
}

static double loop_futex_wake_private(long n)
{
	return futex_loop(n, FUTEX_WAKE | FUTEX_PRIVATE_FLAG);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Calibrates n to about TARGET_NS a loop, then prints the median of REPS loops. */
static void row(const char *name, double (*loop)(long))
{
	long n = 64;
	double t, per[REPS];

	while ((t = loop(n)) < CALIB_NS)
		n *= t < CALIB_NS / 16 ? 16 : 2;
	n = (long)(n * (TARGET_NS / t)) + 1;
	for (int r = 0; r < REPS; r++)
		per[r] = loop(n) / (double)n;
	qsort(per, REPS, sizeof(per[0]), cmp_double);
	printf("%s ns=%.1f n=%ld\n", name, per[REPS / 2], n);
	fflush(stdout);
}

static void setup(void)
{
	memset(buf, 'x', sizeof(buf));
	/* The Linux guest's initramfs holds only /dev/console: make /dev/zero. */
	if (guest_is_init() && access("/dev/zero", F_OK) != 0)
		mknod("/dev/zero", S_IFCHR | 0666, makedev(1, 5));
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	mkdir("/tmp", 01777);	/* the Linux guest's initramfs has none */
	file_fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (file_fd < 0)
		fail("open " FILE_PATH, -errno);
	if (write(file_fd, buf, sizeof(buf)) != sizeof(buf))
		fail("write " FILE_PATH, -errno);
	if (pipe2(pipe_fd, O_CLOEXEC) < 0)
		fail("pipe2", -errno);
	if (fcntl(pipe_fd[1], F_SETFL, O_NONBLOCK) < 0)
		fail("fcntl O_NONBLOCK", -errno);
}

int main(void)
{
	setup();
	printf("vdso %d\ndevzero %d\n", getauxval(AT_SYSINFO_EHDR) != 0, zero_fd >= 0);
	row("getpid", loop_getpid);
	if (zero_fd >= 0)
		row("read_zero", loop_read_zero);
	else
		printf("read_zero ns=n/a\n");
	row("pread_file", loop_pread_file);
	row("read_pipe", loop_read_pipe);
	row("clock_gettime", loop_clock_gettime);
	row("futex_wake", loop_futex_wake);
	row("futex_wake_private", loop_futex_wake_private);
	unlink(FILE_PATH);
	guest_exit(0);
}
