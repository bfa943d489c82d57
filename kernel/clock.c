/*
 * Clocks (see mote/clock.h). Nanoseconds are derived from the TSC with a
 * 32.32 fixed-point multiplier computed once, so a reading is rdtsc, a
 * subtraction and a 128-bit multiply: no division, no VM exit.
 *
 * Under KVM with kvmclock (mote/pvclock.h) each CPU registers a time info
 * block the hypervisor keeps current, and the TSC rate is taken from it
 * (time_cycles_khz() asks clock_pvclock_khz() before calibrating). When
 * the hypervisor sets PVCLOCK_TSC_STABLE_BIT, every CPU's kvmclock is the
 * same linear function of one TSC, so the TSC alone at kvmclock's rate
 * gives the same clock more cheaply: that is what clock_monotonic_ns()
 * does then, exactly as without KVM. Without the stable bit, it reads this
 * CPU's kvmclock (interrupts off for the few loads, so the thread cannot
 * move between CPUs mid-read) and never returns less than the largest
 * value any CPU returned, as the CPUs' clocks may disagree slightly. The
 * stable/unstable choice is made once at boot: a live migration that
 * drops the stable bit is not followed.
 *
 * The wall clock is read once, on first use: kvmclock's boot-time wall
 * clock plus its system time when offered, else the CMOS RTC.
 *
 * The vDSO's data page (include/abi/vdso.h) is this file's too: it
 * publishes the very variables clock_monotonic_ns() and
 * clock_realtime_ns() compute with (at clock_init, and again when the
 * wall clock is first read), so a program's clock_gettime in user mode and
 * the system call are the same function of the TSC. With an unstable
 * kvmclock the page says "no fast path" and the vDSO makes the system
 * call. The page also says how user mode reads its CPU number, which each
 * CPU sets up here, after its per-CPU area exists.
 */
#include <abi/vdso.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/log.h>
#include <mote/percpu.h>
#include <mote/pvclock.h>
#include <mote/spinlock.h>
#include <mote/time.h>
#include <mote/usermode.h>

static uint64_t tsc_at_boot, ns_per_cycle_32, cycles_per_ns_32;
static uint64_t realtime_offset;	/* wall clock at monotonic 0 */
static bool realtime_known;

/* kvmclock: one time info per CPU, indexed by cpu id (32-byte entries never cross a page). */
static struct pvclock_vcpu_time_info pvclock_info[MAX_CPUS];
static struct pvclock_wall_clock pvclock_wall;
static unsigned pvclock_features;	/* ARCH_PVCLOCK* once probed */
static bool pvclock_probed;
static bool pvclock_reads;		/* unstable: read kvmclock, not the bare TSC */
static uint64_t pvclock_at_boot;	/* kvmclock's system time at monotonic 0 */
static uint64_t pvclock_last;		/* the largest reading returned (unstable path) */

/* The vDSO's data page: a frame of the kernel image, mapped read-only into programs. */
static union {
	struct vdso_data data;
	uint8_t page[VDSO_VVAR_SIZE];
} vvar __attribute__((aligned(VDSO_VVAR_SIZE)));
static unsigned vvar_cpu_mode;
/* Serialises the writers of vvar and the one-time wall-clock read (a leaf: takes nothing). */
static struct spinlock vvar_lock = SPINLOCK_INIT("vvar", SPIN_RANK_NONE);

/* Rewrites the data page from the clock's state, with the sequence protocol. Under vvar_lock. */
static void vvar_update(void)
{
	struct vdso_data *d = &vvar.data;

	__atomic_store_n(&d->seq, d->seq + 1, __ATOMIC_RELAXED);	/* odd: being written */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	d->version = VDSO_DATA_VERSION;
	d->clock_mode = pvclock_reads ? VDSO_CLOCK_SYSCALL : VDSO_CLOCK_TSC;
	d->cpu_mode = vvar_cpu_mode;
	d->cycles_at_boot = tsc_at_boot;
	d->ns_per_cycle_32 = ns_per_cycle_32;
	d->realtime_offset = realtime_offset;
	d->realtime_ready = realtime_known;
	__atomic_store_n(&d->seq, d->seq + 1, __ATOMIC_RELEASE);	/* even: stable */
}

const void *clock_vvar_page(void)
{
	return vvar.page;
}

/* The boot CPU registers its time info on the first question (time_cycles_khz or clock_init). */
static void pvclock_probe(void)
{
	if (pvclock_probed)
		return;
	pvclock_probed = true;
	pvclock_features = arch_pvclock_features();
	if (pvclock_features)
		arch_pvclock_register(&pvclock_info[cpu_self()->id]);
}

/* This CPU's kvmclock reading (system time, ns) and the parameters behind it. */
static uint64_t pvclock_now(struct pvclock_params *p)
{
	unsigned long flags = arch_irq_save();
	uint64_t tsc = pvclock_read(&pvclock_info[cpu_self()->id], p, arch_cycles_ordered,
				    arch_cpu_relax, NULL);

	arch_irq_restore(flags);
	return pvclock_ns_at(p, tsc);
}

uint64_t clock_pvclock_khz(void)
{
	struct pvclock_params p;

	pvclock_probe();
	if (!pvclock_features)
		return 0;
	pvclock_now(&p);
	return pvclock_khz(p.mul, p.shift);
}

void clock_init(void)
{
	uint64_t khz = time_cycles_khz();
	struct pvclock_params p;
	unsigned long flags;

	if (!khz)
		khz = 1000000;	/* unknown: assume 1 GHz rather than stop time */
	ns_per_cycle_32 = (NSEC_PER_MSEC << 32) / khz;
	cycles_per_ns_32 = (khz << 32) / NSEC_PER_MSEC;
	pvclock_probe();
	if (pvclock_features) {
		pvclock_at_boot = pvclock_now(&p);
		if (!p.mul)
			pvclock_features = 0;	/* registered but never filled in: keep to the TSC */
		else
			pvclock_reads = !((pvclock_features & ARCH_PVCLOCK_STABLE) &&
					  (p.flags & PVCLOCK_TSC_STABLE_BIT));
		if (pvclock_features)
			printk("mote: clock: kvmclock, TSC at %lu kHz, %s\n", khz,
			       pvclock_reads ? "unstable: reading kvmclock" : "stable: reading the TSC");
	}
	tsc_at_boot = arch_cycles();
	flags = spin_lock_irqsave(&vvar_lock);
	vvar_cpu_mode = arch_user_cpu_number_init(cpu_self()->id);
	vvar_update();
	spin_unlock_irqrestore(&vvar_lock, flags);
}

void clock_cpu_init(void)
{
	if (pvclock_features)
		arch_pvclock_register(&pvclock_info[cpu_self()->id]);
	arch_user_cpu_number_init(cpu_self()->id);
}

static uint64_t pvclock_monotonic_ns(void)
{
	struct pvclock_params p;
	uint64_t sys = pvclock_now(&p);

	/* A CPU whose clock lags the boot CPU's may read less than the boot value: that is 0. */
	return pvclock_monotonic(&pvclock_last, sys > pvclock_at_boot ? sys - pvclock_at_boot : 0);
}

uint64_t clock_monotonic_ns(void)
{
	if (pvclock_reads)
		return pvclock_monotonic_ns();
	return (uint64_t)(((unsigned __int128)(arch_cycles() - tsc_at_boot) * ns_per_cycle_32) >> 32);
}

uint64_t clock_ns_to_cycles(uint64_t ns)
{
	if (pvclock_reads) {
		/* From this CPU's latest kvmclock update, so only the time since then is extrapolated. */
		struct pvclock_params p;
		unsigned long flags = arch_irq_save();
		uint64_t tsc = pvclock_read(&pvclock_info[cpu_self()->id], &p, arch_cycles_ordered,
					    arch_cpu_relax, NULL);

		arch_irq_restore(flags);
		return pvclock_cycles_at(&p, ns + pvclock_at_boot, cycles_per_ns_32, tsc);
	}
	return tsc_at_boot + (uint64_t)(((unsigned __int128)ns * cycles_per_ns_32) >> 32);
}

static unsigned cmos_read(unsigned reg)
{
	arch_pio_write8(0x70, reg);
	return arch_pio_read8(0x71);
}

static unsigned from_bcd(unsigned v, bool bcd)
{
	return bcd ? (v & 15) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), by the era method. */
static uint64_t days_since_epoch(unsigned y, unsigned m, unsigned d)
{
	unsigned era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

static uint64_t rtc_read_ns(void)
{
	unsigned sec, min, hour, day, mon, year, status_b;
	bool bcd;

	while (cmos_read(0x0a) & 0x80)	/* update in progress */
		;
	sec = cmos_read(0x00);
	min = cmos_read(0x02);
	hour = cmos_read(0x04);
	day = cmos_read(0x07);
	mon = cmos_read(0x08);
	year = cmos_read(0x09);
	status_b = cmos_read(0x0b);
	bcd = !(status_b & 0x04);
	hour = from_bcd(hour & 0x7f, bcd) % 24 + (!(status_b & 0x02) && (hour & 0x80) ? 12 : 0);
	return (days_since_epoch(2000 + from_bcd(year, bcd), from_bcd(mon, bcd), from_bcd(day, bcd)) *
		86400 + hour * 3600 + from_bcd(min, bcd) * 60 + from_bcd(sec, bcd)) * NSEC_PER_SEC;
}

/*
 * Reads the wall clock into realtime_offset, once: under vvar_lock, so
 * concurrent first readers agree on one offset, which the vDSO then gets.
 */
static void realtime_establish(void)
{
	unsigned long flags = spin_lock_irqsave(&vvar_lock);
	uint64_t now = clock_monotonic_ns();

	if (!realtime_known) {
		if (pvclock_features) {
			struct pvclock_params p;
			uint64_t since_zero, wall;

			arch_pvclock_wall_clock(&pvclock_wall);
			wall = pvclock_wall_ns(&pvclock_wall, arch_cpu_relax);
			since_zero = pvclock_now(&p);
			now = clock_monotonic_ns();
			realtime_offset = wall + since_zero - now;
		} else {
			realtime_offset = rtc_read_ns() - now;
		}
		__atomic_store_n(&realtime_known, true, __ATOMIC_RELEASE);
		vvar_update();
	}
	spin_unlock_irqrestore(&vvar_lock, flags);
}

uint64_t clock_realtime_ns(void)
{
	if (!__atomic_load_n(&realtime_known, __ATOMIC_ACQUIRE))
		realtime_establish();
	return realtime_offset + clock_monotonic_ns();
}
