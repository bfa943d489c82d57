/*
 * Constants the entry assembly shares with C (checked by _Static_assert in
 * user.c): offsets into struct cpu and the user-mode segment selectors.
 */
#ifndef ARCH_X86_64_ASM_OFFSETS_H
#define ARCH_X86_64_ASM_OFFSETS_H

#define CPU_KSTACK_TOP  8	/* struct cpu.kstack_top */
#define CPU_SCRATCH     16	/* struct cpu.entry_scratch */

/* GDT: 1 kernel code, 2 kernel data, 3 user code32, 4 user data, 5 user code. */
#define KERNEL_CS       0x08
#define KERNEL_DS       0x10
#define USER_DS         0x23
#define USER_CS         0x2b

#define SYSCALL_VECTOR  0x100	/* trap_frame.vector of a system call */

#endif
