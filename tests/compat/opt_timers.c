/* opt_timers (optional, beyond the first Linux-layer milestone): signal
 * timers: alarm() with SIGALRM and pause(), setitimer(ITIMER_REAL) periodic
 * ticks, getitimer, cancelling with alarm(0), and POSIX timer_create with
 * SIGEV_SIGNAL. Only thresholds and counts that cannot vary are printed. */
#include "compat.h"
#include <signal.h>
#include <sys/time.h>

static volatile int alarms, rt_ticks;
static volatile int rt_value;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_ticks++;
	rt_value = si->si_value.sival_int;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	int64_t t0 = now_ns();
	printf("alarm(1) returns %u\n", alarm(1));
	int r = pause();
	printf("pause: %s, alarms %d, waited >= 0.9 s %d\n", res(r), alarms, now_ns() - t0 >= 900000000);
	printf("alarm(5) returns %u\n", alarm(5));
	unsigned left = alarm(0);
	printf("alarm(0) returns the time left: %d\n", left >= 4 && left <= 5);

	struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, cur;
	alarms = 0;
	t0 = now_ns();
	printf("setitimer 10 ms periodic: %s\n", res(setitimer(ITIMER_REAL, &it, NULL)));
	while (alarms < 5)
		pause();
	printf("5 ticks after >= 45 ms: %d\n", now_ns() - t0 >= 45000000);
	getitimer(ITIMER_REAL, &cur);
	printf("getitimer interval: %ld us\n", (long)cur.it_interval.tv_usec);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	struct sigaction rs = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	sigemptyset(&rs.sa_mask);
	sigaction(SIGRTMIN, &rs, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	ev.sigev_value.sival_int = 4242;
	timer_t tid;
	printf("timer_create: %s\n", res(timer_create(CLOCK_MONOTONIC, &ev, &tid)));
	struct itimerspec its = { { 0, 5000000 }, { 0, 5000000 } };
	printf("timer_settime: %s\n", res(timer_settime(tid, 0, &its, NULL)));
	while (rt_ticks < 3)
		pause();
	printf("POSIX timer ticked >= 3 times, value %d\n", rt_value);
	printf("timer_delete: %s\n", res(timer_delete(tid)));
	return 0;
}
