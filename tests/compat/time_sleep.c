/* time_sleep: clocks and sleeping, printed as facts that hold on any
 * machine: monotonic time never goes back, clock_getres is fine-grained,
 * realtime agrees with time() and gettimeofday() (to a second: glibc's
 * time() reads the coarse clock, which lags), CPU-time clocks advance
 * with work, nanosleep/usleep/clock_nanosleep (relative and TIMER_ABSTIME)
 * sleep at least as asked, and invalid arguments give EINVAL. */
#include "compat.h"
#include <sys/time.h>

static void clocks(void)
{
	struct timespec a, b, r;
	int back = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 100000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		back += b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec);
		a = b;
	}
	printf("monotonic went back %d times in 100000 reads\n", back);
	const struct { clockid_t id; const char *name; } ids[] = {
		{ CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" },
		{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" }, { CLOCK_BOOTTIME, "BOOTTIME" },
		{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME" }, { CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" },
		{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE" }, { CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int g = clock_gettime(ids[i].id, &a);
		int rr = clock_getres(ids[i].id, &r);
		printf("%s: gettime %d, getres %d, resolution <= 10 ms %d\n", ids[i].name, g, rr,
		       rr == 0 && r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000);
	}
	printf("gettime bad clock: %s\n", res(clock_gettime(12345, &a)));
	printf("getres bad clock: %s\n", res(clock_getres(12345, &r)));

	struct timeval tv;
	time_t t1 = time(NULL);
	CHECK(gettimeofday(&tv, NULL) == 0);
	clock_gettime(CLOCK_REALTIME, &a);
	time_t t2 = time(NULL);
	printf("time() after 2020: %d\n", t1 > 1577836800);
	printf("gettimeofday within time() bounds: %d, usec < 1e6 %d\n", tv.tv_sec >= t1 && tv.tv_sec <= t2 + 1,
	       tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	printf("realtime within time() bounds: %d\n", a.tv_sec >= t1 && a.tv_sec <= t2 + 1);
	clock_gettime(CLOCK_BOOTTIME, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("boottime >= monotonic - 1 ms: %d\n",
	       (int64_t)a.tv_sec * 1000000000 + a.tv_nsec >= (int64_t)b.tv_sec * 1000000000 + b.tv_nsec - 1000000);

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	volatile double x = 0;
	for (int i = 0; i < 3000000; i++)
		x += i * 0.5;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("process CPU time advanced with work: %d\n", b.tv_sec > a.tv_sec || b.tv_nsec > a.tv_nsec);
	printf("clock() nonnegative: %d\n", clock() >= 0);
}

static void sleeps(void)
{
	int64_t t0 = now_ns();
	struct timespec ts = { 0, 10 * 1000000 }, rem = { 7, 7 };

	printf("nanosleep 10 ms: %s", res(nanosleep(&ts, &rem)));
	printf(", slept >= 10 ms %d\n", now_ns() - t0 >= 10000000);
	t0 = now_ns();
	printf("usleep 15000: %s", res(usleep(15000)));
	printf(", slept >= 15 ms %d\n", now_ns() - t0 >= 15000000);
	t0 = now_ns();
	ts.tv_nsec = 12 * 1000000;
	printf("clock_nanosleep relative 12 ms: %s", pres(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL)));
	printf(", slept >= 12 ms %d\n", now_ns() - t0 >= 12000000);

	struct timespec target, now;
	clock_gettime(CLOCK_MONOTONIC, &target);
	target.tv_nsec += 20 * 1000000;
	if (target.tv_nsec >= 1000000000) {
		target.tv_sec++;
		target.tv_nsec -= 1000000000;
	}
	int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("clock_nanosleep TIMER_ABSTIME: %s, woke at or after target %d\n", pres(r),
	       now.tv_sec > target.tv_sec || (now.tv_sec == target.tv_sec && now.tv_nsec >= target.tv_nsec));
	clock_gettime(CLOCK_REALTIME, &target);
	target.tv_nsec += 10 * 1000000;
	if (target.tv_nsec >= 1000000000) {
		target.tv_sec++;
		target.tv_nsec -= 1000000000;
	}
	printf("clock_nanosleep REALTIME absolute: %s\n", pres(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &target, NULL)));
	target.tv_sec -= 100;
	t0 = now_ns();
	r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &target, NULL);
	printf("absolute target in the past: %s, returned within 1 s %d\n", pres(r), now_ns() - t0 < 1000000000);
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	printf("nanosleep 0: %s\n", res(nanosleep(&ts, NULL)));
	ts.tv_nsec = 1000000000;
	printf("nanosleep nsec 1e9: %s\n", res(nanosleep(&ts, NULL)));
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	printf("nanosleep negative: %s\n", res(nanosleep(&ts, NULL)));
	ts.tv_sec = 0;
	printf("clock_nanosleep bad clock: %s\n", pres(clock_nanosleep(12345, 0, &ts, NULL)));
	printf("clock_nanosleep thread CPU clock: %s\n", pres(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL)));
	t0 = now_ns();
	printf("sleep(0): %u, sched_yield: %d\n", sleep(0), sched_yield());
}

int main(void)
{
	clocks();
	sleeps();
	return 0;
}
