/* The in-kernel benchmark runner (see mote/kbench.h). */
#include <lib/string.h>
#include <mote/kbench.h>
#include <mote/log.h>

extern const struct kbench __kbench_start[], __kbench_end[];

int kbench_run(const char *name)
{
	for (const struct kbench *b = __kbench_start; b < __kbench_end; b++)
		if (!strcmp(b->name, name))
			return b->fn();
	printk("kbench: no benchmark called '%s'\n", name);
	return -1;
}
