/* printk: lib/fmt straight into the console, no buffer (see mote/log.h). */
#include <lib/fmt.h>
#include <mote/console.h>
#include <mote/ksyms.h>
#include <mote/log.h>

static void console_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(console_sink, 0, fmt, ap);
	va_end(ap);
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
