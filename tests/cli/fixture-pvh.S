/*
 * The smallest PVH kernel that proves a QEMU command line from `mote run`
 * boots: QEMU enters it in 32-bit protected mode, paging off, at the
 * address in the XEN_ELFNOTE_PHYS32_ENTRY note. With -DMARKER it first
 * prints a line and the kernel's power-off marker on COM1 (QEMU needs no
 * UART setup to take bytes at 0x3f8); then it writes STATUS to the
 * isa-debug-exit port 0xf4, so QEMU exits with (STATUS << 1) | 1. Without
 * the exit device it halts forever, which the tests use too.
 *
 * Built by tests/cli/test-cli.sh:
 *   gcc -nostdlib -static -Wl,-N,-Ttext=0x100000 -DSTATUS=4 fixture-pvh.S
 */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4                 /* name size: "Xen\0" */
	.long 8                 /* descriptor size: the entry, 8 bytes in ELF64 */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad _start
	.p2align 2

	.text
	.code32
	.globl _start
_start:
#ifdef MARKER
	mov $message, %esi
	mov $0x3f8, %dx
1:	movb (%esi), %al
	test %al, %al
	jz 2f
	outb %al, %dx
	inc %esi
	jmp 1b
2:
#endif
	mov $STATUS, %eax
	out %eax, $0xf4
3:	hlt
	jmp 3b

#ifdef MARKER
message:
	.asciz "hello from the fixture\r\nmote: power off, status 7\r\n"
#endif
