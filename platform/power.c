/*
 * Leaving the VM. Each way out is tried in turn, and each is harmless
 * where it does not exist: a write to an unclaimed I/O port is ignored, an
 * absent ACPI is skipped. Under QEMU isa-debug-exit ends the process with
 * the status; ACPI S5 serves hypervisors with ACPI but no debug port; the
 * i8042 reset pulse is Firecracker's (it stops the VM on it); the triple
 * fault ends anything run with QEMU's -no-reboot. A hypervisor acts on a
 * request a little after the write, so each step waits before the next.
 */
#include <mote/arch.h>
#include <mote/console.h>
#include <mote/log.h>
#include <mote/platform.h>
#include <mote/time.h>

#define DEBUG_EXIT_PORT 0xf4
#define I8042_COMMAND   0x64
#define I8042_RESET     0xfe
#define SETTLE_MS       50

static void settle(void)
{
	uint64_t khz = time_cycles_khz();
	uint64_t start = arch_cycles(), wait = (khz ? khz : 3000000) * SETTLE_MS;

	while (arch_cycles() - start < wait)
		;
}

void platform_power_off(int status)
{
	printk("mote: power off, status %d\n", status);
	console_flush();
	arch_pio_write32(DEBUG_EXIT_PORT, (uint32_t)status);
	if (acpi_power_off()) {
		settle();
		printk("mote: ACPI S5 did not power off; trying a reset\n");
	}
	arch_pio_write8(I8042_COMMAND, I8042_RESET);
	settle();
	printk("mote: i8042 reset did not take; forcing a triple fault\n");
	arch_triple_fault();
}
