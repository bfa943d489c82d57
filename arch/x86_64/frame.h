/* The register frame every exception and interrupt stub builds (vectors.S). */
#ifndef ARCH_X86_64_FRAME_H
#define ARCH_X86_64_FRAME_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

_Static_assert(sizeof(struct trap_frame) == 176, "vectors.S copies 176 bytes");

#define RFLAGS_IF (1u << 9)

void trap_handle(struct trap_frame *f);

/* Entries from vectors.S for user mode (user.c), and the page-fault hook they share. */
void x86_syscall(struct trap_frame *f);
int x86_user_exit(struct trap_frame *f);
void user_trap(struct trap_frame *f);
void user_irq(struct trap_frame *f);
#include <mote/arch.h>
arch_fault_fn x86_page_fault_handler(void);
int irq_dispatch(struct trap_frame *f);

#endif
