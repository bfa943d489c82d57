/*
 * The first program the Linux layer runs in the boot tests: output through
 * stdio, brk and mmap, threads with join values, a SIGSEGV caught with
 * siginfo and left with siglongjmp, SSE arithmetic, and an exit status.
 * Built static with musl and with glibc (tests/boot/build.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdint.h>
static void *thr(void *a) { printf("thread %ld\n", (long)a); return (void*)((long)a * 2); }
static sigjmp_buf jb;
static void segv(int s, siginfo_t *si, void *uc) { (void)uc; printf("caught %d addr %p\n", s, si->si_addr); siglongjmp(jb, 1); }
int main(int argc, char **argv) {
	printf("hello from %s argc=%d\n", argv[0], argc);
	char *p = malloc(100000); memset(p, 1, 100000); printf("malloc ok %d\n", p[99999]);
	pthread_t t[4]; for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, thr, (void*)i);
	for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); printf("joined %ld\n", (long)r); }
	struct sigaction sa = {0}; sa.sa_sigaction = segv; sa.sa_flags = SA_SIGINFO; sigaction(SIGSEGV, &sa, 0);
	volatile uintptr_t bad = 16;
	if (!sigsetjmp(jb, 1)) *(volatile int *)bad = 1;
	printf("after segv\n");
	double d = 1.5; for (int i = 0; i < 10; i++) d *= 1.1; printf("float %.6f\n", d);
	return 3;
}
