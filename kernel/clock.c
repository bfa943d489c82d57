/*
 * Clocks from the TSC (see mote/clock.h). Nanoseconds are derived with a
 * 32.32 fixed-point multiplier computed once, so a reading is rdtsc, a
 * subtraction and a 128-bit multiply: no division, no VM exit. The TSC is
 * taken as invariant (every hypervisor mote targets exposes a constant-rate
 * TSC or would need kvmclock, see docs/threads.md). The wall clock is read
 * from the CMOS RTC once, on first use, not at boot.
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/time.h>

static uint64_t tsc_at_boot, ns_per_cycle_32, cycles_per_ns_32;
static uint64_t realtime_offset;	/* wall clock at monotonic 0 */
static bool realtime_known;

void clock_init(void)
{
	uint64_t khz = time_cycles_khz();

	if (!khz)
		khz = 1000000;	/* unknown: assume 1 GHz rather than stop time */
	tsc_at_boot = arch_cycles();
	ns_per_cycle_32 = (NSEC_PER_MSEC << 32) / khz;
	cycles_per_ns_32 = (khz << 32) / NSEC_PER_MSEC;
}

uint64_t clock_monotonic_ns(void)
{
	return (uint64_t)(((unsigned __int128)(arch_cycles() - tsc_at_boot) * ns_per_cycle_32) >> 32);
}

uint64_t clock_ns_to_cycles(uint64_t ns)
{
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

uint64_t clock_realtime_ns(void)
{
	uint64_t now = clock_monotonic_ns();

	if (!realtime_known) {
		realtime_offset = rtc_read_ns() - now;
		realtime_known = true;
	}
	return realtime_offset + now;
}
