/*
 * sched-linux: the Linux side of bench/sched, a static pthread program (musl)
 * that runs as /init of the Linux guest (bench/linux/run-guest.sh) and, the
 * same binary, natively on the host.
 *
 * It measures what issue 4 asks of mote's scheduler, each operation timed
 * one at a time with CLOCK_MONOTONIC (the vDSO over the TSC in the guest and
 * on the host) after a warm-up, and reports medians:
 *
 *   create_join_ns   pthread_create of a thread that returns at once, then
 *                    pthread_join: ns per pair.
 *   pingpong_ns      two threads taking turns through one mutex and two
 *                    condition variables: ns per round trip (two wake-ups,
 *                    two context switches).
 *   wake_late_us     nanosleep(1 ms) and how much later than 1 ms it
 *                    returns: median and p99 in µs. Linux's default 50 µs
 *                    timer slack is part of what an ordinary program sees,
 *                    so it is left as it is.
 *
 * The process pins itself to the first CPU it may run on, so every wake-up
 * is a context switch on one CPU wherever it runs (a guest with any -smp, or
 * the host) and the mote side is asked to do the same. Output, one line
 * each, machine-readable:
 *
 *   sched: create_join_ns <median>
 *   sched: pingpong_ns <median>
 *   sched: wake_late_us <median> <p99>
 *   sched: clock_step_ns <n>     (smallest clock step seen; a coarse clock
 *                                 would make the rest meaningless)
 *
 * Arguments (optional): -c N create+join pairs, -p N round trips, -w N sleeps.
 * Exit status 0, through guest_exit(): in the guest that ends the VM.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../linux/guest-exit.h"

#define WARMUP 50

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The value at fraction q (0.5 median, 0.99 p99) of v[0..n), which is sorted. */
static uint64_t quantile(uint64_t *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	int i = (int)(q * (n - 1) + 0.5);
	return v[i];
}

static uint64_t *samples(int n)
{
	uint64_t *v = calloc((size_t)n, sizeof(*v));
	if (!v) {
		fputs("sched-linux: out of memory\n", stderr);
		guest_exit(2);
	}
	return v;
}

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "sched-linux: %s: %s\n", what, strerror(err));
		guest_exit(2);
	}
}

/* Pin to the first allowed CPU: every wake-up below becomes a context switch. */
static void pin_one_cpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

/* The smallest nonzero step between two consecutive clock reads. */
static uint64_t clock_step(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t a = now_ns(), b;
		while ((b = now_ns()) == a)
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

static uint64_t bench_create_join(int n)
{
	uint64_t *v = samples(n);
	for (int i = -WARMUP; i < n; i++) {
		pthread_t t;
		uint64_t t0 = now_ns();
		check(pthread_create(&t, NULL, return_at_once, NULL), "pthread_create");
		check(pthread_join(t, NULL), "pthread_join");
		if (i >= 0)
			v[i] = now_ns() - t0;
	}
	uint64_t med = quantile(v, n, 0.5);
	free(v);
	return med;
}

/* Ping-pong: `turn` says who may run; each side waits on its own condvar. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv[2];
	int turn;		/* 0: the main thread's, 1: the partner's, -1: stop */
} pp = { PTHREAD_MUTEX_INITIALIZER, { PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER }, 0 };

static void *partner(void *arg)
{
	pthread_mutex_lock(&pp.lock);
	for (;;) {
		while (pp.turn == 0)
			pthread_cond_wait(&pp.cv[1], &pp.lock);
		if (pp.turn < 0)
			break;
		pp.turn = 0;
		pthread_cond_signal(&pp.cv[0]);
	}
	pthread_mutex_unlock(&pp.lock);
	return arg;
}

static uint64_t bench_pingpong(int n)
{
	uint64_t *v = samples(n);
	pthread_t t;
	check(pthread_create(&t, NULL, partner, NULL), "pthread_create");
	pthread_mutex_lock(&pp.lock);
	for (int i = -WARMUP; i < n; i++) {
		uint64_t t0 = now_ns();
		pp.turn = 1;
		pthread_cond_signal(&pp.cv[1]);
		while (pp.turn == 1)
			pthread_cond_wait(&pp.cv[0], &pp.lock);
		if (i >= 0)
			v[i] = now_ns() - t0;
	}
	pp.turn = -1;
	pthread_cond_signal(&pp.cv[1]);
	pthread_mutex_unlock(&pp.lock);
	check(pthread_join(t, NULL), "pthread_join");
	uint64_t med = quantile(v, n, 0.5);
	free(v);
	return med;
}

static void bench_wake(int n, double *med_us, double *p99_us)
{
	uint64_t *v = samples(n);
	const struct timespec ms = { 0, 1000000 };
	for (int i = -WARMUP / 10; i < n; i++) {
		uint64_t t0 = now_ns();
		nanosleep(&ms, NULL);
		uint64_t dt = now_ns() - t0;
		if (i >= 0)
			v[i] = dt > 1000000 ? dt - 1000000 : 0;	/* early: a bug, shown as 0 */
	}
	*med_us = quantile(v, n, 0.5) / 1e3;
	*p99_us = quantile(v, n, 0.99) / 1e3;
	free(v);
}

static int count_arg(const char *s)
{
	int n = atoi(s);
	if (n < 1 || n > 1000000) {
		fprintf(stderr, "sched-linux: bad count %s\n", s);
		guest_exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	int ncreate = 2000, npp = 5000, nwake = 500, o;
	while ((o = getopt(argc, argv, "c:p:w:")) != -1) {
		switch (o) {
		case 'c': ncreate = count_arg(optarg); break;
		case 'p': npp = count_arg(optarg); break;
		case 'w': nwake = count_arg(optarg); break;
		default:
			fputs("usage: sched-linux [-c PAIRS] [-p ROUNDTRIPS] [-w SLEEPS]\n", stderr);
			guest_exit(2);
		}
	}
	pin_one_cpu();
	printf("sched: clock_step_ns %llu\n", (unsigned long long)clock_step());
	printf("sched: create_join_ns %llu\n", (unsigned long long)bench_create_join(ncreate));
	printf("sched: pingpong_ns %llu\n", (unsigned long long)bench_pingpong(npp));
	double med, p99;
	bench_wake(nwake, &med, &p99);
	printf("sched: wake_late_us %.1f %.1f\n", med, p99);
	guest_exit(0);
}
