/*
 * Time, as far as boot needs it: the cycle counter and its rate. The rate
 * comes from `tsc_khz=` on the command line (a host that knows it can say
 * so), else kvmclock's multiplier under KVM, else what the CPU claims
 * (CPUID), else a calibration against the PIT, done once on first use. Threads and timers build on this later.
 */
#ifndef MOTE_TIME_H
#define MOTE_TIME_H

#include <stdint.h>

/* Sets the rate from the command line value; call before anything asks for it. */
void time_set_cycles_khz(uint64_t khz);

/* The cycle counter's rate in kHz, 0 if it cannot be determined. */
uint64_t time_cycles_khz(void);

/* Cycles to microseconds (0 if the rate is unknown). */
uint64_t time_cycles_to_us(uint64_t cycles);

#endif
