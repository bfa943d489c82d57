/*
 * Clocks. clock_monotonic_ns() counts nanoseconds since boot from the TSC
 * (scaled with a fixed-point multiplier, no division, no VM exit); it is
 * the time base of every timer and timeout. clock_realtime_ns() adds the
 * wall-clock time read once at boot (RTC, or kvmclock's wall clock when
 * offered). Both are callable from any context on any CPU.
 */
#ifndef MOTE_CLOCK_H
#define MOTE_CLOCK_H

#include <stdint.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* Boot CPU, once, after time_cycles_khz() can answer. */
void clock_init(void);

uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);

/* The cycle-counter value at which clock_monotonic_ns() reaches ns (for timer hardware). */
uint64_t clock_ns_to_cycles(uint64_t ns);

#endif
