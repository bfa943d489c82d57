/*
 * tsc-khz: the host's TSC rate in kHz, for guests under TCG.
 *
 * Under TCG, QEMU's guest RDTSC reads the host TSC, so a guest that cannot
 * calibrate (Linux on microvm without ACPI has no PIT gate, HPET or PM timer)
 * is told the host's rate with tsc_early_khz=, and benchmarks tell mote the
 * same rate with tsc_khz=. It is measured rather than read from the kernel
 * log ("tsc: Detected ... MHz"), which a long-running host may have rotated
 * away and which needs privileges: the median of five 20 ms windows
 * (tools/mote/tsc.c, as `mote run` measures with shorter windows). On the
 * development host this agrees with the kernel's "Detected 2095.984 MHz" to
 * about 1 ppm.
 */
#include <stdio.h>

#include "../../tools/mote/mote.h"

int main(void)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		double khz = tsc_measure_khz(5, 20e6);

		if (khz > 0) {
			printf("%.0f\n", khz);
			return 0;
		}
	}
	fputs("tsc-khz: the host's TSC rate would not measure steadily\n", stderr);
	return 1;
}
