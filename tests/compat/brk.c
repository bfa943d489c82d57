/* brk: the program break through the raw system call (musl's brk() and
 * sbrk(n) refuse by design): query, grow by 1 MiB and touch every page,
 * shrink back (the freed range faults), and an impossible request that
 * leaves the break alone. Everything is measured before stdio allocates,
 * then printed. */
#include "compat.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>

static sigjmp_buf jb;

static void on_segv(int sig)
{
	siglongjmp(jb, sig);
}

static uintptr_t sys_brk(uintptr_t to)
{
	return (uintptr_t)syscall(SYS_brk, to);
}

int main(void)
{
	enum { MB = 1 << 20 };
	static char line[8][96];
	int n = 0;
	struct sigaction sa = { .sa_handler = on_segv };

	sigaction(SIGSEGV, &sa, NULL);
	uintptr_t start = sys_brk(0);
	snprintf(line[n++], 96, "initial break nonzero: %d", start != 0);
	uintptr_t grown = sys_brk(start + MB);
	snprintf(line[n++], 96, "grow by 1 MiB: %d", grown == start + MB);
	long sum = 0;
	for (uintptr_t p = start; p < start + MB; p += 4096) {
		*(volatile char *)p = 3;
		sum += *(volatile char *)p;
	}
	snprintf(line[n++], 96, "touched %ld pages of the new heap", sum / 3);
	uintptr_t odd = sys_brk(start + MB + 100);
	snprintf(line[n++], 96, "unaligned break accepted as asked: %d", odd == start + MB + 100);
	*(volatile char *)(start + MB + 99) = 1;
	uintptr_t shrunk = sys_brk(start + 4096);
	snprintf(line[n++], 96, "shrink to one page: %d", shrunk == start + 4096);
	int faulted = 0;
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)(start + 8192 + 5) = 1;
	else
		faulted = 1;
	snprintf(line[n++], 96, "freed range faults: %d", faulted);
	uintptr_t huge = sys_brk(start + ((uintptr_t)1 << 46));
	snprintf(line[n++], 96, "impossible break refused, break unchanged: %d", huge == start + 4096);
	uintptr_t back = sys_brk(start);
	snprintf(line[n++], 96, "back to the start: %d", back == start);
	for (int i = 0; i < n; i++)
		puts(line[i]);
	return 0;
}
