/*
 * Helpers shared by the self-tests of pipes, poll, eventfd, timerfd and
 * epoll (see fdtest.h).
 */
#include "fdtest.h"

bool fdtest_wait_blocked(struct thread *t)
{
	uint64_t end = clock_monotonic_ns() + NSEC_PER_SEC;

	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_BLOCKED) {
		if (clock_monotonic_ns() > end)
			return false;
		thread_sleep_ns(50 * NSEC_PER_USEC);
	}
	return true;
}

long fdtest_join(struct thread *t)
{
	void *v = 0;

	if (thread_join(t, &v))
		return -99999;
	return (long)(intptr_t)v;
}

void *fdtest_read_u64_job(void *arg)
{
	uint64_t v = 0;
	long r = fdtest_read(arg, &v, sizeof(v));

	thread_clear_interrupt();
	return (void *)(intptr_t)(r == 8 ? (long)v : r);
}
