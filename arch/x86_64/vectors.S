/*
 * Exception and interrupt entry stubs. Every vector pushes the same frame (a zero where
 * the CPU pushes no error code, then the vector number) so trap_common can
 * save the registers as struct trap_frame and hand it to trap_handle().
 * Every IDT gate uses an IST stack (see cpu.c), so a fault on a broken
 * stack still lands on a good one.
 */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

#include "asm_offsets.h"

.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro RESTORE_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

/*
 * From user mode (CS's low bits are the privilege level), an entry swaps
 * in the kernel's GS base and moves the CPU-pushed part of the frame (the
 * vector, error code, RIP, CS, RFLAGS, RSP, SS: 7 words) from the IST stack
 * to the top of the thread's kernel stack (the CPU's kstack_top), so the
 * thread can sleep or be preempted there and the IST stack is free again.
 * Then it saves the rest of struct trap_frame and calls `handler`, and
 * leaves through user_return (entry.S).
 *
 * Every entry, from either mode, first reloads the kernel's SS. An entry
 * through an IST stack may leave a null SS (QEMU loads one on every IST
 * switch, the CPU on a privilege change), which works in 64-bit mode but
 * differs in its size bit from the SS that the boot and SYSCALL load; TCG
 * keys translated code on that bit, so every kernel path run both in and
 * out of an interrupt would be translated twice.
 */
.macro FROM_USER handler
	movw kernel_ss(%rip), %ss
	testb $3, 24(%rsp)
	jz 9f
	swapgs
	pushq %rsi
	pushq %rdi
	pushq %rcx
	movq %gs:CPU_KSTACK_TOP, %rdi
	subq $56, %rdi
	leaq 24(%rsp), %rsi
	movl $7, %ecx
	cld
	rep movsq
	popq %rcx
	popq %rdi
	popq %rsi
	movq %gs:CPU_KSTACK_TOP, %rsp
	subq $56, %rsp
	SAVE_REGS
	movq %rsp, %rdi
	call \handler
	jmp user_return
9:
.endm

	.section .rodata
kernel_ss:
	.word KERNEL_DS

	.text
	.balign 16
trap_common:
	FROM_USER user_trap
	SAVE_REGS
	movq %rsp, %rdi
	call trap_handle
	RESTORE_REGS
	addq $16, %rsp
	iretq

/* Stub n sits at trap_stubs + 16 n (cpu.c computes gate addresses from that). */
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if vec >= 32 || HAS_ERROR_CODE(vec) == 0
	pushq $0
	.endif
	pushq $vec
	.if vec < 32
	jmp trap_common
	.else
	jmp irq_common
	.endif
	.set vec, vec + 1
	.endr

/*
 * Interrupts: save, dispatch, and if irq_dispatch() asks for a reschedule,
 * move the whole frame from the IST stack down onto the interrupted
 * thread's own stack before calling sched_preempt(): the thread may be
 * switched out for a long time and the IST stack must be free for the next
 * interrupt. Only kernel-mode frames are moved (irq_dispatch checks); the
 * kernel has no red zone, so the interrupted stack is free below its RSP.
 */
	.balign 16
irq_common:
	FROM_USER user_irq
	SAVE_REGS
	movq %rsp, %rdi
	call irq_dispatch
	testl %eax, %eax
	jz 2f
	movq 20*8(%rsp), %rdi		/* the interrupted RSP (struct trap_frame) */
	subq $176, %rdi
	andq $-16, %rdi
	movq %rsp, %rsi
	movl $22, %ecx
1:	movq (%rsi), %rax
	movq %rax, (%rdi)
	addq $8, %rsi
	addq $8, %rdi
	decl %ecx
	jnz 1b
	subq $176, %rdi
	movq %rdi, %rsp
	call sched_preempt
2:	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * SYSCALL from user mode: RCX holds the return RIP, R11 the RFLAGS, RSP is
 * still the application's (the CPU switches nothing; FMASK has cleared IF,
 * DF, TF and AC). Switch to the thread's kernel stack, build the same
 * struct trap_frame an interrupt would (vector SYSCALL_VECTOR), and call
 * x86_syscall() with interrupts on.
 */
	.balign 16
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_SCRATCH
	movq %gs:CPU_KSTACK_TOP, %rsp
	pushq $USER_DS
	pushq %gs:CPU_SCRATCH
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0
	pushq $SYSCALL_VECTOR
	SAVE_REGS
	movq %rsp, %rdi
	sti			/* last: emulators end a block at sti and run the next insn alone */
	call x86_syscall
	/* fall through */

/*
 * The way back to user mode from the top of a thread's kernel stack, with
 * RSP at its struct trap_frame. x86_user_exit() runs the Linux layer's
 * return work (signals, rescheduling) and says whether SYSRET may be
 * used: only when RCX/R11 may be clobbered (a plain system call return)
 * and RIP is canonical. It is called with interrupts off and returns with
 * them off (it turns them on only while there is work), so nothing that
 * arrives after its last check can be missed before the application runs.
 */
	.globl user_return
user_return:
	cli
	movq %rsp, %rdi
	call x86_user_exit
	testl %eax, %eax
	jnz 1f
	RESTORE_REGS
	movq 16(%rsp), %rcx		/* RIP */
	movq 32(%rsp), %r11		/* RFLAGS */
	movq 40(%rsp), %rsp		/* the application's RSP */
	swapgs
	sysretq
1:	RESTORE_REGS
	addq $16, %rsp
	swapgs
	iretq

/*
 * void x86_enter_user(struct trap_frame *f): f lies at the top of the
 * calling thread's kernel stack; leave through the IRETQ path.
 */
	.globl x86_enter_user
x86_enter_user:
	cli
	movq %rdi, %rsp
	RESTORE_REGS
	addq $16, %rsp
	swapgs
	iretq

/*
 * Copies between kernel and application memory (uaccess.c). A page fault
 * inside [uaccess_begin, uaccess_end) is not fatal: trap.c resumes at
 * uaccess_fault, which returns the bytes left uncopied (RCX, as REP MOVSB
 * leaves it).
 *
 * size_t x86_copy_user(void *dst, const void *src, size_t n)
 * int x86_read_u32(const uint32_t *src, uint32_t *dst): one aligned load
 * (a futex word); 0, or nonzero if src faulted.
 * int x86_cmpxchg_u32(uint32_t *uaddr, uint32_t *expected, uint32_t new):
 * LOCK CMPXCHG on an application word; 0 if it was *expected (now new),
 * 2 if not (*expected gets what it was), 1 if uaddr faulted.
 */
	.globl x86_copy_user, x86_read_u32, x86_cmpxchg_u32
	.globl uaccess_begin, uaccess_end, uaccess_fault
x86_read_u32:
	movl $4, %ecx
uaccess_begin:
	movl (%rdi), %eax
	movl %eax, (%rsi)
	xorl %eax, %eax
	ret
x86_cmpxchg_u32:
	movl $1, %ecx
	movl (%rsi), %eax
	lock cmpxchgl %edx, (%rdi)
	movl %eax, (%rsi)
	movl $0, %eax
	movl $2, %ecx
	cmovnzl %ecx, %eax
	ret
x86_copy_user:
	movq %rdx, %rcx
	rep movsb
uaccess_end:
	xorl %eax, %eax
	ret
uaccess_fault:
	movq %rcx, %rax
	ret
