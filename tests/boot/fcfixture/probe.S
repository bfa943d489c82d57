/*
 * fcprobe: a stand-in kernel that checks the start state fcfixture hands it.
 *
 * Linked at 1 MiB like the real kernel; its ELF entry point is where
 * Firecracker (and fcfixture) jump in long mode. It saves every register
 * before touching any, compares them and the tables in low memory with the
 * values Firecracker sets (see fixture.c's header for the sources), prints
 * what varies with the options (command line, e820 map, MP table) for
 * test-fixture.sh to compare, and exits through isa-debug-exit: 0 when every
 * fixed check passed (QEMU status 1), 1 otherwise (status 3).
 */

#define COM1		0x3f8
#define EXIT_PORT	0xf4
#define ZP		0x7000		/* boot_params */

	.code64
	.section .text
	.globl probe_start
probe_start:
	mov	%rax, r_rax(%rip)
	mov	%rbx, r_rbx(%rip)
	mov	%rcx, r_rcx(%rip)
	mov	%rdx, r_rdx(%rip)
	mov	%rsi, r_rsi(%rip)
	mov	%rdi, r_rdi(%rip)
	mov	%rbp, r_rbp(%rip)
	mov	%rsp, r_rsp(%rip)
	mov	%r8, r_r8(%rip)
	mov	%r9, r_r9(%rip)
	mov	%r10, r_r10(%rip)
	mov	%r11, r_r11(%rip)
	mov	%r12, r_r12(%rip)
	mov	%r13, r_r13(%rip)
	mov	%r14, r_r14(%rip)
	mov	%r15, r_r15(%rip)
	rdtsc
	mov	%eax, r_tsc(%rip)
	mov	%edx, r_tsc + 4(%rip)
	pushfq
	popq	r_rflags(%rip)
	mov	%cs, r_cs(%rip)
	mov	%ds, r_ds(%rip)
	mov	%es, r_es(%rip)
	mov	%fs, r_fs(%rip)
	mov	%gs, r_gs(%rip)
	mov	%ss, r_ss(%rip)
	str	r_tr(%rip)
	sgdt	r_gdtr(%rip)
	sidt	r_idtr(%rip)
	mov	%cr0, %rax
	mov	%rax, r_cr0(%rip)
	mov	%cr3, %rax
	mov	%rax, r_cr3(%rip)
	mov	%cr4, %rax
	mov	%rax, r_cr4(%rip)
	mov	$0xc0000080, %ecx
	rdmsr
	mov	%eax, r_efer(%rip)
	mov	%edx, r_efer + 4(%rip)

	/* Checksums of the MP floating pointer and table (both must sum to 0). */
	mov	$0x9fc00, %esi
	mov	$16, %ecx
	call	sum_bytes
	mov	%al, r_mpf_sum(%rip)
	mov	0x9fc04, %esi
	movzwl	4(%rsi), %ecx
	call	sum_bytes
	mov	%al, r_mpc_sum(%rip)

	/* The fixed checks: { address, mask, expected, name }. */
	lea	checks(%rip), %rbx
1:	lea	checks_end(%rip), %rax
	cmp	%rax, %rbx
	je	2f
	mov	(%rbx), %rsi
	mov	(%rsi), %rax
	and	8(%rbx), %rax
	cmp	16(%rbx), %rax
	je	3f
	incl	failures(%rip)
	mov	%rax, %r12
	lea	s_fail(%rip), %rsi
	call	puts
	mov	24(%rbx), %rsi
	call	puts
	lea	s_is(%rip), %rsi
	call	puts
	mov	%r12, %rax
	call	puthex
	lea	s_want(%rip), %rsi
	call	puts
	mov	16(%rbx), %rax
	call	puthex
	call	newline
3:	add	$32, %rbx
	jmp	1b
2:
	/* Facts that depend on the fixture's options, for the script. */
	lea	s_cmdline(%rip), %rsi
	call	puts
	mov	ZP + 0x228, %esi		/* cmd_line_ptr */
	call	puts
	lea	s_cmdsize(%rip), %rsi
	call	puts
	mov	ZP + 0x238, %eax		/* cmdline_size */
	call	puthex
	call	newline

	lea	s_initrd(%rip), %rsi		/* ramdisk_image, _size, first 8 bytes */
	call	puts
	mov	ZP + 0x218, %ebx
	mov	%rbx, %rax
	call	puthex
	call	space
	mov	ZP + 0x21c, %eax
	call	puthex
	call	space
	xor	%eax, %eax
	test	%ebx, %ebx
	jz	13f
	mov	(%rbx), %rax
13:	call	puthex
	call	newline

	lea	s_e820n(%rip), %rsi
	call	puts
	movzbl	ZP + 0x1e8, %eax		/* e820_entries */
	mov	%eax, %r12d
	call	puthex
	call	newline
	cmp	$4, %r12d			/* print at most four entries */
	jbe	4f
	mov	$4, %r12d
4:	mov	$ZP + 0x2d0, %ebx		/* e820_table, 20-byte entries */
5:	test	%r12d, %r12d
	jz	6f
	lea	s_e820(%rip), %rsi
	call	puts
	mov	(%rbx), %rax
	call	puthex
	call	space
	mov	8(%rbx), %rax
	call	puthex
	call	space
	mov	16(%rbx), %eax
	call	puthex
	call	newline
	add	$20, %rbx
	dec	%r12d
	jmp	5b
6:
	/* MP table entries: processors (type 0, 20 bytes), IOAPIC (type 2). */
	mov	0x9fc04, %ebx			/* mpf physptr */
	movzwl	4(%rbx), %r13d
	add	%rbx, %r13			/* end of table */
	add	$44, %rbx			/* first entry */
	xor	%r12d, %r12d			/* cpus */
	xor	%r14d, %r14d			/* ioapic id */
7:	cmp	%r13, %rbx
	jae	9f
	movzbl	(%rbx), %eax
	test	%eax, %eax
	jnz	8f
	inc	%r12d
	add	$20, %rbx
	jmp	7b
8:	cmp	$2, %eax
	jne	10f
	movzbl	1(%rbx), %r14d
10:	add	$8, %rbx
	jmp	7b
9:	lea	s_mpcpus(%rip), %rsi
	call	puts
	mov	%r12, %rax
	call	puthex
	lea	s_ioapic(%rip), %rsi
	call	puts
	mov	%r14, %rax
	call	puthex
	call	newline

	xor	%eax, %eax
	cmpl	$0, failures(%rip)
	jne	11f
	lea	s_ok(%rip), %rsi
	call	puts
	xor	%eax, %eax
	out	%eax, $EXIT_PORT
11:	lea	s_bad(%rip), %rsi
	call	puts
	mov	$1, %eax
	out	%eax, $EXIT_PORT
12:	cli
	hlt
	jmp	12b

/* %al = sum of %ecx bytes at %rsi (clobbers %rcx, %rsi, %rdx). */
sum_bytes:
	xor	%eax, %eax
1:	test	%ecx, %ecx
	jz	2f
	add	(%rsi), %al
	inc	%rsi
	dec	%ecx
	jmp	1b
2:	ret

/* Serial output on COM1. putc: %dil; puts: NUL-terminated %rsi; puthex: %rax. */
putc:
	mov	$COM1 + 5, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	mov	$COM1, %dx
	mov	%dil, %al
	out	%al, %dx
	ret
puts:
	movzbl	(%rsi), %edi
	test	%edi, %edi
	jz	1f
	call	putc
	inc	%rsi
	jmp	puts
1:	ret
newline:
	mov	$'\n', %edi
	jmp	putc
space:
	mov	$' ', %edi
	jmp	putc
puthex:
	push	%rbx
	mov	%rax, %rbx
	mov	$'0', %edi
	call	putc
	mov	$'x', %edi
	call	putc
	mov	$60, %ecx
1:	cmp	$0, %ecx			/* skip leading zero digits */
	je	2f
	mov	%rbx, %rax
	shr	%cl, %rax
	test	%rax, %rax
	jnz	2f
	sub	$4, %ecx
	jmp	1b
2:	mov	%rbx, %rax
	shr	%cl, %rax
	and	$15, %eax
	lea	hexdigits(%rip), %rdi
	movzbl	(%rdi, %rax), %edi
	push	%rcx
	call	putc
	pop	%rcx
	sub	$4, %ecx
	jns	2b
	pop	%rbx
	ret

	.section .rodata
hexdigits:	.ascii "0123456789abcdef"
s_fail:		.asciz "probe: FAIL "
s_is:		.asciz " = "
s_want:		.asciz ", want "
s_cmdline:	.asciz "probe: cmdline=["
s_cmdsize:	.asciz "] size="
s_initrd:	.asciz "probe: initrd "
s_e820n:	.asciz "probe: e820 entries="
s_e820:		.asciz "probe: e820 "
s_mpcpus:	.asciz "probe: mp cpus="
s_ioapic:	.asciz " ioapic="
s_ok:		.asciz "probe: start state ok\n"
s_bad:		.asciz "probe: start state wrong\n"

	.macro CHECK addr, mask, want, name
	.pushsection .rodata.names, "a"
.Lname\@:	.asciz "\name"
	.popsection
	.quad \addr, \mask, \want, .Lname\@
	.endm

	/* Page-table entries are compared without the accessed and dirty bits
	 * (0x20, 0x40), which the CPU sets as it walks them. */
	.p2align 3
checks:
	CHECK r_rsi, -1, 0x7000, "rsi"
	CHECK r_rsp, -1, 0x8ff0, "rsp"
	CHECK r_rbp, -1, 0x8ff0, "rbp"
	CHECK r_rflags, -1, 0x2, "rflags"
	CHECK r_rax, -1, 0, "rax"
	CHECK r_rbx, -1, 0, "rbx"
	CHECK r_rcx, -1, 0, "rcx"
	CHECK r_rdx, -1, 0, "rdx"
	CHECK r_rdi, -1, 0, "rdi"
	CHECK r_r8, -1, 0, "r8"
	CHECK r_r9, -1, 0, "r9"
	CHECK r_r10, -1, 0, "r10"
	CHECK r_r11, -1, 0, "r11"
	CHECK r_r12, -1, 0, "r12"
	CHECK r_r13, -1, 0, "r13"
	CHECK r_r14, -1, 0, "r14"
	CHECK r_r15, -1, 0, "r15"
	CHECK r_cs, 0xffff, 0x08, "cs"
	CHECK r_ds, 0xffff, 0x10, "ds"
	CHECK r_es, 0xffff, 0x10, "es"
	CHECK r_fs, 0xffff, 0x10, "fs"
	CHECK r_gs, 0xffff, 0x10, "gs"
	CHECK r_ss, 0xffff, 0x10, "ss"
	CHECK r_tr, 0xffff, 0x18, "tr"
	CHECK r_cr0, -1, 0xe0000011, "cr0"
	CHECK r_cr3, -1, 0x9000, "cr3"
	CHECK r_cr4, -1, 0x20, "cr4"
	CHECK r_efer, -1, 0x500, "efer (long mode)"
	CHECK r_gdtr, 0xffff, 0x1f, "gdt limit"
	CHECK r_gdtr + 2, -1, 0x500, "gdt base"
	CHECK r_idtr, 0xffff, 0x7, "idt limit"
	CHECK r_idtr + 2, -1, 0x520, "idt base"
	CHECK r_tsc, 0xffffffff00000000, 0, "tsc at entry below 2^32"
	CHECK 0x500, -1, 0, "gdt[0]"
	CHECK 0x508, -1, 0x00af9b000000ffff, "gdt[1] code"
	CHECK 0x510, -1, 0x00cf93000000ffff, "gdt[2] data"
	CHECK 0x518, -1, 0x008f8b000000ffff, "gdt[3] tss"
	CHECK 0x520, -1, 0, "idt"
	CHECK 0x9000, ~0x60, 0xa003, "pml4[0]"
	CHECK 0xa000, ~0x60, 0xb003, "pdpt[0]"
	CHECK 0xb000, ~0x60, 0x83, "pd[0]"
	CHECK 0xbff8, ~0x60, 0x3fe00083, "pd[511]"
	CHECK ZP + 0x1fe, 0xffff, 0xaa55, "boot_flag"
	CHECK ZP + 0x202, 0xffffffff, 0x53726448, "header HdrS"
	CHECK ZP + 0x210, 0xff, 0xff, "type_of_loader"
	CHECK ZP + 0x228, 0xffffffff, 0x20000, "cmd_line_ptr"
	CHECK ZP + 0x230, 0xffffffff, 0x1000000, "kernel_alignment"
	CHECK 0x9fc00, 0xffffffff, 0x5f504d5f, "mp floating pointer _MP_"
	CHECK 0x9fc04, 0xffffffff, 0x9fc10, "mp physptr"
	CHECK 0x9fc10, 0xffffffff, 0x504d4350, "mp table PCMP"
	CHECK r_mpf_sum, 0xff, 0, "mp floating pointer checksum"
	CHECK r_mpc_sum, 0xff, 0, "mp table checksum"
checks_end:

	.section .bss
	.p2align 3
r_rax: .quad 0
r_rbx: .quad 0
r_rcx: .quad 0
r_rdx: .quad 0
r_rsi: .quad 0
r_rdi: .quad 0
r_rbp: .quad 0
r_rsp: .quad 0
r_r8:  .quad 0
r_r9:  .quad 0
r_r10: .quad 0
r_r11: .quad 0
r_r12: .quad 0
r_r13: .quad 0
r_r14: .quad 0
r_r15: .quad 0
r_rflags: .quad 0
r_cs:  .quad 0
r_ds:  .quad 0
r_es:  .quad 0
r_fs:  .quad 0
r_gs:  .quad 0
r_ss:  .quad 0
r_tr:  .quad 0
r_cr0: .quad 0
r_cr3: .quad 0
r_cr4: .quad 0
r_efer: .quad 0
r_tsc: .quad 0
r_gdtr: .quad 0, 0
r_idtr: .quad 0, 0
r_mpf_sum: .quad 0
r_mpc_sum: .quad 0
failures: .long 0

	.section .note.GNU-stack, "", @progbits
