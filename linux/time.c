/*
 * Time: clocks, sleeping, and the CPU-time accounting calls.
 */
#include <lib/errno.h>
#include <mote/clock.h>
#include <mote/linux.h>
#include <mote/sched.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

enum {
	CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
	CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
	CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8,
	CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11,
};
#define TIMER_ABSTIME 1
#define NS 1000000000ULL

static uint64_t thread_cpu_ns(const struct thread *t)
{
	uint64_t total = t->run_total;

	if (t == thread_self())
		total += clock_monotonic_ns() - t->run_start;
	return total;
}

static uint64_t process_cpu_ns(void)
{
	struct linux_process *p = current_process();
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	struct list_node *n;
	uint64_t total = 0;

	list_for_each(n, &p->tasks)
		total += thread_cpu_ns(list_entry(n, struct task, node)->thread);
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return total;
}

/* The clock's time in ns, or -EINVAL for a clock that does not exist. */
static int clock_read(int clock, uint64_t *ns)
{
	switch (clock) {
	case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_TAI:
		*ns = clock_realtime_ns() + 37 * NS;	/* TAI - UTC since 2017 */
		return 0;
	case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = process_cpu_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = thread_cpu_ns(thread_self());
		return 0;
	default:
		return -EINVAL;
	}
}

static int put_timespec(unsigned long u, uint64_t ns)
{
	struct timespec_k ts = { (int64_t)(ns / NS), (int64_t)(ns % NS) };

	return copy_to_user((void *)u, &ts, sizeof(ts)) ? -EFAULT : 0;
}

SYSCALL(clock_gettime)
{
	uint64_t ns;
	int ret = clock_read((int)a0, &ns);

	return ret ? ret : put_timespec(a1, ns);
}

SYSCALL(clock_getres)
{
	uint64_t ns;
	int ret = clock_read((int)a0, &ns);

	if (ret || !a1)
		return ret;
	return put_timespec(a1, a0 == CLOCK_REALTIME_COARSE || a0 == CLOCK_MONOTONIC_COARSE ?
				    4000000 : 1);
}

SYSCALL(gettimeofday)
{
	uint64_t ns = clock_realtime_ns();
	struct { int64_t sec, usec; } tv = { (int64_t)(ns / NS), (int64_t)(ns % NS / 1000) };
	struct { int32_t minuteswest, dsttime; } tz = { 0, 0 };

	if ((a0 && copy_to_user((void *)a0, &tv, sizeof(tv))) ||
	    (a1 && copy_to_user((void *)a1, &tz, sizeof(tz))))
		return -EFAULT;
	return 0;
}

SYSCALL(time)
{
	int64_t t = (int64_t)(clock_realtime_ns() / NS);

	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return t;
}

int sleep_interruptible(uint64_t deadline)
{
	struct waitq wq;
	struct waiter w;
	unsigned long flags;
	int ret;

	waitq_init(&wq);
	flags = spin_lock_irqsave(&wq.lock);
	waitq_add(&wq, &w);
	ret = waitq_sleep(&w, deadline, WAIT_INTERRUPTIBLE);
	spin_unlock_irqrestore(&wq.lock, flags);
	return ret == -ETIMEDOUT ? 0 : ret;
}

/* Sleeps until monotonic `deadline`; on a signal, stores what was left in rem (relative). */
static long sleep_until(uint64_t deadline, unsigned long rem)
{
	int ret;
	uint64_t now;

	if (!deadline)
		deadline = 1;	/* 0 means "no deadline" to the wait core */
	ret = sleep_interruptible(deadline);
	if (ret != -EINTR)
		return 0;
	now = clock_monotonic_ns();
	if (rem && put_timespec(rem, deadline > now ? deadline - now : 0))
		return -EFAULT;
	return -EINTR;
}

SYSCALL(nanosleep)
{
	struct timespec_k ts;
	int ret = timespec_from_user((void *)a0, &ts);
	uint64_t ns, now = clock_monotonic_ns();

	if (ret)
		return ret;
	ns = (uint64_t)ts.sec * NS + (uint64_t)ts.nsec;
	return sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns, a1);
}

SYSCALL(clock_nanosleep)
{
	struct timespec_k ts;
	uint64_t ns, now, deadline;
	int ret = timespec_from_user((void *)a2, &ts);

	if (ret)
		return ret;
	if (a0 == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if ((ret = clock_read((int)a0, &now)))
		return ret;
	if (a0 == CLOCK_PROCESS_CPUTIME_ID)
		return -EOPNOTSUPP;
	ns = (uint64_t)ts.sec * NS + (uint64_t)ts.nsec;
	/* Convert to a monotonic deadline: realtime may be stepped, which we ignore (no settime). */
	if (a1 & TIMER_ABSTIME)
		deadline = clock_monotonic_ns() + (ns > now ? ns - now : 0);
	else
		deadline = clock_monotonic_ns() + ns;
	return sleep_until(deadline, a1 & TIMER_ABSTIME ? 0 : a3);
}

struct timeval_k {
	int64_t sec, usec;
};

static struct timeval_k tv_of(uint64_t ns)
{
	return (struct timeval_k){ (int64_t)(ns / NS), (int64_t)(ns % NS / 1000) };
}

SYSCALL(getrusage)
{
	uint64_t ru[18] = { 0 };	/* struct rusage: 2 timevals, then 14 longs */
	uint64_t cpu;
	struct timeval_k tv;

	if ((int)a0 == 0)		/* RUSAGE_SELF */
		cpu = process_cpu_ns();
	else if ((int)a0 == 1)		/* RUSAGE_THREAD */
		cpu = thread_cpu_ns(thread_self());
	else if ((int)a0 == -1)		/* RUSAGE_CHILDREN: none */
		cpu = 0;
	else
		return -EINVAL;
	tv = tv_of(cpu);
	ru[0] = (uint64_t)tv.sec;
	ru[1] = (uint64_t)tv.usec;
	return copy_to_user((void *)a1, ru, sizeof(ru)) ? -EFAULT : 0;
}

SYSCALL(times)
{
	uint64_t ticks = process_cpu_ns() / (NS / 100);
	uint64_t t[4] = { ticks, 0, 0, 0 };

	if (a0 && copy_to_user((void *)a0, t, sizeof(t)))
		return -EFAULT;
	return (long)(clock_monotonic_ns() / (NS / 100));
}
