/*
 * The mote side of bench/sched, run by `bench=sched` on the kernel command
 * line: the same three measurements as sched-linux.c, taken the same way
 * (one operation at a time, after a warm-up, medians), printed as the same
 * `sched: ...` lines bench-sched parses.
 *
 *   create_join_ns   thread_create of a thread that returns at once, then
 *                    thread_join.
 *   pingpong_ns      two threads taking turns through one mutex and two
 *                    condition variables, per round trip.
 *   wake_late_us     thread_sleep_ns(1 ms) and how much later it returns:
 *                    median and p99.
 *
 * Like the Linux side, everything runs on one CPU (the calling thread's),
 * so every wake-up is a context switch there whatever --smp says.
 */
#include <lib/err.h>
#include <mote/clock.h>
#include <mote/kbench.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/sync.h>
#include <mote/thread.h>

#define WARMUP   50
#define NCREATE  2000
#define NPINGPONG 5000
#define NWAKE    500

static struct cpu_set one_cpu;

/* Shell sort: n is a few thousand and this runs once per measurement. */
static void sort_u64(uint64_t *v, int n)
{
	for (int gap = n / 2; gap > 0; gap /= 2)
		for (int i = gap; i < n; i++)
			for (int j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				uint64_t t = v[j];

				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

/* The value at fraction q (in percent) of the sorted v[0..n). */
static uint64_t quantile(const uint64_t *v, int n, int percent)
{
	return v[(percent * (n - 1) + 50) / 100];
}

static uint64_t clock_step(void)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 1000; i++) {
		uint64_t a = clock_monotonic_ns(), b;

		while ((b = clock_monotonic_ns()) == a)
			;
		if (b - a < best)
			best = b - a;
	}
	return best;
}

static void *return_at_once(void *arg)
{
	return arg;
}

static int bench_create_join(uint64_t *v, uint64_t *median)
{
	struct thread_attr attr = { .affinity = &one_cpu };

	for (int i = -WARMUP; i < NCREATE; i++) {
		uint64_t t0 = clock_monotonic_ns();
		struct thread *t = thread_create(return_at_once, 0, &attr);

		if (IS_ERR(t) || thread_join(t, 0))
			return -1;
		if (i >= 0)
			v[i] = clock_monotonic_ns() - t0;
	}
	sort_u64(v, NCREATE);
	*median = quantile(v, NCREATE, 50);
	return 0;
}

static struct {
	struct mutex lock;
	struct condvar cv[2];
	int turn;		/* 0: the benchmark thread's, 1: the partner's, -1: stop */
} pp = { MUTEX_INIT(pp.lock), { CONDVAR_INIT(pp.cv[0]), CONDVAR_INIT(pp.cv[1]) }, 0 };

static void *partner(void *arg)
{
	mutex_lock(&pp.lock);
	for (;;) {
		while (pp.turn == 0)
			cond_wait(&pp.cv[1], &pp.lock, 0);
		if (pp.turn < 0)
			break;
		pp.turn = 0;
		cond_signal(&pp.cv[0]);
	}
	mutex_unlock(&pp.lock);
	return arg;
}

static int bench_pingpong(uint64_t *v, uint64_t *median)
{
	struct thread_attr attr = { .name = "partner", .affinity = &one_cpu };
	struct thread *t = thread_create(partner, 0, &attr);

	if (IS_ERR(t))
		return -1;
	mutex_lock(&pp.lock);
	for (int i = -WARMUP; i < NPINGPONG; i++) {
		uint64_t t0 = clock_monotonic_ns();

		pp.turn = 1;
		cond_signal(&pp.cv[1]);
		while (pp.turn == 1)
			cond_wait(&pp.cv[0], &pp.lock, 0);
		if (i >= 0)
			v[i] = clock_monotonic_ns() - t0;
	}
	pp.turn = -1;
	cond_signal(&pp.cv[1]);
	mutex_unlock(&pp.lock);
	if (thread_join(t, 0))
		return -1;
	sort_u64(v, NPINGPONG);
	*median = quantile(v, NPINGPONG, 50);
	return 0;
}

static void bench_wake(uint64_t *v, uint64_t *median_ns, uint64_t *p99_ns)
{
	for (int i = -WARMUP / 10; i < NWAKE; i++) {
		uint64_t t0 = clock_monotonic_ns(), dt;

		thread_sleep_ns(NSEC_PER_MSEC);
		dt = clock_monotonic_ns() - t0;
		if (i >= 0)
			v[i] = dt > NSEC_PER_MSEC ? dt - NSEC_PER_MSEC : 0;
	}
	sort_u64(v, NWAKE);
	*median_ns = quantile(v, NWAKE, 50);
	*p99_ns = quantile(v, NWAKE, 99);
}

/* "12.3" for ns given in µs with one decimal (printk has no floating point). */
static void print_us(uint64_t ns)
{
	printk(" %lu.%lu", ns / 1000, ns % 1000 / 100);
}

KBENCH(sched)
{
	uint64_t *v = mm_malloc(NPINGPONG * sizeof(*v));
	uint64_t create, pingpong, wake_med, wake_p99;

	if (!v)
		return -1;
	cpu_set_clear(&one_cpu);
	cpu_set_add(&one_cpu, cpu_self()->id);
	if (thread_set_affinity(thread_self(), &one_cpu))
		return -1;
	printk("sched: clock_step_ns %lu\n", clock_step());
	if (bench_create_join(v, &create))
		return -1;
	printk("sched: create_join_ns %lu\n", create);
	if (bench_pingpong(v, &pingpong))
		return -1;
	printk("sched: pingpong_ns %lu\n", pingpong);
	bench_wake(v, &wake_med, &wake_p99);
	printk("sched: wake_late_us");
	print_us(wake_med);
	print_us(wake_p99);
	printk("\n");
	mm_free(v);
	return 0;
}
