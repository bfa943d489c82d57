/*
 * guest-exit.h: how a benchmark program running as /init in the Linux guest
 * (bench/linux/run-guest.sh) ends the VM and hands back its exit status.
 *
 * microvm without ACPI cannot power off, and /init exiting only panics the
 * kernel, so the program writes its status to QEMU's isa-debug-exit device
 * (port 0xf4, `-device isa-debug-exit,iobase=0xf4,iosize=0x04`); QEMU exits
 * with (status << 1) | 1 and run-guest.sh maps that back to status.
 *
 * The same program also runs natively on the host: guest_exit() touches the
 * port only when the program is pid 1 and has BENCH_LINUX_GUEST=1 in its
 * environment (run-guest.sh puts it on the kernel command line, which hands
 * unknown name=value words to /init as environment), so pid 1 of a container
 * never writes to an I/O port; anywhere else it just exits. Output is flushed and drained from the serial line first, since
 * QEMU stops the moment the port is written.
 */
#ifndef BENCH_GUEST_EXIT_H
#define BENCH_GUEST_EXIT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <termios.h>
#include <unistd.h>

#define GUEST_EXIT_PORT 0xf4

static inline int guest_is_init(void)
{
	const char *mark = getenv("BENCH_LINUX_GUEST");
	return getpid() == 1 && mark && mark[0] == '1';
}

static inline _Noreturn void guest_exit(int status)
{
	fflush(NULL);
	if (guest_is_init()) {
		tcdrain(STDOUT_FILENO);	/* every byte out of the UART before QEMU stops */
		tcdrain(STDERR_FILENO);
		if (ioperm(GUEST_EXIT_PORT, 4, 1) == 0)
			outl((unsigned)status, GUEST_EXIT_PORT);
		/* Not reached under QEMU; on anything else, init exiting panics. */
	}
	exit(status);
}

#endif
