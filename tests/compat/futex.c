/* futex: the futex system call used directly: WAIT with a stale value
 * (EAGAIN), relative and absolute timeouts (ETIMEDOUT), WAKE with and
 * without waiters, CMP_REQUEUE and REQUEUE moving waiters between words,
 * WAIT_BITSET/WAKE_BITSET choosing which waiter wakes, the EINVAL and
 * ENOSYS answers to bad arguments, and WAKE_OP on a word it may read but
 * not write (EFAULT; mote's kernel once faulted on it, found by sysfuzz).
 *
 * No sleep decides an outcome: to know a waiter is queued, the main thread
 * repeats a wake or requeue until the kernel reports it moved the waiter. */
#include "compat.h"
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* The futex ABI (linux/futex.h, which musl-gcc does not see). */
enum {
	FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
	FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
	FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
	FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
	FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
	FUTEX_REQUEUE_PRIVATE = FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG,
	FUTEX_CMP_REQUEUE_PRIVATE = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
	FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
	FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG,
};
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2,
		  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static void basics(void)
{
	uint32_t w = 5;
	struct timespec ts = { 0, 30 * 1000000 };

	printf("wait wrong value: %s\n", res(futex(&w, FUTEX_WAIT, 4, NULL, NULL, 0)));
	printf("wait private wrong value: %s\n", res(futex(&w, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0)));
	int64_t t0 = now_ns();
	long r = futex(&w, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0);
	printf("wait 30 ms: %s, elapsed >= 30 ms: %d\n", res(r), now_ns() - t0 >= 30000000);
	printf("wake nobody: %s\n", res(futex(&w, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("wake private nobody: %s\n", res(futex(&w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));

	/* t0 before the deadline is computed: load between the two cannot
	 * shorten the measured wait below the 20 ms asked for. */
	struct timespec abs;
	t0 = now_ns();
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset absolute monotonic: %s, elapsed >= 20 ms: %d\n", res(r), now_ns() - t0 >= 20000000);
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset absolute realtime: %s\n", res(r));
	/* 1 ms ago: a VM's monotonic clock is only as old as the VM (less than 1 s). */
	clock_gettime(CLOCK_MONOTONIC, &abs);
	if (abs.tv_nsec >= 1000000) {
		abs.tv_nsec -= 1000000;
	} else {
		abs.tv_sec -= 1;
		abs.tv_nsec += 999000000;
	}
	r = futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset deadline passed: %s\n", res(r));

	struct timespec bad = { 0, 1000000000 };
	printf("wait bad timespec: %s\n", res(futex(&w, FUTEX_WAIT, 5, &bad, NULL, 0)));
	printf("wait unaligned: %s\n", res(futex((uint32_t *)((char *)&w + 1), FUTEX_WAIT, 5, &ts, NULL, 0)));
	printf("wait_bitset mask 0: %s\n", res(futex(&w, FUTEX_WAIT_BITSET, 5, &ts, NULL, 0)));
	printf("unknown op: %s\n", res(futex(&w, 99, 0, NULL, NULL, 0)));
}

struct waiter {
	uint32_t *word;
	int op;
	uint32_t bitset;
	long result;
	int err;
	int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->result = futex(w->word, w->op, 0, NULL, NULL, w->bitset);
	w->err = w->result == -1 ? errno : 0;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void start(struct waiter *w, pthread_t *t, uint32_t *word, int op, uint32_t bitset)
{
	*w = (struct waiter){ .word = word, .op = op, .bitset = bitset };
	CHECK(pthread_create(t, NULL, wait_thread, w) == 0);
}

/* Wake (op on word, mask) until exactly one waiter was woken. */
static void wake_one(uint32_t *word, int op, uint32_t mask)
{
	long r;

	while ((r = futex(word, op, 1, NULL, NULL, mask)) == 0)
		sched_yield();
	CHECK(r == 1);
}

static void wake_wait(void)
{
	static uint32_t word;
	struct waiter w;
	pthread_t t;

	start(&w, &t, &word, FUTEX_WAIT_PRIVATE, 0);
	wake_one(&word, FUTEX_WAKE_PRIVATE, 0);
	pthread_join(t, NULL);
	printf("wait/wake: waiter returned %ld %s\n", w.result, errname(w.err));

	/* Shared (non-private) futex words work the same within one process. */
	start(&w, &t, &word, FUTEX_WAIT, 0);
	wake_one(&word, FUTEX_WAKE, 0);
	pthread_join(t, NULL);
	printf("shared wait/wake: waiter returned %ld %s\n", w.result, errname(w.err));
}

static void requeue(void)
{
	static uint32_t a, b;
	struct waiter w[3];
	pthread_t t[3];
	long moved = 0, r;

	for (int i = 0; i < 3; i++)
		start(&w[i], &t[i], &a, FUTEX_WAIT_PRIVATE, 0);
	printf("cmp_requeue stale value: %s\n",
	       res(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(long)INT_MAX, &b, 1)));
	while (moved < 3) {
		r = futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(long)INT_MAX, &b, 0);
		CHECK(r >= 0);
		moved += r;
		if (moved < 3)
			sched_yield();
	}
	printf("cmp_requeue moved %ld waiters from a to b\n", moved);
	printf("wake a after requeue: %s\n", res(futex(&a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
	printf("wake b, 1: %s\n", res(futex(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
	int done = 0;
	while (done != 1) {
		done = 0;
		for (int i = 0; i < 3; i++)
			done += __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
	}
	printf("wake b, all: %s\n", res(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0)));
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		printf("requeued waiter %d returned %ld %s\n", i, w[i].result, errname(w[i].err));
	}

	/* Plain REQUEUE: wake none, move one; then it wakes from b. */
	start(&w[0], &t[0], &a, FUTEX_WAIT_PRIVATE, 0);
	while ((r = futex(&a, FUTEX_REQUEUE_PRIVATE, 0, (void *)(long)1, &b, 0)) == 0)
		sched_yield();
	printf("requeue moved %ld\n", r);
	printf("wake b: %s\n", res(futex(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
	pthread_join(t[0], NULL);
	printf("waiter returned %ld %s\n", w[0].result, errname(w[0].err));
}

static void bitsets(void)
{
	static uint32_t word;
	struct waiter w1, w2;
	pthread_t t1, t2;

	start(&w1, &t1, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	start(&w2, &t2, &word, FUTEX_WAIT_BITSET_PRIVATE, 0x2);
	wake_one(&word, FUTEX_WAKE_BITSET_PRIVATE, 0x2);
	pthread_join(t2, NULL);
	printf("wake bitset 0x2: woke the 0x2 waiter (%ld %s), 0x1 waiter still waiting: %d\n", w2.result,
	       errname(w2.err), !__atomic_load_n(&w1.done, __ATOMIC_ACQUIRE));
	printf("wake bitset 0x4: %s\n", res(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x4)));
	wake_one(&word, FUTEX_WAKE_BITSET_PRIVATE, 0x3);
	pthread_join(t1, NULL);
	printf("wake bitset 0x3: woke the 0x1 waiter (%ld %s)\n", w1.result, errname(w1.err));
	printf("wake_bitset mask 0: %s\n", res(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0)));
}

/* FUTEX_WAKE_OP writes the second word: read-only or unmapped, that is EFAULT. */
static void wake_op_unwritable(void)
{
	uint32_t w = 0, *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t op_set_1 = 0 << 28 | 0 << 24 | 1 << 12;	/* *uaddr2 = 1, wake if old == 0 */

	long r;

	*ro = 7;
	r = futex(&w, FUTEX_WAKE_OP, 1, (void *)1, ro, op_set_1);
	printf("wake_op writable: %s, word %u\n", res(r), *ro);
	mprotect(ro, 4096, PROT_READ);
	r = futex(&w, FUTEX_WAKE_OP, 1, (void *)1, ro, op_set_1);
	printf("wake_op read-only: %s, word %u\n", res(r), *ro);
	munmap(ro, 4096);
	printf("wake_op unmapped: %s\n", res(futex(&w, FUTEX_WAKE_OP, 1, (void *)1, ro, op_set_1)));
}

int main(void)
{
	basics();
	wake_wait();
	requeue();
	bitsets();
	wake_op_unwritable();
	return 0;
}
