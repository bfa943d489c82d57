/*
 * The end of the line for broken invariants and kernel faults (see
 * mote/log.h). One CPU for now; the state is a plain flag. With SMP it
 * becomes "first CPU to panic wins, the others stop".
 */
#include <lib/fmt.h>
#include <mote/arch.h>
#include <mote/log.h>
#include <mote/platform.h>

static int panic_depth;

void panic_begin(void)
{
	if (panic_depth++) {
		printk("\nmote: fault while handling a panic; stopping\n");
		platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
	}
}

static void print_frame(void *ctx, uint64_t pc)
{
	(void)ctx;
	printk("  ");
	log_symbol(pc);
	printk("\n");
}

void panic_end_from(uint64_t pc, uint64_t fp)
{
	printk("backtrace:\n");
	arch_backtrace_from(pc, fp, print_frame, 0);
	platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	panic_begin();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("mote: panic: %s\nbacktrace:\n", msg);
	arch_backtrace_here(print_frame, 0);
	platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
}
