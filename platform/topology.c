/*
 * What the machine is made of, from whichever firmware table describes
 * it: ACPI first (q35, microvm with ACPI, cloud-hypervisor), then the MP
 * table (Firecracker, microvm without ACPI), then the PC defaults.
 */
#include <mote/platform.h>

void platform_cpus(struct cpu_list *cpus)
{
	if (acpi_cpus(cpus) || mptable_cpus(cpus))
		return;
	cpus->source = CPUS_DEFAULT;
	cpus->count = 1;
	cpus->apic_id[0] = 0;
}

void platform_irq_topology(struct irq_topology *t)
{
	*t = (struct irq_topology){ 0 };
	for (unsigned i = 0; i < 16; i++)
		t->isa_gsi[i] = i;
	if (acpi_irq_topology(t) || mptable_irq_topology(t))
		return;
	t->nr_ioapics = 1;
	t->ioapic[0].base = 0xfec00000;
}
