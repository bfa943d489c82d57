/*
 * Kernel thread context switch (include/mote/arch.h).
 *
 * A switched-out thread is nothing but its stack pointer: the switch
 * pushes the registers the SysV calling convention makes the callee
 * preserve (rbx, rbp, r12-r15) onto the old stack, saves rsp, loads the
 * new one and pops the same six registers saved there. Everything else is
 * the caller's business by the calling convention, and the kernel touches
 * no x87/SSE state (-mgeneral-regs-only), so none is saved; user threads
 * will save theirs in the scheduler around this call. RFLAGS is not saved
 * either: the scheduler switches with interrupts off and each side
 * restores its own saved interrupt state.
 */
	.text

/* void arch_context_switch(void **save_sp, void *next_sp) */
	.globl arch_context_switch
	.type arch_context_switch, @function
arch_context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size arch_context_switch, . - arch_context_switch

/*
 * The first code a new thread runs: arch_thread_init_stack() left the
 * entry function in r12 and its argument in r13. rbp is zero so stack
 * walks end here. The entry function must not return; if it does, ud2
 * turns that into a fault report rather than a jump into nowhere.
 */
	.globl arch_thread_trampoline
	.type arch_thread_trampoline, @function
arch_thread_trampoline:
	movq %r13, %rdi
	xorl %ebp, %ebp
	call *%r12
	ud2
	.size arch_thread_trampoline, . - arch_thread_trampoline
