/*
 * In-kernel self-tests. Any file registers a test with KTEST(name) { ... };
 * the macro drops a descriptor into the .ktests linker section, so there is
 * no central list to keep. `--selftest` on the kernel command line runs
 * them all (`selftest=prefix` runs those whose name starts with prefix),
 * prints `ktest: PASS name` or `ktest: FAIL name: file:line: expression`
 * for each and `ktest: N passed, N failed`, then powers off with status 0
 * or MOTE_STATUS_TESTS_FAILED. The tests (tests/ktest) are linked into
 * build/kernel-test.elf only; kernel.elf, which ships, has none and says
 * so, failing, when asked to run them.
 *
 * Inside a test, KT_EXPECT(cond) records a failure and continues;
 * KT_ASSERT(cond) records it and returns from the test.
 */
#ifndef MOTE_KTEST_H
#define MOTE_KTEST_H

#include <stdbool.h>

struct ktest_ctx;

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *kt);
};

#define KTEST(tname)								\
	static void ktest_fn_##tname(struct ktest_ctx *kt);			\
	static const struct ktest ktest_desc_##tname				\
		__attribute__((used, section(".ktests"), aligned(8))) =	\
		{ #tname, ktest_fn_##tname };					\
	static void ktest_fn_##tname(struct ktest_ctx *kt)

bool ktest_check(struct ktest_ctx *kt, bool ok, const char *expr, const char *file, int line);

#define KT_EXPECT(cond) ktest_check(kt, (cond), #cond, __FILE__, __LINE__)
#define KT_ASSERT(cond)					\
	do {						\
		if (!KT_EXPECT(cond))			\
			return;				\
	} while (0)

/* Runs the registered tests whose names start with prefix ("" for all); returns failures. */
unsigned ktest_run(const char *prefix);

#endif
