/*
 * hello: the Linux guest's self-check program (bench/linux/test-guest.sh).
 * Prints a greeting, its arguments, and the guest's CLOCK_BOOTTIME on entry
 * (time since the kernel started keeping time, i.e. the boot to /init), then
 * ends the VM with status 0.
 */
#include <stdio.h>
#include <time.h>
#include "guest-exit.h"

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("hello from the linux guest:");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nguest: boottime_ms %.1f\n", ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
	guest_exit(0);
}
