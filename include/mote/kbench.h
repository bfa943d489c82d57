/*
 * In-kernel benchmarks. A file registers one with KBENCH(name) { ... }
 * (a descriptor in the .kbench linker section, like KTEST); `bench=name`
 * on the kernel command line makes the application thread run it instead
 * of the banner, and power off with its status. A benchmark prints its
 * results as lines the host-side harness parses (bench/NAME/) and returns
 * 0, or nonzero if it could not run.
 */
#ifndef MOTE_KBENCH_H
#define MOTE_KBENCH_H

struct kbench {
	const char *name;
	int (*fn)(void);
};

#define KBENCH(bname)								\
	static int kbench_fn_##bname(void);					\
	static const struct kbench kbench_desc_##bname				\
		__attribute__((used, section(".kbench"), aligned(8))) =	\
		{ #bname, kbench_fn_##bname };					\
	static int kbench_fn_##bname(void)

/* Runs the benchmark called name: its status, or -1 (with a message) if there is none. */
int kbench_run(const char *name);

#endif
