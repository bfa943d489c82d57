/*
 * tests/unit/vm/harness.h: the little the vm test programs share.
 *
 * A case is a function run by CASE(fn); it prints `PASS fn` or
 * `FAIL fn: <first failure>` (tests/run.sh counts those lines). CHECK and
 * CHECKF record the first failure with its location and carry on;
 * long random loops test `failed()` to stop at the first one. The program
 * exits 1 if any case failed. A seeded xorshift generator keeps every run
 * reproducible (VM_TEST_SEED in the environment shifts every case's seed).
 */
#ifndef TESTS_UNIT_VM_HARNESS_H
#define TESTS_UNIT_VM_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_failed_cases;
static int h_case_failures;
static char h_first[1024];

__attribute__((format(printf, 3, 4), unused))
static void h_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (h_case_failures++)
		return;
	n = snprintf(h_first, sizeof(h_first), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(h_first + n, sizeof(h_first) - (size_t)n, fmt, ap);
	va_end(ap);
}

#define CHECK(cond) \
	((cond) ? true : (h_fail(__FILE__, __LINE__, "%s", #cond), false))
#define CHECKF(cond, ...) \
	((cond) ? true : (h_fail(__FILE__, __LINE__, __VA_ARGS__), false))
#define FAIL(...) h_fail(__FILE__, __LINE__, __VA_ARGS__)
/* An int result compared with what is expected, both printed on failure. */
#define CHECK_EQ(got, want) \
	CHECKF((long long)(got) == (long long)(want), "%s = %lld, expected %lld", #got, \
	       (long long)(got), (long long)(want))

static inline bool failed(void)
{
	return h_case_failures != 0;
}

__attribute__((unused))
static void run_case(const char *name, void (*fn)(void))
{
	h_case_failures = 0;
	fn();
	if (h_case_failures) {
		h_failed_cases++;
		printf("FAIL %s: %s\n", name, h_first);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define CASE(fn) run_case(#fn, fn)

static inline int h_exit(void)
{
	return h_failed_cases ? 1 : 0;
}

static uint64_t h_rng_state = 0x9e3779b97f4a7c15ull;

__attribute__((unused))
static void h_seed(uint64_t seed)
{
	const char *env = getenv("VM_TEST_SEED");

	if (env)
		seed += strtoull(env, NULL, 0) * 1000003;
	h_rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

__attribute__((unused))
static uint64_t rng(void)
{
	h_rng_state ^= h_rng_state >> 12;
	h_rng_state ^= h_rng_state << 25;
	h_rng_state ^= h_rng_state >> 27;
	return h_rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n). */
__attribute__((unused))
static uint64_t rnd(uint64_t n)
{
	return n ? rng() % n : 0;
}

#endif
