/*
 * pvclock arithmetic and the version protocol (see mote/pvclock.h).
 * Portable: built into the kernel and into the host unit test.
 */
#include <mote/pvclock.h>
#include <stdbool.h>

/* The compiler must neither cache nor reorder the loads around this; x86 keeps loads in order. */
#define barrier() asm volatile("" : : : "memory")

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	/* 64 x 32 bits: the product needs up to 96 bits, so multiply in 128. */
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_khz(uint32_t mul, int8_t shift)
{
	/*
	 * ns per cycle = mul * 2^shift / 2^32, so kHz = 10^6 * 2^32 / (mul * 2^shift).
	 * In 64 bits (the kernel has no 128-bit division): 10^6 * 2^32 < 2^52, so
	 * up to 12 right shifts fit (a 4096 GHz TSC); rates beyond are refused.
	 */
	uint64_t num = 1000000ULL << 32, den = mul;

	if (!mul || shift < -12 || shift > 31)
		return 0;
	if (shift < 0)
		num <<= -shift;
	else
		den <<= shift;
	return (num + den / 2) / den;
}

uint64_t pvclock_read(const volatile struct pvclock_vcpu_time_info *ti, struct pvclock_params *p,
		      uint64_t (*cycles)(void), void (*relax)(void), unsigned *retries)
{
	uint32_t before, after;
	uint64_t now;
	unsigned tries = 0;

	for (;; tries++) {
		before = ti->version;
		if (before & 1) {
			relax();
			continue;
		}
		barrier();
		now = cycles();
		p->tsc_timestamp = ti->tsc_timestamp;
		p->system_time = ti->system_time;
		p->mul = ti->tsc_to_system_mul;
		p->shift = ti->tsc_shift;
		p->flags = ti->flags;
		barrier();
		after = ti->version;
		if (after == before)
			break;
	}
	if (retries)
		*retries = tries;
	return now;
}

uint64_t pvclock_cycles_at(const struct pvclock_params *p, uint64_t system_ns,
			   uint64_t cycles_per_ns_32, uint64_t now_tsc)
{
	if (system_ns <= p->system_time)
		return now_tsc;
	return p->tsc_timestamp +
	       (uint64_t)(((unsigned __int128)(system_ns - p->system_time) * cycles_per_ns_32) >> 32);
}

uint64_t pvclock_monotonic(uint64_t *last, uint64_t now)
{
	uint64_t seen = __atomic_load_n(last, __ATOMIC_RELAXED);

	do {
		if (now <= seen)
			return seen;
	} while (!__atomic_compare_exchange_n(last, &seen, now, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return now;
}

uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, void (*relax)(void))
{
	uint32_t before, sec, nsec;

	for (;;) {
		before = wc->version;
		if (before & 1) {
			relax();
			continue;
		}
		barrier();
		sec = wc->sec;
		nsec = wc->nsec;
		barrier();
		if (wc->version == before)
			break;
	}
	return (uint64_t)sec * 1000000000ULL + nsec;
}
