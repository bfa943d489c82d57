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
 * never slews); the median of the windows is the rate. A window whose ends
 * were split by a preemption (between a clock read and its RDTSC) is off,
 * which on a shared host happens to one window in a few: the answer stands
 * if more than half the windows agree with the median to 0.1%, and there is
 * none rather than a wrong one otherwise.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "mote.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double tsc_agreed_khz(double *khz, unsigned n)
{
	double median;
	unsigned agree = 0;

	if (n == 0)
		return 0;
	qsort(khz, n, sizeof(khz[0]), cmp_double);
	median = khz[n / 2];
	if (median <= 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		double off = khz[i] > median ? khz[i] - median : median - khz[i];

		agree += off / median <= 0.001;
	}
	return 2 * agree > n ? median : 0;
}

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

double tsc_measure_khz(unsigned windows, double window_ns)
{
	double khz[TSC_MAX_WINDOWS];

	if (windows == 0 || windows > TSC_MAX_WINDOWS)
		return 0;
	for (unsigned i = 0; i < windows; i++)
		khz[i] = window_khz(window_ns);
	return tsc_agreed_khz(khz, windows);
}
#else
double tsc_measure_khz(unsigned windows, double window_ns)
{
	(void)windows;
	(void)window_ns;
	return 0;	/* no TSC on this host */
}
#endif
