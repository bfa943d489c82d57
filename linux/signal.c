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
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/console.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
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

struct sigqueue_entry {
	struct list_node node;
	struct k_siginfo info;
};

void sigqueue_init(struct sigqueue *q)
{
	q->pending = 0;
	list_init(&q->rt_extra);
}

/*
 * Makes info pending in q (sig_lock held). A real-time signal already
 * pending queues behind it in `spare` (allocated by the caller beforehand,
 * as no allocation happens under the lock); returns whether spare was
 * used. -EAGAIN when the process's queue is full.
 */
static int sq_add(struct linux_process *p, struct sigqueue *q, const struct k_siginfo *info,
		  struct sigqueue_entry *spare, bool *used)
{
	int sig = info->signo;

	*used = false;
	if (!(q->pending & SIGBIT(sig))) {
		q->info[sig - 1] = *info;
		q->pending |= SIGBIT(sig);
		return 0;
	}
	if (sig < SIGRTMIN)
		return 0;		/* standard signals merge */
	if (!spare || p->rt_queued >= SIGQUEUE_MAX)
		return -EAGAIN;
	spare->info = *info;
	list_add_tail(&q->rt_extra, &spare->node);
	p->rt_queued++;
	*used = true;
	return 0;
}

/* Takes sig's first instance from q (pending there; sig_lock held); an emptied entry goes to *freed. */
static void sq_take(struct linux_process *p, struct sigqueue *q, int sig, struct k_siginfo *out,
		    struct sigqueue_entry **freed)
{
	struct list_node *n;

	*out = q->info[sig - 1];
	list_for_each(n, &q->rt_extra) {
		struct sigqueue_entry *e = list_entry(n, struct sigqueue_entry, node);

		if (e->info.signo == sig) {
			q->info[sig - 1] = e->info;	/* the next instance moves up */
			list_remove(n);
			p->rt_queued--;
			*freed = e;
			return;
		}
	}
	q->pending &= ~SIGBIT(sig);
}

/* Drops every instance of sig from q (SIG_IGN set; sig_lock held). */
static void sq_discard(struct linux_process *p, struct sigqueue *q, int sig)
{
	struct sigqueue_entry *freed = NULL;
	struct k_siginfo dummy;

	while (q->pending & SIGBIT(sig)) {
		sq_take(p, q, sig, &dummy, &freed);
		mm_free(freed);		/* mm_free takes no sleeping lock */
		freed = NULL;
	}
}

/* A thread's pending signals die with it (sig_lock held, after it left the task list). */
void signal_task_exit(struct task *k)
{
	for (int sig = 1; sig <= NSIG; sig++)
		sq_discard(k->proc, &k->sig, sig);
}

static struct sigqueue_entry *spare_for(const struct k_siginfo *info)
{
	return info->signo >= SIGRTMIN ? mm_malloc(sizeof(struct sigqueue_entry)) : NULL;
}

/* Makes info pending for k (sig_lock held). */
static int queue_to_task(struct task *k, const struct k_siginfo *info, struct sigqueue_entry **spare)
{
	int sig = info->signo, ret;
	bool used;

	if (ignored(k->proc, sig) && !(k->blocked & SIGBIT(sig)))
		return 0;
	ret = sq_add(k->proc, &k->sig, info, *spare, &used);
	if (used)
		*spare = NULL;
	if (!ret)
		notify_task(k, sig);
	return ret;
}

int signal_send_task(struct task *k, const struct k_siginfo *info)
{
	struct sigqueue_entry *spare = spare_for(info);
	unsigned long flags = spin_lock_irqsave(&k->proc->sig_lock);
	int ret = queue_to_task(k, info, &spare);

	spin_unlock_irqrestore(&k->proc->sig_lock, flags);
	mm_free(spare);
	return ret;
}

int signal_send_process(struct linux_process *p, const struct k_siginfo *info)
{
	struct sigqueue_entry *spare = spare_for(info);
	int sig = info->signo, ret = 0;
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	struct list_node *n;
	bool used = false;

	if (!ignored(p, sig)) {
		ret = sq_add(p, &p->shared, info, spare, &used);
		/* One thread that does not block it will take it: tell the first such. */
		list_for_each(n, &p->tasks) {
			struct task *k = list_entry(n, struct task, node);

			if (!ret && !(k->blocked & SIGBIT(sig))) {
				notify_task(k, sig);
				break;
			}
		}
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	if (!used)
		mm_free(spare);
	return ret;
}

bool signal_pending(void)
{
	struct task *k = current_task();

	return k && ((k->sig.pending | k->proc->shared.pending) & ~k->blocked);
}

/*
 * Takes the lowest pending signal in `allowed` (delivery: the unblocked
 * ones; sigtimedwait: the set waited for), the thread's own first
 * (synchronous faults are raised as thread signals).
 */
static int dequeue(struct task *k, struct k_siginfo *info, uint64_t allowed)
{
	struct linux_process *p = k->proc;
	struct sigqueue_entry *freed = NULL;
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	uint64_t mine = k->sig.pending & allowed, shared = p->shared.pending & allowed;
	int sig = 0;

	if (mine) {
		sig = __builtin_ctzll(mine) + 1;
		sq_take(p, &k->sig, sig, info, &freed);
	} else if (shared) {
		sig = __builtin_ctzll(shared) + 1;
		sq_take(p, &p->shared, sig, info, &freed);
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	mm_free(freed);
	return sig;
}

/*
 * The report goes to the log and, as one line, to the program's stderr,
 * where a shell would print "Segmentation fault": it is the program's
 * ending, not a kernel failure, so no log dump.
 */
void signal_fatal(int signo, const struct user_frame *f, const struct k_siginfo *info)
{
	const char *name = signo < 32 && signal_names[signo] ? signal_names[signo] : "real-time signal";
	char line[256];
	int n;

	n = fmt_snprintf(line, sizeof(line), "mote: program killed by signal %d (%s)", signo, name);
	if (info && (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE))
		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, ", fault address 0x%lx, code %d",
				  (unsigned long)info->fields[0], info->code);
	if (f) {
		struct linux_process *p = current_process();
		uintptr_t ip = arch_user_pc(f);

		/* The offset into the binary as loaded, like Linux's "prog[start+size]" report. */
		if (ip >= p->image_start && ip < p->image_end)
			n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, ", at ip 0x%lx (%s+0x%lx)",
					  ip, p->exe, ip - p->image_start);
		else
			n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, ", at ip 0x%lx", ip);
		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " sp 0x%lx", arch_user_sp(f));
	}
	n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, ", thread %d\n",
			  current_task() ? current_task()->tid : 0);
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	printk("%s", line);
	console_stream_write(CONSOLE_STDERR, line, (size_t)n);
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
	if (!act || (act->flags & SA_RESTART && syscall_restarts_with_handler(k->syscall_nr)))
		arch_syscall_restart(f, k->syscall_nr);
}

bool linux_return_work_pending(void)
{
	struct task *k = current_task();

	if (cpu_self()->need_resched)
		return true;
	if (!k)
		return false;
	return ((__atomic_load_n(&k->sig.pending, __ATOMIC_RELAXED) |
		 __atomic_load_n(&k->proc->shared.pending, __ATOMIC_RELAXED)) & ~k->blocked) ||
	       k->restartable || k->restore_saved_mask ||
	       __atomic_load_n(&thread_self()->interrupted, __ATOMIC_RELAXED);
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
		sig = dequeue(k, &info, ~k->blocked);
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
	k->sig.info[sig - 1] = info;	/* a fault is never a real-time signal: no queue */
	k->sig.pending |= SIGBIT(sig);
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

			sq_discard(p, &p->shared, sig);
			list_for_each(n, &p->tasks)
				sq_discard(p, &list_entry(n, struct task, node)->sig, sig);
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
	uint64_t set = (k->sig.pending | k->proc->shared.pending) & k->blocked;

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
long signal_send_tid(int tid, const struct k_siginfo *info)
{
	struct linux_process *p = current_process();
	struct sigqueue_entry *spare = spare_for(info);
	unsigned long flags = spin_lock_irqsave(&p->sig_lock);
	struct list_node *n;
	long ret = -ESRCH;

	list_for_each(n, &p->tasks) {
		struct task *k = list_entry(n, struct task, node);

		if (k->tid == tid) {
			ret = queue_to_task(k, info, &spare);
			break;
		}
	}
	spin_unlock_irqrestore(&p->sig_lock, flags);
	mm_free(spare);
	return ret;
}

static long send_to_tid(int tid, unsigned long sig)
{
	struct k_siginfo info;

	if (tid <= 0 || (sig && !valid_signal(sig)))
		return -EINVAL;
	info = user_info((int)sig, SI_TKILL);
	return sig ? signal_send_tid(tid, &info) : task_exists(tid) ? 0 : -ESRCH;
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

SYSCALL(rt_sigtimedwait)
{
	struct task *k = current_task();
	struct k_siginfo info;
	uint64_t set, deadline = 0, saved;
	struct timespec_k ts;
	unsigned long flags;
	int sig, ret = 0;

	if (a3 != 8)
		return -EINVAL;
	if (copy_from_user(&set, (void *)a0, 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (a2) {
		if ((ret = timespec_from_user((void *)a2, &ts)))
			return ret;
		deadline = clock_monotonic_ns() + (uint64_t)ts.sec * 1000000000ULL + (uint64_t)ts.nsec;
	}
	sig = dequeue(k, &info, set);
	if (!sig && !(a2 && !ts.sec && !ts.nsec)) {
		/* While waiting, the set is unblocked so its signals wake this thread (Linux too). */
		flags = spin_lock_irqsave(&k->proc->sig_lock);
		saved = k->blocked;
		k->blocked &= ~set;
		spin_unlock_irqrestore(&k->proc->sig_lock, flags);
		if (!signal_pending())
			ret = sleep_interruptible(deadline);
		flags = spin_lock_irqsave(&k->proc->sig_lock);
		k->blocked = saved;
		spin_unlock_irqrestore(&k->proc->sig_lock, flags);
		sig = dequeue(k, &info, set);
	}
	if (!sig)
		return ret == -EINTR ? -EINTR : -EAGAIN;
	if (a1 && copy_to_user((void *)a1, &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* A siginfo from the application: it may not pose as the kernel or another process. */
static int queued_info(unsigned long uinfo, unsigned long sig, struct k_siginfo *info)
{
	if (!valid_signal(sig))
		return -EINVAL;
	if (copy_from_user(info, (void *)uinfo, sizeof(*info)))
		return -EFAULT;
	info->signo = (int)sig;
	return 0;
}

SYSCALL(rt_sigqueueinfo)
{
	struct k_siginfo info;
	int ret;

	if ((int)a0 != current_process()->pid)
		return -ESRCH;
	if ((ret = queued_info(a2, a1, &info)))
		return ret;
	return signal_send_process(current_process(), &info);
}

SYSCALL(rt_tgsigqueueinfo)
{
	struct k_siginfo info;
	int ret;

	if ((int)a0 != current_process()->pid)
		return -ESRCH;
	if ((ret = queued_info(a3, a2, &info)))
		return ret;
	return signal_send_tid((int)a1, &info);
}
