/* mmap_prot: protection and remapping: writes to a read-only page and reads
 * of a PROT_NONE page raise SIGSEGV with si_code SEGV_ACCERR and si_addr
 * the faulting byte, unmapped memory gives SEGV_MAPERR, mprotect back to RW
 * works, a page of generated code runs after mprotect to PROT_EXEC (what a
 * JIT does), and mremap grows in place, moves with MREMAP_MAYMOVE or
 * MREMAP_FIXED keeping contents, shrinks, and refuses to grow into a
 * neighbour without MAYMOVE. */
#include "compat.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;

static volatile int armed;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!armed) {
		static const char msg[] = "unexpected SIGSEGV\n";
		write(1, msg, sizeof(msg) - 1);
		_exit(3);
	}
	armed = 0;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, sig);
}

static const char *code_name(int c)
{
	return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

/* Reads (write == 0) or writes p; prints whether and how it faulted. */
static void probe(const char *what, volatile char *p, int write)
{
	fault_addr = NULL;
	fflush(stdout);
	if (sigsetjmp(jb, 1) == 0) {
		armed = 1;
		if (write)
			*p = 1;
		else
			(void)*p;
		armed = 0;
		printf("%s: no fault\n", what);
	} else {
		printf("%s: SIGSEGV %s, si_addr is the byte %d\n", what, code_name(fault_code),
		       fault_addr == (void *)p);
	}
}

static void protection(size_t pg)
{
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 'x', 3 * pg);
	printf("mprotect page 1 read-only: %s\n", res(mprotect(p + pg, pg, PROT_READ)));
	probe("write read-only", p + pg + 123, 1);
	probe("read read-only", p + pg + 123, 0);
	probe("write page 0 (still RW)", p + 5, 1);
	printf("mprotect page 2 PROT_NONE: %s\n", res(mprotect(p + 2 * pg, pg, PROT_NONE)));
	probe("read PROT_NONE", p + 2 * pg + 7, 0);
	printf("mprotect all RW: %s\n", res(mprotect(p, 3 * pg, PROT_READ | PROT_WRITE)));
	probe("write page 1 again", p + pg + 123, 1);
	probe("read page 2 again", p + 2 * pg + 7, 0);
	printf("contents survived: %c %c\n", p[pg + 1], p[2 * pg + 1]);
	munmap(p, 3 * pg);
	probe("read after munmap", p + 10, 0);
	probe("write near NULL", (char *)16, 1);
	printf("mprotect unaligned: %s\n", res(mprotect(p + 1, pg, PROT_READ)));
	printf("mprotect unmapped: %s\n", res(mprotect(p, pg, PROT_READ)));
}

static void jit(size_t pg)
{
	/* mov eax, imm32; ret */
	unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };
	unsigned char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	memcpy(p, code, sizeof(code));
	printf("mprotect RX: %s\n", res(mprotect(p, pg, PROT_READ | PROT_EXEC)));
	int (*fn)(void) = (int (*)(void))(void *)p;
	printf("generated code returned %d\n", fn());
	CHECK(mprotect(p, pg, PROT_READ | PROT_WRITE) == 0);
	p[1] = 99;
	CHECK(mprotect(p, pg, PROT_READ | PROT_EXEC) == 0);
	printf("patched code returned %d\n", fn());
	munmap(p, pg);
}

static void remap(size_t pg)
{
	/* Three pages: two to remap, the third a read-only neighbour that
	 * blocks growth in place (MAP_FIXED elsewhere could hit libc's memory). */
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < 2 * pg; i++)
		p[i] = (char)(i % 251);
	char *wall = p + 2 * pg;
	CHECK(mprotect(wall, pg, PROT_READ) == 0);
	errno = 0;
	void *q = mremap(p, 2 * pg, 4 * pg, 0);
	printf("mremap grow into neighbour without MAYMOVE: %s %s\n", q == MAP_FAILED ? "MAP_FAILED" : "ok",
	       errname(errno));
	char *m = mremap(p, 2 * pg, 16 * pg, MREMAP_MAYMOVE);
	CHECK(m != MAP_FAILED);
	int kept = 1;
	for (size_t i = 0; i < 2 * pg; i++)
		kept &= m[i] == (char)(i % 251);
	printf("mremap MAYMOVE: moved %d, contents kept %d, new part zero %d\n", m != p, kept,
	       m[2 * pg] == 0 && m[16 * pg - 1] == 0);
	m[16 * pg - 1] = 'e';
	munmap(wall, pg);

	char *s = mremap(m, 16 * pg, 4 * pg, 0);
	printf("mremap shrink in place: same address %d\n", s == m);
	probe("touch past the shrunk end", m + 8 * pg, 0);

	char *target = mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(target != MAP_FAILED);
	char *f = mremap(s, 4 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, target + 2 * pg);
	kept = f == target + 2 * pg;
	for (size_t i = 0; kept && i < 2 * pg; i++)
		kept &= f[i] == (char)(i % 251);
	printf("mremap FIXED to a chosen address: placed and kept %d\n", kept);
	probe("old address after move", s, 0);
	errno = 0;
	q = mremap(f, 4 * pg, 4 * pg, MREMAP_FIXED, target);
	printf("MREMAP_FIXED without MAYMOVE: %s %s\n", q == MAP_FAILED ? "MAP_FAILED" : "ok", errname(errno));
	errno = 0;
	q = mremap(f + 1, pg, 2 * pg, MREMAP_MAYMOVE);
	printf("mremap unaligned: %s %s\n", q == MAP_FAILED ? "MAP_FAILED" : "ok", errname(errno));

	/* Grow in place when the space after is free. */
	char *g = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(g != MAP_FAILED);
	CHECK(munmap(g + pg, 7 * pg) == 0);
	g[0] = 'g';
	char *h = mremap(g, pg, 8 * pg, 0);
	printf("mremap grow in place: same address %d, kept %c, tail writable\n", h == g, h[0]);
	h[8 * pg - 1] = 1;
	munmap(h, 8 * pg);
	munmap(target, 8 * pg);
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	protection(pg);
	jit(pg);
	remap(pg);
	return 0;
}
