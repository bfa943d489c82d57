/*
 * Boot phase timing, like OSv's bootchart: each phase records the cycle
 * counter when it ends; with `--bootchart` on the command line the kernel
 * prints `bootchart: <phase> <ms since the kernel's first instruction>`
 * per phase and `bootchart: total <ms>`. Recording costs one rdtsc and is
 * always on; printing happens after boot, outside the measured time.
 */
#ifndef MOTE_BOOTCHART_H
#define MOTE_BOOTCHART_H

#include <stdint.h>

void bootchart_start(uint64_t entry_cycles);
void bootchart_mark(const char *phase);
/* Prints every phase and the total (the last mark). */
void bootchart_report(void);

#endif
