/*
 * The CPU interface portable code may use. arch/<isa>/ implements it; no
 * other directory names an instruction set. Everything here is callable
 * with interrupts off and before memory management exists.
 */
#ifndef MOTE_ARCH_H
#define MOTE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Installs this CPU's descriptor tables and exception handlers. Boot CPU, once. */
void arch_cpu_init(void);

/*
 * The same for an application processor, whose tables and interrupt stacks
 * live in arch_cpu_tables_size() bytes at mem (16-byte aligned, kept for
 * the CPU's lifetime).
 */
size_t arch_cpu_tables_size(void);
void arch_cpu_init_ap(void *mem);

/*
 * Starts the application processor with the given APIC id and has it call
 * entry(arg) on stack_top, in long mode on the kernel's page tables with
 * interrupts off. Returns 0 once the CPU is running kernel code, or
 * -ETIMEDOUT if it never showed up (the caller leaves it out). Boot CPU only,
 * one CPU at a time.
 */
int arch_start_cpu(uint32_t apic_id, void (*entry)(void *), void *arg, void *stack_top);

/* Sets this CPU's per-CPU base (GS on x86), read back by cpu_self(). */
void arch_set_cpu_base(void *base);

/* A free-running cycle counter (the TSC on x86), and the CPU's claimed rate (0: unknown). */
uint64_t arch_cycles(void);
uint64_t arch_cycles_khz_from_cpu(void);

/* The cycle counter, read only after every earlier load completed (for pvclock readers). */
uint64_t arch_cycles_ordered(void);

/*
 * The hypervisor's paravirtual clock (kvmclock on x86, see mote/pvclock.h).
 * arch_pvclock_features() says what it offers: 0 when there is none (no
 * KVM, or QEMU TCG), else ARCH_PVCLOCK, plus ARCH_PVCLOCK_STABLE when it
 * may declare every CPU's clock in agreement. arch_pvclock_register() has
 * the hypervisor keep *ti (32-byte aligned, never freed) current as this
 * CPU's time info; each CPU registers its own. arch_pvclock_wall_clock()
 * has it write the wall clock at system time 0 into *wc, once per call.
 * Both do nothing without a paravirtual clock.
 */
enum { ARCH_PVCLOCK = 1, ARCH_PVCLOCK_STABLE = 2 };
struct pvclock_vcpu_time_info;
struct pvclock_wall_clock;
unsigned arch_pvclock_features(void);
void arch_pvclock_register(struct pvclock_vcpu_time_info *ti);
void arch_pvclock_wall_clock(struct pvclock_wall_clock *wc);

/*
 * The platform's legacy I/O ports (the 16550, debug-exit and ACPI
 * registers, PCI configuration mechanism #1, legacy virtio-pci).
 */
void arch_pio_write8(uint16_t port, uint8_t v);
void arch_pio_write16(uint16_t port, uint16_t v);
void arch_pio_write32(uint16_t port, uint32_t v);
uint8_t arch_pio_read8(uint16_t port);
uint16_t arch_pio_read16(uint16_t port);
uint32_t arch_pio_read32(uint16_t port);

/* Stops this CPU for good: interrupts off, halt forever. */
__attribute__((noreturn)) void arch_halt_forever(void);

/* Resets the machine by making the CPU fault with no handlers (a triple fault). */
__attribute__((noreturn)) void arch_triple_fault(void);

/* Calls fn for each return address on the current kernel stack, innermost first. */
typedef void (*arch_frame_fn)(void *ctx, uint64_t pc);
void arch_backtrace_from(uint64_t pc, uint64_t fp, arch_frame_fn fn, void *ctx);
void arch_backtrace_here(arch_frame_fn fn, void *ctx);

/*
 * Page tables. Protections combine ARCH_PROT_* bits; a mapping without
 * ARCH_PROT_EXEC is never executable. Page-table pages come from the
 * allocator given to arch_paging_init (a zeroed page, direct-map address,
 * or NULL); the map functions return 0 or -ENOMEM and change nothing on
 * failure of the leaf they were building. No locking: callers serialize.
 */
enum {
	ARCH_PROT_READ = 1,
	ARCH_PROT_WRITE = 2,
	ARCH_PROT_EXEC = 4,
	ARCH_PROT_USER = 8,
	ARCH_PROT_DEVICE = 16,	/* uncached: device registers */
	ARCH_PROT_COW = 32,	/* software mark: never writable, copy on write */
};

/*
 * Application mappings (the lower half), for the VM layer's backend. These
 * also keep pages that may not be accessed at all (protection without
 * READ/WRITE/EXEC: not present to the hardware, but the frame is kept).
 */
/* Sets one page's translation, replacing any; 0 or -ENOMEM (page tables). */
int arch_user_map(uintptr_t va, uint64_t pa, unsigned prot);
/* The translation of one page, including inaccessible ones. */
bool arch_user_query(uintptr_t va, uint64_t *pa, unsigned *prot);
/*
 * Removes every translation in [start, end), calling drop(pa) for each once
 * no CPU's TLB can reach the frame any more; skips empty tables.
 */
void arch_user_unmap(uintptr_t start, uintptr_t end, void (*drop)(uint64_t pa));
/*
 * Sets the protection of every kept page in [start, end) to prot, keeping
 * its frame and its ARCH_PROT_COW mark; one batched shootdown if any page
 * lost a permission.
 */
void arch_user_protect(uintptr_t start, uintptr_t end, unsigned prot);
/* Pre-allocates the page tables for [start, end); 0 or -ENOMEM. */
int arch_user_reserve(uintptr_t start, uintptr_t end);

typedef void *(*arch_table_alloc_fn)(void);

/*
 * Takes over the boot page tables: removes the identity mapping (the lower
 * half is the application's), makes the physical-memory aliases
 * non-executable, maps the kernel image with per-section permissions (text
 * read-only, everything else non-executable), and maps RAM above what the
 * boot tables cover (ram_end: one past the highest usable byte) in every
 * alias area.
 */
int arch_paging_init(arch_table_alloc_fn alloc, uint64_t ram_end);

/* Maps npages 4 KiB pages at va to the frames from pa on. */
int arch_map_pages(uintptr_t va, uint64_t pa, size_t npages, unsigned prot);

/*
 * Maps size bytes of device registers at physical pa, uncached, read-write,
 * in the kernel's device window; returns the address or NULL. Boot-time
 * use: the window is never reused.
 */
void *arch_map_device(uint64_t pa, size_t size);

/*
 * Unmaps npages pages at va (absent pages are skipped) and flushes them
 * from every online CPU's TLB before returning (arch_tlb_shootdown).
 */
void arch_unmap_pages(uintptr_t va, size_t npages);

/*
 * If the page table mapping the 2 MiB around kernel address va maps nothing,
 * unhooks it, flushes it from every online CPU (arch_tlb_shootdown) and
 * returns it for the caller to free with page_free(table, 0); NULL otherwise
 * (something is still mapped there, a large page covers it, or va is a user
 * address). For an area whose mappings come and go (thread stacks), so its
 * tables do not outlive them. The caller serializes it against mapping there.
 */
void *arch_take_empty_table(uintptr_t va);

/* Flushes every translation this CPU caches, and only this CPU. */
void arch_flush_tlb_local(void);

/*
 * TLB shootdown. Every function here that removes or weakens a translation
 * (unmap, a different frame, fewer permissions) has flushed it from every
 * online CPU's TLB by the time it returns; adding a translation or
 * permissions flushes nothing remotely (a CPU faulting on a stale weaker
 * entry retries and sees the new one). arch_tlb_shootdown() is the
 * primitive: it flushes the range here, posts it in each other online
 * CPU's mailbox (struct cpu.tlb_pending), sends IRQ_VECTOR_TLB, and waits
 * until each has flushed. Ranges above ARCH_TLB_FLUSH_ALL_PAGES pages (or
 * npages 0) flush the whole TLB instead. With one CPU online nothing is
 * posted or sent.
 *
 * Deadlock rules. The initiator may hold spinlocks and run with
 * interrupts off, and a target may be spinning with interrupts off, so
 * the IPI alone is not enough: every loop that can wait for another CPU
 * with interrupts off calls arch_tlb_serve() while it waits (spin_lock's
 * ticket loop, and the shootdown's own wait, which is how two CPUs shooting
 * at each other both finish). A new loop of that kind must do the same.
 * The shootdown itself takes no lock, allocates nothing and may be called
 * from any context where cpu_self() works, interrupt handlers included.
 * A CPU that halts with interrupts off while still online (a panic) would
 * stall a shootdown; the machine is going down then anyway.
 */
#define ARCH_TLB_FLUSH_ALL_PAGES 32
void arch_tlb_shootdown(uintptr_t va, size_t npages);

/* Serves the shootdown requests posted for this CPU; cheap when there are none. */
void arch_tlb_serve(void);

/* Page-table pages allocated so far (they are kept when mappings go: for leak accounting). */
size_t arch_page_table_pages(void);

/* The frame and protection behind va, if mapped (any page size). */
bool arch_translate(uintptr_t va, uint64_t *pa, unsigned *prot);

/*
 * Interrupt controllers: this CPU's local controller (each CPU), and the
 * system's (boot CPU, once). Needs page tables (device mappings).
 */
void arch_irq_cpu_init(void);
void arch_irq_system_init(void);

/* This CPU's one-shot timer: interrupt IRQ_VECTOR_TIMER at cycle count `deadline`. */
void arch_timer_arm(uint64_t deadline);
void arch_timer_stop(void);

/* Halts until the next interrupt, enabling interrupts atomically with the halt. */
void arch_idle(void);

/* Interrupt state, for locks that must keep interrupt handlers out. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);

/*
 * Page faults the kernel may resolve (demand paging): fn gets the address,
 * the access (ARCH_PROT_READ, _WRITE or _EXEC) and whether the CPU was in
 * user mode, and returns 0 when the access can be retried. Anything else
 * takes the fatal report.
 */
typedef int (*arch_fault_fn)(uintptr_t addr, unsigned access, bool user);
void arch_set_page_fault_handler(arch_fault_fn fn);

/*
 * Kernel threads. A switched-out thread is its stack pointer:
 * arch_context_switch() saves the registers the calling convention
 * preserves on the current stack, stores the stack pointer in *save_sp,
 * and resumes the thread whose stack pointer is next_sp (it returns there
 * from its own earlier call, or starts it). No FPU/SIMD state is saved:
 * the kernel does not use it; a scheduler running user threads saves
 * theirs around the call. Interrupts must be off; each side keeps its own
 * saved interrupt state.
 */
void arch_context_switch(void **save_sp, void *next_sp);

/*
 * Prepares the stack below stack_top so that switching to the returned
 * stack pointer calls entry(arg), on that stack with an empty frame chain.
 * entry must never return.
 */
void *arch_thread_init_stack(void *stack_top, void (*entry)(void *), void *arg);

/*
 * A 64-bit random number from the CPU's hardware generator (x86: RDSEED,
 * else RDRAND); false when the CPU has none or it failed to deliver.
 */
bool arch_random_u64(uint64_t *v);

/* A hint for the body of a spin loop (x86: pause). */
void arch_cpu_relax(void);

/*
 * One processor's block of /proc/cpuinfo, in the architecture's own
 * layout (x86: vendor, family, model, flags ... as Linux prints them),
 * written through sink (lib/fmt.h's fmt_sink). cpu is its number, ncpus
 * how many there are, khz the clock rate.
 */
void arch_cpuinfo(unsigned cpu, unsigned ncpus, uint32_t apic_id, uint64_t khz,
		  void (*sink)(void *ctx, const char *s, size_t n), void *ctx);

/* Provokes a CPU exception on purpose (for the crash tests): "ud", "pf", "gp", "de", "bp". */
int arch_provoke_fault(const char *kind);

#endif
