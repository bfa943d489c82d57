/* pthread_sem: unnamed POSIX semaphores: counts, trywait EAGAIN, ping-pong
 * between two threads, a semaphore as a pool limiting concurrency, and
 * sem_timedwait timing out. */
#include "compat.h"
#include <pthread.h>
#include <semaphore.h>

static sem_t ping, pong;
static int rally;

static void *ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		sem_wait(&ping);
		rally++;
		sem_post(&pong);
	}
	return NULL;
}

static sem_t pool;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int inside, max_inside;

static void *pooled(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		sem_wait(&pool);
		pthread_mutex_lock(&m);
		if (++inside > max_inside)
			max_inside = inside;
		pthread_mutex_unlock(&m);
		sched_yield();
		pthread_mutex_lock(&m);
		inside--;
		pthread_mutex_unlock(&m);
		sem_post(&pool);
	}
	return NULL;
}

int main(void)
{
	sem_t s;
	int v;

	CHECK(sem_init(&s, 0, 2) == 0);
	sem_getvalue(&s, &v);
	printf("initial value %d\n", v);
	printf("trywait: %s\n", res(sem_trywait(&s)));
	printf("trywait: %s\n", res(sem_trywait(&s)));
	printf("trywait empty: %s\n", res(sem_trywait(&s)));
	for (int i = 0; i < 3; i++)
		printf("post: %s\n", res(sem_post(&s)));
	sem_getvalue(&s, &v);
	printf("value %d\n", v);
	printf("wait: %s\n", res(sem_wait(&s)));
	sem_getvalue(&s, &v);
	printf("value %d\n", v);
	sem_destroy(&s);

	pthread_t t;
	CHECK(sem_init(&ping, 0, 0) == 0 && sem_init(&pong, 0, 0) == 0);
	CHECK(pthread_create(&t, NULL, ponger, NULL) == 0);
	int order_ok = 1;
	for (int i = 0; i < 2000; i++) {
		sem_post(&ping);
		sem_wait(&pong);
		order_ok &= rally == i + 1;
	}
	pthread_join(t, NULL);
	printf("ping-pong: %d rallies, in order %d\n", rally, order_ok);

	pthread_t w[8];
	CHECK(sem_init(&pool, 0, 3) == 0);
	for (int i = 0; i < 8; i++)
		CHECK(pthread_create(&w[i], NULL, pooled, NULL) == 0);
	for (int i = 0; i < 8; i++)
		pthread_join(w[i], NULL);
	sem_getvalue(&pool, &v);
	printf("pool of 3: at most 3 inside %d, value back to %d\n", max_inside <= 3, v);

	CHECK(sem_init(&s, 0, 0) == 0);
	struct timespec ts;
	int64_t t0 = now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	int r = sem_timedwait(&s, &ts);
	printf("timedwait: %s, waited >= 19 ms: %d\n", res(r), now_ns() - t0 >= 19000000);
	ts.tv_nsec = 2000000000;
	printf("timedwait bad timespec: %s\n", res(sem_timedwait(&s, &ts)));
	sem_post(&s);
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("timedwait when posted: %s\n", res(sem_timedwait(&s, &ts)));
	return 0;
}
