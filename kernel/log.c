/*
 * printk: lib/fmt into a small buffer on the stack, flushed to the console
 * when full and at the end (see mote/log.h). One call is then usually one
 * console record: whole lines from different CPUs do not interleave, and
 * a framed console pays its 4-byte header once per message, not once per
 * conversion.
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/console.h>
#include <mote/ksyms.h>
#include <mote/log.h>

#define PRINTK_BUF 192

struct printk_buf {
	size_t len;
	char buf[PRINTK_BUF];
};

static void flush(struct printk_buf *b)
{
	if (b->len)
		console_write(b->buf, b->len);
	b->len = 0;
}

static void console_sink(void *ctx, const char *s, size_t n)
{
	struct printk_buf *b = ctx;

	while (n) {
		size_t room = sizeof(b->buf) - b->len, take = n < room ? n : room;

		memcpy(b->buf + b->len, s, take);
		b->len += take;
		s += take;
		n -= take;
		if (b->len == sizeof(b->buf))
			flush(b);
	}
}

void printk(const char *fmt, ...)
{
	struct printk_buf b;
	va_list ap;

	b.len = 0;
	va_start(ap, fmt);
	fmt_vformat(console_sink, &b, fmt, ap);
	va_end(ap);
	flush(&b);
}

void log_symbol(uint64_t pc)
{
	uint64_t off;
	const char *name = ksym_lookup(pc, &off);

	if (name)
		printk("0x%016lx %s+%#lx", pc, name, off);
	else
		printk("0x%016lx", pc);
}
