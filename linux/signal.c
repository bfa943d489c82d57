/*
 * Signals: dispositions, masks, sending, delivery on the way back to user
 * mode, the alternate stack, rt_sigreturn, and the fatal report.
 *
 * State and locking: the process's sig_lock (a spinlock) covers the
 * dispositions, every task's mask and pending set, and the task list.
 * Standard signals do not queue (a second one while pending is merged, as
 * Linux); real-time signals keep only the first siginfo too (a documented
 * simplification: docs/signals.md). A signal is made visible by setting
 * its pending bit and, if the receiving thread does not block it,
 * interrupting its interruptible wait (thread_interrupt) and kicking it if
 * it is running in user mode elsewhere (sched_kick); it acts on the signal
 * in linux_return_to_user().
 *
 * Interrupted system calls: a blocking call that returns -EINTR because of
 * a signal is restarted when no handler runs, or when the handler has
 * SA_RESTART and the call is one Linux restarts; otherwise the application
 * sees EINTR (signal(7), "Interruption of system calls").
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/sched.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"

#define SIGBIT(s)        (1ULL << ((s) - 1))
#define UNBLOCKABLE      (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define SIG_HOW_BLOCK    0
#define SIG_HOW_UNBLOCK  1
#define SIG_HOW_SETMASK  2

static const char *const signal_names[32] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
	[SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
	[SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",
	[SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
	[SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
	[SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM",
	[SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

static bool valid_signal(unsigned long sig)
{
	return sig >= 1 && sig <= NSIG;
}

/* What SIG_DFL does: ignore (true) or terminate (false). Stops are ignored: no job control. */
static bool default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT ||
	       sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static bool ignored(const struct linux_process *p, int sig)
{
	uintptr_t h = p->actions[sig - 1].handler;

	return h == SIG_IGN || (h == SIG_DFL && default_ignores(sig));
}

/* Tells k about a newly pending signal it does not block (sig_lock held). */
static void notify_task(struct task *k, int sig)
{
	if (k->blocked & SIGBIT(sig))
		return;
	thread_interrupt(k->thread);
	sched_kick(k->thread);
}

/* Makes info pending for k (sig_lock held). */
static void queue_to_task(struct task *k, const struct k_siginfo *info)
{
	int sig = info->signo;

	if (ignored(k->proc, sig) && !(k->blocked & SIGBIT(sig)))
		return;
	if (!(k->pending & SIGBIT(sig)))
		k->info[sig - 1] = *info;
	k->pending |= SIGBIT(sig);
	notify_task(k, sig);
}

int signal_send_task(struct task *k, const struct k_siginfo *info)
{
	unsigned long flags = spin_lock_irqsave(&k->proc->sig_lock);

	queue_to_task(k, info);
	spin_unlock_irqrestore(&k->proc->sig_lock, flags);
	return 0;
}

int signal_send_process(struct linux_process *p, const struct k_siginfo *info)
{
	int sig = info->signo;
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	struct list_node *n;

	if (!ignored(p, sig)) {
		if (!(p->shared_pending & SIGBIT(sig)))
			p->shared_info[sig - 1] = *info;
		p->shared_pending |= SIGBIT(sig);
		/* Any one thread that does not block it will take it: wake them all cheaply. */
		list_for_each(n, &p->tasks) {
			struct task *k = list_entry(n, struct task, node);

			if (!(k->blocked & SIGBIT(sig))) {
				notify_task(k, sig);
				break;
			}
		}
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return 0;
}

bool signal_pending(void)
{
	struct task *k = current_task();

	return k && ((k->pending | k->proc->shared_pending) & ~k->blocked);
}

/* Takes the lowest deliverable signal (synchronous faults are raised as thread signals). */
static int dequeue(struct task *k, struct k_siginfo *info)
{
	struct linux_process *p = k->proc;
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	uint64_t mine = k->pending & ~k->blocked, shared = p->shared_pending & ~k->blocked;
	int sig = 0;

	if (mine) {
		sig = __builtin_ctzll(mine) + 1;
		*info = k->info[sig - 1];
		k->pending &= ~SIGBIT(sig);
	} else if (shared) {
		sig = __builtin_ctzll(shared) + 1;
		*info = p->shared_info[sig - 1];
		p->shared_pending &= ~SIGBIT(sig);
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return sig;
}

/* "prog+0x1234": the binary and the offset of pc in it (the image is loaded at its link base). */
static void describe_pc(uintptr_t pc)
{
	printk("0x%lx (%s)", pc, current_process()->exe);
}

void signal_fatal(int signo, const struct user_frame *f, const struct k_siginfo *info)
{
	const char *name = signo < 32 && signal_names[signo] ? signal_names[signo] : "real-time signal";

	console_fatal();	/* `mote run` shows this report even without --verbose */
	printk("mote: fatal: program killed by signal %d (%s)", signo, name);
	if (info && (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE))
		printk(", fault address 0x%lx, code %d", (unsigned long)info->fields[0], info->code);
	if (f) {
		printk(", at ip ");
		describe_pc(arch_user_pc(f));
		printk(" sp 0x%lx", arch_user_sp(f));
	}
	printk(", thread %d\n", current_task() ? current_task()->tid : 0);
	linux_exit_group(128 + signo);
}

static bool on_altstack(const struct task *k, uintptr_t sp)
{
	return !(k->altstack.flags & SS_DISABLE) && sp > k->altstack.sp &&
	       sp - k->altstack.sp <= k->altstack.size;
}

/* Sets up the handler's frame; false if the stack cannot take it. */
static bool run_handler(struct task *k, struct user_frame *f, int sig, const struct k_siginfo *info,
			const struct k_sigaction *act)
{
	struct linux_process *p = k->proc;
	uintptr_t sp = arch_user_sp(f);
	struct signal_altstack ss = k->altstack;
	uint64_t old = k->restore_saved_mask ? k->saved_mask : k->blocked;
	unsigned long flags;

	if (on_altstack(k, sp))
		ss.flags |= SS_ONSTACK;
	else if ((act->flags & SA_ONSTACK) && !(k->altstack.flags & SS_DISABLE))
		sp = k->altstack.sp + k->altstack.size;
	if (arch_signal_setup(f, sp, sig, info, old, &ss, act->handler,
			      act->flags & SA_RESTORER ? act->restorer : 0))
		return false;
	k->restore_saved_mask = false;
	flags = spin_lock_irqsave(&p->sig_lock);
	k->blocked |= act->mask & ~UNBLOCKABLE;
	if (!(act->flags & SA_NODEFER))
		k->blocked |= SIGBIT(sig);
	if (act->flags & SA_RESETHAND)
		p->actions[sig - 1].handler = SIG_DFL;
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return true;
}

/*
 * After a system call interrupted by a signal (-EINTR with restartable
 * set by linux_syscall): restart it when no handler runs or the handler
 * asked for SA_RESTART, else let EINTR through.
 */
static void restart_syscall(struct task *k, struct user_frame *f, const struct k_sigaction *act)
{
	if (!k->restartable)
		return;
	k->restartable = false;
	if (!act || (act->flags & SA_RESTART && k->restart_with_sa_restart))
		arch_syscall_restart(f, k->syscall_nr);
}

void linux_return_to_user(struct user_frame *f)
{
	struct task *k = current_task();
	struct k_siginfo info;
	int sig;

	if (!k)
		return;
	for (;;) {
		sched_maybe_preempt();
		sig = dequeue(k, &info);
		if (!sig)
			break;
		struct k_sigaction act = k->proc->actions[sig - 1];

		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && default_ignores(sig)))
			continue;
		if (act.handler == SIG_DFL)
			signal_fatal(sig, f, &info);
		restart_syscall(k, f, &act);
		if (!run_handler(k, f, sig, &info, &act))
			signal_fatal(SIGSEGV, f, NULL);
	}
	restart_syscall(k, f, NULL);
	if (k->restore_saved_mask) {
		k->blocked = k->saved_mask;
		k->restore_saved_mask = false;
	}
	thread_clear_interrupt();
	/* A signal sent after the dequeue above interrupts again: not lost. */
	if (signal_pending())
		thread_interrupt(thread_self());
}

void linux_user_fault(struct user_frame *f, const struct user_fault *fault)
{
	struct task *k = current_task();
	struct linux_process *p = current_process();
	struct k_siginfo info = { .signo = fault->signo, .code = fault->code };
	int sig = fault->signo;
	unsigned long flags;

	info.fields[0] = fault->addr;
	if (!k || sig == SIGKILL) {
		if (sig == SIGKILL)
			printk("mote: out of memory resolving a page fault at 0x%lx\n", fault->addr);
		signal_fatal(sig, f, &info);
	}
	/* A fault the thread blocks or ignores cannot be survived: Linux's force_sig. */
	flags = spin_lock_irqsave(&p->sig_lock);
	if ((k->blocked & SIGBIT(sig)) || p->actions[sig - 1].handler == SIG_IGN) {
		spin_unlock_irqrestore(&p->sig_lock, flags);
		signal_fatal(sig, f, &info);
	}
	k->info[sig - 1] = info;
	k->pending |= SIGBIT(sig);
	spin_unlock_irqrestore(&p->sig_lock, flags);
}

/* ---- System calls ---------------------------------------------------------- */

/* Sleeps until a signal interrupts the wait. */
static void sleep_until_signal(void)
{
	struct waitq wq;
	struct waiter w;
	unsigned long flags;

	waitq_init(&wq);
	flags = spin_lock_irqsave(&wq.lock);
	waitq_add(&wq, &w);
	waitq_sleep(&w, 0, WAIT_INTERRUPTIBLE);
	spin_unlock_irqrestore(&wq.lock, flags);
}

SYSCALL(rt_sigaction)
{
	struct linux_process *p = current_process();
	int sig = (int)a0;
	struct k_sigaction act, old;
	unsigned long flags;

	if (a3 != 8 || !valid_signal(a0))
		return -EINVAL;
	if (a1 && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a1 && copy_from_user(&act, (void *)a1, sizeof(act)))
		return -EFAULT;
	flags = spin_lock_irqsave(&p->sig_lock);
	old = p->actions[sig - 1];
	if (a1) {
		act.mask &= ~UNBLOCKABLE;
		p->actions[sig - 1] = act;
		if (ignored(p, sig)) {	/* POSIX: setting SIG_IGN discards a pending one */
			struct list_node *n;

			p->shared_pending &= ~SIGBIT(sig);
			list_for_each(n, &p->tasks)
				list_entry(n, struct task, node)->pending &= ~SIGBIT(sig);
		}
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static void set_blocked(struct task *k, uint64_t mask)
{
	unsigned long flags = spin_lock_irqsave(&k->proc->sig_lock);

	k->blocked = mask & ~UNBLOCKABLE;
	spin_unlock_irqrestore(&k->proc->sig_lock, flags);
}

SYSCALL(rt_sigprocmask)
{
	struct task *k = current_task();
	uint64_t set, old = k->blocked;

	if (a3 != 8)
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (void *)a1, 8))
			return -EFAULT;
		switch (a0) {
		case SIG_HOW_BLOCK: set_blocked(k, old | set); break;
		case SIG_HOW_UNBLOCK: set_blocked(k, old & ~set); break;
		case SIG_HOW_SETMASK: set_blocked(k, set); break;
		default: return -EINVAL;
		}
	}
	if (a2 && copy_to_user((void *)a2, &old, 8))
		return -EFAULT;
	return 0;
}

SYSCALL(rt_sigpending)
{
	struct task *k = current_task();
	uint64_t set = (k->pending | k->proc->shared_pending) & k->blocked;

	if (a1 > 8)
		return -EINVAL;
	return copy_to_user((void *)a0, &set, a1) ? -EFAULT : 0;
}

SYSCALL(rt_sigsuspend)
{
	struct task *k = current_task();
	uint64_t mask;

	if (a1 != 8)
		return -EINVAL;
	if (copy_from_user(&mask, (void *)a0, 8))
		return -EFAULT;
	k->saved_mask = k->blocked;
	k->restore_saved_mask = true;
	set_blocked(k, mask);
	while (!signal_pending())
		sleep_until_signal();
	return -EINTR;
}

SYSCALL(pause)
{
	while (!signal_pending())
		sleep_until_signal();
	return -EINTR;
}

SYSCALL(rt_sigreturn)
{
	struct task *k = current_task();
	struct user_frame *f = arch_user_frame(thread_self());
	struct signal_altstack ss;
	uint64_t mask;

	if (arch_signal_restore(f, &mask, &ss))
		signal_fatal(SIGSEGV, f, NULL);
	set_blocked(k, mask);
	if (!on_altstack(k, arch_user_sp(f)) && !(ss.flags & SS_DISABLE) && ss.size >= MINSIGSTKSZ) {
		k->altstack.sp = ss.sp;
		k->altstack.size = ss.size;
		k->altstack.flags = ss.flags & ~SS_ONSTACK;
	}
	return SYSCALL_NO_RETURN_VALUE;
}

struct user_stack_t {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

SYSCALL(sigaltstack)
{
	struct task *k = current_task();
	uintptr_t sp = arch_user_sp(arch_user_frame(thread_self()));
	struct user_stack_t old = { k->altstack.sp, k->altstack.flags, 0, k->altstack.size }, set;

	if (on_altstack(k, sp))
		old.flags = SS_ONSTACK;
	if (a0) {
		if (copy_from_user(&set, (void *)a0, sizeof(set)))
			return -EFAULT;
		if (on_altstack(k, sp))
			return -EPERM;
		if (set.flags & ~(SS_DISABLE | (int32_t)0x80000000 /* SS_AUTODISARM */))
			return -EINVAL;
		if (set.flags & SS_DISABLE) {
			k->altstack = (struct signal_altstack){ 0, SS_DISABLE, 0 };
		} else {
			if (set.size < MINSIGSTKSZ)
				return -ENOMEM;
			k->altstack = (struct signal_altstack){ set.sp, 0, set.size };
		}
	}
	if (a1 && copy_to_user((void *)a1, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static struct k_siginfo user_info(int sig, int code)
{
	struct k_siginfo info = { .signo = sig, .code = code };

	info.fields[0] = (uint64_t)current_process()->pid;	/* si_pid; si_uid 0 */
	return info;
}

SYSCALL(kill)
{
	struct linux_process *p = current_process();
	int pid = (int)a0;
	struct k_siginfo info;

	if (a1 && !valid_signal(a1))
		return -EINVAL;
	if (pid != p->pid && pid != 0 && pid != -1)
		return -ESRCH;
	if (!a1)
		return 0;
	info = user_info((int)a1, SI_USER);
	return signal_send_process(p, &info);
}

/* Looked up and queued under one hold of sig_lock: an exiting task leaves the list under it. */
static long send_to_tid(int tid, unsigned long sig)
{
	struct linux_process *p = current_process();
	struct k_siginfo info;
	unsigned long flags;
	struct list_node *n;
	long ret = -ESRCH;

	if (tid <= 0 || (sig && !valid_signal(sig)))
		return -EINVAL;
	info = user_info((int)sig, SI_TKILL);
	flags = spin_lock_irqsave(&p->sig_lock);
	list_for_each(n, &p->tasks) {
		struct task *k = list_entry(n, struct task, node);

		if (k->tid == tid) {
			if (sig)
				queue_to_task(k, &info);
			ret = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	return ret;
}

SYSCALL(tgkill)
{
	if ((int)a0 <= 0)
		return -EINVAL;
	if ((int)a0 != current_process()->pid)
		return -ESRCH;
	return send_to_tid((int)a1, a2);
}

SYSCALL(tkill)
{
	return send_to_tid((int)a0, a1);
}
