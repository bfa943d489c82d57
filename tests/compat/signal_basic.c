/* signal_basic: sigaction handlers and what they are told (si_signo,
 * si_code SI_USER for kill, SI_TKILL for raise, SI_QUEUE with a value for
 * sigqueue), blocking with sigprocmask so signals pend (sigpending) and
 * standard signals coalesce while realtime ones queue, sa_mask
 * during a handler, SA_RESETHAND, SA_NODEFER, SIG_IGN, querying the old
 * action, and the EINVAL answers for SIGKILL/SIGSTOP and bad numbers. */
#include "compat.h"
#include <signal.h>

static volatile sig_atomic_t count[65];
static char order[64];
static volatile sig_atomic_t norder;
static volatile int last_code, last_value, last_signo, nested_blocked;

static const char *name(int sig)
{
	switch (sig) {
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGCHLD: return "SIGCHLD";
	case SIGWINCH: return "SIGWINCH";
	}
	return sig >= SIGRTMIN && sig <= SIGRTMAX ? "SIGRTMIN+n" : "other";
}

static const char *code(int c)
{
	return c == SI_USER ? "SI_USER" : c == SI_TKILL ? "SI_TKILL" : c == SI_QUEUE ? "SI_QUEUE" : "other";
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	sigset_t now;

	(void)uc;
	count[sig]++;
	if (norder < (int)sizeof(order) - 1)
		order[norder++] = (char)('A' + sig);
	last_signo = si->si_signo;
	last_code = si->si_code;
	last_value = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
	sigprocmask(SIG_BLOCK, NULL, &now);
	nested_blocked = sigismember(&now, SIGUSR2) * 2 + sigismember(&now, sig);
}

static void install(int sig, int flags, int mask_usr2)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	if (mask_usr2)
		sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void delivery(void)
{
	install(SIGUSR1, 0, 1);
	install(SIGUSR2, 0, 0);
	printf("raise: %s\n", res(raise(SIGUSR1)));
	printf("  ran %d, si_signo %s, si_code %s, in handler: SIGUSR2 blocked %d, SIGUSR1 blocked %d\n",
	       count[SIGUSR1], name(last_signo), code(last_code), nested_blocked >> 1, nested_blocked & 1);
	printf("kill(getpid()): %s\n", res(kill(getpid(), SIGUSR2)));
	printf("  ran %d, si_code %s\n", count[SIGUSR2], code(last_code));
	union sigval v = { .sival_int = 1234 };
	printf("sigqueue: %s\n", res(sigqueue(getpid(), SIGUSR1, v)));
	printf("  ran %d, si_code %s, value %d\n", count[SIGUSR1], code(last_code), last_value);
	printf("kill signal 0: %s\n", res(kill(getpid(), 0)));
}

static void masking(void)
{
	sigset_t set, old, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	printf("block USR1 USR2 HUP: %s\n", res(sigprocmask(SIG_BLOCK, &set, &old)));
	printf("old mask had USR1: %d\n", sigismember(&old, SIGUSR1));
	count[SIGUSR1] = count[SIGUSR2] = count[SIGHUP] = 0;
	norder = 0;
	install(SIGHUP, 0, 0);
	raise(SIGUSR2);
	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGHUP);
	printf("while blocked ran: %d %d %d\n", count[SIGUSR1], count[SIGUSR2], count[SIGHUP]);
	CHECK(sigpending(&pending) == 0);
	printf("pending: USR1 %d USR2 %d HUP %d TERM %d\n", sigismember(&pending, SIGUSR1),
	       sigismember(&pending, SIGUSR2), sigismember(&pending, SIGHUP), sigismember(&pending, SIGTERM));
	printf("unblock: %s\n", res(sigprocmask(SIG_SETMASK, &old, NULL)));
	order[norder] = 0;
	/* Not the order: Linux stacks one handler frame per pending signal
	 * before returning, so the last set up runs first; that is a detail. */
	printf("after unblock ran: USR1 %d (coalesced) USR2 %d HUP %d, %d deliveries\n", count[SIGUSR1],
	       count[SIGUSR2], count[SIGHUP], norder);
	CHECK(sigpending(&pending) == 0);
	printf("pending now: USR1 %d\n", sigismember(&pending, SIGUSR1));

	/* SIG_UNBLOCK and querying the mask. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &old);
	printf("mask after unblocking HUP: USR1 %d HUP %d\n", sigismember(&old, SIGUSR1), sigismember(&old, SIGHUP));
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	printf("sigprocmask bad how: %s\n", res(sigprocmask(12345, &set, NULL)));
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &old);
	printf("blocking everything leaves KILL %d STOP %d unblocked\n", !sigismember(&old, SIGKILL),
	       !sigismember(&old, SIGSTOP));
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

static void flags(void)
{
	struct sigaction sa, old;

	count[SIGUSR1] = 0;
	install(SIGUSR1, SA_RESETHAND, 0);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	printf("SA_RESETHAND: ran %d, now default %d\n", count[SIGUSR1], old.sa_handler == SIG_DFL);

	install(SIGUSR1, SA_NODEFER, 0);
	raise(SIGUSR1);
	printf("SA_NODEFER: SIGUSR1 blocked in its handler %d\n", nested_blocked & 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, &old);
	printf("old action was our handler: %d\n", (old.sa_flags & SA_SIGINFO) && old.sa_sigaction == handler);
	count[SIGUSR2] = 0;
	raise(SIGUSR2);
	sigset_t pending;
	sigpending(&pending);
	printf("SIG_IGN: ran %d, pending %d\n", count[SIGUSR2], sigismember(&pending, SIGUSR2));

	/* Default action of SIGCHLD and SIGWINCH is to ignore. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	raise(SIGCHLD);
	raise(SIGWINCH);
	printf("SIGCHLD and SIGWINCH with default action: still running\n");

	sa.sa_handler = SIG_IGN;
	printf("sigaction SIGKILL: %s\n", res(sigaction(SIGKILL, &sa, NULL)));
	printf("sigaction SIGSTOP: %s\n", res(sigaction(SIGSTOP, &sa, NULL)));
	printf("sigaction 0: %s\n", res(sigaction(0, &sa, NULL)));
	printf("sigaction 65: %s\n", res(sigaction(65, &sa, NULL)));
	printf("kill bad signal: %s\n", res(kill(getpid(), 999)));
	printf("signal() returns the old handler: %d\n", signal(SIGUSR2, SIG_DFL) == SIG_IGN);
}

static void realtime(void)
{
	sigset_t set, old;
	int lo = SIGRTMIN + 1, hi = SIGRTMIN + 3;

	install(lo, 0, 0);
	install(hi, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, lo);
	sigaddset(&set, hi);
	sigprocmask(SIG_BLOCK, &set, &old);
	norder = 0;
	for (int i = 0; i < 3; i++) {
		union sigval v = { .sival_int = i };
		sigqueue(getpid(), hi, v);
		sigqueue(getpid(), lo, v);
	}
	printf("realtime queued while blocked: ran %d %d\n", count[lo], count[hi]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	order[norder] = 0;
	printf("realtime after unblock: RTMIN+1 ran %d, RTMIN+3 ran %d (queued, not coalesced)\n", count[lo],
	       count[hi]);
	printf("SIGRTMAX - SIGRTMIN >= 8: %d\n", SIGRTMAX - SIGRTMIN >= 8);
}

int main(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	delivery();
	masking();
	flags();
	realtime();
	return 0;
}
