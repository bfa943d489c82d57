/*
 * sysfuzz: random system calls with random arguments, seeded and
 * reproducible (issue 5, "Bad input"). A static program that runs the same
 * under `mote run` and natively on Linux.
 *
 *   sysfuzz [--seed N] [--calls N] [--start K] [--only NR,...] [--skip NR,...] [--verbose]
 *
 * Every call is drawn from its own generator, seeded by (seed, call index),
 * so call i is the same call whatever ran before it: --start, --only and
 * --skip leave the other calls as they were, which is what shrinking a
 * failing seed needs (docs/testing.md, "Syscall fuzzing"). Nothing in the
 * generator reads the clock.
 *
 * What it may call is a whitelist (calls[] below): the calls mote
 * implements plus some it does not (to walk the -ENOSYS path), minus those
 * that would end or wedge the run or reach beyond the process on a real
 * Linux host, where it runs as root in CI. Each argument has a kind that
 * mixes good values with bad ones: pointers into its own buffers, just
 * before a guard page, into the kernel half, non-canonical, NULL; small,
 * boundary and random integers; its own descriptors; paths in a private
 * directory. A few calls then get a `fixup` that keeps them harmless:
 *
 *  - Nothing blocks for long: every descriptor it reads is O_NONBLOCK
 *    (and is made so again after any call that can create descriptors),
 *    and every timeout is a structure it builds, of at most 1 ms.
 *  - Memory calls that change mappings (mmap MAP_FIXED, munmap, mprotect,
 *    mremap, madvise) act only on the arena, a region it owns for that;
 *    everything else it maps is remembered and unmapped at the next
 *    refresh. brk never goes below where it started; nothing uses malloc.
 *  - Signals: only to itself, only ones with a handler, ignored, or
 *    ignored by default; masks never block the fault signals. SIGSEGV,
 *    SIGBUS, SIGILL and SIGFPE longjmp back to the loop, so a fault in the
 *    fuzzer's own use of a clobbered buffer ends only that call.
 *  - Paths stay in a private directory under /tmp: absolute paths inside
 *    it, relative ones without a leading "..", one ".." after a name,
 *    symlink targets that are plain names. No path can climb out.
 *  - clone makes threads that exit at once (an assembly stub), with all
 *    signals blocked around the call so none lands on the child; fork,
 *    vfork, clone3 and execve are left out.
 *
 * Every REFRESH calls the fixture is rebuilt: descriptors closed, the
 * directory emptied and refilled, the arena mapped again, signal state,
 * umask, cwd and brk restored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE		4096UL
#define SCRATCH_PAGES	16
#define ARENA_PAGES	32
#define REFRESH		1000
#define PROGRESS	10000
#define MAX_FDS		16
#define MAX_LEAKS	64
#define MAX_NRS		64

/* ---- the raw system call ---- */

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/*
 * clone(flags, stack, ptid, ctid, tls) whose child calls exit(0) at once,
 * touching neither memory nor its stack; the parent gets the result.
 */
long sysfuzz_clone(unsigned long flags, long stack, long ptid, long ctid, long tls);
long sysfuzz_restorer(void);
__asm__(".text\n"
	".globl sysfuzz_clone\n"
	"sysfuzz_clone:\n"
	"	mov %rcx, %r10\n"
	"	mov $56, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	mov $60, %eax\n"
	"	xor %edi, %edi\n"
	"	syscall\n"
	"	ud2\n"
	"1:	ret\n"
	".globl sysfuzz_restorer\n"
	"sysfuzz_restorer:\n"
	"	mov $15, %eax\n"
	"	syscall\n"
	"	ud2\n");

/* ---- the generator: splitmix64, one stream per call ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int one_in(unsigned n)
{
	return below(n) == 0;
}

static void rng_seed_call(uint64_t seed, uint64_t index)
{
	rng_state = seed * 0xd1b54a32d192ed03ULL ^ (index + 1) * 0x9e3779b97f4a7c15ULL;
	rnd();
}

/* ---- the fixture ---- */

static char tmpdir[64] = "/tmp/sysfuzz.XXXXXX";
static char *scratch;		/* SCRATCH_PAGES read-write, then a guard page */
static char *edge;		/* one page of 'a's, no NUL, then a guard page */
static char *arena;		/* ARENA_PAGES the memory calls may change */
static char *child_stacks;	/* stacks for clone children (never touched by them) */
static uintptr_t brk0;
static int fds[MAX_FDS], nfds, dirfd_tmp, dirfd_sub;
static int max_fd_seen;
static struct { uintptr_t addr; size_t len; } leaks[MAX_LEAKS];
static unsigned nleaks;
static pid_t self_pid, self_pgrp;
static long self_tid;
static volatile unsigned long handled_signals;
static jmp_buf fault_jmp;
static unsigned long faults;

/* The structures a fixup builds for one call (never handed out as a random pointer). */
static struct {
	struct { long sec, nsec; } ts;
	struct { long sec, usec; } tv;
	uint64_t sigset;
	struct { uintptr_t handler; unsigned long flags; uintptr_t restorer; uint64_t mask; } act;
	struct { void *base; size_t len; } iov[8];
	struct { uintptr_t ss; size_t len; } pselect_mask;
	int sched_prio;
	int one;
	struct { int type; int pid; } owner;
	struct { uint64_t flags, mode, resolve; } how;
} arg;

/* Signals it may send itself: each has a handler, is ignored, or is ignored by default. */
static const int safe_signals[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGURG, SIGWINCH, SIGCONT,
				    SIGPIPE, SIGIO, SIGALRM, 35, 36, 40, 50, 64 };
#define NSAFE (sizeof(safe_signals) / sizeof(safe_signals[0]))
/* Never blocked by a mask it sets: the fault signals and what CI uses to stop a job. */
#define SIGBIT(s) (1ULL << ((s) - 1))
#define NEVER_BLOCKED (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGFPE) | \
		       SIGBIT(SIGTRAP) | SIGBIT(SIGSYS) | SIGBIT(SIGINT) | SIGBIT(SIGTERM) | \
		       SIGBIT(SIGHUP) | SIGBIT(SIGQUIT))

static int default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static void on_signal(int sig)
{
	(void)sig;
	handled_signals++;
}

static void on_fault(int sig)
{
	(void)sig;
	faults++;
	longjmp(fault_jmp, 1);	/* SA_NODEFER: nothing to unblock */
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void reset_signals(void)
{
	static const int faults_[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	uint64_t none = 0;

	for (unsigned i = 0; i < 4; i++)
		set_handler(faults_[i], on_fault, SA_NODEFER);
	for (unsigned i = 0; i < NSAFE; i++) {
		int s = safe_signals[i];

		set_handler(s, s == SIGPIPE || s == SIGIO ? SIG_IGN : default_ignored(s) ? SIG_DFL :
			    on_signal, SA_RESTART);
	}
	sys(14 /* rt_sigprocmask */, SIG_SETMASK, &none, 8);
	sys(131 /* sigaltstack */, 0, 0, 0);
}

/* Removes everything below the directory fd refers to, without following symlinks. */
static void empty_dir(int dfd, int depth)
{
	char buf[2048];
	long n;

	while ((n = sys(217 /* getdents64 */, dfd, buf, sizeof(buf))) > 0) {
		int removed = 0;

		for (long off = 0; off < n;) {
			struct { uint64_t ino, off; unsigned short reclen; unsigned char type; char name[]; }
				*d = (void *)(buf + off);

			off += d->reclen;
			if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
				continue;
			if (sys(263 /* unlinkat */, dfd, d->name, 0) == 0) {
				removed++;
				continue;
			}
			sys(268 /* fchmodat */, dfd, d->name, 0700);
			int sub = (int)sys(257, dfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

			if (sub >= 0) {
				if (depth < 32)
					empty_dir(sub, depth + 1);
				sys(3, sub, 0, 0);
			}
			if (sys(263, dfd, d->name, AT_REMOVEDIR) == 0)
				removed++;
		}
		if (removed)	/* the directory changed under the reader: start again */
			sys(8 /* lseek */, dfd, 0, SEEK_SET);
		else
			break;
	}
}

static void remove_tree(void)
{
	int dfd = (int)sys(2, tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);

	if (dfd >= 0) {
		empty_dir(dfd, 0);
		sys(3, dfd, 0, 0);
	}
}

static int add_fd(long fd)
{
	if (fd >= 0 && nfds < MAX_FDS)
		fds[nfds++] = (int)fd;
	if (fd > max_fd_seen)
		max_fd_seen = (int)fd;
	return (int)fd;
}

static void make_nonblocking(void)
{
	for (int i = 0; i < nfds; i++)
		sys(72 /* fcntl */, fds[i], F_SETFL, O_NONBLOCK);
}

static void build_fixture(void)
{
	char p[128];
	int pfd[2];
	struct { long isec, insec, vsec, vnsec; } its = { 0, 1000000, 0, 1000000 };
	struct { uint32_t events; uint64_t data; } __attribute__((packed)) ev = { 1, 0 };

	sys(83 /* mkdir */, tmpdir, 0700, 0);
	sys(90 /* chmod */, tmpdir, 0700, 0);
	sys(80 /* chdir */, tmpdir, 0, 0);
	sys(95 /* umask */, 022, 0, 0);
	nfds = 0;
	sys(83, "d0", 0755, 0);
	sys(83, "d0/d1", 0755, 0);
	sys(88 /* symlink */, "f0", "l0", 0);
	snprintf(p, sizeof(p), "%s/d0", tmpdir);
	sys(88, p, "l1", 0);
	dirfd_tmp = add_fd(sys(2, tmpdir, O_RDONLY | O_DIRECTORY, 0));
	dirfd_sub = add_fd(sys(2, "d0", O_RDONLY | O_DIRECTORY, 0));
	int f0 = add_fd(sys(2, "f0", O_RDWR | O_CREAT, 0644));
	sys(1, f0, "some file contents\n", 19);
	add_fd(sys(2, "f1", O_RDONLY | O_CREAT, 0600));
	add_fd(sys(2, "d0/f2", O_WRONLY | O_CREAT | O_APPEND, 0644));
	for (int i = 0; i < 2; i++)
		if (sys(293 /* pipe2 */, pfd, O_NONBLOCK, 0) == 0) {
			add_fd(pfd[0]);
			add_fd(pfd[1]);
		}
	sys(1, fds[nfds - 1], "x", 1);
	int efd = add_fd(sys(290 /* eventfd2 */, 1, O_NONBLOCK, 0));
	int ep = add_fd(sys(291 /* epoll_create1 */, 0, 0, 0));
	int tfd = add_fd(sys(283 /* timerfd_create */, 1 /* MONOTONIC */, O_NONBLOCK, 0));
	sys6(286 /* timerfd_settime */, tfd, 0, (long)&its, 0, 0, 0);
	sys6(233 /* epoll_ctl */, ep, 1 /* ADD */, efd, (long)&ev, 0, 0);
	if (nfds > 6)
		sys6(233, ep, 1, fds[5], (long)&ev, 0, 0);
	make_nonblocking();
}

static void refresh(void)
{
	int top = max_fd_seen + 16 > 256 ? max_fd_seen + 16 : 256;

	reset_signals();
	for (int fd = 3; fd <= top; fd++)
		sys(3, fd, 0, 0);
	max_fd_seen = 0;
	for (unsigned i = 0; i < nleaks; i++)
		sys(11 /* munmap */, leaks[i].addr, leaks[i].len, 0);
	nleaks = 0;
	sys6(9 /* mmap */, (long)arena, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	sys(12 /* brk */, brk0, 0, 0);
	sys6(273 /* set_robust_list */, 0, 24, 0, 0, 0, 0);
	remove_tree();
	build_fixture();
}

static void remember_mapping(uintptr_t addr, size_t len)
{
	if (addr >= (uintptr_t)arena && addr < (uintptr_t)arena + ARENA_PAGES * PAGE)
		return;
	if (nleaks == MAX_LEAKS) {
		sys(11, leaks[0].addr, leaks[0].len, 0);
		memmove(leaks, leaks + 1, sizeof(leaks[0]) * (MAX_LEAKS - 1));
		nleaks--;
	}
	leaks[nleaks].addr = addr;
	leaks[nleaks].len = len;
	nleaks++;
}

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("sysfuzz: mmap");
		exit(1);
	}
	return p;
}

static void setup(uint64_t seed)
{
	char *p = map((SCRATCH_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE);

	scratch = p;
	mprotect(p + SCRATCH_PAGES * PAGE, PAGE, PROT_NONE);
	edge = map(2 * PAGE, PROT_READ | PROT_WRITE);
	memset(edge, 'a', PAGE);
	mprotect(edge + PAGE, PAGE, PROT_NONE);
	arena = map(ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE);
	child_stacks = map(4 * PAGE, PROT_READ | PROT_WRITE);
	rng_seed_call(seed, ~0ULL);
	for (size_t i = 0; i < SCRATCH_PAGES * PAGE / 8; i++)
		((uint64_t *)scratch)[i] = rnd();
	brk0 = (uintptr_t)sys(12, 0, 0, 0);
	self_pid = getpid();
	self_pgrp = getpgrp();
	sys(436 /* close_range: nothing inherited */, 3, ~0U, 0);
	self_tid = sys(186 /* gettid */, 0, 0, 0);
	if (!mkdtemp(tmpdir)) {
		perror("sysfuzz: mkdtemp");
		exit(1);
	}
	refresh();
}

/* ---- argument kinds ---- */

static long gen_int(void)
{
	static const long boundary[] = {
		0, 1, -1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0xffff, 0x10000,
		0x7fffffff, 0x80000000L, 0xffffffffL, 0x100000000L, INT64_MAX, INT64_MIN,
		-4096, -4095, 4095, 4097, 0x7ffffffffffffL,
	};

	switch (below(6)) {
	case 0: return (long)below(16);
	case 1: return boundary[below(sizeof(boundary) / sizeof(boundary[0]))];
	case 2: return (long)(1ULL << below(64)) - (long)below(2);
	case 3: return (int)rnd();
	case 4: return (long)rnd();
	default: return -(long)below(16);
	}
}

static long gen_len(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return (long)below(64);
	case 2: return (long)(PAGE + below(3) - 1);
	case 3: return (long)below(SCRATCH_PAGES * PAGE);
	case 4: return (long)(SCRATCH_PAGES * PAGE);
	case 5: return gen_int();
	default: return (long)below(512);
	}
}

static long gen_flags(void)
{
	switch (below(5)) {
	case 0: return 0;
	case 1: return 1L << below(32);
	case 2: return (1L << below(32)) | (1L << below(32)) | (1L << below(12));
	case 3: return (long)(uint32_t)rnd();
	default: return (long)below(8) << (4 * below(8));
	}
}

/* An address that is never valid user memory. */
static long gen_bad_ptr(void)
{
	switch (below(7)) {
	case 0: return (long)0xffff800000000000ULL + (long)(below(1 << 20) * 8);
	case 1: return (long)0xffffffff80000000ULL + (long)below(0x100000);
	case 2: return (long)0xffffffffff600000ULL;	/* the vsyscall page */
	case 3: return (long)0x0000800000000000ULL - (long)below(8);	/* just past user space */
	case 4: return (long)(0x8000000000000000ULL | rnd());	/* non-canonical */
	case 5: return (long)(below(16) * 8 + 1);	/* the null page */
	default: return -1 - (long)below(4096);
	}
}

/* An address in the kernel half or non-canonical: no range starting there reaches user memory. */
static long gen_kernel_ptr(void)
{
	switch (below(3)) {
	case 0: return (long)0xffff800000000000ULL + (long)(below(1 << 20) * PAGE);
	case 1: return (long)0xffffffffff600000ULL;
	default: return (long)(0x8000000000000000ULL | (rnd() & ~(PAGE - 1)));
	}
}

static long gen_ptr(void)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: case 2: case 3: return (long)(scratch + below(SCRATCH_PAGES * PAGE));
	case 4: return (long)scratch;
	case 5: return (long)(scratch + SCRATCH_PAGES * PAGE - 1 - below(64));	/* before the guard */
	case 6: return (long)(arena + below(ARENA_PAGES * PAGE));
	case 7: return (long)(scratch + below(SCRATCH_PAGES) * PAGE);
	default: return gen_bad_ptr();
	}
}

/* A descriptor: its own (mostly), any number, never stdin, stdout or stderr. */
static long gen_fd(void)
{
	long fd;

	switch (below(12)) {
	case 0: return -1;
	case 1: fd = gen_int(); break;
	case 2: return 3 + (long)below(64);
	default: return nfds ? fds[below(nfds)] : -1;
	}
	return (uint32_t)fd <= 2 ? fd + 3 : fd;	/* Linux reads an fd as 32 bits */
}

static long gen_dirfd(void)
{
	switch (below(4)) {
	case 0: return AT_FDCWD;
	case 1: return dirfd_tmp;
	case 2: return dirfd_sub;
	default: return gen_fd();
	}
}

/* Path strings live in a ring of slots at the start of scratch, rebuilt per call. */
static char path_buf[4][6000];
static unsigned path_next;

static const char *const names[] = { "f0", "f1", "f2", "d0", "d1", "l0", "l1", "x", "y" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

/*
 * Random bytes as a path, written into scratch first: raw scratch could
 * hold "/" or ".." (the kernel writes paths there), and no path may leave
 * the private directory. Without '/' and '.', it is one name below the cwd.
 */
static long gen_junk_name(void)
{
	size_t len = 1 + below(one_in(8) ? 400 : 40);
	char *p = scratch + below(SCRATCH_PAGES * PAGE - len);

	if (one_in(8))	/* unterminated: up to the guard page */
		p = scratch + SCRATCH_PAGES * PAGE - len;
	for (size_t i = 0; i < len; i++) {
		char c = (char)(1 + below(255));

		p[i] = c == '/' || c == '.' ? 'z' : c;
	}
	if (p + len < scratch + SCRATCH_PAGES * PAGE)
		p[len] = 0;
	return (long)p;
}

static long gen_path(void)
{
	char *p = path_buf[path_next++ % 4];
	size_t n = 0, cap = sizeof(path_buf[0]);
	unsigned depth = 1 + (unsigned)below(3), dotdot = one_in(4) ? 1 + (unsigned)below(depth) : 0;

	switch (below(12)) {
	case 0:	/* junk: one name of random bytes (no '/', no '.'), maybe unterminated */
		return gen_junk_name();
	case 1: return gen_bad_ptr();
	case 2: return (long)"";
	case 3:	/* unterminated: runs into the guard page */
		return (long)(edge + PAGE - 1 - below(300));
	case 4: {	/* a too-long name, or too long a path */
		size_t fill = one_in(2) ? 300 : cap - 1;

		n = (size_t)snprintf(p, cap, "%s/", tmpdir);
		memset(p + n, one_in(2) ? 'a' : '/', fill - n);
		p[fill] = 0;
		return (long)p;
	}
	case 5: case 6: case 7:	/* relative to the cwd (always inside the directory) */
		break;
	default:
		n = (size_t)snprintf(p, cap, "%s/", tmpdir);
	}
	for (unsigned i = 0; i < depth; i++) {
		n += (size_t)snprintf(p + n, cap - n, "%s%s", i ? "/" : "", names[below(NNAMES)]);
		if (dotdot == i + 1)
			n += (size_t)snprintf(p + n, cap - n, "/../%s", names[below(NNAMES)]);
	}
	if (one_in(8))
		snprintf(p + n, cap - n, "%s", one_in(2) ? "/" : "/.");
	return (long)p;
}

/* A symlink target: a plain name (resolved beside the link) or an absolute one in the directory. */
static long gen_link_target(void)
{
	char *p = path_buf[path_next++ % 4];

	switch (below(6)) {
	case 0: return gen_bad_ptr();
	case 1: return (long)"";
	case 2: snprintf(p, sizeof(path_buf[0]), "%s/%s", tmpdir, names[below(NNAMES)]); return (long)p;
	default: return (long)names[below(NNAMES)];
	}
}

static long gen_signal(void)
{
	static const int odd[] = { 0, -1, 65, 1000, INT32_MIN };

	return one_in(5) ? odd[below(5)] : safe_signals[below(NSAFE)];
}

static long gen_pid(void)
{
	switch (below(6)) {
	case 0: return 0x40000000 + (long)below(0x3fffffff);	/* no such process */
	case 1: return -0x40000000 - (long)below(1000);
	case 2: return (long)self_tid;
	default: return self_pid;
	}
}

/* A sigset that never blocks the fault signals, or a pointer that is not one. */
static long gen_sigmask(void)
{
	switch (below(5)) {
	case 0: return 0;
	case 1: return gen_bad_ptr();
	default:
		arg.sigset = rnd() & ~NEVER_BLOCKED;
		return (long)&arg.sigset;
	}
}

/* A timespec of at most 1 ms (or an invalid one, or a bad pointer); never NULL. */
static long gen_timeout(void)
{
	static const long nsec[] = { 0, 1, 1000, 1000000, 1000000000, -1 };

	if (one_in(6))
		return gen_bad_ptr();
	arg.ts.sec = one_in(10) ? -1 : 0;
	arg.ts.nsec = nsec[below(6)];
	return (long)&arg.ts;
}

static long gen_timeval(void)
{
	static const long usec[] = { 0, 1, 1000, 1000000, -1 };

	if (one_in(6))
		return gen_bad_ptr();
	arg.tv.sec = one_in(10) ? -1 : 0;
	arg.tv.usec = usec[below(5)];
	return (long)&arg.tv;
}

static long gen_iov(void)
{
	if (one_in(5))
		return gen_ptr();
	for (int i = 0; i < 8; i++) {
		arg.iov[i].base = (void *)gen_ptr();
		arg.iov[i].len = (size_t)(one_in(4) ? gen_len() : (long)below(256));
	}
	return (long)arg.iov;
}

/* An address in the arena (page-aligned mostly), or one no call can act on. */
static long gen_arena_addr(void)
{
	switch (below(8)) {
	case 0: return gen_bad_ptr() & ~(long)(PAGE - 1);
	case 1: return (long)(arena + below(ARENA_PAGES * PAGE));	/* unaligned */
	default: return (long)(arena + below(ARENA_PAGES) * PAGE);
	}
}

/* A length that keeps [addr, addr + len) inside the arena when addr is in it. */
static long arena_len(long addr)
{
	uintptr_t a = (uintptr_t)addr, lo = (uintptr_t)arena, hi = lo + ARENA_PAGES * PAGE;

	if (a < lo || a >= hi)
		return gen_len();
	switch (below(4)) {
	case 0: return 0;
	case 1: return (long)(hi - a);
	case 2: return (long)below(hi - a + 1);
	default: return (long)((below((hi - a) / PAGE) + 1) * PAGE) & ~(long)(PAGE - 1);
	}
}

static int in_arena(long addr, long len)
{
	uintptr_t a = (uintptr_t)addr, lo = (uintptr_t)arena, hi = lo + ARENA_PAGES * PAGE;

	return a >= lo && a <= hi && (uintptr_t)len <= hi - a;
}

/* ---- the calls ---- */

/*
 * Argument kinds: i int, l length, x flags, p pointer, f fd, d dirfd, s path, S symlink
 * target, k signal, P pid, m sigset pointer, t timeout (timespec), v iovec array, o mode,
 * a arena address, n arena length (of the previous argument), 8 sigset size.
 */
struct call {
	short nr;
	const char *name;
	const char *kinds;
	unsigned char creates_fds;
};

static const struct call calls[] = {
	{ 0, "read", "fpl" }, { 1, "write", "fpl" }, { 2, "open", "sxo", 1 }, { 3, "close", "f" },
	{ 4, "stat", "sp" }, { 5, "fstat", "fp" }, { 6, "lstat", "sp" }, { 7, "poll", "pli" },
	{ 8, "lseek", "fii" }, { 9, "mmap", "anxxfi" }, { 10, "mprotect", "anx" },
	{ 11, "munmap", "an" }, { 12, "brk", "i" }, { 13, "rt_sigaction", "kpp8" },
	{ 14, "rt_sigprocmask", "imp8" }, { 16, "ioctl", "fip" }, { 17, "pread64", "fpli" },
	{ 18, "pwrite64", "fpli" }, { 19, "readv", "fvi" }, { 20, "writev", "fvi" },
	{ 21, "access", "so" }, { 22, "pipe", "p", 1 }, { 23, "select", "ippp" },
	{ 24, "sched_yield", "" }, { 25, "mremap", "anlxa" }, { 26, "msync", "anx" },
	{ 28, "madvise", "ani" }, { 32, "dup", "f", 1 }, { 33, "dup2", "ff", 1 },
	{ 35, "nanosleep", "tp" }, { 39, "getpid", "" }, { 56, "clone", "xpppi" },
	{ 62, "kill", "Pk" }, { 63, "uname", "p" }, { 72, "fcntl", "fii", 1 }, { 74, "fsync", "f" },
	{ 75, "fdatasync", "f" }, { 76, "truncate", "si" }, { 77, "ftruncate", "fi" },
	{ 79, "getcwd", "pl" }, { 80, "chdir", "s" }, { 81, "fchdir", "f" }, { 82, "rename", "ss" },
	{ 83, "mkdir", "so" }, { 84, "rmdir", "s" }, { 85, "creat", "so", 1 }, { 86, "link", "ss" },
	{ 87, "unlink", "s" }, { 88, "symlink", "Ss" }, { 89, "readlink", "spl" },
	{ 90, "chmod", "so" }, { 91, "fchmod", "fo" }, { 92, "chown", "sii" },
	{ 93, "fchown", "fii" }, { 94, "lchown", "sii" }, { 95, "umask", "o" },
	{ 96, "gettimeofday", "pp" }, { 97, "getrlimit", "ip" }, { 98, "getrusage", "ip" },
	{ 99, "sysinfo", "p" }, { 100, "times", "p" }, { 102, "getuid", "" }, { 104, "getgid", "" },
	{ 107, "geteuid", "" }, { 108, "getegid", "" }, { 109, "setpgid", "PP" },
	{ 110, "getppid", "" }, { 111, "getpgrp", "" }, { 115, "getgroups", "ip" },
	{ 118, "getresuid", "ppp" }, { 120, "getresgid", "ppp" }, { 121, "getpgid", "P" },
	{ 124, "getsid", "P" }, { 127, "rt_sigpending", "p8" }, { 128, "rt_sigtimedwait", "ppt8" },
	{ 129, "rt_sigqueueinfo", "Pkp" }, { 130, "rt_sigsuspend", "p8" },
	{ 131, "sigaltstack", "pp" }, { 137, "statfs", "sp" }, { 138, "fstatfs", "fp" },
	{ 140, "getpriority", "ii" }, { 141, "setpriority", "iii" }, { 142, "sched_setparam", "Pp" },
	{ 143, "sched_getparam", "Pp" }, { 144, "sched_setscheduler", "Pip" },
	{ 145, "sched_getscheduler", "P" }, { 146, "sched_get_priority_max", "i" },
	{ 147, "sched_get_priority_min", "i" }, { 148, "sched_rr_get_interval", "Pp" },
	{ 149, "mlock", "an" }, { 150, "munlock", "an" }, { 157, "prctl", "ipiii" },
	{ 158, "arch_prctl", "ip" }, { 162, "sync", "" }, { 186, "gettid", "" },
	{ 200, "tkill", "Pk" }, { 201, "time", "p" }, { 202, "futex", "pxitpi" },
	{ 203, "sched_setaffinity", "Plp" }, { 204, "sched_getaffinity", "Plp" },
	{ 213, "epoll_create", "i", 1 }, { 217, "getdents64", "fpl" },
	{ 218, "set_tid_address", "p" }, { 228, "clock_gettime", "ip" },
	{ 229, "clock_getres", "ip" }, { 230, "clock_nanosleep", "ixtp" },
	{ 232, "epoll_wait", "fpii" }, { 233, "epoll_ctl", "fifp" }, { 234, "tgkill", "PPk" },
	{ 257, "openat", "dsxo", 1 }, { 258, "mkdirat", "dso" }, { 260, "fchownat", "dsiix" },
	{ 262, "newfstatat", "dspx" }, { 263, "unlinkat", "dsx" }, { 264, "renameat", "dsds" },
	{ 265, "linkat", "dsdsx" }, { 266, "symlinkat", "Sds" }, { 267, "readlinkat", "dspl" },
	{ 268, "fchmodat", "dso" }, { 269, "faccessat", "dsox" }, { 270, "pselect6", "ipppt" },
	{ 271, "ppoll", "pltm8" }, { 273, "set_robust_list", "pl" },
	{ 274, "get_robust_list", "Ppp" }, { 280, "utimensat", "dspx" },
	{ 281, "epoll_pwait", "fpiim8" }, { 283, "timerfd_create", "ix", 1 },
	{ 284, "eventfd", "i", 1 }, { 286, "timerfd_settime", "fxpp" },
	{ 287, "timerfd_gettime", "fp" }, { 290, "eventfd2", "ix", 1 },
	{ 291, "epoll_create1", "x", 1 }, { 292, "dup3", "ffx", 1 }, { 293, "pipe2", "px", 1 },
	{ 295, "preadv", "fvii" }, { 296, "pwritev", "fvii" }, { 297, "rt_tgsigqueueinfo", "PPkp" },
	{ 302, "prlimit64", "Pipp" }, { 306, "syncfs", "f" }, { 309, "getcpu", "ppp" },
	{ 316, "renameat2", "dsdsx" }, { 318, "getrandom", "plx" }, { 324, "membarrier", "ixi" },
	{ 332, "statx", "dsxxp" }, { 439, "faccessat2", "dsox" },
	/* Not implemented by mote (they walk the -ENOSYS path there); harmless on Linux. */
	{ 27, "mincore", "anp" }, { 36, "getitimer", "ip" }, { 40, "sendfile", "ffpl" },
	{ 41, "socket", "iii", 1 }, { 48, "shutdown", "fi" }, { 51, "getsockname", "fpp" },
	{ 52, "getpeername", "fpp" }, { 53, "socketpair", "iiip", 1 }, { 55, "getsockopt", "fiipp" },
	{ 61, "wait4", "Ppxp" }, { 73, "flock", "fx" }, { 78, "getdents", "fpl" },
	{ 125, "capget", "pp" }, { 132, "utime", "sp" }, { 136, "ustat", "ip" },
	{ 139, "sysfs", "ixp" }, { 187, "readahead", "fil" }, { 191, "getxattr", "sspl" },
	{ 192, "lgetxattr", "sspl" }, { 193, "fgetxattr", "fspl" }, { 194, "listxattr", "spl" },
	{ 195, "llistxattr", "spl" }, { 196, "flistxattr", "fpl" }, { 211, "get_thread_area", "p" },
	{ 221, "fadvise64", "fiii" }, { 224, "timer_gettime", "ip" }, { 225, "timer_getoverrun", "i" },
	{ 235, "utimes", "sp" }, { 239, "get_mempolicy", "pplpx" }, { 247, "waitid", "iipxp" },
	{ 252, "ioprio_get", "iP" }, { 275, "splice", "fpfplx" }, { 276, "tee", "ffix" },
	{ 277, "sync_file_range", "fiix" }, { 294, "inotify_init1", "x", 1 },
	{ 303, "name_to_handle_at", "dsppx" }, { 312, "kcmp", "PPiii" },
	{ 319, "memfd_create", "sx", 1 }, { 326, "copy_file_range", "fpfplx" },
	{ 327, "preadv2", "fviix" }, { 328, "pwritev2", "fviix" }, { 330, "pkey_alloc", "xx" },
	{ 331, "pkey_free", "i" }, { 434, "pidfd_open", "Px", 1 }, { 436, "close_range", "iix" },
	{ 437, "openat2", "dspl", 1 }, { 441, "epoll_pwait2", "fpitm8" },
	{ 449, "futex_waitv", "plxti" },
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* One argument of the given kind; prev is the one before it ('n' sizes an 'a'). */
static long gen_arg(char kind, const long *prev)
{
	switch (kind) {
	case 'i': return gen_int();
	case 'l': return gen_len();
	case 'x': return gen_flags();
	case 'p': return gen_ptr();
	case 'f': return gen_fd();
	case 'd': return gen_dirfd();
	case 's': return gen_path();
	case 'S': return gen_link_target();
	case 'k': return gen_signal();
	case 'P': return gen_pid();
	case 'm': return gen_sigmask();
	case 't': return gen_timeout();
	case 'v': return gen_iov();
	case 'o': return one_in(4) ? gen_int() : (long)below(010000);
	case 'a': return gen_arena_addr();
	case 'n': return arena_len(*prev);
	case '8': return one_in(8) ? gen_len() : 8;
	default: return 0;
	}
}

/*
 * The fixups: what keeps a call harmless to the run and to the host.
 * Returns 0 to make the call, or 1 to leave it out (it is still counted).
 */
static int fixup(int nr, long *a)
{
	switch (nr) {
	case 7: case 232: case 281:	/* poll, epoll_wait, epoll_pwait: 0 or 1 ms */
		a[nr == 7 ? 2 : 3] = (long)below(2);
		break;
	case 9: {	/* mmap */
		long fl = a[3];

		if (one_in(2))
			fl = (fl & ~0xfL) | MAP_ANONYMOUS | (one_in(3) ? MAP_SHARED : MAP_PRIVATE);
		if (one_in(4))
			fl |= MAP_FIXED;
		if ((fl & MAP_FIXED) && !in_arena(a[0], a[1]))
			fl &= ~(long)MAP_FIXED;	/* MAP_FIXED_NOREPLACE alone never replaces */
		if ((unsigned long)a[1] > (1UL << 20))
			fl &= ~(long)(MAP_POPULATE | MAP_LOCKED);
		a[3] = fl;
		a[2] &= one_in(2) ? 7 : ~0L;
		break;
	}
	case 10: case 11: case 26: case 149: case 150: case 27:	/* arena or an error */
		if (!in_arena(a[0], a[1]) && (uintptr_t)a[0] < 0x800000000000ULL)
			a[0] = gen_kernel_ptr();
		if (nr == 10)
			a[2] &= one_in(2) ? 7 : ~0L;
		break;
	case 28: {	/* madvise: no MADV_HWPOISON / SOFT_OFFLINE */
		static const int advice[] = { 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
					      18, 19, 20, 21, 22, 23, 25, 1000, -1 };

		if (!in_arena(a[0], a[1]) && (uintptr_t)a[0] < 0x800000000000ULL)
			a[0] = gen_kernel_ptr();
		a[2] = advice[below(sizeof(advice) / sizeof(advice[0]))];
		break;
	}
	case 25:	/* mremap: moves inside the arena or to fresh space */
		if (!in_arena(a[0], a[1]) && (uintptr_t)a[0] < 0x800000000000ULL)
			a[0] = gen_kernel_ptr();
		a[3] &= 7;
		if (a[3] & 2) {	/* MREMAP_FIXED */
			a[4] = gen_arena_addr();
			if (!in_arena(a[4], a[2]))
				a[2] = arena_len(a[4]);
			if (!in_arena(a[4], a[2]))
				a[3] &= ~2L;
		}
		if ((unsigned long)a[2] > (1UL << 32))
			a[2] = (long)below(1UL << 24);
		break;
	case 12:	/* brk: never below where it started */
		a[0] = one_in(4) ? 0 : one_in(4) ? gen_bad_ptr() : (long)(brk0 + below(16 << 20));
		break;
	case 13: {	/* rt_sigaction: change only safe signals, to safe dispositions */
		static const int unsafe[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGTERM, 32, 33, 34 };
		int sig, safe = 0;

		if (one_in(4))
			a[0] = unsafe[below(8)];
		sig = (int)a[0];
		for (unsigned i = 0; i < NSAFE; i++)
			safe |= safe_signals[i] == sig;
		if (!safe || one_in(3)) {	/* look only */
			a[1] = one_in(2) ? 0 : gen_bad_ptr();
			break;
		}
		arg.act.handler = sig == SIGPIPE || sig == SIGIO || one_in(3) ? (uintptr_t)SIG_IGN :
				  default_ignored(sig) && one_in(2) ? (uintptr_t)SIG_DFL :
				  (uintptr_t)on_signal;
		arg.act.flags = (rnd() & (SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_NOCLDSTOP |
					  SA_NOCLDWAIT)) | SA_RESTORER;
		arg.act.restorer = (uintptr_t)sysfuzz_restorer;
		arg.act.mask = rnd();
		a[1] = (long)&arg.act;
		break;
	}
	case 14:	/* rt_sigprocmask */
		a[0] = one_in(5) ? gen_int() : (long)below(3);
		break;
	case 22: case 293: case 53:	/* pipe, pipe2, socketpair: the fds land in scratch (read after) */
		if (nr == 53)	/* socketpair: AF_UNIX or no such family */
			a[0] = one_in(4) ? 1000 + (long)below(1000) : 1;
		if (a[nr == 53 ? 3 : 0] >= (long)arena && a[nr == 53 ? 3 : 0] < (long)(arena + ARENA_PAGES * PAGE))
			a[nr == 53 ? 3 : 0] = (long)(scratch + below(SCRATCH_PAGES * PAGE - 8));
		break;
	case 41:	/* socket: AF_UNIX or no such family (no netlink, no raw) */
		a[0] = one_in(4) ? 1000 + (long)below(1000) : 1;
		break;
	case 40: case 326:	/* sendfile, copy_file_range: at most 1 MiB (sparse files are huge) */
		a[nr == 40 ? 3 : 4] &= (1 << 20) - 1;
		break;
	case 16: {	/* ioctl: generic ones only (the tty range answers ENOTTY on these files) */
		static const long cmds[] = { 0x541b /* FIONREAD */, 0x5421 /* FIONBIO */,
					     0x5451 /* FIOCLEX */, 0x5450 /* FIONCLEX */,
					     0x5460 /* FIOQSIZE */, 0x5401, 0x5413, 0x540f };

		a[1] = one_in(3) ? 0x5400 + (long)below(0x50) : cmds[below(8)];
		if (a[1] == 0x5421) {	/* FIONBIO: stay non-blocking */
			arg.one = 1;
			a[2] = one_in(2) ? (long)&arg.one : gen_bad_ptr();
		}
		break;
	}
	case 23:	/* select: at most 1 ms */
		a[4] = gen_timeval();
		break;
	case 56: {	/* clone: a thread that exits at once, or flags Linux refuses */
		static const unsigned long extra[] = { 0x200, 0x400, 0x40000, 0x80000, 0x100000,
						       0x200000, 0x400000, 0x800000, 0x1000000,
						       0x80000000UL };
		unsigned long fl = 0x100 | 0x800 | 0x10000;	/* VM, SIGHAND, THREAD */

		for (unsigned i = 0; i < 10; i++)
			if (one_in(3))
				fl |= extra[i];
		fl |= below(65);
		if (one_in(5))
			fl = one_in(2) ? 0x10000 | 0x100 : 0x800;	/* EINVAL */
		a[0] = (long)fl;
		a[1] = one_in(8) ? 0 : (long)(child_stacks + (below(4) + 1) * PAGE - 64);
		if (one_in(2))
			a[4] = 0;
		break;
	}
	case 72:	/* fcntl */
		switch (a[1] = one_in(6) ? gen_int() : (long)below(12)) {
		case 4: a[2] = (a[2] | O_NONBLOCK) & ~(long)O_ASYNC; break;	/* F_SETFL */
		case 7: a[1] = 6; break;	/* F_SETLKW -> F_SETLK */
		case 8: a[2] = one_in(2) ? self_pid : 0; break;	/* F_SETOWN */
		case 10: a[2] = gen_signal(); break;	/* F_SETSIG */
		}
		if (a[1] == 38 || a[1] == 1024 || a[1] == 1026)	/* OFD_SETLKW, SETLEASE, NOTIFY */
			a[1] = 37;
		if (a[1] == 15)	/* F_SETOWN_EX */
			a[1] = 16;
		break;
	case 73:	/* flock: LOCK_NB always */
		a[1] |= 4;
		break;
	case 109:	/* setpgid: no real change of process group */
		if (a[0] == self_pid || a[0] == self_tid)
			a[1] = one_in(2) ? self_pgrp : 0x40000000;
		break;
	case 129: case 297:	/* rt_sigqueueinfo / rt_tgsigqueueinfo: to itself */
		a[0] = one_in(6) ? gen_pid() : self_pid;
		if (nr == 297 && !one_in(6))
			a[1] = self_tid;
		break;
	case 130:	/* rt_sigsuspend: only the refusals */
		if (a[1] == 8)
			a[0] = gen_bad_ptr();
		break;
	case 141:	/* setpriority: this process, and never above normal */
		a[0] = one_in(5) ? gen_int() : 0;
		if (a[0] == 1 || a[0] == 2)	/* PRIO_PGRP, PRIO_USER */
			a[0] = 7;
		a[1] = one_in(3) ? gen_pid() : 0;
		a[2] = (long)below(20);
		break;
	case 142: case 144:	/* sched_setparam / setscheduler: no real-time priorities */
		arg.sched_prio = one_in(2) ? 0 : one_in(2) ? -1 : 100;
		a[nr == 142 ? 1 : 2] = one_in(5) ? gen_bad_ptr() : (long)&arg.sched_prio;
		break;
	case 157: {	/* prctl: the get calls and harmless sets */
		static const int ops[] = { 1, 2, 3, 4, 15, 16, 21, 23, 25, 29, 30, 36, 37, 38, 39,
					   40, 41, 42, 1000, -1 };

		a[0] = ops[below(sizeof(ops) / sizeof(ops[0]))];
		if (a[0] == 1)
			a[1] = gen_signal();	/* PR_SET_PDEATHSIG */
		if (a[0] == 29)
			a[1] = (long)below(100000);
		break;
	}
	case 158: {	/* arch_prctl: reads only (SET_FS would take the TLS away) */
		static const int codes[] = { 0x1003 /* GET_FS */, 0x1004 /* GET_GS */,
					     0x1011 /* GET_CPUID */, 0x4001 /* GET_UNTAG_MASK */, 0, -1,
					     0x7fff };

		a[0] = codes[below(sizeof(codes) / sizeof(codes[0]))];
		break;
	}
	case 62:	/* kill */
		a[0] = one_in(6) ? gen_pid() : self_pid;
		if (a[0] == (long)self_tid && self_tid != self_pid)
			a[0] = self_pid;
		break;
	case 200:	/* tkill */
		a[0] = one_in(6) ? gen_pid() : self_tid;
		if (a[0] == self_pid)
			a[0] = self_tid;
		break;
	case 234:	/* tgkill */
		a[0] = one_in(6) ? gen_pid() : self_pid;
		a[1] = one_in(6) ? gen_pid() : self_tid;
		if (a[1] == self_pid)
			a[1] = self_tid;
		break;
	case 202: {	/* futex: the waits get a bounded timeout */
		int op = (int)(one_in(6) ? gen_int() : (long)below(14) | (one_in(2) ? 128 : 0) |
			       (one_in(4) ? 256 : 0));
		int cmd = op & 127;

		a[1] = op;
		if (cmd == 0 || cmd == 6 || cmd == 9 || cmd == 11 || cmd == 13)
			a[3] = gen_timeout();
		else if (cmd != 8 && one_in(2))
			a[3] = gen_int();
		break;
	}
	case 230: {	/* clock_nanosleep: no CPU-time clocks (a sleeper's own never advances) */
		static const long clocks[] = { 0, 1, 3, 4, 5, 6, 7, 8, 9, 11, 100, 0x7fffffff };

		a[0] = clocks[below(sizeof(clocks) / sizeof(clocks[0]))];
		a[1] &= 1;	/* TIMER_ABSTIME: {0, <= 1 ms} is long past */
		break;
	}
		break;
	case 270: {	/* pselect6: timeout and the {sigmask, size} pair */
		arg.pselect_mask.ss = (uintptr_t)gen_sigmask();
		arg.pselect_mask.len = (size_t)gen_arg('8', NULL);
		a[5] = one_in(4) ? 0 : one_in(4) ? gen_bad_ptr() : (long)&arg.pselect_mask;
		break;
	}
	case 302:	/* prlimit64: read only */
		a[2] = one_in(2) ? 0 : gen_bad_ptr();
		break;
	case 275: case 276:	/* splice, tee: SPLICE_F_NONBLOCK */
		a[nr == 275 ? 5 : 3] |= 2;
		break;
	case 436:	/* close_range: never stdin, stdout, stderr */
		if ((uint32_t)a[0] < 3)	/* Linux reads both as 32 bits */
			a[0] = 3;
		break;
	case 437:	/* openat2: a struct open_how */
		arg.how.flags = (uint64_t)gen_flags();
		arg.how.mode = (uint64_t)below(01000);
		arg.how.resolve = (uint64_t)(one_in(2) ? 0 : gen_flags());
		if (!one_in(4)) {
			a[2] = (long)&arg.how;
			a[3] = one_in(4) ? gen_len() : 24;
		}
		break;
	case 61: case 247:	/* wait4 / waitid: WNOHANG (there are no children anyway) */
		a[nr == 61 ? 2 : 3] |= 1;
		break;
	case 449:	/* futex_waitv */
		a[1] = (long)below(3);
		break;
	}
	return 0;
}

/* ---- the loop ---- */

static int only[MAX_NRS], nonly, skip[MAX_NRS], nskip;

static int listed(const int *list, int n, int nr)
{
	for (int i = 0; i < n; i++)
		if (list[i] == nr)
			return 1;
	return 0;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	sys(1, 2, buf, n);
}

static long do_call(const struct call *c, const long *a)
{
	if (c->nr == 56) {	/* clone: no signal may land on the child */
		uint64_t all = ~0ULL, old = 0;
		long ret;

		sys(14, SIG_SETMASK, &all, 8);
		ret = sysfuzz_clone((unsigned long)a[0], a[1], a[2], a[3], a[4]);
		sys(14, SIG_SETMASK, &old, 8);
		return ret;
	}
	return sys6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void after_call(const struct call *c, const long *a, long ret)
{
	if (ret < 0 && ret > -4096)
		return;
	if (c->creates_fds && (c->nr != 72 || a[1] == 0 || a[1] == 1030)) {
		/* Every descriptor stays non-blocking: fix the new ones, remember the highest. */
		int newfds[2] = { (int)ret, -1 };

		if (c->nr == 22 || c->nr == 293 || c->nr == 53) {
			const char *p = (const char *)a[c->nr == 53 ? 3 : 0];

			if (p < scratch || p > scratch + SCRATCH_PAGES * PAGE - 8)
				return;
			memcpy(newfds, p, sizeof(newfds));
		}
		for (int k = 0; k < 2; k++)
			if (newfds[k] >= 3 && newfds[k] < 65536) {
				sys(72, newfds[k], F_SETFL, O_NONBLOCK);
				if (newfds[k] > max_fd_seen)
					max_fd_seen = newfds[k];
			}
	}
	if (c->nr == 9 && !in_arena(ret, a[1]))
		remember_mapping((uintptr_t)ret, (size_t)a[1]);
	if (c->nr == 25 && !in_arena(ret, a[2]))
		remember_mapping((uintptr_t)ret, (size_t)a[2]);
	if (c->nr == 25 && ret == a[0] && in_arena(ret, 0) && !in_arena(ret, a[2]))	/* grew in place */
		remember_mapping((uintptr_t)arena + ARENA_PAGES * PAGE,
				 (size_t)(ret + a[2] - (long)(arena + ARENA_PAGES * PAGE)));
}

static long parse_num(const char *s, const char *opt)
{
	char *end;
	long v = strtol(s ? s : "", &end, 0);

	if (!s || !*s || *end || v < 0) {
		fprintf(stderr, "sysfuzz: %s needs a number\n", opt);
		exit(2);
	}
	return v;
}

static int parse_list(const char *s, int *list, const char *opt)
{
	int n = 0;
	char *end;

	while (s && *s && n < MAX_NRS) {
		list[n++] = (int)strtol(s, &end, 0);
		if (end == s || (*end && *end != ',')) {
			fprintf(stderr, "sysfuzz: %s needs numbers separated by commas\n", opt);
			exit(2);
		}
		s = *end ? end + 1 : end;
	}
	return n;
}

/* The options (globals: the loop below longjmps). */
static uint64_t seed = 1, ncalls = 100000, start;
static int verbose;

int main(int argc, char **argv)
{
	volatile uint64_t made = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--seed")) seed = (uint64_t)parse_num(v, o), i++;
		else if (!strcmp(o, "--calls")) ncalls = (uint64_t)parse_num(v, o), i++;
		else if (!strcmp(o, "--start")) start = (uint64_t)parse_num(v, o), i++;
		else if (!strcmp(o, "--only")) nonly = parse_list(v, only, o), i++;
		else if (!strcmp(o, "--skip")) nskip = parse_list(v, skip, o), i++;
		else if (!strcmp(o, "--verbose")) verbose = 1;
		else {
			fprintf(stderr, "usage: sysfuzz [--seed N] [--calls N] [--start K] "
				"[--only NR,...] [--skip NR,...] [--verbose]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(seed);
	printf("sysfuzz: seed %llu, %llu calls, %zu system calls in the list, directory %s\n",
	       (unsigned long long)seed, (unsigned long long)ncalls, NCALLS, tmpdir);

	for (volatile uint64_t i = 0; i < ncalls; i++) {
		if (i && i % PROGRESS == 0)
			printf("sysfuzz: %llu calls\n", (unsigned long long)i);
		if (i && i % REFRESH == 0)
			refresh();
		if (setjmp(fault_jmp))
			continue;
		rng_seed_call(seed, i);

		const struct call *c = &calls[below(NCALLS)];
		long a[6] = { 0 };

		for (int k = 0; c->kinds[k] && k < 6; k++)
			a[k] = gen_arg(c->kinds[k], k ? &a[k - 1] : a);
		for (int k = (int)strlen(c->kinds); k < 6; k++)
			a[k] = one_in(4) ? gen_int() : 0;	/* unused arguments are not always 0 */
		if (fixup(c->nr, a) || i < start || (nonly && !listed(only, nonly, c->nr)) ||
		    listed(skip, nskip, c->nr))
			continue;
		if (verbose)
			say("sysfuzz: #%llu %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
			    (unsigned long long)i, c->name, a[0], a[1], a[2], a[3], a[4], a[5]);
		long ret = do_call(c, a);

		made++;
		if (verbose)
			say("sysfuzz: #%llu = %ld\n", (unsigned long long)i, ret);
		after_call(c, a, ret);
	}
	refresh();
	remove_tree();
	sys(80, "/", 0, 0);
	sys(84 /* rmdir */, tmpdir, 0, 0);
	printf("sysfuzz: %llu made, %lu faults caught, %lu signals handled\n",
	       (unsigned long long)made, faults, (unsigned long)handled_signals);
	printf("sysfuzz: %llu calls, seed %llu, done\n", (unsigned long long)ncalls,
	       (unsigned long long)seed);
	return 0;
}
