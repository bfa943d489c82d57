/* pthread_misc: many threads (64, in waves of 16), detached threads
 * signalling completion, barriers over many rounds (exactly one serial
 * thread per round), thread attributes (stack size, detach state) and a
 * deep recursion on a small custom stack, pthread_exit values. */
#include "compat.h"
#include <pthread.h>

static void *square(void *arg)
{
	long v = (long)arg;
	return (void *)(v * v);
}

static void waves(void)
{
	long sum = 0;

	for (int wave = 0; wave < 4; wave++) {
		pthread_t t[16];
		for (long i = 0; i < 16; i++)
			CHECK(pthread_create(&t[i], NULL, square, (void *)(wave * 16 + i)) == 0);
		for (int i = 0; i < 16; i++) {
			void *r;
			CHECK(pthread_join(t[i], &r) == 0);
			sum += (long)r;
		}
	}
	printf("64 threads in waves: sum of squares %ld\n", sum);
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int detached_done;

static void *detached(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	detached_done++;
	pthread_cond_signal(&done_cv);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void detach(void)
{
	pthread_attr_t a;
	int state;

	pthread_attr_init(&a);
	pthread_attr_getdetachstate(&a, &state);
	printf("default detach state joinable: %d\n", state == PTHREAD_CREATE_JOINABLE);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 10; i++) {
		pthread_t t;
		CHECK(pthread_create(&t, &a, detached, NULL) == 0);
	}
	pthread_t t;
	CHECK(pthread_create(&t, NULL, detached, NULL) == 0);
	printf("pthread_detach: %s\n", pres(pthread_detach(t)));
	pthread_mutex_lock(&m);
	while (detached_done < 11)
		pthread_cond_wait(&done_cv, &m);
	pthread_mutex_unlock(&m);
	printf("detached threads finished: %d\n", detached_done);
	pthread_attr_destroy(&a);
}

enum { BT = 8, ROUNDS = 200 };
static pthread_barrier_t barrier;
static int serials, phase_errors, phase[BT];

static void *barrier_worker(void *arg)
{
	long id = (long)arg;

	for (int r = 0; r < ROUNDS; r++) {
		phase[id] = r;
		int s = pthread_barrier_wait(&barrier);
		for (int k = 0; k < BT; k++)
			if (phase[k] < r)
				__atomic_add_fetch(&phase_errors, 1, __ATOMIC_RELAXED);
		if (s == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
		else if (s != 0)
			__atomic_add_fetch(&phase_errors, 1000, __ATOMIC_RELAXED);
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static void barriers(void)
{
	pthread_t t[BT];

	CHECK(pthread_barrier_init(&barrier, NULL, BT) == 0);
	for (long i = 0; i < BT; i++)
		CHECK(pthread_create(&t[i], NULL, barrier_worker, (void *)i) == 0);
	for (int i = 0; i < BT; i++)
		pthread_join(t[i], NULL);
	printf("barrier: %d rounds, %d serial returns, %d phase errors\n", ROUNDS, serials, phase_errors);
	pthread_barrier_destroy(&barrier);
}

static long recurse(int n)
{
	volatile char pad[256];

	pad[0] = (char)n;
	if (n == 0)
		return pad[0];
	return recurse(n - 1) + 1 + pad[0] * 0;
}

static void *deep(void *arg)
{
	(void)arg;
	return (void *)recurse(600);
}

static void *exiting(void *arg)
{
	(void)arg;
	pthread_exit((void *)77);
	return NULL;
}

static void attrs(void)
{
	pthread_attr_t a;
	size_t sz = 0;
	pthread_t t;
	void *r;

	pthread_attr_init(&a);
	printf("setstacksize 256 KiB: %s\n", pres(pthread_attr_setstacksize(&a, 256 * 1024)));
	pthread_attr_getstacksize(&a, &sz);
	printf("getstacksize: %zu\n", sz);
	printf("setstacksize 1 byte: %s\n", pres(pthread_attr_setstacksize(&a, 1)));
	CHECK(pthread_create(&t, &a, deep, NULL) == 0);
	pthread_join(t, &r);
	printf("recursion depth 600 on a small stack: %ld\n", (long)r);
	pthread_attr_destroy(&a);
	CHECK(pthread_create(&t, NULL, exiting, NULL) == 0);
	pthread_join(t, &r);
	printf("pthread_exit value: %ld\n", (long)r);
}

int main(void)
{
	waves();
	detach();
	barriers();
	attrs();
	return 0;
}
