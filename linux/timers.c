/*
 * Interval and POSIX timers: alarm, setitimer/getitimer (ITIMER_REAL),
 * and timer_create/settime/gettime/getoverrun/delete with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_NONE.
 *
 * One service thread per process runs them all: it sleeps until the
 * earliest deadline (or until a change wakes it), then sends each expired
 * timer's signal and re-arms periodic ones. A thread rather than the
 * kernel's per-CPU timers because those must be cancelled on the CPU that
 * armed them, while these are set from any thread on any CPU; expiries
 * are rare enough that a switch to the service thread costs nothing.
 * ITIMER_VIRTUAL and ITIMER_PROF are accepted and kept but never fire
 * (no per-process CPU-time accounting at tick granularity yet).
 *
 * Deadlines are on the monotonic clock; a CLOCK_REALTIME timer's absolute
 * time is converted when set (the wall clock is never stepped here).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/clock.h>
#include <mote/linux.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

#define NS           1000000000ULL
#define MAX_TIMERS   64		/* POSIX timers per process; slot MAX_TIMERS is ITIMER_REAL */
#define ITIMER_SLOT  MAX_TIMERS
#define SIGEV_SIGNAL 0
#define SIGEV_NONE   1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME 1

struct ktimer {
	bool used;
	int clock;
	int notify;		/* SIGEV_* */
	int signo;
	int tid;		/* SIGEV_THREAD_ID target */
	uint64_t value;		/* sigev_value */
	uint64_t deadline;	/* monotonic ns; 0: disarmed */
	uint64_t interval;
	int overrun;		/* expirations merged into the last signal */
};

static struct {
	struct mutex lock;
	struct waitq wake;
	bool changed;
	struct ktimer t[MAX_TIMERS + 1];
	struct thread *service;
} timers = { .lock = MUTEX_INIT(timers.lock), .wake = WAITQ_INIT(timers.wake) };

static void fire(struct ktimer *t, int id, uint64_t now)
{
	struct k_siginfo info = { .signo = t->signo, .code = id == ITIMER_SLOT ? SI_KERNEL : SI_TIMER };

	if (t->interval) {
		uint64_t missed = (now - t->deadline) / t->interval;

		t->overrun = (int)(missed > 0x7fffffff ? 0x7fffffff : missed);
		t->deadline += (missed + 1) * t->interval;
	} else {
		t->deadline = 0;
	}
	if (t->notify == SIGEV_NONE)
		return;
	if (id != ITIMER_SLOT) {
		info.fields[0] = (uint64_t)id | (uint64_t)t->overrun << 32;	/* si_tid, si_overrun */
		info.fields[1] = t->value;					/* si_value */
	}
	if (t->notify == SIGEV_THREAD_ID && signal_send_tid(t->tid, &info) == 0)
		return;
	signal_send_process(current_process(), &info);
}

static void *service(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t next = 0, now = clock_monotonic_ns();

		mutex_lock(&timers.lock);
		for (int i = 0; i <= MAX_TIMERS; i++) {
			struct ktimer *t = &timers.t[i];

			if (t->used && t->deadline && t->deadline <= now)
				fire(t, i, now);
			if (t->used && t->deadline && (!next || t->deadline < next))
				next = t->deadline;
		}
		timers.changed = false;
		mutex_unlock(&timers.lock);
		waitq_wait_event(&timers.wake, __atomic_load_n(&timers.changed, __ATOMIC_ACQUIRE),
				 next ? (next > now ? next - now : 1) : 0);
	}
	return NULL;
}

/* Tells the service thread (starting it the first time) that a deadline changed. */
static int kick_service(void)
{
	static const struct thread_attr attr = { .name = "timers", .detached = true };

	if (!timers.service) {
		struct thread *t = thread_create(service, NULL, &attr);

		if (IS_ERR(t))
			return -EAGAIN;
		timers.service = t;
	}
	__atomic_store_n(&timers.changed, true, __ATOMIC_RELEASE);
	waitq_wake_all(&timers.wake);
	return 0;
}

static uint64_t remaining(const struct ktimer *t)
{
	uint64_t now = clock_monotonic_ns();

	return t->deadline > now ? t->deadline - now : t->deadline ? 1 : 0;
}

/* Arms slot t (lock held): value 0 disarms; abs says value is a time on t->clock. */
static int arm(struct ktimer *t, uint64_t value, uint64_t interval, bool abs)
{
	uint64_t now = clock_monotonic_ns();

	if (!value) {
		t->deadline = 0;
	} else if (abs) {
		uint64_t clock_now = t->clock == 0 ? clock_realtime_ns() : now;

		t->deadline = now + (value > clock_now ? value - clock_now : 0);
		if (t->deadline == 0)
			t->deadline = 1;
	} else {
		t->deadline = now + value;
	}
	t->interval = interval;
	t->overrun = 0;
	return kick_service();
}

/* ---- setitimer / getitimer / alarm ---------------------------------------------- */

struct itimerval_k {
	int64_t int_sec, int_usec, val_sec, val_usec;
};

static struct itimerval_k itv_of(uint64_t value, uint64_t interval)
{
	return (struct itimerval_k){ (int64_t)(interval / NS), (int64_t)(interval % NS / 1000),
				     (int64_t)(value / NS), (int64_t)(value % NS / 1000) };
}

static struct {
	struct itimerval_k virt, prof;	/* kept, never fire */
} cpu_itimers;

SYSCALL(getitimer)
{
	struct itimerval_k v;

	if (a0 > 2)
		return -EINVAL;
	mutex_lock(&timers.lock);
	if (a0 == 0) {
		struct ktimer *t = &timers.t[ITIMER_SLOT];

		v = itv_of(t->used ? remaining(t) : 0, t->used ? t->interval : 0);
	} else {
		v = a0 == 1 ? cpu_itimers.virt : cpu_itimers.prof;
	}
	mutex_unlock(&timers.lock);
	return copy_to_user((void *)a1, &v, sizeof(v)) ? -EFAULT : 0;
}

static long set_real(const struct itimerval_k *n, struct itimerval_k *old)
{
	struct ktimer *t = &timers.t[ITIMER_SLOT];
	int ret;

	mutex_lock(&timers.lock);
	*old = itv_of(t->used ? remaining(t) : 0, t->used ? t->interval : 0);
	t->used = true;
	t->clock = 1;
	t->notify = SIGEV_SIGNAL;
	t->signo = SIGALRM;
	ret = arm(t, (uint64_t)n->val_sec * NS + (uint64_t)n->val_usec * 1000,
		  (uint64_t)n->int_sec * NS + (uint64_t)n->int_usec * 1000, false);
	mutex_unlock(&timers.lock);
	return ret;
}

SYSCALL(setitimer)
{
	struct itimerval_k n = { 0 }, old;
	long ret;

	if (a0 > 2)
		return -EINVAL;
	if (a1 && copy_from_user(&n, (void *)a1, sizeof(n)))
		return -EFAULT;
	if (n.val_usec < 0 || n.val_usec >= 1000000 || n.int_usec < 0 || n.int_usec >= 1000000 ||
	    n.val_sec < 0 || n.int_sec < 0)
		return -EINVAL;
	if (a0 == 0) {
		if ((ret = set_real(&n, &old)))
			return ret;
	} else {
		struct itimerval_k *slot = a0 == 1 ? &cpu_itimers.virt : &cpu_itimers.prof;

		old = *slot;
		*slot = n;
	}
	return a2 && copy_to_user((void *)a2, &old, sizeof(old)) ? -EFAULT : 0;
}

/* alarm(2): seconds left of the previous alarm, rounded up (0 if none). */
SYSCALL(alarm)
{
	struct itimerval_k n = { 0, 0, (int64_t)(unsigned)a0, 0 }, old;

	if (set_real(&n, &old))
		return 0;
	/* As Linux: rounded to the nearest second, but never 0 while one was pending. */
	return old.val_sec + (old.val_usec >= 500000) + (!old.val_sec && old.val_usec && old.val_usec < 500000);
}

/* ---- POSIX timers ------------------------------------------------------------------- */

struct sigevent_k {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid;
	int32_t pad[11];
};

SYSCALL(timer_create)
{
	struct sigevent_k ev = { .notify = SIGEV_SIGNAL, .signo = SIGALRM };
	int clock = (int)a0, id = -1;
	long ret;

	if (clock != 0 && clock != 1 && clock != 7 && clock != 4)
		return clock == 2 || clock == 3 ? -ENOTSUP : -EINVAL;
	if (a1 && copy_from_user(&ev, (void *)a1, sizeof(ev)))
		return -EFAULT;
	if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > NSIG))
		return -EINVAL;
	mutex_lock(&timers.lock);
	for (int i = 0; i < MAX_TIMERS && id < 0; i++)
		if (!timers.t[i].used)
			id = i;
	if (id >= 0)
		timers.t[id] = (struct ktimer){ .used = true, .clock = clock == 0 ? 0 : 1,
						.notify = ev.notify, .signo = ev.signo, .tid = ev.tid,
						.value = a1 ? ev.value : (uint64_t)id };
	mutex_unlock(&timers.lock);
	if (id < 0)
		return -EAGAIN;
	ret = copy_to_user((void *)a2, &id, sizeof(id)) ? -EFAULT : 0;
	if (ret)
		timers.t[id].used = false;
	return ret;
}

static struct ktimer *timer_of(unsigned long id)
{
	return id < MAX_TIMERS && timers.t[id].used ? &timers.t[id] : NULL;
}

struct itimerspec_k {
	int64_t int_sec, int_nsec, val_sec, val_nsec;
};

static struct itimerspec_k its_of(uint64_t value, uint64_t interval)
{
	return (struct itimerspec_k){ (int64_t)(interval / NS), (int64_t)(interval % NS),
				      (int64_t)(value / NS), (int64_t)(value % NS) };
}

SYSCALL(timer_settime)
{
	struct itimerspec_k n, old;
	struct ktimer *t;
	long ret;

	if (copy_from_user(&n, (void *)a2, sizeof(n)))
		return -EFAULT;
	if (n.val_nsec < 0 || n.val_nsec >= (int64_t)NS || n.int_nsec < 0 ||
	    n.int_nsec >= (int64_t)NS || n.val_sec < 0 || n.int_sec < 0)
		return -EINVAL;
	mutex_lock(&timers.lock);
	if (!(t = timer_of(a0))) {
		mutex_unlock(&timers.lock);
		return -EINVAL;
	}
	old = its_of(remaining(t), t->interval);
	ret = arm(t, (uint64_t)n.val_sec * NS + (uint64_t)n.val_nsec,
		  (uint64_t)n.int_sec * NS + (uint64_t)n.int_nsec, a1 & TIMER_ABSTIME);
	mutex_unlock(&timers.lock);
	if (!ret && a3 && copy_to_user((void *)a3, &old, sizeof(old)))
		ret = -EFAULT;
	return ret;
}

SYSCALL(timer_gettime)
{
	struct itimerspec_k cur;
	struct ktimer *t;

	mutex_lock(&timers.lock);
	if (!(t = timer_of(a0))) {
		mutex_unlock(&timers.lock);
		return -EINVAL;
	}
	cur = its_of(remaining(t), t->interval);
	mutex_unlock(&timers.lock);
	return copy_to_user((void *)a1, &cur, sizeof(cur)) ? -EFAULT : 0;
}

SYSCALL(timer_getoverrun)
{
	struct ktimer *t;
	long ret;

	mutex_lock(&timers.lock);
	t = timer_of(a0);
	ret = t ? t->overrun : -EINVAL;
	mutex_unlock(&timers.lock);
	return ret;
}

SYSCALL(timer_delete)
{
	struct ktimer *t;

	mutex_lock(&timers.lock);
	t = timer_of(a0);
	if (t)
		*t = (struct ktimer){ 0 };
	mutex_unlock(&timers.lock);
	return t ? 0 : -EINVAL;
}
