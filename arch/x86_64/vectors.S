/*
 * Exception and interrupt entry stubs. Every vector pushes the same frame (a zero where
 * the CPU pushes no error code, then the vector number) so trap_common can
 * save the registers as struct trap_frame and hand it to trap_handle().
 * Every IDT gate uses an IST stack (see cpu.c), so a fault on a broken
 * stack still lands on a good one.
 */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

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

	.text
	.balign 16
trap_common:
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
