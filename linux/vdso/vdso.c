/*
 * The vDSO: a small ELF shared object the kernel maps into every program
 * (its address is AT_SYSINFO_EHDR in the auxiliary vector), whose functions
 * libc calls instead of making the system calls clock_gettime,
 * gettimeofday, time, clock_getres and getcpu. They read the kernel's data
 * page (include/abi/vdso.h), mapped read-only one page below this image,
 * and the TSC; whatever they cannot answer from there they pass to the
 * kernel with a real `syscall`, with the same arguments, returning what it
 * returns (0 or a negative errno, as Linux's vDSO does: libc sets errno).
 *
 * Constraints of the environment: position-independent code with no
 * relocations to process (nobody would process them: the kernel maps the
 * image as it is, and libc only looks symbols up), no writable data, no
 * libc, no stack protector. The data page is reached through a hidden
 * symbol the linker script places at -VDSO_VVAR_SIZE, so the access is
 * one RIP-relative load. linux/vdso/check.sh verifies the result.
 *
 * Which clocks are answered here: exactly those the kernel computes from
 * the same formula (realtime and monotonic, their coarse and raw variants,
 * boottime). CPU-time clocks, TAI, the alarm clocks and unknown ids make
 * the system call, so there is one definition of each.
 */
#include <abi/vdso.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000ULL

/* Linux x86-64 system-call numbers and clock ids. */
enum {
	NR_gettimeofday = 96, NR_time = 201, NR_clock_gettime = 228, NR_clock_getres = 229,
	NR_getcpu = 309,
};
enum {
	CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_MONOTONIC_RAW = 4,
	CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
};

struct k_timespec {
	int64_t tv_sec, tv_nsec;
};
struct k_timeval {
	int64_t tv_sec, tv_usec;
};
struct k_timezone {
	int32_t tz_minuteswest, tz_dsttime;
};

/* Volatile: the kernel changes it under us (a const object could be read once and cached). */
extern const volatile struct vdso_data vdso_vvar __attribute__((visibility("hidden")));

static long syscall2(long nr, long a0, long a1)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
		     : "rcx", "r11", "memory");
	return ret;
}

/* The TSC, not read before the loads that precede it (the sequence count). */
static uint64_t tsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static uint32_t seq_begin(const volatile struct vdso_data *d)
{
	uint32_t seq;

	while ((seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE)) & 1)
		asm volatile("pause");
	return seq;
}

static int seq_retry(const volatile struct vdso_data *d, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&d->seq, __ATOMIC_RELAXED) != seq;
}

/*
 * The kernel's clock in ns (realtime if `real`), or -1 when the data page
 * cannot answer (no fast path, or the wall clock not read yet).
 */
static int64_t clock_ns(int real)
{
	const volatile struct vdso_data *d = &vdso_vvar;
	uint64_t ns, cycles_at_boot, mult, offset;
	uint32_t seq, mode, ready;

	do {
		seq = seq_begin(d);
		mode = d->clock_mode;
		ready = d->realtime_ready;
		cycles_at_boot = d->cycles_at_boot;
		mult = d->ns_per_cycle_32;
		offset = d->realtime_offset;
		ns = (uint64_t)(((unsigned __int128)(tsc_ordered() - cycles_at_boot) * mult) >> 32);
	} while (seq_retry(d, seq));
	if (mode != VDSO_CLOCK_TSC || (real && !ready))
		return -1;
	return (int64_t)(real ? ns + offset : ns);
}

/* 1 for the clocks read as realtime, 0 as monotonic, -1 for those left to the kernel. */
static int clock_kind(long clock)
{
	switch (clock) {
	case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE:
		return 1;
	case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return 0;
	default:
		return -1;
	}
}

long __vdso_clock_gettime(long clock, struct k_timespec *ts);
long __vdso_clock_gettime(long clock, struct k_timespec *ts)
{
	int kind = clock_kind(clock);
	int64_t ns = kind < 0 ? -1 : clock_ns(kind);

	if (ns < 0)
		return syscall2(NR_clock_gettime, clock, (long)ts);
	ts->tv_sec = (int64_t)((uint64_t)ns / NS_PER_SEC);
	ts->tv_nsec = (int64_t)((uint64_t)ns % NS_PER_SEC);
	return 0;
}

long __vdso_gettimeofday(struct k_timeval *tv, struct k_timezone *tz);
long __vdso_gettimeofday(struct k_timeval *tv, struct k_timezone *tz)
{
	int64_t ns = tv ? clock_ns(1) : 0;

	if (ns < 0)
		return syscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = (int64_t)((uint64_t)ns / NS_PER_SEC);
		tv->tv_usec = (int64_t)((uint64_t)ns % NS_PER_SEC / 1000);
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

long __vdso_time(int64_t *t);
long __vdso_time(int64_t *t)
{
	int64_t ns = clock_ns(1), sec;

	if (ns < 0)
		return syscall2(NR_time, (long)t, 0);
	sec = (int64_t)((uint64_t)ns / NS_PER_SEC);
	if (t)
		*t = sec;
	return sec;
}

/* Only the clocks with 1 ns resolution; the coarse ones' resolution is the kernel's to say. */
long __vdso_clock_getres(long clock, struct k_timespec *res);
long __vdso_clock_getres(long clock, struct k_timespec *res)
{
	if (clock_kind(clock) < 0 || clock == CLOCK_REALTIME_COARSE ||
	    clock == CLOCK_MONOTONIC_COARSE || vdso_vvar.version != VDSO_DATA_VERSION)
		return syscall2(NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache);
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	uint64_t aux;
	uint32_t lo, hi, c;

	switch (__atomic_load_n(&vdso_vvar.cpu_mode, __ATOMIC_RELAXED)) {
	case VDSO_CPU_RDPID:
		asm volatile("rdpid %0" : "=r"(aux));
		break;
	case VDSO_CPU_RDTSCP:
		asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
		aux = c;
		break;
	default:
		return syscall3(NR_getcpu, (long)cpu, (long)node, (long)cache);
	}
	if (cpu)
		*cpu = (unsigned)aux & VDSO_TSC_AUX_CPU_MASK;
	if (node)
		*node = (unsigned)(aux >> VDSO_TSC_AUX_NODE_SHIFT);
	return 0;
}

/* The plain names too, as Linux's vDSO offers them (same version). */
long clock_gettime(long, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
long gettimeofday(struct k_timeval *, struct k_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(int64_t *) __attribute__((weak, alias("__vdso_time")));
long clock_getres(long, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
