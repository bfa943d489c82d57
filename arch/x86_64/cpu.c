/*
 * The boot CPU's descriptor tables: a GDT laid out for SYSCALL/SYSRET
 * (kernel code and data, then user data and user code so STAR can name
 * both), a TSS whose interrupt stack table gives every exception its own
 * known-good stack, and an IDT pointing every exception at trap.S.
 *
 * Why IST for everything: the kernel and the application share one
 * address space and the kernel is entered from ring 3 on the app's stack
 * only through SYSCALL (which switches stacks in software). An exception
 * must never push onto a stack it cannot trust: the app's (red zone) or a
 * kernel stack that just overflowed. Double fault, NMI and machine check
 * get separate stacks so they survive a fault inside the ordinary handler;
 * device interrupts have their own, which vectors.S leaves before any
 * thread switch.
 */
#include <mote/arch.h>
#include <mote/layout.h>
#include <mote/usermode.h>
#include <lib/string.h>
#include "x86.h"

enum {
	GDT_KERNEL_CODE = 1,
	GDT_KERNEL_DATA = 2,
	GDT_USER_CODE32 = 3,
	GDT_USER_DATA = 4,
	GDT_USER_CODE = 5,
	GDT_TSS = 6,		/* a TSS descriptor takes two slots */
	GDT_ENTRIES = 8,
};

enum {
	IST_TRAP = 1, IST_DOUBLE_FAULT = 2, IST_NMI = 3, IST_MACHINE_CHECK = 4, IST_IRQ = 5,
	IST_COUNT = 5
};

#define IST_STACK_SIZE 8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "TSS layout");
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

extern const char trap_stubs[];

/* Each CPU's own GDT and TSS (the TSS names its IST stacks); the IDT is shared. */
struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES];
	struct tss tss;
} __attribute__((aligned(16)));

static struct cpu_tables boot_tables;
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t boot_ist_stacks[IST_COUNT][IST_STACK_SIZE]
	__attribute__((aligned(16), section(".bss.stacks")));

static void gdt_fill(uint64_t *gdt, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	gdt[GDT_KERNEL_CODE] = 0x00af9a000000ffff;
	gdt[GDT_KERNEL_DATA] = 0x00cf92000000ffff;
	gdt[GDT_USER_CODE32] = 0x00cffa000000ffff;
	gdt[GDT_USER_DATA] = 0x00cff2000000ffff;
	gdt[GDT_USER_CODE] = 0x00affa000000ffff;
	/* 64-bit available TSS (type 9), present. */
	gdt[GDT_TSS] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		       ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[GDT_TSS + 1] = base >> 32;
}

static void gdt_load(const uint64_t *gdt)
{
	struct table_ptr p = { GDT_ENTRIES * 8 - 1, (uint64_t)gdt };

	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "ltr %w3"
		     : : "m"(p), "i"(GDT_KERNEL_CODE * 8), "i"(GDT_KERNEL_DATA * 8),
		       "r"(GDT_TSS * 8)
		     : "rax", "memory");
}

static unsigned ist_for_vector(unsigned vec)
{
	switch (vec) {
	case 2: return IST_NMI;
	case 8: return IST_DOUBLE_FAULT;
	case 18: return IST_MACHINE_CHECK;
	default: return vec < 32 ? IST_TRAP : IST_IRQ;
	}
}

static void idt_fill(void)
{
	for (unsigned vec = 0; vec < 256; vec++) {
		uint64_t addr = (uint64_t)trap_stubs + 16 * vec;

		idt[vec] = (struct idt_gate){
			.offset_low = addr & 0xffff,
			.selector = GDT_KERNEL_CODE * 8,
			.ist = ist_for_vector(vec),
			.type_attr = 0x8e,	/* present, DPL 0, 64-bit interrupt gate */
			.offset_mid = addr >> 16 & 0xffff,
			.offset_high = addr >> 32,
		};
	}
}

static void idt_load(void)
{
	struct table_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	asm volatile("lidt %0" : : "m"(p));
}

/* Fills t for a CPU whose IST stacks are the IST_COUNT stacks of `size` bytes at `stacks`. */
static void tables_fill(struct cpu_tables *t, uint8_t *stacks, size_t size)
{
	for (unsigned i = 0; i < IST_COUNT; i++)
		t->tss.ist[i] = (uint64_t)(stacks + (i + 1) * size);
	t->tss.iomap_base = sizeof(t->tss);
	gdt_fill(t->gdt, &t->tss);
}

void arch_cpu_init(void)
{
	tables_fill(&boot_tables, &boot_ist_stacks[0][0], IST_STACK_SIZE);
	gdt_load(boot_tables.gdt);
	idt_fill();
	idt_load();
	arch_user_cpu_init();
}

size_t arch_cpu_tables_size(void)
{
	return sizeof(struct cpu_tables) + IST_COUNT * IST_STACK_SIZE;
}

void arch_cpu_init_ap(void *mem)
{
	struct cpu_tables *t = mem;

	*t = (struct cpu_tables){ 0 };
	tables_fill(t, (uint8_t *)mem + sizeof(*t), IST_STACK_SIZE);
	gdt_load(t->gdt);
	idt_load();
	arch_user_cpu_init();
}

void arch_set_cpu_base(void *base)
{
	wrmsr(MSR_GS_BASE, (uint64_t)base);
}

uint64_t arch_cycles(void)
{
	return rdtsc();
}

uint64_t arch_cycles_ordered(void)
{
	asm volatile("lfence" : : : "memory");
	return rdtsc();
}

/*
 * What the CPU says its TSC rate is, in the order of trust: the crystal
 * ratio (leaf 0x15), the hypervisor's timing leaf (0x40000010, offered by
 * KVM and VMware), the nominal base frequency (leaf 0x16). 0 when none.
 */
uint64_t arch_cycles_khz_from_cpu(void)
{
	uint32_t max = cpuid(0, 0).eax;
	struct cpuid r;

	if (max >= 0x15) {
		r = cpuid(0x15, 0);
		if (r.eax && r.ebx && r.ecx)
			return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
	}
	if ((cpuid(1, 0).ecx & (1u << 31)) && cpuid(0x40000000, 0).eax >= 0x40000010) {
		r = cpuid(0x40000010, 0);
		if (r.eax)
			return r.eax;
	}
	if (max >= 0x16) {
		r = cpuid(0x16, 0);
		if (r.eax)
			return (uint64_t)r.eax * 1000;
	}
	return 0;
}

void arch_pio_write8(uint16_t port, uint8_t v)
{
	outb(port, v);
}

void arch_pio_write16(uint16_t port, uint16_t v)
{
	outw(port, v);
}

void arch_pio_write32(uint16_t port, uint32_t v)
{
	outl(port, v);
}

uint8_t arch_pio_read8(uint16_t port)
{
	return inb(port);
}

uint16_t arch_pio_read16(uint16_t port)
{
	return inw(port);
}

uint32_t arch_pio_read32(uint16_t port)
{
	return inl(port);
}

void arch_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

void arch_triple_fault(void)
{
	struct table_ptr empty = { 0, 0 };

	asm volatile("lidt %0; int3" : : "m"(empty));
	arch_halt_forever();
}

/*
 * A new thread's stack, as arch_context_switch() expects to find it: six
 * saved registers (r15 first, rbp last), then the address the switch
 * "returns" to, then a zero word that keeps the trampoline's stack 16-byte
 * aligned at its call, as the ABI wants, and ends the frame chain.
 */
extern const char arch_thread_trampoline[];

void *arch_thread_init_stack(void *stack_top, void (*entry)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)((uintptr_t)stack_top & ~15UL);

	*--sp = 0;
	*--sp = (uint64_t)arch_thread_trampoline;
	*--sp = 0;			/* rbp */
	*--sp = 0;			/* rbx */
	*--sp = (uint64_t)entry;	/* r12 */
	*--sp = (uint64_t)arg;		/* r13 */
	*--sp = 0;			/* r14 */
	*--sp = 0;			/* r15 */
	return sp;
}

void arch_cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

bool arch_random_u64(uint64_t *v)
{
	static int have = -1;	/* bit 0 RDRAND, bit 1 RDSEED */
	unsigned char ok = 0;

	if (have < 0)
		have = (cpuid(1, 0).ecx >> 30 & 1) |
		       (cpuid(0, 0).eax >= 7 ? (cpuid(7, 0).ebx >> 18 & 1) << 1 : 0);
	for (int tries = 0; tries < 10 && !ok; tries++) {
		if (have & 2)
			asm volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		else if (have & 1)
			asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		else
			return false;
	}
	return ok;
}
