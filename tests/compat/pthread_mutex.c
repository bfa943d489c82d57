/* pthread_mutex: 16 threads contending for one mutex, joins returning
 * values, trylock, recursive and error-checking mutexes, rwlocks, spinlocks. */
#include "compat.h"
#include <pthread.h>

enum { THREADS = 16, ROUNDS = 20000 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long unlocked_sum;

static void *adder(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		unlocked_sum += id;
		pthread_mutex_unlock(&lock);
	}
	return (void *)(id * id);
}

static void contention(void)
{
	pthread_t t[THREADS];
	long sum = 0;

	for (long i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, adder, (void *)i) == 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		CHECK(pthread_join(t[i], &ret) == 0);
		sum += (long)ret;
	}
	printf("counter %ld (want %d), id sum %ld, joined return values sum %ld\n", counter,
	       THREADS * ROUNDS, unlocked_sum, sum);
}

static void *try_other(void *arg)
{
	return (void *)(long)pthread_mutex_trylock(arg);
}

static void kinds(void)
{
	pthread_mutex_t m;
	pthread_mutexattr_t a;
	pthread_t t;
	void *r;

	CHECK(pthread_mutex_init(&m, NULL) == 0);
	printf("trylock free: %s\n", pres(pthread_mutex_trylock(&m)));
	printf("trylock held: %s\n", pres(pthread_mutex_trylock(&m)));
	CHECK(pthread_create(&t, NULL, try_other, &m) == 0 && pthread_join(t, &r) == 0);
	printf("trylock from other thread: %s\n", pres((int)(long)r));
	printf("unlock: %s\n", pres(pthread_mutex_unlock(&m)));
	printf("destroy: %s\n", pres(pthread_mutex_destroy(&m)));

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	CHECK(pthread_mutex_init(&m, &a) == 0);
	int r1 = pthread_mutex_lock(&m), r2 = pthread_mutex_lock(&m), r3 = pthread_mutex_trylock(&m);
	printf("recursive lock, lock, trylock: %s %s %s\n", pres(r1), pres(r2), pres(r3));
	CHECK(pthread_create(&t, NULL, try_other, &m) == 0 && pthread_join(t, &r) == 0);
	printf("recursive trylock from other thread: %s\n", pres((int)(long)r));
	r1 = pthread_mutex_unlock(&m);
	r2 = pthread_mutex_unlock(&m);
	r3 = pthread_mutex_unlock(&m);
	printf("recursive unlock x3: %s %s %s\n", pres(r1), pres(r2), pres(r3));
	printf("recursive unlock unowned: %s\n", pres(pthread_mutex_unlock(&m)));
	pthread_mutex_destroy(&m);

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	CHECK(pthread_mutex_init(&m, &a) == 0);
	printf("errorcheck lock: %s\n", pres(pthread_mutex_lock(&m)));
	printf("errorcheck relock: %s\n", pres(pthread_mutex_lock(&m)));
	printf("errorcheck unlock: %s\n", pres(pthread_mutex_unlock(&m)));
	printf("errorcheck unlock again: %s\n", pres(pthread_mutex_unlock(&m)));
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int shared[64];

static void *rw_worker(void *arg)
{
	long id = (long)arg;
	long bad = 0;

	for (int i = 0; i < 3000; i++) {
		if (i % 10 == (int)id % 10) {
			pthread_rwlock_wrlock(&rw);
			for (int k = 0; k < 64; k++)
				shared[k]++;
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			for (int k = 1; k < 64; k++)
				bad += shared[k] != shared[0];
			pthread_rwlock_unlock(&rw);
		}
	}
	return (void *)bad;
}

static void rwlocks(void)
{
	pthread_t t[8];
	long bad = 0;

	for (long i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, rw_worker, (void *)i) == 0);
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("rwlock: %d writes, %ld torn reads\n", shared[0], bad);
	int r1 = pthread_rwlock_rdlock(&rw), r2 = pthread_rwlock_tryrdlock(&rw);
	printf("rdlock, tryrdlock: %s %s\n", pres(r1), pres(r2));
	printf("trywrlock while read-held: %s\n", pres(pthread_rwlock_trywrlock(&rw)));
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_unlock(&rw);
	printf("trywrlock free: %s\n", pres(pthread_rwlock_trywrlock(&rw)));
	printf("tryrdlock while write-held: %s\n", pres(pthread_rwlock_tryrdlock(&rw)));
	pthread_rwlock_unlock(&rw);
}

static pthread_spinlock_t spin;
static long spun;

static void *spinner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_spin_lock(&spin);
		spun++;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void spinlocks(void)
{
	pthread_t t[4];

	CHECK(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, spinner, NULL) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("spinlock: %ld\n", spun);
	int r1 = pthread_spin_trylock(&spin), r2 = pthread_spin_trylock(&spin);
	printf("spin trylock: %s then %s\n", pres(r1), pres(r2));
	pthread_spin_unlock(&spin);
}

int main(void)
{
	contention();
	kinds();
	rwlocks();
	spinlocks();
	return 0;
}
