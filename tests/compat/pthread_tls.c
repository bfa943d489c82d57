/* pthread_tls: thread-local storage: initialised and zeroed __thread
 * variables (each thread starts from the image), an over-aligned TLS
 * variable, pthread_key values with destructors run at thread exit, and
 * pthread_once from many threads. */
#include "compat.h"
#include <pthread.h>

static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_text[16] = "template";
static __thread double tls_aligned __attribute__((aligned(64))) = 2.5;

static pthread_key_t key;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int destructor_runs;
static long destructor_sum;

static void destructor(void *v)
{
	pthread_mutex_lock(&m);
	destructor_runs++;
	destructor_sum += (long)v;
	pthread_mutex_unlock(&m);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void init_once(void)
{
	once_runs++;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int fresh = tls_init == 42 && tls_zero == 0 && strcmp(tls_text, "template") == 0 &&
		    tls_aligned == 2.5 && ((uintptr_t)&tls_aligned % 64) == 0;

	tls_init = (int)id;
	tls_zero = id * 100;
	snprintf(tls_text, sizeof(tls_text), "thread %ld", id);
	tls_aligned = (double)id;
	pthread_once(&once, init_once);
	if (id % 2 == 0)
		pthread_setspecific(key, (void *)(id + 1));
	for (int i = 0; i < 1000; i++)
		sched_yield();
	char want[16];
	snprintf(want, sizeof(want), "thread %ld", id);
	int kept = tls_init == (int)id && tls_zero == id * 100 && strcmp(tls_text, want) == 0 &&
		   tls_aligned == (double)id && pthread_getspecific(key) == (id % 2 == 0 ? (void *)(id + 1) : NULL);
	return (void *)(long)(fresh * 2 + kept);
}

int main(void)
{
	enum { N = 12 };
	pthread_t t[N];
	int fresh = 0, kept = 0;

	CHECK(pthread_key_create(&key, destructor) == 0);
	tls_init = -1;
	tls_zero = -1;
	strcpy(tls_text, "main");
	pthread_setspecific(key, (void *)1000);
	for (long i = 0; i < N; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < N; i++) {
		void *r;
		pthread_join(t[i], &r);
		fresh += ((long)r >> 1) & 1;
		kept += (long)r & 1;
	}
	printf("threads saw fresh TLS: %d of %d\n", fresh, N);
	printf("threads kept their own TLS: %d of %d\n", kept, N);
	printf("main TLS untouched: %d %ld %s, aligned %d\n", tls_init, tls_zero, tls_text,
	       ((uintptr_t)&tls_aligned % 64) == 0);
	printf("destructors ran %d times, sum %ld\n", destructor_runs, destructor_sum);
	printf("main key value %ld\n", (long)pthread_getspecific(key));
	printf("pthread_once ran %d time(s)\n", once_runs);
	pthread_once(&once, init_once);
	printf("pthread_once again: %d\n", once_runs);
	printf("key delete: %s\n", pres(pthread_key_delete(key)));
	printf("self equal: %d, main equal to a worker: %d\n", pthread_equal(pthread_self(), pthread_self()) != 0,
	       pthread_equal(pthread_self(), t[0]) != 0);
	return 0;
}
