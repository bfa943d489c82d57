/*
 * Exception entry stubs. Every vector pushes the same frame (a zero where
 * the CPU pushes no error code, then the vector number) so trap_common can
 * save the registers as struct trap_frame and hand it to trap_handle().
 * Every IDT gate uses an IST stack (see cpu.c), so a fault on a broken
 * stack still lands on a good one.
 */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
trap_common:
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
	movq %rsp, %rdi
	call trap_handle
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
	addq $16, %rsp
	iretq

/* Stub n sits at trap_stubs + 16 n (cpu.c computes gate addresses from that). */
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 32
	.balign 16
	.if HAS_ERROR_CODE(vec) == 0
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr
