/* signal_thread: signals and threads: pthread_kill runs the handler in the
 * target thread, per-thread masks steer a process-directed kill() to the one
 * thread that leaves it unblocked, sigwait/sigwaitinfo/sigtimedwait take
 * blocked signals synchronously (EAGAIN on timeout), and sigsuspend waits
 * with a temporary mask and returns EINTR. */
#include "compat.h"
#include <pthread.h>
#include <signal.h>

static __thread int thread_id;
static volatile int handled_by = -1, handled;

static void handler(int sig)
{
	(void)sig;
	handled_by = thread_id;
	handled++;
}

static pthread_barrier_t bar;
static volatile int stop;

static void *worker(void *arg)
{
	thread_id = (int)(long)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	/* Only worker 2 takes SIGUSR2. */
	pthread_sigmask(thread_id == 2 ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
	pthread_barrier_wait(&bar);
	while (!stop)
		sched_yield();
	return NULL;
}

static void targeted(void)
{
	pthread_t t[3];
	struct sigaction sa = { .sa_handler = handler };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	thread_id = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&bar, NULL, 4);
	for (long i = 1; i <= 3; i++)
		CHECK(pthread_create(&t[i - 1], NULL, worker, (void *)i) == 0);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 3; i++) {
		handled = 0;
		printf("pthread_kill worker %d: %s", i + 1, pres(pthread_kill(t[i], SIGUSR1)));
		while (!handled)
			sched_yield();
		printf(", handled by thread %d\n", handled_by);
	}
	handled = 0;
	kill(getpid(), SIGUSR2);
	while (!handled)
		sched_yield();
	printf("kill() with SIGUSR2 unblocked only in worker 2: handled by thread %d\n", handled_by);
	printf("pthread_kill signal 0 (liveness): %s\n", pres(pthread_kill(t[0], 0)));
	stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void *sender(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	sleep_ms(5);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void synchronous(void)
{
	sigset_t set;
	siginfo_t si;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	handled = 0;
	raise(SIGTERM);
	printf("sigwait: %s", pres(sigwait(&set, &sig)));
	printf(" -> %s, handler ran %d\n", sig == SIGTERM ? "SIGTERM" : "other", handled);
	union sigval v = { .sival_int = 99 };
	sigqueue(getpid(), SIGUSR1, v);
	int r = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s, value %d, si_code SI_QUEUE %d\n", r == SIGUSR1 ? "SIGUSR1" : res(r),
	       si.si_value.sival_int, si.si_code == SI_QUEUE);
	struct timespec ts = { 0, 20 * 1000000 };
	int64_t t0 = now_ns();
	r = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait nothing pending: %s, waited >= 20 ms %d\n", res(r), now_ns() - t0 >= 20000000);
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	printf("sigtimedwait zero timeout: %s\n", res(sigtimedwait(&set, &si, &ts)));
	pthread_t t, self = pthread_self();
	CHECK(pthread_create(&t, NULL, sender, &self) == 0);
	ts.tv_sec = 10;
	r = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait woken by another thread: %s\n", r == SIGUSR1 ? "SIGUSR1" : res(r));
	pthread_join(t, NULL);

	/* sigsuspend: SIGUSR1 blocked and pending, suspended with it unblocked. */
	raise(SIGUSR1);
	sigset_t during;
	sigemptyset(&during);
	handled = 0;
	r = sigsuspend(&during);
	printf("sigsuspend: %s, handler ran %d\n", res(r), handled);
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	printf("mask restored after sigsuspend: USR1 blocked %d\n", sigismember(&now, SIGUSR1));
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int main(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	targeted();
	synchronous();
	return 0;
}
