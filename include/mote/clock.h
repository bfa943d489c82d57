/*
 * Clocks. clock_monotonic_ns() counts nanoseconds since boot from the TSC
 * (scaled with a fixed-point multiplier, no division, no VM exit); it is
 * the time base of every timer and timeout. clock_realtime_ns() adds the
 * wall-clock time read once, on first use (kvmclock's wall clock when
 * offered, else the RTC). Both are callable from any context on any CPU.
 * Under KVM the rate, and without a stable TSC the reading itself, come
 * from kvmclock (kernel/clock.c says when which).
 */
#ifndef MOTE_CLOCK_H
#define MOTE_CLOCK_H

#include <stdint.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* Boot CPU, once, after time_cycles_khz() can answer. */
void clock_init(void);

/* Every other CPU, at start-up before it reads the clock (registers its kvmclock area). */
void clock_cpu_init(void);

/*
 * The TSC rate kvmclock gives, in kHz, or 0 without kvmclock (no KVM, TCG).
 * Boot CPU: the first call registers its kvmclock area. For time_cycles_khz().
 */
uint64_t clock_pvclock_khz(void);

uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);

/* The cycle-counter value at which clock_monotonic_ns() reaches ns (for timer hardware). */
uint64_t clock_ns_to_cycles(uint64_t ns);

/*
 * The vDSO's data page (struct vdso_data, include/abi/vdso.h), kept
 * current by the clock: page-aligned, one page, inside the kernel image
 * (so its frame is never freed). linux/vdso.c maps it into programs.
 */
const void *clock_vvar_page(void);

#endif
