/*
 * Kernel threads.
 *
 * A thread is a function running on a stack of its own: THREAD_STACK_DEFAULT
 * bytes unless the creator asks otherwise, mapped at the top of a 1 MiB
 * slot in the kernel's stack area (mote/layout.h) with the rest of the slot
 * unmapped below it, so a stack overflow faults at once and the fault
 * report names the thread whose guard was hit. Every thread has an ID (a
 * 64-bit counter, never reused), a name, a priority (a nice value,
 * -20 .. 19, as in Linux: lower runs more) and the set of CPUs it may run
 * on. Scheduling is sched.h's business; this header is the lifecycle.
 *
 * Lifecycle: thread_create() makes a runnable thread; it ends by returning
 * from its function or calling thread_exit(), with an exit value. A
 * joinable thread's struct and stack stay until thread_join() collects
 * the value; a detached one's are freed as soon as it has switched away
 * for the last time. Joining a detached thread, or a thread twice, is an
 * error (-EINVAL), as is joining oneself (-EDEADLK).
 *
 * Context: thread_create, thread_join and thread_detach may sleep or
 * allocate and are for thread context only; thread_self, thread_wake and
 * the accessors work anywhere, interrupt handlers included.
 */
#ifndef MOTE_THREAD_H
#define MOTE_THREAD_H

#include <lib/list.h>
#include <lib/pheap.h>
#include <mote/percpu.h>
#include <mote/spinlock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THREAD_STACK_DEFAULT (16 * 1024)
#define THREAD_STACK_MAX     (1024 * 1024 - 4096)	/* a slot less its guard page */
#define THREAD_NAME_MAX      24
#define THREAD_STACK_RESERVE 256	/* kept free at the top of every stack (usermode.h) */
#define THREAD_NICE_MIN      (-20)
#define THREAD_NICE_MAX      19

/* A set of CPUs, by cpu id (struct cpu's id). */
struct cpu_set {
	uint64_t bits[(MAX_CPUS + 63) / 64];
};

static inline void cpu_set_clear(struct cpu_set *s)
{
	for (unsigned i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++)
		s->bits[i] = 0;
}

static inline void cpu_set_fill(struct cpu_set *s)
{
	for (unsigned i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++)
		s->bits[i] = ~0ULL;
}

static inline void cpu_set_add(struct cpu_set *s, unsigned cpu)
{
	if (cpu < MAX_CPUS)
		s->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline bool cpu_set_has(const struct cpu_set *s, unsigned cpu)
{
	return cpu < MAX_CPUS && (s->bits[cpu / 64] >> (cpu % 64) & 1);
}

enum thread_state {
	THREAD_RUNNABLE,	/* running, or waiting in a run queue */
	THREAD_BLOCKED,		/* waiting for thread_wake() */
	THREAD_DEAD,		/* exited; switched away for the last time once `exited` is set */
};

/*
 * Locking: the scheduling fields belong to the run queue of CPU `cpu` and
 * change only under its lock; the lifecycle fields under `lock`; the rest
 * is fixed at creation.
 */
struct thread {
	/* Scheduling (run queue lock). */
	void *sp;			/* saved stack pointer while switched out */
	struct pheap_node rq_node;	/* in the run queue while waiting to run */
	uint64_t vruntime;		/* virtual run time, ns scaled by weight */
	uint64_t run_start;		/* clock when it last started running */
	uint64_t run_total;		/* ns of CPU time consumed */
	uint32_t weight;		/* from nice */
	int nice;
	unsigned cpu;			/* the CPU whose run queue has it, or had it last */
	enum thread_state state;
	bool on_rq;			/* queued or running on cpu's run queue */
	bool is_idle;			/* a CPU's idle thread: never queued */
	unsigned pinned;		/* > 0: must not migrate (a CPU-local timer is armed) */
	unsigned mutexes_held;		/* by the thread, or handed to it by mutex_unlock */
	struct cpu_set affinity;

	/* Lifecycle (lock). */
	struct spinlock lock;
	bool detached;
	bool exited;			/* off its stack for good: may be reaped */
	bool joining;			/* thread_join() has claimed it */
	struct thread *joiner;		/* blocked in thread_join() */
	void *exit_value;
	bool interrupted;		/* thread_interrupt() pending */

	/* Fixed. */
	uint64_t tid;
	char name[THREAD_NAME_MAX];
	void *(*fn)(void *arg);
	void *arg;
	uintptr_t stack_bottom;		/* lowest mapped byte; 0 for a CPU's boot stack */
	size_t stack_size;
	struct list_node all;		/* in the list of every thread */

	/* User mode (usermode.h): NULL for kernel-only threads. */
	struct user_context *user;	/* vector state, TLS base (arch) */
	void *task;			/* the Linux layer's thread (linux/) */
};

struct thread_attr {
	const char *name;		/* NULL: "thread" */
	size_t stack_size;		/* 0: THREAD_STACK_DEFAULT; rounded up to pages */
	int nice;			/* THREAD_NICE_MIN .. THREAD_NICE_MAX */
	const struct cpu_set *affinity;	/* NULL: any CPU */
	bool detached;
};

/*
 * Creates a thread running fn(arg) and makes it runnable on the least
 * loaded CPU it may use. Returns the thread, or ERR_PTR(-EINVAL) for a bad
 * attribute (stack size over THREAD_STACK_MAX, nice out of range, an
 * affinity naming no online CPU), ERR_PTR(-ENOMEM), or ERR_PTR(-EAGAIN)
 * when the stack area is full. attr may be NULL.
 */
struct thread *thread_create(void *(*fn)(void *arg), void *arg, const struct thread_attr *attr);

/* Ends the calling thread with `value` as its exit value. */
__attribute__((noreturn)) void thread_exit(void *value);

/* Waits for t to end, stores its exit value in *value (if not NULL), frees it. 0 or -errno. */
int thread_join(struct thread *t, void **value);

/* Makes t free itself when it ends (at once if it has ended). 0, or -EINVAL if detached or joined. */
int thread_detach(struct thread *t);

static inline struct thread *thread_self(void)
{
	return cpu_current_thread();
}

/* Sets t's nice value (clamped to the range); takes effect at its next scheduling decision. */
void thread_set_nice(struct thread *t, int nice);

/*
 * Restricts t to the CPUs in set (only online ones count); moves it off a
 * CPU it may no longer use. -EINVAL if set names no online CPU.
 */
int thread_set_affinity(struct thread *t, const struct cpu_set *set);

/*
 * Interrupts t's current or next interruptible wait (futex_wait, the
 * *_interruptible waits), which return -EINTR, until t calls
 * thread_clear_interrupt(). For the Linux layer's signals.
 */
void thread_interrupt(struct thread *t);
bool thread_interrupted(void);
void thread_clear_interrupt(void);

/* Threads that exist (created and not yet freed), idle threads excluded. */
unsigned thread_count(void);

/* Frees the cached stacks of dead threads (for tests measuring memory). */
void thread_trim(void);

/*
 * For the fault report: if addr lies in a thread stack slot's guard
 * region, prints a line naming the thread and returns true.
 */
bool thread_describe_address(uintptr_t addr);

/*
 * Boot CPU, once, after memory management and timers, with interrupts
 * off: makes the calling context the boot CPU's idle thread (sched.h).
 */
void thread_init(void);

/* For the scheduler: fills in a CPU's idle thread; takes a thread that has switched away dead. */
void thread_setup_idle(struct thread *t, unsigned cpu);
void thread_switched_out_dead(struct thread *t);

#endif
