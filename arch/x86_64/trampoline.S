/*
 * The application processor start-up code. A started AP begins in real
 * mode at the page the STARTUP IPI names; this blob is copied to
 * AP_TRAMPOLINE_PHYS (smp.c) and walks the CPU from 16-bit real mode
 * through 32-bit protected mode to long mode on a small page-table set
 * that maps its own page 1:1 beside the kernel, then jumps to ap_start in
 * the upper half, which switches to the kernel's real tables.
 *
 * smp.c fills the parameter block at the end before each start-up.
 */
#include <mote/layout.h>

#define T(x) (AP_TRAMPOLINE_PHYS + (x) - trampoline_start)

	.section .rodata.trampoline, "a"
	.globl trampoline_start, trampoline_end, trampoline_params
	.code16
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdt_desc)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $T(tramp32)

	.code32
tramp32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl T(p_cr4), %eax
	movl %eax, %cr4
	movl T(p_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	movl T(p_efer), %eax
	xorl %edx, %edx
	wrmsr
	movl T(p_cr0), %eax
	movl %eax, %cr0
	ljmp $0x18, $T(tramp64)

	.code64
tramp64:
	movq T(p_stack), %rsp
	movq T(p_entry), %rax
	jmpq *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff		/* 0x10: data */
	.quad 0x00af9a000000ffff		/* 0x18: 64-bit code */
tramp_gdt_desc:
	.word tramp_gdt_desc - tramp_gdt - 1
	.long T(tramp_gdt)

	.balign 8
trampoline_params:			/* struct trampoline_params in smp.c */
p_cr0:	.long 0
p_cr4:	.long 0
p_cr3:	.long 0
p_efer:	.long 0
p_stack: .quad 0
p_entry: .quad 0
trampoline_end:
