/*
 * The vDSO's data page ("vvar"): what the kernel publishes so that the
 * vDSO (linux/vdso/) can answer clock_gettime, gettimeofday, time,
 * clock_getres and getcpu in user mode, without a system call.
 *
 * Shared by the kernel (kernel/clock.c writes it, linux/vdso.c maps it)
 * and the vDSO (reads it). The page is the kernel's own frame, mapped
 * read-only into the program one page below the vDSO's ELF header, so the
 * vDSO finds it PC-relatively and every process sees the live values.
 * This layout is between the kernel and the vDSO built with it, never
 * visible to programs, so it has no compatibility promise beyond `version`.
 *
 * Consistency: `seq` is a sequence counter. The kernel makes it odd, writes
 * the fields, then makes it even again; a reader copies the fields between
 * two reads of an equal, even `seq` and retries otherwise.
 *
 * The clock (clock_mode == VDSO_CLOCK_TSC) is kernel/clock.c's, exactly:
 *
 *     monotonic ns = ((tsc - cycles_at_boot) * ns_per_cycle_32) >> 32   (128-bit product)
 *     realtime ns  = monotonic ns + realtime_offset   (once realtime_ready)
 *
 * so a vDSO reading and a system call reading are the same function of the
 * TSC and never disagree about order. VDSO_CLOCK_SYSCALL means the kernel's
 * clock is not such a function (unstable kvmclock, read per CPU): the vDSO
 * then makes the system call. Before the kernel has read the wall clock
 * (its first realtime request), realtime_ready is 0 and realtime requests
 * make the system call, which reads it and publishes the offset.
 *
 * getcpu: cpu_mode says which instruction returns IA32_TSC_AUX, which the
 * kernel sets on each CPU to (node << 12) | cpu, node 0.
 *
 * x86-64 only, as the vDSO is.
 */
#ifndef ABI_VDSO_H
#define ABI_VDSO_H

#include <stdint.h>

#define VDSO_DATA_VERSION 1

/* The vvar page lies this many bytes below the vDSO's ELF header. */
#define VDSO_VVAR_SIZE 4096

enum vdso_clock_mode {
	VDSO_CLOCK_SYSCALL = 0,		/* no fast path: make the system call */
	VDSO_CLOCK_TSC = 1,		/* the formula above */
};

enum vdso_cpu_mode {
	VDSO_CPU_SYSCALL = 0,		/* neither instruction: make the system call */
	VDSO_CPU_RDPID = 1,
	VDSO_CPU_RDTSCP = 2,
};

#define VDSO_TSC_AUX_NODE_SHIFT 12
#define VDSO_TSC_AUX_CPU_MASK   0xfffu

struct vdso_data {
	uint32_t seq;			/* even: stable */
	uint32_t version;		/* VDSO_DATA_VERSION once published, 0 before */
	uint32_t clock_mode;		/* enum vdso_clock_mode */
	uint32_t cpu_mode;		/* enum vdso_cpu_mode */
	uint64_t cycles_at_boot;	/* TSC at monotonic 0 */
	uint64_t ns_per_cycle_32;	/* ns per cycle, 32.32 fixed point */
	uint64_t realtime_offset;	/* ns since the epoch at monotonic 0 */
	uint32_t realtime_ready;	/* realtime_offset is valid */
	uint32_t reserved;
};

_Static_assert(sizeof(struct vdso_data) == 48, "vdso_data layout");
_Static_assert(sizeof(struct vdso_data) <= VDSO_VVAR_SIZE, "vdso_data fits its page");

#endif
