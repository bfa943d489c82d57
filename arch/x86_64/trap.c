/*
 * What happens when the CPU raises an exception in the kernel. Until the
 * Linux layer delivers faults to applications as signals, every exception
 * is fatal: report the cause and the registers, walk the stack, power off
 * with the failure status. The report goes through the panic machinery so
 * a fault while reporting cannot loop.
 */
#include <mote/arch.h>
#include <mote/log.h>
#include <lib/string.h>
#include "frame.h"
#include "x86.h"


static const char *const exception_names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
	[4] = "overflow", [5] = "bound range exceeded", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault",
	[10] = "invalid TSS", [11] = "segment not present", [12] = "stack fault",
	[13] = "general protection", [14] = "page fault", [16] = "x87 floating point",
	[17] = "alignment check", [18] = "machine check", [19] = "SIMD floating point",
	[20] = "virtualization", [21] = "control protection",
};

static const char *const exception_mnemonics[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "09", "TS", "NP",
	"SS", "GP", "PF", "15", "MF", "AC", "MC", "XM", "VE", "CP", "22", "23",
	"24", "25", "26", "27", "28", "VC", "SX", "31",
};

static void describe_page_fault(const struct trap_frame *f)
{
	uint64_t e = f->error;

	printk("  fault address 0x%016lx: %s %s in %s mode%s\n", read_cr2(),
	       e & 1 ? "protection violation on" : "not-present page on",
	       e & 16 ? "instruction fetch" : e & 2 ? "write" : "read",
	       e & 4 ? "user" : "kernel", e & 8 ? " (reserved bit set)" : "");
	panic_describe_address(read_cr2());
}

static void dump_registers(const struct trap_frame *f)
{
	printk("  rip 0x%016lx rsp 0x%016lx rflags %#010lx cs %#lx ss %#lx\n",
	       f->rip, f->rsp, f->rflags, f->cs, f->ss);
	printk("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx);
	printk("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx r8  0x%016lx\n",
	       f->rsi, f->rdi, f->rbp, f->r8);
	printk("  r9  0x%016lx r10 0x%016lx r11 0x%016lx r12 0x%016lx\n",
	       f->r9, f->r10, f->r11, f->r12);
	printk("  r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", f->r13, f->r14, f->r15);
	printk("  cr0 0x%016lx cr3 0x%016lx cr4 0x%016lx\n", read_cr0(), read_cr3(), read_cr4());
}

static arch_fault_fn page_fault_handler;

void arch_set_page_fault_handler(arch_fault_fn fn)
{
	page_fault_handler = fn;
}

arch_fault_fn x86_page_fault_handler(void)
{
	return page_fault_handler;
}

/*
 * A fault inside the user-copy routine (vectors.S) is the application's
 * bad pointer, not a kernel bug: resume at its fault exit, which reports
 * the bytes left. uaccess.c has faulted the pages in beforehand, so this
 * only happens for addresses the application cannot access.
 */
static bool uaccess_fixup(struct trap_frame *f)
{
	extern const char uaccess_begin[], uaccess_end[], uaccess_fault[];

	if (f->rip < (uint64_t)uaccess_begin || f->rip >= (uint64_t)uaccess_end ||
	    (f->vector != 14 && f->vector != 13))
		return false;
	f->rip = (uint64_t)uaccess_fault;
	return true;
}

static bool page_fault_resolved(const struct trap_frame *f)
{
	unsigned access = f->error & 16 ? ARCH_PROT_EXEC : f->error & 2 ? ARCH_PROT_WRITE :
		ARCH_PROT_READ;

	return page_fault_handler && !(f->error & 8) &&
	       page_fault_handler(read_cr2(), access, f->cs & 3) == 0;
}

void trap_handle(struct trap_frame *f)
{
	unsigned vec = f->vector & 31;
	const char *name;

	if (uaccess_fixup(f) || (vec == 14 && page_fault_resolved(f)))
		return;
	name = exception_names[vec] ? exception_names[vec] : "reserved exception";
	panic_begin();
	printk("mote: cpu exception #%s (%s), error code %#lx, at ", exception_mnemonics[vec],
	       name, f->error);
	log_symbol(f->rip);
	printk("\n");
	if (vec == 14)
		describe_page_fault(f);
	dump_registers(f);
	panic_end_from(f->rip, f->rbp);
}

/* Never inlined: the crash tests look for this frame in the backtrace. */
__attribute__((noinline)) int arch_provoke_fault(const char *kind)
{
	volatile int zero = 0;

	if (!strcmp(kind, "ud"))
		asm volatile("ud2");
	else if (!strcmp(kind, "bp"))
		asm volatile("int3");
	else if (!strcmp(kind, "pf"))
		return (int)*(volatile uint64_t *)0xdead0000000ULL;
	else if (!strcmp(kind, "gp"))	/* a non-canonical address */
		return (int)*(volatile uint64_t *)0x8000000000000000ULL;
	else if (!strcmp(kind, "de"))	/* asm: gcc rewrites 1/x into a compare */
		asm volatile("divl %1" : : "a"(1), "r"(zero), "d"(0));
	return -1;
}
