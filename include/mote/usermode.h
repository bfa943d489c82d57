/*
 * mote/usermode: running application code in ring 3, as the CPU layer
 * offers it to the Linux layer (arch/<isa>/ implements it).
 *
 * An application thread is a kernel thread with a user context: its
 * FPU/vector registers and thread-pointer bases (struct user_context,
 * saved and restored by the scheduler around every switch), and a kernel
 * stack at whose very top, whenever it is in the kernel, lies its saved
 * user register file (struct user_frame): every entry from user mode
 * (system call, exception, interrupt) switches to that stack and saves the
 * registers there, and every return to user mode restores them from there.
 * So arch_user_frame(t) is always where t's user registers are, and the
 * kernel stack can sleep, be preempted and migrate like any other.
 *
 * Entries from user mode call into the Linux layer:
 *   - a system call: linux_syscall(nr, args), whose result the arch code
 *     stores as the call's return value (unless it is
 *     USERMODE_FRAME_REPLACED: rt_sigreturn has rewritten the whole frame);
 *   - a CPU exception the kernel cannot resolve (a page fault outside the
 *     application's mappings, #UD, #DE, #GP ...): linux_user_fault(frame,
 *     &fault), which turns it into a signal;
 *   - and on every way back to user mode: linux_return_work_pending()
 *     with interrupts off, and while it says so, linux_return_to_user(frame)
 *     with them on (pending signals, rescheduling).
 */
#ifndef MOTE_USERMODE_H
#define MOTE_USERMODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread;
struct user_frame;
struct user_context;

/* The last user address + 1 (x86-64: 128 TiB less one page, as Linux). */
#define USER_ADDR_END 0x00007ffffffff000UL

/* Sets up this CPU for user mode (system-call entry, vector state). Each CPU, once. */
void arch_user_cpu_init(void);

/*
 * A user context for t: initial vector state (Linux's: x87 control 0x37f,
 * MXCSR 0x1f80) or a copy of `from`'s (clone). 0 or -ENOMEM.
 * arch_user_context_free releases it (the thread is dead or never ran).
 */
int arch_user_context_new(struct thread *t, const struct thread *from);
void arch_user_context_free(struct thread *t);

/* For the scheduler: between prev and next, either of which may lack a user context. */
void arch_user_switch(struct thread *prev, struct thread *next);

/* Where t's user registers are saved (the top of its kernel stack). */
struct user_frame *arch_user_frame(const struct thread *t);

/* A fresh frame that starts user code at pc with stack pointer sp, everything else zero. */
void arch_user_frame_init(struct user_frame *f, uintptr_t pc, uintptr_t sp);

/*
 * Leaves the kernel for user mode with the registers in f, from the
 * calling thread's own context (its first entry: after exec, or as a new
 * clone child). Discards the thread's kernel stack contents.
 */
__attribute__((noreturn)) void arch_enter_user(const struct user_frame *f);

/* A frame's system-call return value (a new thread's 0). */
void arch_syscall_set_return(struct user_frame *f, long value);
/* Re-issues the system call nr when the thread returns to user mode. */
void arch_syscall_restart(struct user_frame *f, unsigned long nr);
uintptr_t arch_user_pc(const struct user_frame *f);
uintptr_t arch_user_sp(const struct user_frame *f);
void arch_user_set_sp(struct user_frame *f, uintptr_t sp);
/* Copies the whole register file (the user_frame is opaque; clone needs a copy). */
size_t arch_user_frame_size(void);

/*
 * Makes this CPU's number `id` readable in user mode without a trap, for
 * the vDSO's getcpu; each CPU, once its number is known. Returns how user
 * mode reads it, an enum vdso_cpu_mode (include/abi/vdso.h):
 * VDSO_CPU_SYSCALL when it cannot.
 */
unsigned arch_user_cpu_number_init(unsigned id);

/* For the auxiliary vector: AT_HWCAP, AT_HWCAP2, AT_PLATFORM. */
unsigned long arch_user_hwcap(void);
unsigned long arch_user_hwcap2(void);
const char *arch_user_platform(void);

/* The thread pointer (TLS base): x86-64's FS base. */
void arch_user_set_tls(struct thread *t, uintptr_t base);

/*
 * The ISA's own process-control call for thread t (x86-64: arch_prctl,
 * setting and reading the FS and GS bases). Returns 0, -EINVAL for an
 * unknown code, -EPERM for a base outside the application's half, or
 * -EFAULT for a bad result pointer.
 */
long arch_user_prctl(struct thread *t, int code, unsigned long arg);

/* What an unresolved user-mode exception means, for the signal it becomes. */
struct user_fault {
	int signo;		/* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
	int code;		/* si_code: SEGV_MAPERR, FPE_INTDIV, ILL_ILLOPN ... */
	uintptr_t addr;		/* si_addr: the faulting data address, or the instruction */
	unsigned trapno;	/* the CPU's vector, for the fatal report */
	unsigned long error;	/* the CPU's error code */
};

/*
 * Signal frames (the ISA's rt_sigframe). setup builds a frame on the user
 * stack at sp (already chosen: the alternate stack or the interrupted one)
 * holding the registers in f, the vector state, `info` (a 128-byte Linux
 * siginfo), the blocked mask to restore and the alternate-stack settings;
 * then points f at handler(signo, info, ucontext) returning to restorer.
 * 0, or -EFAULT if the stack cannot take it. restore undoes it from the
 * frame at the user stack pointer (rt_sigreturn): reloads f and the vector
 * state, stores the saved mask; -EFAULT on a bad frame (the caller kills
 * the thread with SIGSEGV, as Linux).
 */
struct signal_altstack {
	uintptr_t sp;
	int flags;
	size_t size;
};

int arch_signal_setup(struct user_frame *f, uintptr_t sp, int signo, const void *info,
		      uint64_t saved_mask, const struct signal_altstack *ss, uintptr_t handler,
		      uintptr_t restorer);
int arch_signal_restore(struct user_frame *f, uint64_t *mask, struct signal_altstack *ss);

/* Bytes a signal frame takes, for checking an alternate stack's room. */
size_t arch_signal_frame_size(void);

/*
 * Copies n bytes between kernel and application memory; a fault on the
 * application's side stops the copy. Returns the bytes NOT copied (0 on
 * success). mote/uaccess.h builds the checked API on it.
 */
size_t arch_copy_user(void *dst, const void *src, size_t n);

/* One aligned 32-bit load that may fault harmlessly (a futex word): 0 or -EFAULT. */
int arch_read_u32(const uint32_t *src, uint32_t *dst);

/*
 * An atomic compare-and-exchange of an aligned application word that may
 * fault harmlessly: 0 if *uaddr was *expected (it is now new), 1 if not
 * (*expected is set to what it was), -EFAULT if the access faulted.
 */
int arch_cmpxchg_u32(uint32_t *uaddr, uint32_t *expected, uint32_t new);

/* The Linux layer's entry points (linux/). */
#define USERMODE_FRAME_REPLACED (-4096L - 1)
long linux_syscall(unsigned long nr, const unsigned long args[6]);
void linux_user_fault(struct user_frame *f, const struct user_fault *fault);
void linux_return_to_user(struct user_frame *f);
/* Whether linux_return_to_user has anything to do; cheap, lock-free, any interrupt state. */
bool linux_return_work_pending(void);

#endif
