/* Boot phase timing (see mote/bootchart.h). */
#include <mote/arch.h>
#include <mote/bootchart.h>
#include <mote/log.h>
#include <mote/time.h>

#define MAX_PHASES 32

static struct {
	uint64_t entry;
	unsigned count;
	struct {
		const char *name;
		uint64_t cycles;
	} phase[MAX_PHASES];
} chart;

void bootchart_start(uint64_t entry_cycles)
{
	chart.entry = entry_cycles;
}

void bootchart_mark(const char *phase)
{
	if (chart.count < MAX_PHASES)
		chart.phase[chart.count++] = (typeof(chart.phase[0])){ phase, arch_cycles() };
}

static void print_ms(const char *name, uint64_t cycles)
{
	uint64_t us = time_cycles_to_us(cycles - chart.entry);

	printk("bootchart: %s %lu.%03lu\n", name, us / 1000, us % 1000);
}

void bootchart_report(void)
{
	if (!time_cycles_khz()) {
		printk("bootchart: cycle counter rate unknown; pass tsc_khz=\n");
		return;
	}
	printk("bootchart: cycle counter at %lu kHz\n", time_cycles_khz());
	for (unsigned i = 0; i < chart.count; i++)
		print_ms(chart.phase[i].name, chart.phase[i].cycles);
	if (chart.count)
		print_ms("total", chart.phase[chart.count - 1].cycles);
}
