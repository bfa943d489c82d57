/*
 * lib/fmt: printf-style formatting without libc.
 *
 * One formatter, fmt_vformat(), writes through a sink callback so the
 * console can stream without a buffer and snprintf can fill one. It knows
 * the conversions the kernel uses: %d %i %u %x %X %o %c %s %p %%, the
 * flags '-', '0', '+', ' ', '#', a width and a precision (either may be
 * '*'), and the length modifiers hh h l ll z t j. Unknown conversions are
 * printed literally so a mistake shows up instead of eating arguments.
 * %s of NULL prints "(null)". Host code and the kernel share it, and the
 * host unit tests compare it with glibc's printf.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);

/* Formats into the sink; returns the number of bytes produced. */
size_t fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap);

/*
 * Like C's vsnprintf: writes at most size bytes including the NUL (nothing
 * when size is 0) and returns the length the whole output would have.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
