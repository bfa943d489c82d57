/*
 * Leaving the VM. Each way out is tried in turn, and each is harmless
 * where it does not exist: a write to an unclaimed I/O port is ignored, an
 * absent ACPI is skipped. Under QEMU isa-debug-exit ends the process with
 * the status; ACPI S5 serves hypervisors with ACPI but no debug port; the
 * i8042 reset pulse is Firecracker's (it stops the VM on it); the triple
 * fault ends anything run with QEMU's -no-reboot.
 */
#include <mote/arch.h>
#include <mote/log.h>
#include <mote/platform.h>

#define DEBUG_EXIT_PORT 0xf4
#define I8042_COMMAND   0x64
#define I8042_RESET     0xfe

void platform_power_off(int status)
{
	printk("mote: power off, status %d\n", status);
	arch_pio_write32(DEBUG_EXIT_PORT, (uint32_t)status);
	acpi_power_off();
	arch_pio_write8(I8042_COMMAND, I8042_RESET);
	arch_triple_fault();
}

void platform_cpus(struct cpu_list *cpus)
{
	if (acpi_cpus(cpus) || mptable_cpus(cpus))
		return;
	cpus->source = CPUS_DEFAULT;
	cpus->count = 1;
	cpus->apic_id[0] = 0;
}
