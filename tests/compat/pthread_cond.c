/* pthread_cond: a bounded buffer with two producers and three consumers
 * (every item delivered exactly once), broadcast waking every waiter, and
 * timed waits timing out with ETIMEDOUT on CLOCK_REALTIME and
 * CLOCK_MONOTONIC. */
#include "compat.h"
#include <pthread.h>

enum { CAP = 8, PER_PRODUCER = 20000, PRODUCERS = 2, CONSUMERS = 3 };
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static long buf[CAP];
static int head, count, producers_left = PRODUCERS;
static unsigned char seen[PRODUCERS * PER_PRODUCER];

static void *producer(void *arg)
{
	long base = (long)arg * PER_PRODUCER;

	for (long i = 0; i < PER_PRODUCER; i++) {
		pthread_mutex_lock(&m);
		while (count == CAP)
			pthread_cond_wait(&not_full, &m);
		buf[(head + count++) % CAP] = base + i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&m);
	}
	pthread_mutex_lock(&m);
	if (--producers_left == 0)
		pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void *consumer(void *arg)
{
	long got = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&m);
		while (count == 0 && producers_left > 0)
			pthread_cond_wait(&not_empty, &m);
		if (count == 0) {
			pthread_mutex_unlock(&m);
			return (void *)got;
		}
		long v = buf[head];
		head = (head + 1) % CAP;
		count--;
		seen[v]++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&m);
		got++;
	}
}

static void bounded_buffer(void)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	long total = 0;

	for (long i = 0; i < CONSUMERS; i++)
		CHECK(pthread_create(&c[i], NULL, consumer, NULL) == 0);
	for (long i = 0; i < PRODUCERS; i++)
		CHECK(pthread_create(&p[i], NULL, producer, (void *)i) == 0);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++) {
		void *r;
		pthread_join(c[i], &r);
		total += (long)r;
	}
	int once = 0;
	for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
		once += seen[i] == 1;
	printf("bounded buffer: %ld consumed, %d delivered exactly once of %d\n", total, once,
	       PRODUCERS * PER_PRODUCER);
}

static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int waiting, released;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	waiting++;
	pthread_cond_broadcast(&not_full);
	while (!released)
		pthread_cond_wait(&go, &m);
	waiting--;
	pthread_mutex_unlock(&m);
	return NULL;
}

static void broadcast(void)
{
	pthread_t t[6];

	for (int i = 0; i < 6; i++)
		CHECK(pthread_create(&t[i], NULL, waiter, NULL) == 0);
	pthread_mutex_lock(&m);
	while (waiting < 6)
		pthread_cond_wait(&not_full, &m);
	released = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&m);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	printf("broadcast released 6 waiters, %d still waiting\n", waiting);
}

static void timed(clockid_t clock, const char *name)
{
	pthread_cond_t c;
	pthread_condattr_t a;
	struct timespec ts;

	pthread_condattr_init(&a);
	CHECK(pthread_condattr_setclock(&a, clock) == 0);
	CHECK(pthread_cond_init(&c, &a) == 0);
	/* t0 first, so load cannot shorten the measured wait; 29 ms, not 30,
	 * because NTP may slew the realtime clock against the monotonic one. */
	int64_t t0 = now_ns();
	clock_gettime(clock, &ts);
	ts.tv_nsec += 30 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&m);
	int r;
	do
		r = pthread_cond_timedwait(&c, &m, &ts);
	while (r == 0);
	pthread_mutex_unlock(&m);
	int64_t dt = now_ns() - t0;
	printf("timedwait %s: %s, waited >= 29 ms: %d\n", name, pres(r), dt >= 29000000);
	ts.tv_sec -= 10;
	pthread_mutex_lock(&m);
	r = pthread_cond_timedwait(&c, &m, &ts);
	pthread_mutex_unlock(&m);
	printf("timedwait %s in the past: %s\n", name, pres(r));
	pthread_cond_destroy(&c);
	pthread_condattr_destroy(&a);
}

int main(void)
{
	bounded_buffer();
	broadcast();
	timed(CLOCK_REALTIME, "realtime");
	timed(CLOCK_MONOTONIC, "monotonic");
	return 0;
}
