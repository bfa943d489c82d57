/*
 * Kernel messages and panics.
 *
 * printk() formats (lib/fmt.h conversions) to the console's log stream
 * through a 192-byte buffer on the stack and no allocation, so it works from
 * the first C instruction and inside a panic. Messages are lines ending in
 * "\n"; nothing adds prefixes.
 *
 * panic() is for broken kernel invariants only: anything an application or
 * a user can cause must be an error return instead. It prints the message
 * and a symbolized backtrace and powers the machine off with
 * MOTE_STATUS_KERNEL_FAILURE. A fault during a panic skips straight to the
 * power-off, so a panic can never loop. Every such report starts with the
 * console's fatal mark (console_fatal()), so `mote run` shows it.
 */
#ifndef MOTE_LOG_H
#define MOTE_LOG_H

#include <stdint.h>

/* Exit statuses the kernel itself produces (an app's own status passes through). */
#define MOTE_STATUS_OK               0
#define MOTE_STATUS_TESTS_FAILED     1
#define MOTE_STATUS_KERNEL_FAILURE   125

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "name+0xoff" for a kernel text address, or the bare address. */
void log_symbol(uint64_t pc);

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/*
 * For reports that print their own cause (CPU exceptions): panic_begin()
 * enters panic state (or powers off at once if already in it), then
 * panic_end_from() prints the backtrace from pc/fp and powers off.
 */
void panic_begin(void);
__attribute__((noreturn)) void panic_end_from(uint64_t pc, uint64_t fp);

/* Prints what the kernel knows of a faulting address (a debug allocator object, say). */
void panic_describe_address(uint64_t addr);

#endif
