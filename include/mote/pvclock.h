/*
 * The paravirtual clock ABI KVM (and Xen) share: the hypervisor keeps one
 * pvclock_vcpu_time_info per virtual CPU up to date in guest memory, giving
 * the guest's "system time" (ns) at a TSC value and the fixed-point factor
 * that turns later TSC deltas into nanoseconds:
 *
 *     ns = system_time + (((tsc - tsc_timestamp) << shift) * mul) >> 32
 *
 * (a negative shift shifts right). Updates are guarded by `version`: odd
 * while the hypervisor writes, bumped again when done, so a reader retries
 * until it sees the same even version before and after its reads.
 *
 * Everything here is portable arithmetic over the ABI, host-tested in
 * tests/unit/test_pvclock.c; registering the structures is arch code
 * (arch/x86_64/kvmclock.c), choosing a clock is kernel/clock.c.
 */
#ifndef MOTE_PVCLOCK_H
#define MOTE_PVCLOCK_H

#include <stdint.h>

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed, aligned(32)));	/* the hypervisor wants 32-byte alignment */

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;		/* wall-clock time when system_time was 0 */
	uint32_t nsec;
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock time info is 32 bytes");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock wall clock is 12 bytes");

#define PVCLOCK_TSC_STABLE_BIT (1u << 0)	/* every CPU's clock agrees: the TSC alone will do */
#define PVCLOCK_GUEST_STOPPED  (1u << 1)

/* One consistent copy of the fields a reading needs. */
struct pvclock_params {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
};

/* delta TSC cycles in ns: shifted by shift (either sign), then times mul / 2^32. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);

/* The TSC rate mul/shift describe, in kHz (cycles per ms); 0 if mul is 0 or shift out of -12..31. */
uint64_t pvclock_khz(uint32_t mul, int8_t shift);

/*
 * Reads ti with the version protocol: copies the parameters into *p and
 * returns the cycle counter, read by cycles() inside the same consistent
 * window. relax() is called while the version is odd (an update is under
 * way). *retries (if not NULL) counts the discarded attempts.
 */
uint64_t pvclock_read(const volatile struct pvclock_vcpu_time_info *ti, struct pvclock_params *p,
		      uint64_t (*cycles)(void), void (*relax)(void), unsigned *retries);

/* The system time in ns at cycle counter value tsc, from a consistent copy. */
static inline uint64_t pvclock_ns_at(const struct pvclock_params *p, uint64_t tsc)
{
	return p->system_time + pvclock_scale(tsc - p->tsc_timestamp, p->mul, p->shift);
}

/*
 * The cycle counter value at which system time reaches system_ns, from a
 * consistent copy and the rate as a 32.32 cycles-per-ns factor; now_tsc if
 * that time has passed. Only the time since the copy's update is
 * extrapolated at the nominal rate.
 */
uint64_t pvclock_cycles_at(const struct pvclock_params *p, uint64_t system_ns,
			   uint64_t cycles_per_ns_32, uint64_t now_tsc);

/*
 * Readings from CPUs whose clocks may disagree slightly, made monotonic:
 * returns the larger of now and *last, raising *last to it (atomically:
 * any CPU may call this at any time).
 */
uint64_t pvclock_monotonic(uint64_t *last, uint64_t now);

/* The wall clock at system time 0, in ns since the epoch, read with the version protocol. */
uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, void (*relax)(void));

#endif
