/*
 * User mode on x86-64 (include/mote/usermode.h): SYSCALL/SYSRET set-up,
 * the vector (x87/SSE/AVX) state of application threads, the entries from
 * vectors.S, and the user register frame.
 *
 * Vector state: with XSAVE, XCR0 enables every user state component the
 * CPU offers among x87, SSE, AVX and AVX-512 (what Linux enables, so
 * programs see the same CPUID "OS supports" bits), saved with XSAVE in the
 * standard format; without it, FXSAVE's 512 bytes. The kernel itself
 * never touches these registers (-mgeneral-regs-only), so the registers
 * hold the state of the last user thread that ran on this CPU until
 * another user thread needs them: switching to a kernel thread and back
 * costs no save or restore beyond the first save.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <abi/linux_signal.h>
#include <abi/vdso.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/percpu.h>
#include <mote/thread.h>
#include <mote/uaccess.h>
#include <mote/usermode.h>
#include <stddef.h>
#include "asm_offsets.h"
#include "frame.h"
#include "x86.h"

_Static_assert(offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "asm_offsets.h");
_Static_assert(offsetof(struct cpu, entry_scratch) == CPU_SCRATCH, "asm_offsets.h");
_Static_assert(sizeof(struct trap_frame) <= THREAD_STACK_RESERVE, "the frame fits the reserve");

#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_FMASK          0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX        0xc0000103
#define EFER_SCE           (1u << 0)
#define CR4_OSXSAVE        (1u << 18)
#define CR4_SMEP           (1u << 20)

/* RFLAGS bits an application may set (Linux's FIX_EFLAGS), and what SYSCALL clears. */
#define RFLAGS_USER_MASK   0x00250fd5UL	/* CF PF AF ZF SF TF DF OF AC RF ID (and bit 1) */
#define RFLAGS_FMASK       0x00047700UL	/* TF IF DF IOPL NT AC */

#define XFEATURES_WANTED   0xe7ULL	/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */

struct user_frame {
	struct trap_frame tf;
};

/* struct user_context, with its XSAVE images following it (64-byte aligned). */
struct user_context {
	uint64_t fs_base, gs_base;
	unsigned cpu;			/* whose registers last held this state */
	uint8_t *state;			/* saved vector state: vector_size bytes */
	uint8_t *scratch;		/* for sigreturn: a candidate image, checked before use */
};

static bool have_xsave;
static uint64_t xfeatures;		/* XCR0 */
static size_t vector_size = 512;	/* XSAVE or FXSAVE image size */
static uint8_t init_state[4096] __attribute__((aligned(64)));	/* the state new threads get */

extern const char syscall_entry[];
void x86_enter_user(struct trap_frame *f) __attribute__((noreturn));

static void xsetbv(uint32_t reg, uint64_t v)
{
	asm volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static void vector_save(void *area)
{
	if (have_xsave)
		asm volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)xfeatures),
			     "d"((uint32_t)(xfeatures >> 32)) : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void vector_load(const void *area)
{
	if (have_xsave)
		asm volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)xfeatures),
			     "d"((uint32_t)(xfeatures >> 32)) : "memory");
	else
		asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* The first CPU to get here also sizes the state and builds the initial image. */
static void vector_cpu_init(void)
{
	struct cpuid r = cpuid(1, 0);

	have_xsave = r.ecx & (1u << 26);
	if (have_xsave) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		if (!xfeatures)
			xfeatures = cpuid(0xd, 0).eax & XFEATURES_WANTED;
		xsetbv(0, xfeatures);
		if (vector_size == 512) {
			vector_size = cpuid(0xd, 0).ebx;
			if (vector_size > sizeof(init_state))
				panic("XSAVE area of %zu bytes exceeds %zu", vector_size,
				      sizeof(init_state));
		}
	}
	if (init_state[0] == 0 && init_state[1] == 0) {
		/* Linux's initial state: x87 control word 0x37f, MXCSR 0x1f80, all else clear. */
		init_state[0] = 0x7f;
		init_state[1] = 0x03;
		init_state[24] = 0x80;
		init_state[25] = 0x1f;
		init_state[28] = 0xff;	/* MXCSR_MASK, informational */
		init_state[29] = 0xff;
		if (have_xsave)
			init_state[512] = 3;	/* XSTATE_BV: x87 and SSE from the image */
	}
}

void arch_user_cpu_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSRET loads CS = STAR[63:48] + 16, SS = STAR[63:48] + 8 (RPL 3). */
	wrmsr(MSR_STAR, ((uint64_t)(USER_DS - 8 - 3) << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_FMASK);
	if (cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 7)))
		write_cr4(read_cr4() | CR4_SMEP);	/* the kernel never runs application code */
	vector_cpu_init();
}

static void user_load(struct thread *t);

int arch_user_context_new(struct thread *t, const struct thread *from)
{
	size_t head = (sizeof(struct user_context) + 63) & ~63UL;
	struct user_context *c = mm_malloc(head + 2 * vector_size + 64);

	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->state = (uint8_t *)(((uintptr_t)c + head + 63) & ~63UL);
	c->scratch = c->state + vector_size;
	c->cpu = ~0u;
	if (from && from->user) {
		if (from == thread_self())
			vector_save(from->user->state);	/* the live registers are the truth */
		memcpy(c->state, from->user->state, vector_size);
		c->fs_base = from->user->fs_base;
		c->gs_base = from->user->gs_base;
	} else {
		memcpy(c->state, init_state, vector_size);
	}
	t->user = c;
	if (t == thread_self()) {
		unsigned long flags = arch_irq_save();

		user_load(t);
		arch_irq_restore(flags);
	}
	return 0;
}

void arch_user_context_free(struct thread *t)
{
	struct user_context *c = t->user;

	if (!c)
		return;
	t->user = NULL;
	for (unsigned i = 0; i < cpu_count(); i++) {
		struct cpu *cpu = cpu_get(i);

		/* Forget it as an owner, so a later context at this address is loaded. */
		__atomic_compare_exchange_n(&cpu->fpu_owner, &(void *){ c }, NULL, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	mm_free(c);
}

static uintptr_t kstack_top(const struct thread *t)
{
	return t->stack_bottom + t->stack_size;
}

/* Makes t's user state current on this CPU. */
static void user_load(struct thread *t)
{
	struct cpu *cpu = cpu_self();
	struct user_context *c = t->user;

	cpu->kstack_top = kstack_top(t);
	if (cpu->fpu_owner != c || c->cpu != cpu->id) {
		vector_load(c->state);
		cpu->fpu_owner = c;
		c->cpu = cpu->id;
	}
	wrmsr(MSR_FS_BASE, c->fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, c->gs_base);
}

void arch_user_switch(struct thread *prev, struct thread *next)
{
	if (prev->user)
		vector_save(prev->user->state);	/* the registers keep it too: fpu_owner */
	if (next->user)
		user_load(next);
}

struct user_frame *arch_user_frame(const struct thread *t)
{
	return (struct user_frame *)(kstack_top(t) - sizeof(struct trap_frame));
}

size_t arch_user_frame_size(void)
{
	return sizeof(struct user_frame);
}

void arch_user_frame_init(struct user_frame *f, uintptr_t pc, uintptr_t sp)
{
	memset(f, 0, sizeof(*f));
	f->tf.rip = pc;
	f->tf.rsp = sp;
	f->tf.cs = USER_CS;
	f->tf.ss = USER_DS;
	f->tf.rflags = RFLAGS_IF | 2;
}

void arch_enter_user(const struct user_frame *f)
{
	struct thread *t = thread_self();
	struct user_frame *top = arch_user_frame(t);

	irq_disable();
	user_load(t);
	memmove(top, f, sizeof(*top));
	top->tf.cs = USER_CS;
	top->tf.ss = USER_DS;
	top->tf.rflags = (top->tf.rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
	x86_enter_user(&top->tf);
}

void arch_syscall_set_return(struct user_frame *f, long value)
{
	f->tf.rax = value;
}

void arch_syscall_restart(struct user_frame *f, unsigned long nr)
{
	f->tf.rax = nr;
	f->tf.rip -= 2;		/* SYSCALL is 0f 05 */
	f->tf.rcx = f->tf.rip;	/* keeps the SYSRET path exact */
}

uintptr_t arch_user_pc(const struct user_frame *f)
{
	return f->tf.rip;
}

uintptr_t arch_user_sp(const struct user_frame *f)
{
	return f->tf.rsp;
}

void arch_user_set_sp(struct user_frame *f, uintptr_t sp)
{
	f->tf.rsp = sp;
}

void arch_user_set_tls(struct thread *t, uintptr_t base)
{
	t->user->fs_base = base;
	if (t == thread_self())
		wrmsr(MSR_FS_BASE, base);
}

unsigned long arch_user_hwcap(void)
{
	return cpuid(1, 0).edx;	/* what Linux reports on x86 */
}

unsigned long arch_user_hwcap2(void)
{
	return 0;	/* bit 1 (FSGSBASE) stays clear: user code cannot write the bases */
}

const char *arch_user_platform(void)
{
	return "x86_64";
}

/*
 * IA32_TSC_AUX is what RDPID and RDTSCP return in user mode; it holds
 * (node << 12) | cpu, as on Linux, so the vDSO's getcpu needs no trap.
 * RDPID (CPUID.7.0:ECX[22]) is preferred: it does not read the TSC.
 */
unsigned arch_user_cpu_number_init(unsigned id)
{
	bool rdpid = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & (1u << 22));
	bool rdtscp = cpuid(0x80000000, 0).eax >= 0x80000001 &&
		      (cpuid(0x80000001, 0).edx & (1u << 27));

	if (!rdpid && !rdtscp)
		return VDSO_CPU_SYSCALL;
	wrmsr(MSR_TSC_AUX, id & VDSO_TSC_AUX_CPU_MASK);
	return rdpid ? VDSO_CPU_RDPID : VDSO_CPU_RDTSCP;
}

enum { ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004 };

long arch_user_prctl(struct thread *t, int code, unsigned long arg)
{
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (arg >= USER_ADDR_END)
			return -EPERM;
		if (code == ARCH_SET_FS) {
			arch_user_set_tls(t, arg);
		} else {
			t->user->gs_base = arg;
			if (t == thread_self())
				wrmsr(MSR_KERNEL_GS_BASE, arg);
		}
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		v = code == ARCH_GET_FS ? t->user->fs_base : t->user->gs_base;
		return copy_to_user((void *)arg, &v, sizeof(v));
	default:
		return -EINVAL;
	}
}

/* ---- Entries from vectors.S ---------------------------------------------- */

/* A system call (interrupts on): the x86-64 Linux ABI's number and argument registers. */
void x86_syscall(struct trap_frame *f)
{
	const unsigned long args[6] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };
	long ret = linux_syscall(f->rax, args);

	if (ret != USERMODE_FRAME_REPLACED)
		f->rax = (uint64_t)ret;
}

/*
 * On the way out, interrupts off: the Linux layer's work (signals,
 * rescheduling) runs with them on, as often as it finds work, so the last
 * check is made with them off. Returns nonzero when IRETQ must be used:
 * SYSRET reloads RIP from RCX and RFLAGS from R11, so it restores the frame
 * exactly only when those already match (a plain system-call return), and
 * it must not see a non-canonical RIP (it would fault in ring 0 on Intel).
 */
int x86_user_exit(struct trap_frame *f)
{
	while (linux_return_work_pending()) {
		irq_enable();
		linux_return_to_user((struct user_frame *)f);
		irq_disable();
	}
	f->rflags = (f->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
	f->cs = USER_CS;
	f->ss = USER_DS;
	return !(f->rcx == f->rip && f->r11 == f->rflags && f->rip < USER_ADDR_END);
}

/* A device interrupt that arrived in user mode. */
void user_irq(struct trap_frame *f)
{
	irq_dispatch(f);
}

static struct user_fault fault_of(const struct trap_frame *f)
{
	struct user_fault u = { SIGSEGV, SI_KERNEL, 0, (unsigned)f->vector, f->error };

	switch (f->vector) {
	case 0: u.signo = SIGFPE; u.code = FPE_INTDIV; u.addr = f->rip; break;
	case 1: case 3: u.signo = SIGTRAP; u.code = TRAP_BRKPT; u.addr = f->rip; break;
	case 4: case 5: u.signo = SIGSEGV; u.code = SI_KERNEL; break;
	case 6: u.signo = SIGILL; u.code = ILL_ILLOPN; u.addr = f->rip; break;
	case 7: u.signo = SIGILL; u.code = ILL_ILLOPN; u.addr = f->rip; break;
	case 16: case 19: u.signo = SIGFPE; u.code = 0; u.addr = f->rip; break;
	case 17: u.signo = SIGBUS; u.code = BUS_ADRALN; u.addr = read_cr2(); break;
	default: break;	/* #GP, #SS, #NP...: SIGSEGV, SI_KERNEL, address 0 */
	}
	return u;
}

static int user_page_fault(const struct trap_frame *f, struct user_fault *u)
{
	uintptr_t addr = read_cr2();
	unsigned access = f->error & 16 ? ARCH_PROT_EXEC : f->error & 2 ? ARCH_PROT_WRITE :
			  ARCH_PROT_READ;
	arch_fault_fn fn = x86_page_fault_handler();
	int ret;

	irq_enable();	/* resolving may sleep; CR2 is read already */
	ret = fn && !(f->error & 8) ? fn(addr, access, true) : -EFAULT;
	if (!ret)
		return 0;
	u->addr = addr;
	u->signo = ret == -EIO ? SIGBUS : ret == -ENOMEM ? SIGKILL : SIGSEGV;
	u->code = ret == -EIO ? BUS_ADRERR : ret == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
	return ret;
}

/* A CPU exception in user mode: resolve a page fault, or hand it on as a signal. */
void user_trap(struct trap_frame *f)
{
	struct user_fault u = fault_of(f);

	if (f->vector == 2 || f->vector == 18 || f->vector == 8) {
		trap_handle(f);		/* NMI, machine check: the fatal report */
		return;
	}
	if (f->vector == 14 && !user_page_fault(f, &u))
		return;
	irq_enable();
	linux_user_fault((struct user_frame *)f, &u);
}

size_t arch_copy_user(void *dst, const void *src, size_t n)
{
	extern size_t x86_copy_user(void *, const void *, size_t);

	return x86_copy_user(dst, src, n);
}

int arch_read_u32(const uint32_t *src, uint32_t *dst)
{
	extern int x86_read_u32(const uint32_t *, uint32_t *);

	return x86_read_u32(src, dst) ? -EFAULT : 0;
}

int arch_cmpxchg_u32(uint32_t *uaddr, uint32_t *expected, uint32_t new)
{
	extern int x86_cmpxchg_u32(uint32_t *, uint32_t *, uint32_t);

	switch (x86_cmpxchg_u32(uaddr, expected, new)) {
	case 0: return 0;
	case 2: return 1;
	default: return -EFAULT;
	}
}

/* ---- Signal frames --------------------------------------------------------- */

/* Linux's x86-64 struct sigcontext: 32 words. */
struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext mcontext;
	uint64_t sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;		/* the handler "returns" to sa_restorer */
	struct ucontext uc;
	uint8_t info[128];
};

_Static_assert(sizeof(struct sigcontext) == 256, "sigcontext layout");
_Static_assert(offsetof(struct rt_sigframe, uc.mcontext) == 48, "ucontext layout");

#define UC_FP_XSTATE          1
#define UC_SIGCONTEXT_SS      2
#define UC_STRICT_RESTORE_SS  4
#define FP_XSTATE_MAGIC1      0x46505853u
#define FP_XSTATE_MAGIC2      0x46505845u
#define REDZONE               128

size_t arch_signal_frame_size(void)
{
	return sizeof(struct rt_sigframe) + vector_size + 4 + 64 + 16;
}

/* The software bytes at offset 464 of the FXSAVE image, telling a reader what follows. */
static void mark_xstate(uint8_t *img)
{
	uint32_t sw[4] = { FP_XSTATE_MAGIC1, (uint32_t)vector_size + 4, (uint32_t)xfeatures,
			   (uint32_t)vector_size };

	memcpy(img + 464, sw, 12);
	memcpy(img + 464 + 16, &sw[3], 4);
}

int arch_signal_setup(struct user_frame *uf, uintptr_t sp, int signo, const void *info,
		      uint64_t saved_mask, const struct signal_altstack *ss, uintptr_t handler,
		      uintptr_t restorer)
{
	struct trap_frame *f = &uf->tf;
	struct user_context *c = thread_self()->user;
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	struct rt_sigframe frame;
	uintptr_t fp, fr;

	if (sp == f->rsp)
		sp -= REDZONE;
	fp = (sp - vector_size - 4) & ~63UL;
	fr = ((fp - sizeof(frame)) & ~15UL) - 8;	/* as if called: (RSP + 8) % 16 == 0 */
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (have_xsave ? UC_FP_XSTATE : 0);
	frame.uc.ss_sp = ss->sp;
	frame.uc.ss_flags = ss->flags;
	frame.uc.ss_size = ss->size;
	frame.uc.mcontext = (struct sigcontext){
		.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11, .r12 = f->r12,
		.r13 = f->r13, .r14 = f->r14, .r15 = f->r15, .rdi = f->rdi, .rsi = f->rsi,
		.rbp = f->rbp, .rbx = f->rbx, .rdx = f->rdx, .rax = f->rax, .rcx = f->rcx,
		.rsp = f->rsp, .rip = f->rip, .eflags = f->rflags, .cs = USER_CS, .ss = USER_DS,
		.err = f->vector < 32 ? f->error : 0, .trapno = f->vector < 32 ? f->vector : 0,
		.oldmask = saved_mask, .cr2 = f->vector == 14 ? read_cr2() : 0, .fpstate = fp,
	};
	frame.uc.sigmask = saved_mask;
	memcpy(frame.info, info, sizeof(frame.info));

	irq_disable();			/* the registers are this thread's while it runs */
	vector_save(c->state);
	irq_enable();
	if (have_xsave)
		mark_xstate(c->state);
	if (copy_to_user((void *)fp, c->state, vector_size) ||
	    (have_xsave && copy_to_user((void *)(fp + vector_size), &magic2, 4)) ||
	    copy_to_user((void *)fr, &frame, sizeof(frame)))
		return -EFAULT;

	irq_disable();			/* the handler starts with a clean vector state */
	memcpy(c->state, init_state, vector_size);
	vector_load(c->state);
	irq_enable();

	f->rip = handler;
	f->rsp = fr;
	f->rdi = signo;
	f->rsi = fr + offsetof(struct rt_sigframe, info);
	f->rdx = fr + offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(uint64_t)(1u << 10 | 1u << 8);	/* DF and TF clear, as Linux */
	return 0;
}

/* Whether a vector image from user memory is safe to load (XRSTOR/FXRSTOR fault otherwise). */
static bool vector_image_ok(const uint8_t *img)
{
	uint32_t mxcsr;
	uint64_t hdr[8];

	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & 0xffff0000u)
		return false;
	if (!have_xsave)
		return true;
	memcpy(hdr, img + 512, sizeof(hdr));
	if (hdr[0] & ~xfeatures || hdr[1])	/* XSTATE_BV within XCR0; standard format */
		return false;
	for (int i = 2; i < 8; i++)
		if (hdr[i])
			return false;
	return true;
}

int arch_signal_restore(struct user_frame *uf, uint64_t *mask, struct signal_altstack *ss)
{
	struct trap_frame *f = &uf->tf;
	struct user_context *c = thread_self()->user;
	uintptr_t fr = f->rsp - 8;	/* the handler's RET popped pretcode */
	struct rt_sigframe frame;
	const struct sigcontext *m = &frame.uc.mcontext;

	if (copy_from_user(&frame, (void *)fr, sizeof(frame)))
		return -EFAULT;
	if (m->rip >= USER_ADDR_END)
		return -EFAULT;
	if (m->fpstate) {
		if (copy_from_user(c->scratch, (void *)m->fpstate, vector_size) ||
		    !vector_image_ok(c->scratch))
			return -EFAULT;
		irq_disable();
		memcpy(c->state, c->scratch, vector_size);
		vector_load(c->state);
		cpu_self()->fpu_owner = c;
		c->cpu = cpu_self()->id;
		irq_enable();
	}
	*f = (struct trap_frame){
		.r15 = m->r15, .r14 = m->r14, .r13 = m->r13, .r12 = m->r12, .r11 = m->r11,
		.r10 = m->r10, .r9 = m->r9, .r8 = m->r8, .rbp = m->rbp, .rdi = m->rdi,
		.rsi = m->rsi, .rdx = m->rdx, .rcx = m->rcx, .rbx = m->rbx, .rax = m->rax,
		.vector = SYSCALL_VECTOR, .rip = m->rip, .cs = USER_CS,
		.rflags = (m->eflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2, .rsp = m->rsp,
		.ss = USER_DS,
	};
	*mask = frame.uc.sigmask;
	ss->sp = frame.uc.ss_sp;
	ss->flags = frame.uc.ss_flags;
	ss->size = frame.uc.ss_size;
	return 0;
}
