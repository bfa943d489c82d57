/* signal_segv: synchronous faults caught and survived: SIGSEGV with si_addr
 * and si_code for unmapped addresses, siglongjmp out of the handler
 * (repeatedly: the mask is restored), SIGILL from ud2, SIGFPE from integer
 * division by zero; and sigaltstack: a handler running on the
 * alternate stack (SS_ONSTACK reported), catching a stack overflow that
 * leaves no room on the normal stack. */
#include "compat.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;
static volatile void *addr;
static volatile int code, signo, on_alt, alt_flags;
static char *alt_base;
static size_t alt_size;

static void handler(int sig, siginfo_t *si, void *uc)
{
	char probe;
	stack_t cur;

	(void)uc;
	signo = sig;
	addr = si->si_addr;
	code = si->si_code;
	on_alt = alt_base && &probe >= alt_base && &probe < alt_base + alt_size;
	sigaltstack(NULL, &cur);
	alt_flags = cur.ss_flags;
	siglongjmp(jb, 1);
}

static const char *code_name(int sig, int c)
{
	if (sig == SIGSEGV)
		return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
	if (sig == SIGILL)
		return c == ILL_ILLOPN ? "ILL_ILLOPN" : c == ILL_ILLOPC ? "ILL_ILLOPC" : "other";
	if (sig == SIGFPE)
		return c == FPE_INTDIV ? "FPE_INTDIV" : "other";
	return "other";
}

static const char *sig_name(int sig)
{
	return sig == SIGSEGV ? "SIGSEGV" : sig == SIGILL ? "SIGILL" : sig == SIGFPE ? "SIGFPE" :
	       sig == SIGBUS ? "SIGBUS" : "other";
}

static void install(int sig, int flags)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void report(const char *what, int check_addr, void *want_addr)
{
	printf("%s: %s %s", what, sig_name(signo), code_name(signo, code));
	if (check_addr)
		printf(" si_addr right %d", addr == want_addr);
	printf("\n");
}

static volatile int zero;

static void faults(void)
{
	install(SIGSEGV, 0);
	install(SIGILL, 0);
	install(SIGFPE, 0);
	for (int i = 0; i < 3; i++) {
		if (!sigsetjmp(jb, 1))
			*(volatile int *)0 = 1;
		report("write NULL", 1, (void *)0);
	}
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)0x1000;
	report("read 0x1000", 1, (void *)0x1000);
	void *kernel_half = (void *)0xffff800000001000ull;
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)kernel_half;
	printf("read kernel half: %s\n", sig_name(signo));
	if (!sigsetjmp(jb, 1))
		__builtin_trap();
	report("ud2", 0, NULL);
	if (!sigsetjmp(jb, 1)) {
		volatile int v = 7 / zero;
		(void)v;
	}
	report("divide by zero", 0, NULL);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("after siglongjmp SIGSEGV blocked: %d\n", sigismember(&now, SIGSEGV));
}

static volatile long depth_limit = 1L << 40;

static long recurse(long n)
{
	volatile char pad[512];

	pad[n % 512] = (char)n;
	if (n > depth_limit)
		return 0;
	return recurse(n + 1) + pad[(n * 7) % 512];
}

static void altstack(void)
{
	stack_t ss, old;

	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	CHECK(alt_base != NULL);
	ss.ss_sp = alt_base;
	ss.ss_size = alt_size;
	ss.ss_flags = 0;
	printf("sigaltstack: %s\n", res(sigaltstack(&ss, &old)));
	printf("old altstack disabled: %d\n", (old.ss_flags & SS_DISABLE) != 0);
	ss.ss_size = 100;
	printf("sigaltstack too small: %s\n", res(sigaltstack(&ss, NULL)));

	install(SIGSEGV, 0);
	if (!sigsetjmp(jb, 1))
		*(volatile int *)0 = 1;
	printf("without SA_ONSTACK: on altstack %d\n", on_alt);
	install(SIGSEGV, SA_ONSTACK);
	if (!sigsetjmp(jb, 1))
		*(volatile int *)0 = 1;
	printf("with SA_ONSTACK: on altstack %d, ss_flags SS_ONSTACK %d\n", on_alt, (alt_flags & SS_ONSTACK) != 0);
	sigaltstack(NULL, &old);
	printf("after leaving: ss_flags SS_ONSTACK %d\n", (old.ss_flags & SS_ONSTACK) != 0);
	if (!sigsetjmp(jb, 1))
		printf("recursion returned %ld\n", recurse(0));
	printf("stack overflow: %s caught on altstack %d\n", sig_name(signo), on_alt);
	ss.ss_flags = SS_DISABLE;
	printf("disable altstack: %s\n", res(sigaltstack(&ss, NULL)));
}

int main(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	faults();
	altstack();
	return 0;
}
