/*
 * The kernel's two entry points and the page tables they share.
 *
 * pvh_entry: the PVH boot protocol (Xen's hvm_start_info). The CPU arrives
 * in 32-bit protected mode without paging, with EBX holding the physical
 * address of hvm_start_info. QEMU -kernel, Firecracker >= 1.12,
 * cloud-hypervisor and Xen PVH use it; the ELF note below advertises it.
 *
 * linux64_entry (the ELF entry point): the Linux x86-64 64-bit boot
 * protocol. The CPU arrives in long mode on the loader's identity page
 * tables with RSI holding the physical address of boot_params. Firecracker
 * enters vmlinux-style ELF kernels this way.
 *
 * Both record the TSC, the protocol and the pointer the loader gave, fill
 * the boot page directories, set CR0, CR4 and EFER to their final values,
 * switch to the boot page tables (identity, the physical-memory aliases and
 * the kernel image, 4 GiB each with 2 MiB pages) and jump to
 * kernel_start64 in the upper half. Everything after that is C and never
 * learns which door it came through except from boot_protocol.
 */
#include <mote/layout.h>

#define PHYS(x)        ((x) - KERNEL_VMA)
#define PTE_PRESENT    0x1
#define PTE_WRITE      0x2
#define PTE_LARGE      0x80
#define MSR_EFER       0xc0000080
#define EFER_LME       (1 << 8)
#define EFER_NXE       (1 << 11)
#define BOOT_CS        0x08
#define BOOT_DS        0x10

/*
 * The control registers' final values, written once here rather than
 * patched later: each write is an expensive exit under a hypervisor.
 * CR0: paging, protection, write-protect in ring 0, native FPU errors,
 * caches on (Firecracker enters with CD and NW set). CR4: PAE, and SSE
 * state saving so applications may use SSE.
 */
#define CR0_VALUE      ((1 << 31) | (1 << 16) | (1 << 5) | (1 << 4) | (1 << 1) | (1 << 0))
#define CR4_VALUE      ((1 << 5) | (1 << 9) | (1 << 10))

/* EFER |= LME, and NXE when CPUID says the CPU has NX. Valid in 32- and 64-bit code. */
.macro set_efer
	movl $0x80000001, %eax
	cpuid
	xorl %esi, %esi
	btl $20, %edx
	jnc 1f
	movl $EFER_NXE, %esi
1:	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	orl %esi, %eax
	wrmsr
.endm

/*
 * Fills boot_pd: 2048 entries mapping physical 0..4 GiB in 2 MiB pages (every
 * address is below 4 GiB, so each entry's high half is 0). A loop here costs
 * a few microseconds; the same table as data cost 16 KiB of the image. The
 * stubs run on physical addresses (no paging, or the loader's identity map).
 * Valid in 32- and 64-bit code.
 */
.macro fill_boot_pd
	movl $PHYS(boot_pd), %edi
	movl $(PTE_PRESENT + PTE_WRITE + PTE_LARGE), %eax
	xorl %edx, %edx
2:	.irp i, 0, 1, 2, 3		/* four entries a turn: emulators pay per turn */
	movl %eax, 8 * \i(%edi)
	movl %edx, 8 * \i + 4(%edi)
	addl $0x200000, %eax
	.endr
	addl $32, %edi
	cmpl $PHYS(boot_pd) + 2048 * 8, %edi
	jne 2b
.endm

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	rdtsc
	movl %eax, PHYS(boot_entry_tsc)
	movl %edx, PHYS(boot_entry_tsc) + 4
	movl %ebx, PHYS(boot_loader_info)
	movl $1, PHYS(boot_protocol)		/* BOOT_PROTO_PVH */

	fill_boot_pd
	movl $CR4_VALUE, %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	set_efer
	movl $CR0_VALUE, %eax
	movl %eax, %cr0
	lgdt boot_gdt_desc
	ljmp $BOOT_CS, $boot_long

	.code64
	.globl linux64_entry
linux64_entry:
	cli
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, PHYS(boot_entry_tsc)
	movq %rsi, PHYS(boot_loader_info)
	movl $2, PHYS(boot_protocol)		/* BOOT_PROTO_LINUX */

	fill_boot_pd
	movl $PHYS(boot_pml4), %eax
	movq %rax, %cr3
	movl $CR4_VALUE, %eax
	movq %rax, %cr4
	set_efer
	movl $CR0_VALUE, %eax
	movq %rax, %cr0
	lgdt boot_gdt_desc
	pushq $BOOT_CS
	pushq $boot_long
	lretq

boot_long:
	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $kernel_start64, %rax
	jmpq *%rax

	.section .boot.data, "aw"
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff		/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff		/* 0x10: data, DPL 0 */
boot_gdt_end:
	.balign 8
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.text
	.globl kernel_start64
kernel_start64:
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	cld
	/*
	 * Zero .bss: ELF loaders should, but not every one is careful. A plain
	 * loop, not rep stosq, which software emulation runs one slow step per
	 * iteration. Stacks live in .bss.stacks, before the zeroed range.
	 */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
1:	cmpq %rcx, %rdi
	jae 2f
	movq $0, (%rdi)
	addq $8, %rdi
	jmp 1b
2:	call kernel_main
3:	hlt
	jmp 3b

/* What the entry stubs record for kernel_main (in .data: .bss is zeroed after them). */
	.data
	.balign 8
	.globl boot_entry_tsc, boot_loader_info, boot_protocol
boot_entry_tsc:   .quad 0
boot_loader_info: .quad 0
boot_protocol:    .long 0

/*
 * Boot page tables: PML4 slot 0 (identity, for the stubs), the slots of the
 * physical-memory alias areas 0-4 and 6 (include/mote/layout.h) and slot
 * 511 (the kernel at -2 GiB) all lead to the same four page directories,
 * which map physical 0..4 GiB with 2 MiB pages. The upper levels are
 * static; the directories are filled by the stubs (fill_boot_pd) and live
 * beside the stacks, outside the image and outside the .bss that
 * kernel_start64 zeroes while they are in use. arch_paging_init() adapts
 * them to the real machine.
 */
#define AREA_SLOT(k) (((MM_AREA_BASE + ((k) << MM_AREA_SHIFT)) >> 39) & 511)
#define LOW_PDPT (PHYS(boot_pdpt_low) + PTE_PRESENT + PTE_WRITE)

	.section .data.pagetables, "aw"
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad LOW_PDPT
	.fill AREA_SLOT(0) - 1, 8, 0
	.irp area, 0, 1, 2, 3, 4
	.quad LOW_PDPT
	.fill 31, 8, 0
	.endr
	.fill 32, 8, 0				/* area 5, the debug allocator: mapped on demand */
	.quad LOW_PDPT				/* area 6, the early allocator */
	.fill 31, 8, 0
	.fill 31, 8, 0				/* area 7 */
	.quad PHYS(boot_pdpt_kernel) + PTE_PRESENT + PTE_WRITE
boot_pdpt_low:
	.quad PHYS(boot_pd) + 0x0000 + PTE_PRESENT + PTE_WRITE
	.quad PHYS(boot_pd) + 0x1000 + PTE_PRESENT + PTE_WRITE
	.quad PHYS(boot_pd) + 0x2000 + PTE_PRESENT + PTE_WRITE
	.quad PHYS(boot_pd) + 0x3000 + PTE_PRESENT + PTE_WRITE
	.fill 508, 8, 0
boot_pdpt_kernel:
	.fill 510, 8, 0
	.quad PHYS(boot_pd) + 0x0000 + PTE_PRESENT + PTE_WRITE
	.quad PHYS(boot_pd) + 0x1000 + PTE_PRESENT + PTE_WRITE

	.section .bss.stacks, "aw", @nobits
	.balign 4096
boot_pd:
	.skip 2048 * 8
boot_stack:
	.skip 16384
boot_stack_top:

/* The PVH entry note: XEN_ELFNOTE_PHYS32_ENTRY (18), name "Xen", 8-byte address. */
	.section .note.mote.pvh, "a", @note
	.balign 4
	.long 4
	.long 8
	.long 18
	.asciz "Xen"
	.balign 4
	.quad pvh_entry
	.balign 4
