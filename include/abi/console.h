/*
 * The framed console: how one serial line carries the kernel log, the
 * application's stdout and stderr, and its stdin, byte-exact.
 *
 * The kernel frames its serial output when the command line says
 * `console=framed` (`mote run` does when it runs a program); otherwise the
 * serial port is a plain console and every stream is written to it as is.
 *
 * A record is CONSOLE_MAGIC, a stream number, a 16-bit little-endian
 * length, then that many bytes. Guest to host: stream 0 is the kernel log,
 * 1 the application's stdout, 2 its stderr. Bytes the host finds outside a
 * record (firmware output before the kernel starts) belong to the log.
 * Host to guest: stream 0 is stdin; a record of length 0 ends it (EOF).
 * Records never exceed CONSOLE_RECORD_MAX payload bytes.
 *
 * Conventions on top (mote's, documented here so both sides agree):
 * - An empty record on the log stream (guest to host) is the fatal mark:
 *   what follows in the log is a fatal report (panic, CPU exception, boot
 *   failure, a fatal signal), which `mote run` shows on stderr even when
 *   the log is hidden, after the last lines of log before it.
 * - The host sends nothing until it has received one whole record: by
 *   then the kernel has set its UART up, so no input byte can be lost.
 * - The power-off line `mote: power off, status N` is on the log stream.
 * - An empty record on stream CONSOLE_MOVED (guest to host, on the serial
 *   line) says the guest's records go on through a virtio console from
 *   here: the host reads that channel from then on, so order is kept, and
 *   sends stdin there. It may come at any point of a run, or never: mote's
 *   kernel moves when the program first uses stdin or its output passes
 *   1 KiB, and before that its records travel on the serial line. The serial line still carries any record the guest
 *   cannot get through the virtio console (a device that failed, a fault
 *   inside its write), which the host takes in arrival order.
 * - A host that gave the guest a virtio console sends no stdin before it
 *   knows where: CONSOLE_MOVED, or an empty record on CONSOLE_STAYED (the
 *   guest could not use the device: stdin goes on the serial line), which
 *   the guest writes when its stdin is first used.
 */
#ifndef ABI_CONSOLE_H
#define ABI_CONSOLE_H

#define CONSOLE_MAGIC      0xf5
#define CONSOLE_HEADER     4
#define CONSOLE_RECORD_MAX 4096

enum console_stream {
	CONSOLE_LOG = 0,
	CONSOLE_STDOUT = 1,
	CONSOLE_STDERR = 2,
	CONSOLE_MOVED = 3,	/* guest to host, empty: the records continue on the virtio console */
	CONSOLE_STAYED = 4,	/* guest to host, empty: no virtio console, stdin on the serial line */
	CONSOLE_STDIN = 0,	/* host to guest */
};

#endif
