/*
 * tsc-khz: the host's TSC rate in kHz, for Linux guests under TCG.
 *
 * Under TCG, QEMU's guest RDTSC reads the host TSC, so a guest that cannot
 * calibrate (Linux on microvm without ACPI has no PIT gate, HPET or PM timer)
 * is told the host's rate with tsc_early_khz=. It is measured here rather
 * than read from the kernel log ("tsc: Detected ... MHz"), which a
 * long-running host may have rotated away and which needs privileges: five
 * 20 ms windows of RDTSC against CLOCK_MONOTONIC_RAW (a clock the host's
 * NTP never slews), the median printed. On the development host this agrees
 * with the kernel's "Detected 2095.984 MHz" to about 1 ppm.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#define WINDOWS   5
#define WINDOW_NS 20000000.0

static double raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One window: TSC ticks per ms over at least WINDOW_NS of the raw clock. */
static double window_khz(void)
{
	double t0 = raw_ns(), t1;
	uint64_t c0 = __rdtsc();
	do
		t1 = raw_ns();
	while (t1 - t0 < WINDOW_NS);
	uint64_t c1 = __rdtsc();
	return (double)(c1 - c0) / (t1 - t0) * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	double khz[WINDOWS];
	for (int i = 0; i < WINDOWS; i++)
		khz[i] = window_khz();
	qsort(khz, WINDOWS, sizeof(khz[0]), cmp_double);
	printf("%.0f\n", khz[WINDOWS / 2]);
	return 0;
}
