/*
 * The cycle counter's rate (see mote/time.h). Calibration uses PIT channel
 * 0 read back through its latch command, not channel 2 and the speaker
 * gate: microvm and Firecracker have no gate at port 0x61. It measures
 * cycles across 0.5 ms of PIT ticks (1.193182 MHz); if the PIT never moves
 * (absent), the rate stays unknown rather than wrong.
 *
 * Order: the command line, then kvmclock (its multiplier is what KVM itself
 * uses to turn this guest's TSC into time, right even when the host scales
 * the TSC, where CPUID 0x15/0x16 describe the host's CPU), then CPUID, then
 * the PIT. Under KVM with kvmclock the PIT is never touched.
 */
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/time.h>

#define PIT_HZ          1193182
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define PIT_TICKS       597		/* 0.5 ms: about 0.2% error, paid once at boot */
#define PIT_MAX_POLLS   2000000

static uint64_t cycles_khz;

void time_set_cycles_khz(uint64_t khz)
{
	cycles_khz = khz;
}

static uint16_t pit_read(void)
{
	uint8_t lo, hi;

	arch_pio_write8(PIT_CMD, 0x00);	/* latch channel 0 */
	lo = arch_pio_read8(PIT_CH0);
	hi = arch_pio_read8(PIT_CH0);
	return (uint16_t)(hi << 8 | lo);
}

static uint64_t calibrate_with_pit(void)
{
	uint16_t start, now;
	uint64_t c0, c1;
	unsigned polls = 0;

	arch_pio_write8(PIT_CMD, 0x34);	/* channel 0, lo/hi byte, mode 2, binary */
	arch_pio_write8(PIT_CH0, 0xff);
	arch_pio_write8(PIT_CH0, 0xff);
	start = pit_read();
	c0 = arch_cycles();
	do {
		now = pit_read();
		if (++polls == PIT_MAX_POLLS)
			return 0;
	} while ((uint16_t)(start - now) < PIT_TICKS);
	c1 = arch_cycles();
	return (c1 - c0) * PIT_HZ / ((uint16_t)(start - now) * 1000ULL);
}

uint64_t time_cycles_khz(void)
{
	if (!cycles_khz)
		cycles_khz = clock_pvclock_khz();
	if (!cycles_khz)
		cycles_khz = arch_cycles_khz_from_cpu();
	if (!cycles_khz)
		cycles_khz = calibrate_with_pit();
	return cycles_khz;
}

uint64_t time_cycles_to_us(uint64_t cycles)
{
	uint64_t khz = time_cycles_khz();

	/* Split to avoid overflow: cycles * 1000 overflows after ~200 days at 1 GHz. */
	return khz ? cycles / khz * 1000 + cycles % khz * 1000 / khz : 0;
}
