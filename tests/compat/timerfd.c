/* timerfd: a relative one-shot (read blocks until it fires, one
 * expiration), an absolute one with TFD_TIMER_ABSTIME, a periodic timer
 * (after sleeping at least 5 periods, at least 5 expirations), nonblocking
 * EAGAIN before expiry, timerfd_gettime on armed and disarmed timers,
 * CLOCK_REALTIME, poll readiness, and argument errors. Only thresholds. */
#include "compat.h"
#include <poll.h>
#include <sys/timerfd.h>

static uint64_t expirations(int fd)
{
	uint64_t n = 0;

	CHECK(read(fd, &n, sizeof(n)) == 8);
	return n;
}

int main(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	CHECK(fd >= 0);
	struct itimerspec its = { { 0, 0 }, { 0, 20 * 1000000 } }, cur;

	int64_t t0 = now_ns();
	printf("arm relative 20 ms: %s\n", res(timerfd_settime(fd, 0, &its, NULL)));
	CHECK(timerfd_gettime(fd, &cur) == 0);
	/* Not "> 0": a loaded host may let it fire before gettime. */
	printf("gettime armed: remaining <= 20 ms %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000);
	uint64_t n = expirations(fd);
	printf("relative: %llu expiration, waited >= 20 ms %d\n", (unsigned long long)n, now_ns() - t0 >= 20000000);
	CHECK(timerfd_gettime(fd, &cur) == 0);
	printf("gettime after firing: disarmed %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_value.tv_sec = now.tv_sec;
	its.it_value.tv_nsec = now.tv_nsec + 15 * 1000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
	n = expirations(fd);
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("absolute: %llu expiration, not early %d\n", (unsigned long long)n,
	       now.tv_sec > its.it_value.tv_sec ||
		       (now.tv_sec == its.it_value.tv_sec && now.tv_nsec >= its.it_value.tv_nsec));
	its.it_value.tv_sec = 1;
	its.it_value.tv_nsec = 0;
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
	printf("absolute in the past: %llu expiration at once\n", (unsigned long long)expirations(fd));

	its = (struct itimerspec){ { 0, 10 * 1000000 }, { 0, 10 * 1000000 } };
	t0 = now_ns();
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
	sleep_ms(55);
	n = expirations(fd);
	printf("periodic 10 ms after 55 ms: >= 5 expirations %d\n", n >= 5);
	n += expirations(fd);
	int64_t dt = now_ns() - t0;
	printf("periodic: count consistent with elapsed time %d\n", (int64_t)n <= dt / 10000000 + 1);
	CHECK(timerfd_gettime(fd, &cur) == 0);
	printf("gettime interval: %ld ns\n", cur.it_interval.tv_nsec);
	its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
	struct itimerspec old;
	CHECK(timerfd_settime(fd, 0, &its, &old) == 0);
	printf("disarm returns the old interval: %ld ns\n", old.it_interval.tv_nsec);
	close(fd);

	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v;
	printf("nonblocking read, disarmed: %s\n", res(read(fd, &v, sizeof(v))));
	its.it_value.tv_nsec = 300 * 1000000;
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
	printf("nonblocking read before expiry: %s\n", res(read(fd, &v, sizeof(v))));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, 5000);
	printf("poll until expiry: %d IN %d\n", r, (p.revents & POLLIN) != 0);
	printf("then read: %s", res(read(fd, &v, sizeof(v))));
	printf(" value %llu\n", (unsigned long long)v);
	printf("read short buffer: %s\n", res(read(fd, &v, 4)));
	its.it_value.tv_nsec = 2000000000;
	printf("settime bad nsec: %s\n", res(timerfd_settime(fd, 0, &its, NULL)));
	close(fd);
	printf("create bad clock: %s\n", res(timerfd_create(12345, 0)));
	printf("create bad flags: %s\n", res(timerfd_create(CLOCK_MONOTONIC, 0x4321)));
	return 0;
}
