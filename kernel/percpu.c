/*
 * The table of struct cpu (see mote/percpu.h). Static: MAX_CPUS entries
 * of a few dozen bytes cost less than allocating them, and the boot CPU
 * needs its entry before memory management is up.
 */
#include <mote/arch.h>
#include <mote/log.h>
#include <mote/percpu.h>
#include <mote/platform.h>

static struct cpu cpus[MAX_CPUS];
static unsigned nr_cpus = 1;

unsigned cpu_count(void)
{
	return nr_cpus;
}

struct cpu *cpu_get(unsigned id)
{
	return id < nr_cpus ? &cpus[id] : 0;
}

void percpu_install(struct cpu *c)
{
	c->self = c;
	arch_set_cpu_base(c);
}

void percpu_boot(void)
{
	cpus[0].id = 0;
	cpus[0].online = true;
	percpu_install(&cpus[0]);
}

void percpu_describe(const struct cpu_list *list)
{
	nr_cpus = list->count < MAX_CPUS ? list->count : MAX_CPUS;
	if (list->count > MAX_CPUS)
		printk("mote: the firmware lists %u CPUs; using the first %u\n", list->count,
		       MAX_CPUS);
	for (unsigned i = 0; i < nr_cpus; i++) {
		cpus[i].id = i;
		cpus[i].apic_id = list->apic_id[i];
	}
}
