/*
 * platform/: what the machine is and how to talk to its firmware.
 *
 * Boot: each entry protocol has a converter that fills struct boot_info
 * (include/abi/boot_info.h) from the loader's structures, reading physical
 * memory only through a struct phys_reader so the converters run unchanged
 * in host unit tests. boot_info_check() then validates and normalizes the
 * result; after it, the memory map is sorted and free of overlaps, and the
 * kernel image and every module lie in usable RAM. All of these return 0
 * or a negative errno with a sentence in struct boot_error: boot input is
 * untrusted, so nothing here panics.
 *
 * Firmware tables (ACPI, MP table), the CPU list, power-off and the
 * virtio-mmio devices named on the command line live here too.
 */
#ifndef MOTE_PLATFORM_H
#define MOTE_PLATFORM_H

#include <abi/boot_info.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phys_reader {
	/* Copies len bytes at physical address pa into dst; 0 or -EFAULT. */
	int (*read)(void *ctx, uint64_t pa, void *dst, size_t len);
	void *ctx;
};

struct boot_error {
	char message[160];
};

int boot_info_from_pvh(struct boot_info *bi, uint64_t start_info_pa,
		       const struct phys_reader *rd, struct boot_error *err);
int boot_info_from_linux(struct boot_info *bi, uint64_t boot_params_pa,
			 const struct phys_reader *rd, struct boot_error *err);

/* Validates and normalizes bi; [kernel_start, kernel_end) is the image's physical range. */
int boot_info_check(struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end,
		    struct boot_error *err);

const char *boot_mem_type_name(uint32_t type);

/* The boot module format check (include/abi/bundle.h); 0 or -EINVAL with a reason. */
int bundle_check(const void *data, uint64_t size, struct boot_error *err);

/* --- virtio-mmio devices from `virtio_mmio.device=<size>@<base>:<irq>[:<id>]` --- */

#define PLATFORM_MAX_MMIO_DEVICES 32

struct mmio_device {
	uint64_t base, size;
	uint32_t irq;
	uint32_t id;		/* the Linux platform device id when given, else index */
};

int mmio_device_parse(const char *spec, struct mmio_device *dev);
int platform_record_mmio_device(const char *spec, struct boot_error *err);
unsigned platform_mmio_devices(const struct mmio_device **list);

/* --- firmware tables and CPUs --- */

#define PLATFORM_MAX_CPUS 256

enum cpu_source { CPUS_DEFAULT, CPUS_FROM_ACPI, CPUS_FROM_MPTABLE };

struct cpu_list {
	enum cpu_source source;
	unsigned count;
	uint32_t apic_id[PLATFORM_MAX_CPUS];
};

/* Finds the ACPI tables (RSDP from boot_info or the BIOS areas); false if none usable. */
bool acpi_init(const struct boot_info *bi);
bool acpi_cpus(struct cpu_list *cpus);
bool acpi_power_off(void);
bool mptable_cpus(struct cpu_list *cpus);

/* CPUs from ACPI, else the MP table, else the boot CPU alone. */
void platform_cpus(struct cpu_list *cpus);

/* Interrupt controllers: the IOAPICs and how ISA lines map onto their inputs. */
#define PLATFORM_MAX_IOAPICS 4

struct irq_topology {
	unsigned nr_ioapics;
	struct {
		uint64_t base;		/* physical address of its registers */
		uint32_t gsi_base;	/* first global system interrupt it serves */
	} ioapic[PLATFORM_MAX_IOAPICS];
	uint32_t isa_gsi[16];		/* ISA line -> GSI (identity unless overridden) */
	uint16_t isa_flags[16];		/* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
};

bool acpi_irq_topology(struct irq_topology *t);
bool mptable_irq_topology(struct irq_topology *t);

/* From ACPI, else the MP table, else the PC default (one IOAPIC at 0xfec00000). */
void platform_irq_topology(struct irq_topology *t);

/*
 * Ends the VM with status: prints "mote: power off, status N" (the line
 * mote run reads), then tries isa-debug-exit (carries the status under
 * QEMU), ACPI S5, the i8042 reset line (Firecracker's way out) and finally
 * a triple fault. Never returns.
 */
__attribute__((noreturn)) void platform_power_off(int status);

#endif
