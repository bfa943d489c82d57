/*
 * bench/boot's python row: boot to the first line python3 prints, mote
 * against Linux (python.c says how). boot.c runs it after its own rows.
 */
#ifndef BENCH_BOOT_PYTHON_H
#define BENCH_BOOT_PYTHON_H

struct python_config {
	int runs;		/* alternating runs of each side; 0: the row is skipped */
	const char *mote;	/* build/mote */
	const char *run_guest;	/* bench/linux/run-guest.sh */
	const char *pyinit;	/* build/bench/pyinit, the Linux side's /init */
	const char *make_images;/* bench/boot/make-python.sh */
	const char *tsc_khz;	/* build/linux/tsc-khz */
	const char *dir;	/* where the images go: build/bench/python */
};

/* Makes the images (once), times both sides and prints the section. Exits 2
 * if either side cannot run; returns 0 (the row has no target yet). */
int python_row(const struct python_config *c);

#endif
