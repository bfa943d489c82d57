/*
 * The pieces of lwIP's system interface a NO_SYS build needs: the clock
 * (sys_now), memory (mem_clib_*), randomness for initial sequence numbers
 * and ports, diagnostics and assertions, and atoi for netif_find.
 */
#include <lib/fmt.h>
#include <lib/parse.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/random.h>
#include <lwip/arch.h>
#include <lwip/sys.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>

u32_t sys_now(void)
{
	return (u32_t)(clock_monotonic_ns() / 1000000);
}

void *lwip_port_malloc(size_t size)
{
	return mm_malloc(size);
}

void *lwip_port_calloc(size_t n, size_t size)
{
	return mm_calloc(n, size);
}

void lwip_port_free(void *p)
{
	mm_free(p);
}

uint32_t lwip_port_rand(void)
{
	uint32_t r;

	random_bytes(&r, sizeof(r));
	return r;
}

void lwip_port_diag(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("lwip: %s", buf);
}

/* An lwIP assertion is a broken invariant of the stack or of our use of it. */
void lwip_port_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* lwIP's netif_find reads an interface number with atoi: lib/parse underneath. */
int atoi(const char *s)
{
	const char *end;
	uint64_t n;

	return parse_u64(s, &end, &n) || n > INT_MAX ? 0 : (int)n;
}
