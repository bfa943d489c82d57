/*
 * Threads: clone and clone3 with the flags pthreads use, arch_prctl, and
 * the scheduling calls.
 *
 * A new application thread is a kernel thread with its own kernel stack
 * and a copy of the creator's user registers and vector state. The child
 * waits at a gate until the parent has finished its side (task, user
 * context, the tid writes), so it can never run half-made.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/sched.h>
#include <mote/smp.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_PIDFD          0x00001000
#define CLONE_PTRACE         0x00002000
#define CLONE_VFORK          0x00004000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_NEWNS          0x00020000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000
#define CLONE_UNTRACED       0x00800000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_IO             0x80000000

/* What a thread in this process may ask for; anything else (fork, namespaces) is refused. */
#define CLONE_THREAD_NEEDS   (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
#define CLONE_THREAD_ALLOWED (CLONE_THREAD_NEEDS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | \
			      CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
			      CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_IO | CLONE_UNTRACED)

struct clone_start {
	struct semaphore gate;
	struct user_frame *frame;	/* the child's first registers */
	struct task *task;
};

static void *child_start(void *arg)
{
	struct clone_start *cs = arg;
	struct user_frame *f = arch_user_frame(thread_self());

	sem_down(&cs->gate);
	if (!cs->task) {	/* the parent could not finish: leave without running anything */
		mm_free(cs);
		thread_exit(NULL);
	}
	thread_self()->task = cs->task;
	memcpy(f, cs->frame, arch_user_frame_size());
	mm_free(cs);
	arch_enter_user(f);
}

struct clone_request {
	unsigned long flags;
	uintptr_t stack, parent_tid, child_tid, tls;
};

static long do_clone(const struct clone_request *r)
{
	struct linux_process *p = current_process();
	struct thread *self = thread_self(), *t;
	struct thread_attr attr = { .name = "app", .stack_size = TASK_KSTACK_SIZE, .detached = true };
	size_t fsize = arch_user_frame_size();
	struct clone_start *cs;
	struct task *k;
	int32_t tid;

	if ((r->flags & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS ||
	    (r->flags & ~(CLONE_THREAD_ALLOWED | 0xff)))
		return (r->flags & CLONE_VM) && !(r->flags & CLONE_THREAD) ? -ENOSYS : -EINVAL;
	cs = mm_malloc(sizeof(*cs) + fsize);
	if (!cs)
		return -EAGAIN;
	sem_init(&cs->gate, 0);
	cs->frame = (struct user_frame *)(cs + 1);
	memcpy(cs->frame, arch_user_frame(self), fsize);
	arch_syscall_set_return(cs->frame, 0);
	if (r->stack)
		arch_user_set_sp(cs->frame, r->stack);

	t = thread_create(child_start, cs, &attr);
	if (IS_ERR(t)) {
		mm_free(cs);
		return -EAGAIN;
	}
	k = task_create(p, t);
	if (!k || arch_user_context_new(t, self)) {
		/* Out of memory: the child, still at its gate, ends without running. */
		if (k)
			task_destroy(k);
		cs->task = NULL;
		sem_up(&cs->gate);
		return -EAGAIN;
	}
	cs->task = k;
	tid = k->tid;
	k->blocked = current_task()->blocked;
	if (r->flags & CLONE_SETTLS)
		arch_user_set_tls(t, r->tls);
	if (r->flags & CLONE_CHILD_CLEARTID)
		k->clear_child_tid = r->child_tid;
	if ((r->flags & CLONE_PARENT_SETTID) && copy_to_user((void *)r->parent_tid, &tid, 4))
		tid = -EFAULT;
	if ((r->flags & CLONE_CHILD_SETTID) && copy_to_user((void *)r->child_tid, &k->tid, 4))
		tid = -EFAULT;
	sem_up(&cs->gate);
	return tid;
}

SYSCALL(clone)
{
	struct clone_request r = { a0, a1, a2, a3, a4 };

	return do_clone(&r);
}

struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

SYSCALL(clone3)
{
	struct clone_args ca = { 0 };
	struct clone_request r;

	if (a1 < 64 || a1 > 4096)
		return -EINVAL;
	if (copy_from_user(&ca, (void *)a0, a1 < sizeof(ca) ? a1 : sizeof(ca)))
		return -EFAULT;
	if (ca.exit_signal || ca.set_tid || ca.set_tid_size || ca.cgroup || (ca.flags >> 32))
		return -EINVAL;
	r = (struct clone_request){ ca.flags, ca.stack ? ca.stack + ca.stack_size : 0,
				    ca.parent_tid, ca.child_tid, ca.tls };
	return do_clone(&r);
}

SYSCALL(fork)
{
	return -ENOSYS;
}

SYSCALL(vfork)
{
	return -ENOSYS;
}

SYSCALL(arch_prctl)
{
	return arch_user_prctl(thread_self(), (int)a0, a1);
}

SYSCALL(sched_yield)
{
	sched_yield();
	return 0;
}

/* The kernel's cpumask size for the CPUs there are, as Linux returns it (whole longs). */
static size_t cpumask_bytes(void)
{
	return (cpu_count() + 63) / 64 * 8;
}

SYSCALL(sched_getaffinity)
{
	size_t n = cpumask_bytes();
	uint64_t mask[(MAX_CPUS + 63) / 64] = { 0 };

	if (a0 && !task_exists((int)a0))
		return -ESRCH;
	if (a1 < n || (a1 & 7))
		return -EINVAL;
	for (unsigned i = 0; i < cpu_count(); i++)
		if (cpu_get(i)->online)
			mask[i / 64] |= 1ULL << (i % 64);
	return copy_to_user((void *)a2, mask, n) ? -EFAULT : (long)n;
}

SYSCALL(sched_setaffinity)
{
	uint64_t mask[(MAX_CPUS + 63) / 64] = { 0 };
	struct cpu_set set;
	size_t n = a1 < sizeof(mask) ? a1 : sizeof(mask);

	if (a0 && !task_exists((int)a0))
		return -ESRCH;
	if (copy_from_user(mask, (void *)a2, n))
		return -EFAULT;
	cpu_set_clear(&set);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (mask[i / 64] >> (i % 64) & 1)
			cpu_set_add(&set, i);
	/* Affinity of the caller only (others: accepted, as a hint the scheduler may ignore). */
	return a0 && (int)a0 != current_task()->tid ? 0 : thread_set_affinity(thread_self(), &set);
}

SYSCALL(getcpu)
{
	unsigned cpu = cpu_self()->id, node = 0;

	if ((a0 && copy_to_user((void *)a0, &cpu, 4)) || (a1 && copy_to_user((void *)a1, &node, 4)))
		return -EFAULT;
	return 0;
}

SYSCALL(sched_getscheduler)
{
	return (int)a0 < 0 ? -EINVAL : 0;	/* SCHED_OTHER */
}

SYSCALL(sched_getparam)
{
	int zero = 0;

	if ((int)a0 < 0 || !a1)
		return -EINVAL;
	return copy_to_user((void *)a1, &zero, 4) ? -EFAULT : 0;
}

SYSCALL(sched_setscheduler)
{
	return (int)a0 < 0 || a1 > 6 ? -EINVAL : a1 == 0 || a1 == 3 || a1 == 5 ? 0 : -EPERM;
}

SYSCALL(sched_setparam)
{
	return (int)a0 < 0 || !a1 ? -EINVAL : 0;
}

SYSCALL(sched_get_priority_max)
{
	return a0 == 1 || a0 == 2 ? 99 : a0 <= 6 && a0 != 4 ? 0 : -EINVAL;
}

SYSCALL(sched_get_priority_min)
{
	return a0 == 1 || a0 == 2 ? 1 : a0 <= 6 && a0 != 4 ? 0 : -EINVAL;
}

SYSCALL(sched_rr_get_interval)
{
	struct { int64_t sec, nsec; } ts = { 0, 100 * 1000 * 1000 };

	return copy_to_user((void *)a1, &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* getpriority returns 20 - nice (so it is never negative); PRIO_PROCESS 0, PGRP 1, USER 2. */
SYSCALL(getpriority)
{
	if (a0 > 2)
		return -EINVAL;
	return 20 - thread_self()->nice;
}

SYSCALL(setpriority)
{
	int nice = (int)a2;

	if (a0 > 2)
		return -EINVAL;
	thread_set_nice(thread_self(), nice < -20 ? -20 : nice > 19 ? 19 : nice);
	return 0;
}

enum { PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
       PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_TIMERSLACK = 30, PR_SET_TIMERSLACK = 29,
       PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39 };

SYSCALL(prctl)
{
	char name[16];

	switch (a0) {
	case PR_SET_NAME:
		if (strncpy_from_user(name, (const char *)a1, sizeof(name)) < 0 &&
		    copy_from_user(name, (const void *)a1, sizeof(name) - 1))
			return -EFAULT;
		name[15] = 0;
		memcpy(thread_self()->name, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		memcpy(name, thread_self()->name, sizeof(name));
		name[15] = 0;
		return copy_to_user((void *)a1, name, sizeof(name)) ? -EFAULT : 0;
	case PR_SET_PDEATHSIG: case PR_SET_DUMPABLE: case PR_SET_TIMERSLACK:
	case PR_SET_NO_NEW_PRIVS:
		return 0;
	case PR_GET_DUMPABLE: case PR_GET_NO_NEW_PRIVS:
		return a0 == PR_GET_DUMPABLE;
	case PR_GET_TIMERSLACK:
		return 50000;
	case PR_GET_PDEATHSIG: {
		int zero = 0;

		return copy_to_user((void *)a1, &zero, 4) ? -EFAULT : 0;
	}
	default:
		return -EINVAL;
	}
}

enum { MEMBARRIER_CMD_QUERY = 0 };

/* Only the query: it reports no commands, so runtimes fall back to their own barriers. */
SYSCALL(membarrier)
{
	return a0 == MEMBARRIER_CMD_QUERY && !a1 ? 0 : -EINVAL;
}
