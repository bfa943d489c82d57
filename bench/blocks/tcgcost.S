/*
 * tcgcost.elf: what QEMU's TCG charges for code run for the first time.
 * A PVH entry (32-bit, no paging) that times, with RDTSC, 1000 distinct
 * basic blocks of four ALU instructions and a jump, runs them once, and
 * prints the cycles taken as 8 hex digits and a newline on COM1, then exits
 * through isa-debug-exit. Under TCG each block is translated when first
 * reached, so cycles / 1000 is the cost of one new basic block, the unit
 * bench/blocks counts the boot path in. Under KVM it is a few cycles.
 */
	/* PVH ELF note: type 18 (XEN_ELFNOTE_PHYS32_ENTRY), name "Xen", 8-byte entry, 4-byte aligned. */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 4, 8, 18
	.asciz "Xen"
	.quad tcgcost_entry

	.text
	.code32
	.globl tcgcost_entry
tcgcost_entry:
	rdtsc
	mov	%eax, %esi
	.rept 1000
	add	$1, %eax
	add	$1, %ebx
	add	$1, %ecx
	add	$1, %edx
	jmp	1f
1:
	.endr
	rdtsc
	sub	%esi, %eax
	mov	%eax, %esi
	mov	$8, %ecx
	mov	$0x3f8, %dx
2:	rol	$4, %esi		/* the next hex digit, most significant first */
	mov	%esi, %eax
	and	$15, %eax
	add	$'0', %eax
	cmp	$'9', %eax
	jbe	3f
	add	$('a' - '9' - 1), %eax
3:	out	%al, %dx
	dec	%ecx
	jnz	2b
	mov	$'\n', %al
	out	%al, %dx
	xor	%eax, %eax
	out	%eax, $0xf4
4:	cli
	hlt
	jmp	4b

	.section .note.GNU-stack, "", @progbits
