/*
 * The end of the line for broken invariants and kernel faults (see
 * mote/log.h). One CPU for now; the state is a plain flag. With SMP it
 * becomes "first CPU to panic wins, the others stop".
 */
#include <lib/fmt.h>
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/platform.h>
#include <mote/thread.h>

static int panic_depth;

void panic_begin(void)
{
	console_fatal();
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

/* Which thread was running, once there are threads. */
static void print_thread(void)
{
	struct thread *t = thread_self();

	if (t)
		printk("  in thread %lu '%s' on cpu %u\n", t->tid, t->name, cpu_self()->id);
}

void panic_end_from(uint64_t pc, uint64_t fp)
{
	print_thread();
	printk("backtrace:\n");
	arch_backtrace_from(pc, fp, print_frame, 0);
	platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
}

void panic_describe_address(uint64_t addr)
{
	static const char *const kinds[] = {
		[MM_DEBUG_LIVE] = "access inside", [MM_DEBUG_OVERFLOW] = "overflow past the end of",
		[MM_DEBUG_UNDERFLOW] = "underflow before", [MM_DEBUG_USE_AFTER_FREE] = "use after free of",
	};
	struct mm_debug_info d;

	if (thread_describe_address(addr) || !mm_debug_lookup(addr, &d))
		return;
	printk("  mm.debug: %s the %zu-byte object at %#lx (offset %ld)\n  allocated at ",
	       kinds[d.kind], d.size, d.object, d.offset);
	log_symbol(d.alloc_site);
	if (d.kind == MM_DEBUG_USE_AFTER_FREE) {
		printk("\n  freed at ");
		log_symbol(d.free_site);
	}
	printk("\n");
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	panic_begin();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("mote: panic: %s\n", msg);
	print_thread();
	printk("backtrace:\n");
	arch_backtrace_here(print_frame, 0);
	platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
}
