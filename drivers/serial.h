/*
 * The 16550 UART on COM1, as drivers/console.c uses it (private to drivers/).
 *
 * serial_write() may be called from any context; the caller serialises
 * writers (the console's output lock), and also holds that lock around
 * serial_rx_setup(), whose divisor programming briefly turns the data
 * port into the divisor latch. The receive side belongs to the console's
 * stdin: serial_rx_byte() and serial_rx_irq() are called under its lock.
 */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Transmits n bytes, polling the transmitter between FIFO-sized bursts. */
void serial_write(const void *buf, size_t n);

/* Turns the 16-byte receive FIFO on (it comes out of reset off); discards what it held. */
void serial_fifo_enable(void);

/* 115200 baud (the FIFO's idle timeout is 4 character times), 8N1, OUT2 (the IRQ gate). */
void serial_rx_setup(void);

/* Raise (or stop raising) the receive interrupt; the caller routes the line (ISA IRQ 4). */
void serial_rx_irq(bool on);

/* The next received byte, or -1 when none is waiting. */
int serial_rx_byte(void);

#define SERIAL_ISA_IRQ 4

#endif
