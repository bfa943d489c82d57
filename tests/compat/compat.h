/*
 * compat.h: the few helpers every compatibility program shares.
 *
 * A compat program is an ordinary Linux program whose stdout, stderr and exit
 * status describe everything it observed, so that running it natively and in
 * mote and diffing the two is the whole test. That rules out printing what
 * varies between runs or hosts: addresses, PIDs, timings (only thresholds, as
 * "ok"), strerror() texts (glibc and musl word them differently). Hence an
 * errno-to-name table of our own, a PRNG with a fixed seed, and CHECK, which
 * turns a broken expectation into a line naming the source line and exit 1.
 *
 * Header-only and static inline, so each program is one .c file.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The symbolic name of an errno value, or "errno<N>" for one not listed. */
static inline const char *errname(int e)
{
	static const struct { int no; const char *name; } names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
		{ ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" }, { ECHILD, "ECHILD" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ EXDEV, "EXDEV" }, { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" },
		{ ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },
		{ EMLINK, "EMLINK" }, { EPIPE, "EPIPE" }, { EDOM, "EDOM" },
		{ ERANGE, "ERANGE" }, { EDEADLK, "EDEADLK" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" }, { ELOOP, "ELOOP" },
		{ EOVERFLOW, "EOVERFLOW" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
	};
	static __thread char other[24];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].no == e)
			return names[i].name;
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

/*
 * A system call's result as text: the value when it is not -1, else
 * "-1 ENAME" from errno. Eight rotating buffers, so one printf may hold
 * several.
 */
static inline const char *res(long r)
{
	static __thread char bufs[8][40];
	static __thread unsigned next;
	char *b = bufs[next++ % 8];

	if (r == -1)
		snprintf(b, sizeof(bufs[0]), "-1 %s", errname(errno));
	else
		snprintf(b, sizeof(bufs[0]), "%ld", r);
	return b;
}

/* A pthread-style result (0 or an error number) as text. */
static inline const char *pres(int r)
{
	return r == 0 ? "0" : errname(r);
}

/* A broken expectation: say where, flush, exit 1. */
#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			printf("FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond, \
			       errname(errno));                                        \
			fflush(stdout);                                                \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

/* xorshift64: a small PRNG with a fixed seed, the same under every libc. */
static uint64_t compat_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t rng_next(void)
{
	uint64_t x = compat_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return compat_rng_state = x;
}

static inline uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

/* FNV-1a, 64 bits: the checksum the programs print for byte streams. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}
#define FNV1A_INIT 0xcbf29ce484222325ull

/* Monotonic time in nanoseconds, for thresholds only. */
static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep for ms milliseconds, resuming after signals. */
static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Close every descriptor above stderr: a test that prints descriptor numbers
 * must not see what the native parent leaked (make's jobserver pipes).
 */
static inline void close_extra_fds(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

/*
 * Make and enter a fresh directory under /tmp, returning its path. Names
 * inside are then relative and the output never shows the random part.
 */
static inline const char *enter_tmpdir(void)
{
	static char path[] = "/tmp/compat-XXXXXX";

	CHECK(mkdtemp(path) != NULL);
	CHECK(chdir(path) == 0);
	return path;
}

#endif
