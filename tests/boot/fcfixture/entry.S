/*
 * fcfixture entry: PVH in, Firecracker's vCPU start state out.
 *
 * QEMU starts us through the PVH ELF note below (32-bit protected mode,
 * paging off, EBX = hvm_start_info; xen/include/public/arch-x86/hvm/
 * start_info.h and Xen's docs/misc/pvh.pandoc). We switch to long mode with
 * our own tables (identity map of the first 4 GiB, so we can reach the
 * module QEMU put near the top of low RAM and the local APIC), call
 * fixture_main() to lay out guest memory as Firecracker does, then load the
 * registers Firecracker's KVM_SET_REGS/KVM_SET_SREGS/KVM_SET_MSRS calls give
 * a vCPU and jump to the kernel's ELF entry. fixture.c's header lists every
 * value and its source; this file only loads them.
 */

#define FC_BOOT_GDT	0x500	/* regs.rs BOOT_GDT_OFFSET */
#define FC_BOOT_IDT	0x520	/* regs.rs BOOT_IDT_OFFSET */
#define FC_ZERO_PAGE	0x7000	/* layout.rs ZERO_PAGE_START */
#define FC_STACK	0x8ff0	/* layout.rs BOOT_STACK_POINTER */
#define FC_PML4		0x9000	/* regs.rs PML4_START */
#define FC_CR0		0xe0000011 /* reset CR0 (ET|NW|CD: Intel SDM vol. 3, state after reset) | PE | PG */
#define FC_CR4		0x20	/* reset CR4 (0) | PAE: regs.rs setup_page_tables */
#define FC_EFER		0x500	/* LME | LMA: regs.rs configure_segments_and_sregs */
#define FC_RFLAGS	0x2	/* regs.rs setup_regs: only the always-one bit */

#define SEL_CODE	0x08	/* regs.rs: GDT index 1, "CODE" */
#define SEL_DATA	0x10	/* GDT index 2, "DATA" */
#define SEL_TSS		0x18	/* GDT index 3, "TSS" */

#define MSR_EFER	0xc0000080
#define MSR_TSC		0x10
#define CR4_OSFXSR	0x200

	/* PVH ELF note: type 18 (XEN_ELFNOTE_PHYS32_ENTRY, xen/include/public/
	 * elfnote.h), name "Xen", an 8-byte entry address in a 64-bit ELF. */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 8, 18
	.asciz "Xen"
	.quad pvh_start

	.section .text.entry, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov	%ebx, %esi			/* hvm_start_info, kept for fixture_main */
	lgdt	tmp_gdt_desc
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	$stack_top, %esp

	/* QEMU's ELF loader zero-fills .bss, but the PVH ABI does not say so. */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb

	/* Temporary identity map of 4 GiB with 2 MiB pages: one PDPT, four PDs. */
	mov	$tmp_pdpt + 3, %eax
	mov	%eax, tmp_pml4
	mov	$tmp_pd + 3, %eax
	xor	%ecx, %ecx
1:	mov	%eax, tmp_pdpt(, %ecx, 8)
	add	$4096, %eax
	inc	%ecx
	cmp	$4, %ecx
	jne	1b
	mov	$0x83, %eax			/* present | writable | 2 MiB page */
	xor	%edx, %edx			/* high half of each entry */
	xor	%ecx, %ecx
2:	mov	%eax, tmp_pd(, %ecx, 8)
	mov	%edx, tmp_pd + 4(, %ecx, 8)
	add	$0x200000, %eax
	adc	$0, %edx
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	mov	$0x20 | CR4_OSFXSR, %eax	/* PAE; OSFXSR only to load MXCSR later */
	mov	%eax, %cr4
	mov	$tmp_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$0x100, %eax			/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax		/* PG | PE */
	mov	%eax, %cr0
	ljmp	$SEL_CODE, $long_start

	.code64
long_start:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$stack_top, %rsp
	mov	%esi, %edi
	call	fixture_main			/* returns the kernel's entry point */
	mov	%rax, kernel_entry(%rip)

	/*
	 * TR: Firecracker hands KVM a busy TSS (type 0xb) at selector 0x18 with
	 * base 0 and limit 0xfffff (4 KiB granular). LTR only accepts an
	 * available 16-byte TSS descriptor, which Firecracker's 32-byte GDT has
	 * no room for, so load it from our GDT (same selector, same base and
	 * limit); LTR marks it busy, and the hidden TR state is then the one
	 * Firecracker sets. Then switch to Firecracker's GDT and IDT.
	 */
	mov	$SEL_TSS, %eax
	ltr	%ax
	lgdt	fc_gdt_desc(%rip)
	lidt	fc_idt_desc(%rip)
	mov	$FC_PML4, %eax
	mov	%rax, %cr3
	fninit					/* FCW 0x37f: regs.rs setup_fpu */
	ldmxcsr	mxcsr_default(%rip)		/* MXCSR 0x1f80: regs.rs setup_fpu */
	mov	$FC_CR4, %eax
	mov	%rax, %cr4
	mov	$FC_CR0, %eax
	mov	%rax, %cr0
	mov	$MSR_EFER, %ecx
	mov	$FC_EFER, %eax
	xor	%edx, %edx
	wrmsr

	/* Reload every segment register from Firecracker's GDT. */
	pushq	$SEL_CODE
	lea	3f(%rip), %rax
	pushq	%rax
	lretq
3:	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %fs
	mov	%eax, %gs
	mov	%eax, %ss

	mov	$FC_STACK, %esp
	mov	%rsp, %rbp
	mov	$FC_ZERO_PAGE, %esi

	/* IA32_TSC = 0 last, as KVM_SET_MSRS does before the vCPU runs. */
	mov	$MSR_TSC, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	xor	%ecx, %ecx
	xor	%ebx, %ebx
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	pushq	$FC_RFLAGS			/* after the XORs, which set flags */
	popfq
	jmp	*kernel_entry(%rip)

	.section .data
	.p2align 3
/*
 * Our GDT: the same code and data descriptors as Firecracker's (regs.rs
 * configure_segments_and_sregs, built by gdt.rs gdt_entry), and at 0x18 an
 * available 64-bit TSS (type 9) with Firecracker's base and limit.
 */
tmp_gdt:
	.quad 0
	.quad 0x00af9b000000ffff		/* gdt_entry(0xa09b, 0, 0xfffff) */
	.quad 0x00cf93000000ffff		/* gdt_entry(0xc093, 0, 0xfffff) */
	.quad 0x008f89000000ffff		/* gdt_entry(0x8089, 0, 0xfffff) */
	.quad 0					/* TSS base bits 63:32 */
tmp_gdt_end:
tmp_gdt_desc:
	.word tmp_gdt_end - tmp_gdt - 1
	.quad tmp_gdt
fc_gdt_desc:
	.word 4 * 8 - 1				/* BOOT_GDT_MAX entries */
	.quad FC_BOOT_GDT
fc_idt_desc:
	.word 8 - 1				/* one zero u64: write_idt_value(0) */
	.quad FC_BOOT_IDT
mxcsr_default:
	.long 0x1f80
kernel_entry:
	.quad 0

	.section .bss
	.p2align 12
tmp_pml4:	.skip 4096
tmp_pdpt:	.skip 4096
tmp_pd:		.skip 4 * 4096
stack:		.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
