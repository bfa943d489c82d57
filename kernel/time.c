/*
 * The cycle counter's rate (see mote/time.h). Calibration uses PIT channel
 * 0 read back through its latch command, not channel 2 and the speaker
 * gate: microvm and Firecracker have no gate at port 0x61. It measures
 * cycles across windows of 0.5 ms of PIT ticks (1.193182 MHz); if the PIT
 * never moves (absent), the rate stays unknown rather than wrong.
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
#define PIT_TICKS       597		/* 0.5 ms a window */
#define PIT_WINDOWS     8		/* at most, until one is tight enough */
#define PIT_MAX_POLLS   2000000

static uint64_t cycles_khz;

void time_set_cycles_khz(uint64_t khz)
{
	cycles_khz = khz;
}

/*
 * A PIT count and when it was latched: the latch is the one port write, so
 * the cycle counter read on either side of it brackets the moment. The
 * bracket's width is the sample's uncertainty: a hypervisor exit, a host
 * preemption or (under TCG) the first translation of the code in between
 * widens it, and a window whose ends are not both tight is measured again.
 * Trusting one unbracketed read per end once skewed the rate by 2% under
 * TCG, and by a factor of 100 when the host preempted QEMU mid-read.
 */
struct pit_sample {
	uint16_t count;
	uint64_t cycles;	/* the bracket's midpoint */
	uint64_t width;
};

static struct pit_sample pit_sample(void)
{
	uint64_t before, after;
	uint8_t lo, hi;

	before = arch_cycles();
	arch_pio_write8(PIT_CMD, 0x00);	/* latch channel 0 */
	after = arch_cycles();
	lo = arch_pio_read8(PIT_CH0);
	hi = arch_pio_read8(PIT_CH0);
	return (struct pit_sample){ (uint16_t)(hi << 8 | lo), before + (after - before) / 2,
				    after - before };
}

/*
 * One window of at least PIT_TICKS: its rate in kHz, *width the summed
 * bracket widths, or UINT64_MAX if one gap between samples took over half
 * the window: a stall that long (the host descheduling QEMU) may have let
 * the 16-bit count wrap unseen.
 */
static uint64_t pit_window(uint64_t *width)
{
	struct pit_sample start = pit_sample(), prev = start, now;
	uint64_t max_gap = 0;
	unsigned polls = 0;

	do {
		now = pit_sample();
		if (++polls == PIT_MAX_POLLS)
			return 0;	/* the PIT is not counting: no PIT */
		if (now.cycles - prev.cycles > max_gap)
			max_gap = now.cycles - prev.cycles;
		prev = now;
	} while ((uint16_t)(start.count - now.count) < PIT_TICKS);
	*width = max_gap * 2 > now.cycles - start.cycles ? UINT64_MAX : start.width + now.width;
	return (now.cycles - start.cycles) * PIT_HZ /
	       ((uint16_t)(start.count - now.count) * 1000ULL);
}

/*
 * The cycle counter's rate against PIT channel 0: windows of 0.5 ms until
 * one's ends are known to 0.1% of its length (or the tightest of
 * PIT_WINDOWS). The first sample is thrown away: it pays for translating
 * this code under TCG.
 */
static uint64_t calibrate_with_pit(void)
{
	uint64_t best = 0, best_width = UINT64_MAX, khz, width;

	arch_pio_write8(PIT_CMD, 0x34);	/* channel 0, lo/hi byte, mode 2, binary */
	arch_pio_write8(PIT_CH0, 0xff);
	arch_pio_write8(PIT_CH0, 0xff);
	(void)pit_sample();
	for (unsigned i = 0; i < PIT_WINDOWS; i++) {
		khz = pit_window(&width);
		if (!khz)
			return 0;
		if (width < best_width) {
			best = khz;
			best_width = width;
		}
		if (width <= khz / 2000)	/* 0.1% of 0.5 ms of cycles (khz / 2) */
			break;
	}
	return best;
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
