/* The self-test runner (see mote/ktest.h). */
#include <lib/string.h>
#include <mote/irq.h>
#include <mote/ktest.h>
#include <mote/log.h>

struct ktest_ctx {
	const struct ktest *test;
	bool failed;
};

extern const struct ktest __ktests_start[], __ktests_end[];

bool ktest_check(struct ktest_ctx *kt, bool ok, const char *expr, const char *file, int line)
{
	if (!ok && !kt->failed) {
		printk("ktest: FAIL %s: %s:%d: %s\n", kt->test->name, file, line, expr);
		kt->failed = true;
	} else if (!ok) {
		printk("ktest:   also %s:%d: %s\n", file, line, expr);
	}
	return ok;
}

unsigned ktest_run(const char *prefix)
{
	unsigned passed = 0, failed = 0;

	if (&__ktests_start[0] == &__ktests_end[0]) {
		/* Asking the shipped kernel for its tests is a mistake: say so, and fail. */
		printk("ktest: this kernel has no self-tests; they are in kernel-test.elf "
		       "(mote run --kernel build/kernel-test.elf, or MOTE_KERNEL)\n");
		return 1;
	}
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		struct ktest_ctx kt = { .test = t };

		bool irqs_on = irq_enabled();

		if (strncmp(t->name, prefix, strlen(prefix)))
			continue;
		t->fn(&kt);
		/* Tests that wait in arch_idle() come back with interrupts off. */
		if (irqs_on && !irq_enabled())
			irq_enable();
		if (kt.failed) {
			failed++;
		} else {
			passed++;
			printk("ktest: PASS %s\n", t->name);
		}
	}
	printk("ktest: %u passed, %u failed\n", passed, failed);
	return failed;
}
