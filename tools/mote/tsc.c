/*
 * The host's TSC rate, measured.
 *
 * Under TCG, QEMU's guest RDTSC reads the host's TSC, so a guest's cycle
 * counter runs at the host's rate. `mote run` hands that rate to the kernel
 * (tsc_khz=, see cache.c for when) because the kernel's own fallback, half
 * a millisecond or more of PIT polling, is boot time under TCG and can be
 * disturbed by the host. bench/linux/tsc-khz prints the same measurement
 * for Linux guests.
 *
 * Each window counts TSC ticks against CLOCK_MONOTONIC_RAW (a clock NTP
 * never slews); the median of the windows is the rate, and windows that
 * disagree by more than 0.1% (the host preempted us mid-window) give no
 * answer rather than a wrong one.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "mote.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>

static double raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* TSC ticks per millisecond over at least window_ns of the raw clock. */
static double window_khz(double window_ns)
{
	double t0 = raw_ns(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do
		t1 = raw_ns();
	while (t1 - t0 < window_ns);
	c1 = __rdtsc();
	return (double)(c1 - c0) / (t1 - t0) * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double tsc_measure_khz(unsigned windows, double window_ns)
{
	double khz[TSC_MAX_WINDOWS];

	if (windows == 0 || windows > TSC_MAX_WINDOWS)
		return 0;
	for (unsigned i = 0; i < windows; i++)
		khz[i] = window_khz(window_ns);
	qsort(khz, windows, sizeof(khz[0]), cmp_double);
	if (khz[0] <= 0 || (khz[windows - 1] - khz[0]) / khz[0] > 0.001)
		return 0;
	return khz[windows / 2];
}
#else
double tsc_measure_khz(unsigned windows, double window_ns)
{
	(void)windows;
	(void)window_ns;
	return 0;	/* no TSC on this host */
}
#endif
