/*
 * Starting application processors with INIT and STARTUP IPIs (Intel SDM
 * vol. 3, "MP initialization"). The trampoline (trampoline.S) lives in
 * the reserved low pages: code and parameters at AP_TRAMPOLINE_PHYS, then
 * a PML4, a PDPT and a page directory that map the first 2 MiB 1:1 beside
 * the kernel's own upper-half entries, because an AP turns paging on while
 * still executing from low memory.
 *
 * Virtual machines do not need the 10 ms INIT delay real hardware does;
 * a short pause is kept. A CPU that has not reached kernel code after two
 * STARTUP IPIs and a generous wait is reported and left out.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/layout.h>
#include "apic.h"
#include "x86.h"

struct trampoline_params {
	uint32_t cr0, cr4, cr3, efer;
	uint64_t stack, entry;
};

extern const char trampoline_start[], trampoline_end[], trampoline_params[];
extern uint64_t boot_pml4[512];

void ap_start(void);

#define TRAMP_PML4 (AP_TRAMPOLINE_PHYS + 1 * PAGE_SIZE)
#define TRAMP_PDPT (AP_TRAMPOLINE_PHYS + 2 * PAGE_SIZE)
#define TRAMP_PD   (AP_TRAMPOLINE_PHYS + 3 * PAGE_SIZE)
#define START_WAIT_NS (200 * NSEC_PER_MSEC)

static void (*volatile ap_entry)(void *);
static void *volatile ap_arg;
static volatile bool ap_running;

/* Where every AP lands from the trampoline, already in the upper half. */
void ap_start(void)
{
	void (*entry)(void *) = ap_entry;
	void *arg = ap_arg;

	asm volatile("mov %0, %%cr3" : : "r"(kernel_virt_to_phys(boot_pml4)) : "memory");
	__atomic_store_n(&ap_running, true, __ATOMIC_RELEASE);
	entry(arg);
	arch_halt_forever();
}

static void install_trampoline(void *stack_top)
{
	uint64_t *pml4 = phys_to_virt(TRAMP_PML4), *pdpt = phys_to_virt(TRAMP_PDPT);
	uint64_t *pd = phys_to_virt(TRAMP_PD);
	struct trampoline_params *p;
	uint64_t cr0, cr4;

	memcpy(phys_to_virt(AP_TRAMPOLINE_PHYS), trampoline_start,
	       trampoline_end - trampoline_start);
	memcpy(pml4 + 256, boot_pml4 + 256, 256 * sizeof(uint64_t));
	memset(pml4, 0, 256 * sizeof(uint64_t));
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	pml4[0] = TRAMP_PDPT | 3;
	pdpt[0] = TRAMP_PD | 3;
	pd[0] = 0 | 3 | 0x80;	/* 2 MiB, writable, executable */

	p = phys_to_virt(AP_TRAMPOLINE_PHYS + (trampoline_params - trampoline_start));
	asm volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	*p = (struct trampoline_params){
		.cr0 = (uint32_t)cr0, .cr4 = (uint32_t)cr4, .cr3 = TRAMP_PML4,
		.efer = (uint32_t)rdmsr(MSR_EFER), .stack = (uint64_t)stack_top,
		.entry = (uint64_t)ap_start,
	};
}

static bool wait_running(uint64_t ns)
{
	uint64_t end = clock_monotonic_ns() + ns;

	while (clock_monotonic_ns() < end)
		if (__atomic_load_n(&ap_running, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

int arch_start_cpu(uint32_t apic_id, void (*entry)(void *), void *arg, void *stack_top)
{
	ap_entry = entry;
	ap_arg = arg;
	ap_running = false;
	install_trampoline(stack_top);
	lapic_send_init(apic_id);
	wait_running(100 * NSEC_PER_USEC);
	for (int attempt = 0; attempt < 2; attempt++) {
		lapic_send_startup(apic_id, AP_TRAMPOLINE_PHYS >> 12);
		if (wait_running(START_WAIT_NS))
			return 0;
	}
	return -ETIMEDOUT;
}
