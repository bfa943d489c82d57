/*
 * The pvclock arithmetic and version protocol (kernel/pvclock.c): scaling
 * against a reference computed with 128-bit integers, the frequency a
 * mul/shift pair describes, and readers that meet an update in progress.
 * Not testable here: that real readings on different CPUs stay monotonic
 * (that needs KVM and several vCPUs); only the clamp that enforces it
 * without the stable bit is checked, single-threaded.
 */
#include <mote/pvclock.h>
#include "check.h"

/* The definition written out: the shifted delta keeps all its bits in 128. */
static uint64_t reference(uint64_t delta, uint32_t mul, int shift)
{
	unsigned __int128 d = shift < 0 ? (unsigned __int128)(delta >> -shift)
					: (unsigned __int128)(uint64_t)(delta << shift);

	return (uint64_t)((d * mul) >> 32);
}

static void scale_basic(void)
{
	/* mul 2^31, shift 0: half a ns per cycle (a 2 GHz TSC). */
	EXPECT(pvclock_scale(1000, 0x80000000u, 0) == 500);
	/* shift 1 doubles: 1 ns per cycle. */
	EXPECT(pvclock_scale(1000, 0x80000000u, 1) == 1000);
	/* shift -1 halves first (dropping the low bit): 1001 >> 1 = 500, times 1/2. */
	EXPECT(pvclock_scale(1001, 0x80000000u, -1) == 250);
	EXPECT(pvclock_scale(0, 0xffffffffu, 3) == 0);
	EXPECT(pvclock_scale(12345, 0, 0) == 0);
}

static void scale_large_products(void)
{
	/* delta * mul overflows 64 bits: the 128-bit intermediate must keep it. */
	uint64_t deltas[] = { 1ULL << 40, 0x123456789abcULL, (1ULL << 62) - 7, ~0ULL, 3 };
	uint32_t muls[] = { 0xffffffffu, 0xa0000000u, 0x55555555u, 1 };
	int shifts[] = { -5, -1, 0, 1, 2 };

	for (unsigned i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++)
		for (unsigned j = 0; j < sizeof(muls) / sizeof(muls[0]); j++)
			for (unsigned k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++)
				EXPECT(pvclock_scale(deltas[i], muls[j], (int8_t)shifts[k]) ==
				       reference(deltas[i], muls[j], shifts[k]));
	/* One hour of a 3 GHz TSC (shift -1, mul 2/3 of 2^32): 3.6e12 ns, off by mul's rounding only. */
	uint64_t hour = 3600ULL * 3000000000ULL;
	uint64_t ns = pvclock_scale(hour, 0xaaaaaaabu, -1);

	EXPECT(ns >= 3600ULL * 1000000000ULL && ns <= 3600ULL * 1000000000ULL + 1000);
}

/* mul/shift as a hypervisor would choose them for khz: the largest mul below 2^32. */
static void params_for(uint64_t khz, uint32_t *mul, int8_t *shift)
{
	uint64_t ns_per_ms = 1000000, cyc = khz;
	int s = 0;

	/* Want mul = ns_per_ms / cyc * 2^32 * 2^-s with mul in [2^31, 2^32). */
	while (cyc > 2 * ns_per_ms) {
		cyc >>= 1;
		s--;
	}
	while (cyc <= ns_per_ms) {
		ns_per_ms >>= 1;	/* not hit for GHz rates; kept for slow TSCs */
		s++;
	}
	*mul = (uint32_t)((((unsigned __int128)ns_per_ms << 32) / cyc));
	*shift = (int8_t)s;
}

static void frequency(void)
{
	/* 2 GHz: half a ns per cycle. */
	EXPECT(pvclock_khz(0x80000000u, 0) == 2000000);
	EXPECT(pvclock_khz(0x80000000u, 1) == 1000000);
	EXPECT(pvclock_khz(0x80000000u, -1) == 4000000);
	EXPECT(pvclock_khz(0, 0) == 0);
	EXPECT(pvclock_khz(0x80000000u, -13) == 0);	/* beyond 4 THz: refused */
	EXPECT(pvclock_khz(0x80000000u, -12) == 8192000000ULL);
	/* 1 GHz exactly representable? mul 2^32 is not: 0xffffffff shift 0 is within 1 kHz. */
	uint64_t k = pvclock_khz(0xffffffffu, 0);
	EXPECT(k >= 1000000 && k <= 1000001);

	/* Round trips through hypervisor-style parameters, within 1 ppm. */
	uint64_t rates[] = { 1000000, 2100000, 2899999, 3000000, 3400123, 4700000, 24000 };

	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t got, err;

		params_for(rates[i], &mul, &shift);
		got = pvclock_khz(mul, shift);
		err = got > rates[i] ? got - rates[i] : rates[i] - got;
		EXPECT(err * 1000000 <= rates[i] + 1000000);
		/* And the parameters really scale one ms of cycles to ~1 ms. */
		uint64_t ms = pvclock_scale(rates[i], mul, shift);
		EXPECT(ms >= 999990 && ms <= 1000010);
	}
}

/* A simulated hypervisor writing the structure while the reader is inside its window. */
static struct pvclock_vcpu_time_info info;
static struct pvclock_wall_clock wall;
static unsigned cycles_calls, relax_calls, tear_on_call;
static uint64_t fake_tsc;

static void set_params(uint64_t ts, uint64_t sys, uint32_t mul, int8_t shift)
{
	info.tsc_timestamp = ts;
	info.system_time = sys;
	info.tsc_to_system_mul = mul;
	info.tsc_shift = shift;
}

static uint64_t fake_cycles(void)
{
	if (++cycles_calls == tear_on_call) {
		/* The update starts: version odd, half the fields written. */
		info.version++;
		info.system_time = 5000000000ULL;
		info.tsc_to_system_mul = 0x40000000u;
	}
	return fake_tsc;
}

static void fake_relax(void)
{
	/* The update finishes while the reader waits. */
	if (relax_calls++ == 0) {
		info.tsc_timestamp = 2000000;
		info.tsc_shift = 0;
		info.flags = PVCLOCK_TSC_STABLE_BIT;
		info.version++;
	}
}

static void read_consistent(void)
{
	struct pvclock_params p;
	unsigned retries = 99;

	info.version = 2;
	set_params(1000000, 7000, 0x80000000u, 0);
	cycles_calls = relax_calls = 0;
	tear_on_call = 0;
	fake_tsc = 1000400;
	uint64_t tsc = pvclock_read(&info, &p, fake_cycles, fake_relax, &retries);

	EXPECT(retries == 0);
	EXPECT(tsc == 1000400);
	EXPECT(pvclock_ns_at(&p, tsc) == 7000 + 200);
	EXPECT(p.mul == 0x80000000u && p.shift == 0 && p.flags == 0);
}

static void read_torn(void)
{
	struct pvclock_params p;
	unsigned retries = 0;

	/* The update begins inside the reader's first window: it must not use what it copied. */
	info.version = 4;
	info.flags = 0;
	set_params(1000000, 7000, 0x80000000u, 0);
	cycles_calls = relax_calls = 0;
	tear_on_call = 1;
	fake_tsc = 2000100;
	uint64_t tsc = pvclock_read(&info, &p, fake_cycles, fake_relax, &retries);

	EXPECT(info.version == 6);
	EXPECT(relax_calls == 1);	/* it waited on the odd version */
	EXPECT(retries == 2);		/* the torn copy, then the odd version */
	EXPECT(p.tsc_timestamp == 2000000 && p.system_time == 5000000000ULL);
	EXPECT(p.mul == 0x40000000u && p.flags == PVCLOCK_TSC_STABLE_BIT);
	/* New parameters only: 100 cycles at a quarter ns each. */
	EXPECT(pvclock_ns_at(&p, tsc) == 5000000000ULL + 25);
}

static void read_odd_at_start(void)
{
	struct pvclock_params p;
	unsigned retries = 0;

	/* The reader arrives in the middle of an update. */
	info.version = 7;
	set_params(0, 0, 0, 0);
	cycles_calls = relax_calls = 0;
	tear_on_call = 0;
	fake_tsc = 2000004;
	uint64_t tsc = pvclock_read(&info, &p, fake_cycles, fake_relax, &retries);

	EXPECT(relax_calls == 1 && retries == 1 && cycles_calls == 1);
	EXPECT(p.tsc_timestamp == 2000000);
	EXPECT(pvclock_ns_at(&p, tsc) == 0 + 4 * 0 /* mul 0 */);
}

static void relax_wall(void)
{
	if (wall.version & 1) {
		wall.sec = 1700000000;
		wall.nsec = 123456789;
		wall.version++;
	}
}

static void wall_clock(void)
{
	wall.version = 1;	/* being written */
	wall.sec = 1;
	wall.nsec = 2;
	EXPECT(pvclock_wall_ns(&wall, relax_wall) == 1700000000ULL * 1000000000ULL + 123456789);
	EXPECT(wall.version == 2);
	EXPECT(pvclock_wall_ns(&wall, relax_wall) == 1700000000ULL * 1000000000ULL + 123456789);
}

static void cycles_at(void)
{
	/* 2 GHz: 2 cycles per ns, as 32.32. */
	struct pvclock_params p = { .tsc_timestamp = 1000000, .system_time = 50000,
				    .mul = 0x80000000u, .shift = 0 };
	uint64_t two = 2ULL << 32;

	EXPECT(pvclock_cycles_at(&p, 50000 + 300, two, 999) == 1000000 + 600);
	EXPECT(pvclock_cycles_at(&p, 50000, two, 999) == 999);		/* due now */
	EXPECT(pvclock_cycles_at(&p, 10, two, 999) == 999);		/* past */
	/* Far future: the product exceeds 64 bits before the shift. */
	uint64_t far = 50000 + 100ULL * 365 * 86400 * 1000000000ULL;
	EXPECT(pvclock_cycles_at(&p, far, two, 0) == 1000000 + 2 * (far - 50000));
	/* Round trip with the reading: the cycle count found reads back as the target. */
	uint64_t c = pvclock_cycles_at(&p, 123456789, two, 0);
	EXPECT(pvclock_ns_at(&p, c) == 123456789);
}

static void monotonic_clamp(void)
{
	uint64_t last = 0;

	EXPECT(pvclock_monotonic(&last, 100) == 100 && last == 100);
	/* Another CPU's clock is a little behind: time does not go back. */
	EXPECT(pvclock_monotonic(&last, 90) == 100 && last == 100);
	EXPECT(pvclock_monotonic(&last, 100) == 100);
	EXPECT(pvclock_monotonic(&last, 250) == 250 && last == 250);
}

int main(void)
{
	RUN(scale_basic);
	RUN(scale_large_products);
	RUN(frequency);
	RUN(read_consistent);
	RUN(read_torn);
	RUN(read_odd_at_start);
	RUN(wall_clock);
	RUN(cycles_at);
	RUN(monotonic_clamp);
	return test_summary();
}
