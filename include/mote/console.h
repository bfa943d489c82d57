/*
 * The console: the serial line between the VM and `mote run`, carrying
 * the kernel log, the application's stdout and stderr, and its stdin; a
 * framed console's output moves to a virtio console when there is one and
 * the program's stdin or output volume calls for it (console_offer_output()
 * below).
 *
 * Plain or framed. By default every stream is written to the 16550 as is
 * (a person or a test reads one mixed text). With `console=framed` on the
 * command line (what `mote run PROGRAM` passes) each write becomes records
 * of include/abi/console.h, so the host can give stdout, stderr and the
 * log each their own place byte for byte, and stdin arrives framed too,
 * with an end (a record of length 0). Until the command line has been read
 * the console is plain; the host takes unframed bytes as log.
 *
 * Output is synchronous and polled: a write returns when its bytes are in
 * the UART (or handed to the virtio console, see console_set_output()).
 * One record is written under the console's output lock, so a record is
 * never interleaved with another CPU's (printk also buffers a
 * call into one record where it fits). The lock is taken with interrupts
 * off; a CPU that faults while holding it (a panic inside a write) finishes
 * the broken record with filler and writes on, so a panic is never lost.
 *
 * Input costs nothing at boot: the UART's receive interrupt, its ISA IRQ 4
 * route through the IOAPIC and a 64 KiB ring are set up by the first
 * console_stdin_* call (each UART register access is a VM exit). When the
 * ring is full the receive interrupt is masked, so QEMU stops taking input
 * from the host (it only moves bytes into a UART with room: nothing is
 * lost) until a reader drains it. Without an IOAPIC to route the line the
 * reader polls the UART every 10 ms instead (the kernel says so once).
 *
 * The fatal mark: console_fatal() tells the host that what follows in the
 * log is a fatal report (framed: an empty log record, see
 * include/abi/console.h), so `mote run` shows it even when the log is
 * otherwise hidden. panic(), CPU exception reports and boot failures call
 * it; so must any other report that ends the VM (a fatal signal).
 *
 * Context: output may be written from any context, before console_init()
 * too, except console_app_write(), which may set a device up. The first
 * console_stdin_* call sets input up (it allocates and takes a mutex) and
 * must come from thread context, as must console_stdin_read() without
 * nonblock, which sleeps (interrupts on, no spinlock held), and
 * console_stdin_set_notify(); after that, poll and nonblocking reads work
 * in any context.
 */
#ifndef MOTE_CONSOLE_H
#define MOTE_CONSOLE_H

#include <abi/console.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `console=VALUE` from the command line (NULL: none): "framed" frames, anything else is plain. */
void console_init(const char *mode);

/* Whether output is framed. */
bool console_framed(void);

/* The kernel log (printk's sink). */
void console_write(const char *s, size_t n);

/* Writes to one stream: CONSOLE_STDOUT or CONSOLE_STDERR for the app, CONSOLE_LOG for the kernel. */
void console_stream_write(enum console_stream s, const void *buf, size_t len);

/*
 * The application's output (thread context: it may sleep). As
 * console_stream_write(), but the write that takes the application's
 * output past 1 KiB first sets up the device console_offer_output() holds.
 */
void console_app_write(enum console_stream s, const void *buf, size_t len);

/* Marks the start of a fatal report in the log (framed only; plain output needs no mark). */
void console_fatal(void);

/*
 * A faster way out than the UART, for the framed console: the virtio
 * console (drivers/virtio_console.c), where a record costs one doorbell
 * instead of a port write per byte. write() sends one record (header and
 * payload, hlen + n bytes) whole and in order, with the output lock held
 * and interrupts off; it returns false if it could not (the device
 * failed), and the record goes to the UART instead. flush() returns when
 * everything written has left the guest. console_set_output() is a no-op
 * on a plain console (its host reads the UART alone) and returns whether
 * the output moved: the host is told on the UART (CONSOLE_MOVED) first.
 */
struct console_output {
	bool (*write)(const void *hdr, size_t hlen, const void *p, size_t n);
	void (*flush)(void);
	/*
	 * Input too, when set: copies up to max bytes of the host's stdin
	 * records the device has received into buf and returns the count, 0
	 * if it has none (interrupts off, any context). The host
	 * sends stdin there once it has seen the move, and the device calls
	 * console_input_arrived() when more has come. A framed console whose
	 * input did not move says so on the UART (CONSOLE_STAYED) when stdin
	 * is first used, for a host waiting to learn where to send it.
	 */
	size_t (*pull)(uint8_t *buf, size_t max);
};
bool console_set_output(const struct console_output *o);

/*
 * Offers a device for console_set_output() without setting it up yet:
 * the virtio console's setup (buffers, queues, a control message) costs
 * a few milliseconds, more than a program writing a few lines spends on
 * the UART. attach() runs once, in thread context, when stdin is first
 * used or the application's output passes 1 KiB (console_app_write());
 * it sets the device up and calls console_set_output(), or leaves the
 * console on the UART. A plain console declines (false): its host reads
 * the UART alone.
 */
bool console_offer_output(void (*attach)(void));

/* The moved console's device received input (interrupt context). */
void console_input_arrived(void);

/* Waits until all output has left the guest (before powering off). */
void console_flush(void);

/*
 * Reads up to len bytes of stdin: the count (> 0), 0 at the end of input
 * (framed: the host's EOF record; plain input never ends), -EAGAIN when
 * nonblock and nothing is there, -EINTR if the thread is interrupted
 * (thread_interrupt()) while waiting. Concurrent readers each get whole
 * chunks of the stream, in order.
 */
long console_stdin_read(void *buf, size_t len, bool nonblock);

/* Nonzero when console_stdin_read() would not block (data or the end is there). */
unsigned console_stdin_poll(void);

/*
 * fn is called (from interrupt context, no lock held, so it may wake
 * threads) whenever data or the end of input arrives. One hook; NULL
 * removes it. For the poll layer.
 */
void console_stdin_set_notify(void (*fn)(void));

/*
 * The `console.selftest[=STATUS]` application (kernel/main.c runs it in
 * place of the app): writes the 256 byte values 17 times to stdout (4352
 * bytes: two records, 0xf5 inside), once to stderr, then copies stdin to
 * stdout until its end (framed only: plain input has no end) and returns
 * STATUS (default 0) as the exit status. tests/cli checks it byte for byte.
 */
int console_selftest(const char *status);

#endif
