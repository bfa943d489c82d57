/*
 * The console: where kernel messages go. Today that is the 16550 UART at
 * the PC's first serial port (QEMU -serial, Firecracker's serial device).
 * Bytes are written unchanged: no "\n" to "\r\n" translation, since the
 * host side (mote run) passes them through byte for byte.
 */
#ifndef MOTE_CONSOLE_H
#define MOTE_CONSOLE_H

#include <stddef.h>

void console_write(const char *s, size_t n);

#endif
