/*
 * lwIP's system interface on the host, for the fuzz-net target (see
 * host.h): a fake clock, the C library's allocator (so that AddressSanitizer
 * and LeakSanitizer see every pbuf and pcb), a seeded xorshift for
 * LWIP_RAND, and assertions that abort.
 */
#include "host.h"
#include <lwip/arch.h>
#include <lwip/sys.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t clock_ms = 1000;
static uint32_t rand_state = 1;

void host_clock_advance(uint32_t ms)
{
	clock_ms += ms;
}

u32_t sys_now(void)
{
	return clock_ms;
}

void host_rand_seed(uint32_t seed)
{
	rand_state = seed ? seed : 1;
}

uint32_t lwip_port_rand(void)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 17;
	rand_state ^= rand_state << 5;
	return rand_state;
}

void *lwip_port_malloc(size_t size)
{
	return malloc(size);
}

void *lwip_port_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void lwip_port_free(void *p)
{
	free(p);
}

/* Diagnostics are off (LWIP_DEBUG 0); what little remains would only slow the fuzzer. */
void lwip_port_diag(const char *fmt, ...)
{
	(void)fmt;
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	abort();
}
