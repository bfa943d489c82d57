/*
 * lwIP's compiler and platform port for mote (lwIP's arch/cc.h contract):
 * the kernel is freestanding, so the C-library pieces lwIP would include
 * (inttypes, unistd, ctype, stdio) are replaced by the definitions here,
 * and diagnostics and assertions go to the kernel log.
 */
#ifndef MOTE_LWIP_ARCH_CC_H
#define MOTE_LWIP_ARCH_CC_H

#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_UNISTD_H   1
#define LWIP_NO_CTYPE_H    1

#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

typedef long ssize_t;
#define SSIZE_MAX LONG_MAX

#define BYTE_ORDER LITTLE_ENDIAN

/* The kernel's own byte swaps (gcc builtins) instead of lwIP's C versions. */
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
uint32_t lwip_port_rand(void);
void *lwip_port_malloc(size_t size);
void *lwip_port_calloc(size_t n, size_t size);
void lwip_port_free(void *p);

#define LWIP_PLATFORM_DIAG(x)      do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)    lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND()                lwip_port_rand()

#endif
