/*
 * floor.elf: the cheapest kernel QEMU can boot. Its PVH entry writes 0 to
 * isa-debug-exit (port 0xf4, 32-bit) at once, so QEMU exits with status 1
 * ((0 << 1) | 1) and `mote run` with 0. Booting it costs everything the
 * host and firmware cost and nothing a kernel does: bench/boot measures the
 * real kernel against it.
 */
	/* PVH ELF note: type 18 (XEN_ELFNOTE_PHYS32_ENTRY, xen/include/public/
	 * elfnote.h), name "Xen", 8-byte entry in a 64-bit ELF, 4-byte aligned. */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 4, 8, 18
	.asciz "Xen"
	.quad floor_entry

	.text
	.code32
	.globl floor_entry
floor_entry:
	xor	%eax, %eax
	out	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
