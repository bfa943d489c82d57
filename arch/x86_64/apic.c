/*
 * Local APIC and IOAPIC drivers (see apic.h).
 *
 * The local timer prefers TSC-deadline mode (KVM offers it): the deadline
 * is written as a TSC value, no conversion, no calibration. Without it
 * (QEMU TCG) the timer counts down at the APIC bus rate, which is measured
 * once against the TSC, on first use rather than at boot.
 */
#include <lib/errno.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/log.h>
#include <mote/platform.h>
#include <mote/time.h>
#include "apic.h"
#include "x86.h"

#define MSR_APIC_BASE      0x1b
#define MSR_TSC_DEADLINE   0x6e0
#define MSR_X2APIC         0x800
#define APIC_BASE_ENABLE   (1u << 11)
#define APIC_BASE_X2APIC   (1u << 10)

#define LAPIC_ID           0x020
#define LAPIC_TPR          0x080
#define LAPIC_EOI          0x0b0
#define LAPIC_SVR          0x0f0
#define LAPIC_ICR_LOW      0x300
#define LAPIC_ICR_HIGH     0x310
#define LAPIC_LVT_TIMER    0x320
#define LAPIC_LVT_LINT0    0x350
#define LAPIC_LVT_LINT1    0x360
#define LAPIC_LVT_ERROR    0x370
#define LAPIC_TIMER_INIT   0x380
#define LAPIC_TIMER_CUR    0x390
#define LAPIC_TIMER_DIV    0x3e0

#define LVT_MASKED         (1u << 16)
#define LVT_TSC_DEADLINE   (2u << 17)
#define ICR_INIT           (5u << 8)
#define ICR_STARTUP        (6u << 8)
#define ICR_ASSERT         (1u << 14)
#define ICR_PENDING        (1u << 12)

#define IOAPIC_REGSEL      0x00
#define IOAPIC_WINDOW      0x10
#define IOAPIC_VERSION     0x01
#define IOAPIC_REDIR(n)    (0x10 + 2 * (n))
#define REDIR_MASKED       (1u << 16)

static bool x2apic, tsc_deadline;
static volatile uint32_t *xapic;
static uint64_t apic_khz;		/* timer count rate without TSC-deadline */

static struct {
	volatile uint32_t *regs;
	uint32_t gsi_base, inputs;
} ioapics[PLATFORM_MAX_IOAPICS];
static struct irq_topology topology;

static uint32_t lapic_read(unsigned reg)
{
	return x2apic ? (uint32_t)rdmsr(MSR_X2APIC + (reg >> 4)) : xapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC + (reg >> 4), v);
	else
		xapic[reg / 4] = v;
}

void lapic_cpu_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	struct cpuid id = cpuid(1, 0);

	x2apic = id.ecx & (1u << 21);
	tsc_deadline = id.ecx & (1u << 24);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | (x2apic ? APIC_BASE_X2APIC : 0));
	if (!x2apic && !xapic)
		xapic = arch_map_device(base & 0x000ffffffffff000ULL, 4096);
	if (!x2apic && !xapic)
		panic("cannot map the local APIC");
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_SVR, 0x100 | IRQ_VECTOR_SPURIOUS);
}

uint32_t lapic_id(void)
{
	return x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void lapic_icr(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		wrmsr(MSR_X2APIC + (LAPIC_ICR_LOW >> 4), (uint64_t)apic_id << 32 | low);
		return;
	}
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, low);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		;
}

void lapic_send_ipi(uint32_t apic_id, unsigned vector)
{
	lapic_icr(apic_id, vector);
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_icr(apic_id, ICR_INIT | ICR_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, unsigned page)
{
	lapic_icr(apic_id, ICR_STARTUP | (page & 0xff));
}

/* The count-down rate, measured over 100 microseconds of TSC, once. */
static uint64_t apic_timer_khz(void)
{
	uint64_t khz = time_cycles_khz(), start, wait = khz / 10;
	uint32_t counted;

	if (apic_khz || !khz)
		return apic_khz;
	lapic_write(LAPIC_TIMER_DIV, 0xb);	/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	start = rdtsc();
	while (rdtsc() - start < wait)
		;
	counted = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
	apic_khz = (uint64_t)counted * khz / (rdtsc() - start);
	return apic_khz ? apic_khz : 1;
}

void lapic_timer_arm(uint64_t deadline_tsc, unsigned vector)
{
	uint64_t now, khz, count;

	if (tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, vector | LVT_TSC_DEADLINE);
		wrmsr(MSR_TSC_DEADLINE, deadline_tsc ? deadline_tsc : 1);
		return;
	}
	khz = apic_timer_khz();
	now = rdtsc();
	/* Round the count up: a timer may fire late, never early. */
	count = deadline_tsc > now ? ((deadline_tsc - now) * khz + time_cycles_khz() - 1) /
					     time_cycles_khz() : 1;
	lapic_write(LAPIC_TIMER_DIV, 0xb);
	lapic_write(LAPIC_LVT_TIMER, vector);
	lapic_write(LAPIC_TIMER_INIT, count > 0xffffffff ? 0xffffffff : count ? (uint32_t)count : 1);
}

void lapic_timer_stop(void)
{
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_INIT, 0);
}

static uint32_t ioapic_read(unsigned i, unsigned reg)
{
	ioapics[i].regs[IOAPIC_REGSEL / 4] = reg;
	return ioapics[i].regs[IOAPIC_WINDOW / 4];
}

static void ioapic_write(unsigned i, unsigned reg, uint32_t v)
{
	ioapics[i].regs[IOAPIC_REGSEL / 4] = reg;
	ioapics[i].regs[IOAPIC_WINDOW / 4] = v;
}

/* The legacy PICs would deliver spurious vectors 8-15 onto exceptions: mask them all. */
static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/*
 * IOAPIC inputs come out of reset masked, so nothing is touched here: the
 * registers are mapped when a line is first routed. Boot pays only for
 * reading the topology.
 */
void ioapic_init(void)
{
	pic_mask_all();
	platform_irq_topology(&topology);
}

static bool ioapic_map(unsigned i)
{
	if (ioapics[i].regs)
		return true;
	ioapics[i].regs = arch_map_device(topology.ioapic[i].base, 0x20);
	if (!ioapics[i].regs)
		return false;
	ioapics[i].gsi_base = topology.ioapic[i].gsi_base;
	ioapics[i].inputs = (ioapic_read(i, IOAPIC_VERSION) >> 16 & 0xff) + 1;
	return true;
}

/* Points IOAPIC input gsi at vector on apic_id with the redirection flags in low's upper bits. */
static int ioapic_route(uint32_t gsi, uint32_t low, uint32_t apic_id)
{
	for (unsigned i = 0; i < topology.nr_ioapics; i++) {
		if (!ioapic_map(i) || gsi < ioapics[i].gsi_base || gsi >= ioapics[i].gsi_base + ioapics[i].inputs)
			continue;
		ioapic_write(i, IOAPIC_REDIR(gsi - ioapics[i].gsi_base) + 1, apic_id << 24);
		ioapic_write(i, IOAPIC_REDIR(gsi - ioapics[i].gsi_base), low);
		return 0;
	}
	return -ENODEV;
}

int irq_route_isa(unsigned line, unsigned vector, uint32_t apic_id)
{
	uint32_t low;

	if (line >= 16)
		return -EINVAL;
	/* ISA defaults: edge, active high, unless the override says otherwise. */
	low = vector;
	if ((topology.isa_flags[line] & 3) == 3)
		low |= 1u << 13;
	if ((topology.isa_flags[line] >> 2 & 3) == 3)
		low |= 1u << 15;
	return ioapic_route(topology.isa_gsi[line], low, apic_id);
}

int irq_route_level(uint32_t line, unsigned vector, uint32_t apic_id)
{
	uint32_t gsi = line < 16 ? topology.isa_gsi[line] : line;

	return ioapic_route(gsi, vector | 1u << 15, apic_id);	/* level, active high */
}

int irq_route_gsi(uint32_t gsi, unsigned vector, uint32_t apic_id)
{
	return ioapic_route(gsi, vector, apic_id);	/* edge, active high */
}
