/*
 * The process and its threads: creation of the one process, struct task
 * for each thread, exit and exit_group, and the identity calls.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/linux.h>
#include <mote/vfs.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/platform.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include <mote/vmkernel.h>
#include "linux_internal.h"
#include "syscall.h"

static struct linux_process *the_process;

struct linux_process *current_process(void)
{
	return the_process;
}

struct linux_process *process_create(void)
{
	struct linux_process *p = mm_calloc(1, sizeof(*p));
	struct vm_limits limits;

	if (!p)
		return NULL;
	vm_limits_default(&limits);
	vm_space_init(&p->vm, &vm_kernel_backend, NULL, &limits);
	mutex_init(&p->vm_lock);
	mutex_init(&p->fs_lock);
	spin_init(&p->sig_lock, "signals", SPIN_RANK_SYNC);
	list_init(&p->tasks);
	sigqueue_init(&p->shared);
	p->pid = 1;
	p->umask = 022;
	p->next_tid = 1;
	p->rlimit_stack = limits.stack_max;
	the_process = p;
	vm_kernel_set_current(&p->vm);
	return p;
}

/* A task for thread t in p (the first one gets tid == pid). */
struct task *task_create(struct linux_process *p, struct thread *t)
{
	struct task *k = mm_calloc(1, sizeof(*k));
	unsigned long flags;

	if (!k)
		return NULL;
	k->thread = t;
	k->proc = p;
	k->altstack.flags = SS_DISABLE;
	sigqueue_init(&k->sig);
	flags = spin_lock_irqsave(&p->sig_lock);
	k->tid = p->next_tid++;
	list_add_tail(&p->tasks, &k->node);
	p->nr_tasks++;
	spin_unlock_irqrestore(&p->sig_lock, flags);
	t->task = k;
	return k;
}

/* Unlinks k; returns how many tasks remain. */
static unsigned task_remove(struct task *k)
{
	struct linux_process *p = k->proc;
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	unsigned left;

	list_remove(&k->node);
	left = --p->nr_tasks;
	signal_task_exit(k);
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return left;
}

void task_destroy(struct task *k)
{
	task_remove(k);
	k->thread->task = NULL;
	mm_free(k);
}

void linux_exit_group(int status)
{
	struct linux_process *p = current_process();

	if (p)
		p->exiting = true;
	volume_sync_all();	/* what the program wrote survives it, as on Linux */
	platform_power_off(status & 0xff);
}

/*
 * One thread ends: Linux clears *clear_child_tid and wakes a futex waiter
 * there (pthread_join relies on it), then the thread is gone. The last
 * thread's exit ends the process.
 */
static __attribute__((noreturn)) void task_exit(int status)
{
	struct task *k = current_task();
	struct thread *t = thread_self();

	robust_list_exit(k);
	if (k->clear_child_tid) {
		uint32_t zero = 0;

		if (!copy_to_user((void *)k->clear_child_tid, &zero, sizeof(zero)))
			futex_wake_user(k->clear_child_tid, 1);
	}
	if (!task_remove(k))
		linux_exit_group(status);
	t->task = NULL;
	mm_free(k);
	thread_exit(NULL);
}

SYSCALL(exit)
{
	task_exit((int)a0);
}

SYSCALL(exit_group)
{
	linux_exit_group((int)a0);
}

SYSCALL(getpid)
{
	return current_process()->pid;
}

SYSCALL(gettid)
{
	return current_task()->tid;
}

SYSCALL(getppid)
{
	return 0;
}

SYSCALL(set_tid_address)
{
	current_task()->clear_child_tid = a0;
	return current_task()->tid;
}

/* The application runs as root, like a container's default user. */
SYSCALL(getuid) { return 0; }
SYSCALL(geteuid) { return 0; }
SYSCALL(getgid) { return 0; }
SYSCALL(getegid) { return 0; }
SYSCALL(setuid) { return a0 == 0 ? 0 : -EPERM; }
SYSCALL(setgid) { return a0 == 0 ? 0 : -EPERM; }
SYSCALL(getpgrp) { return current_process()->pid; }
SYSCALL(getpgid) { return a0 == 0 || (int)a0 == current_process()->pid ? current_process()->pid : -ESRCH; }
SYSCALL(getsid) { return a0 == 0 || (int)a0 == current_process()->pid ? current_process()->pid : -ESRCH; }
SYSCALL(setpgid) { return (a0 == 0 || (int)a0 == current_process()->pid) && (a1 == 0 || (int)a1 == current_process()->pid) ? 0 : -EPERM; }
SYSCALL(setsid) { return -EPERM; }	/* already a session leader */

static long put_ids(unsigned long a, unsigned long b, unsigned long c)
{
	uint32_t zero = 0;

	if (copy_to_user((void *)a, &zero, 4) || copy_to_user((void *)b, &zero, 4) ||
	    copy_to_user((void *)c, &zero, 4))
		return -EFAULT;
	return 0;
}

SYSCALL(getresuid) { return put_ids(a0, a1, a2); }
SYSCALL(getresgid) { return put_ids(a0, a1, a2); }
SYSCALL(getgroups) { return (int)a0 < 0 ? -EINVAL : 0; }

bool task_exists(int tid)
{
	struct linux_process *p = current_process();
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	struct list_node *n;
	bool found = false;

	list_for_each(n, &p->tasks)
		if (list_entry(n, struct task, node)->tid == tid)
			found = true;
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return found;
}
