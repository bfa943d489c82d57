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
int irq_dispatch(struct trap_frame *f);

#endif
