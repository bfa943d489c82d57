/*
 * The CPU interface portable code may use. arch/<isa>/ implements it; no
 * other directory names an instruction set. Everything here is callable
 * with interrupts off and before memory management exists.
 */
#ifndef MOTE_ARCH_H
#define MOTE_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Installs this CPU's descriptor tables and exception handlers. Boot CPU, once. */
void arch_cpu_init(void);

/* A free-running cycle counter (the TSC on x86), and the CPU's claimed rate (0: unknown). */
uint64_t arch_cycles(void);
uint64_t arch_cycles_khz_from_cpu(void);

/* The platform's legacy I/O ports (the 16550, debug-exit and ACPI registers use them). */
void arch_pio_write8(uint16_t port, uint8_t v);
void arch_pio_write16(uint16_t port, uint16_t v);
void arch_pio_write32(uint16_t port, uint32_t v);
uint8_t arch_pio_read8(uint16_t port);

/* Stops this CPU for good: interrupts off, halt forever. */
__attribute__((noreturn)) void arch_halt_forever(void);

/* Resets the machine by making the CPU fault with no handlers (a triple fault). */
__attribute__((noreturn)) void arch_triple_fault(void);

/* Calls fn for each return address on the current kernel stack, innermost first. */
typedef void (*arch_frame_fn)(void *ctx, uint64_t pc);
void arch_backtrace_from(uint64_t pc, uint64_t fp, arch_frame_fn fn, void *ctx);
void arch_backtrace_here(arch_frame_fn fn, void *ctx);

/* Provokes a CPU exception on purpose (for the crash tests): "ud", "pf", "gp", "de", "bp". */
int arch_provoke_fault(const char *kind);

#endif
