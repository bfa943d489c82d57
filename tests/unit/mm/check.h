/*
 * tests/unit/mm/check.h: the little the mm test programs share.
 *
 * Every check prints one line, "PASS <name>" or "FAIL <name>: <why>",
 * which the test runner counts; a program exits non-zero if any check
 * failed. Loops that test thousands of cases report once, with the first
 * case that went wrong. boot() brings mm up on a memfd "machine" with a
 * PC-like memory map: low memory from an unaligned address below 640 KiB,
 * a hole up to 1 MiB, then the rest of RAM.
 */
#ifndef MM_TEST_CHECK_H
#define MM_TEST_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mote/mm.h>
#include "../../../mm/host/host.h"

static int check_failures;

__attribute__((format(printf, 3, 4), unused))
static bool check(const char *name, bool ok, const char *why, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", name);
	} else {
		check_failures++;
		printf("FAIL %s: ", name);
		va_start(ap, why);
		vprintf(why, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return ok;
}

/* A formatted check name, for checks inside loops over sizes. */
__attribute__((format(printf, 1, 2), unused))
static const char *name_of(const char *fmt, ...)
{
	static char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

#define LOW_BASE 0x500u		/* deliberately unaligned: rounds up to 0x1000 */
#define LOW_END  0x9fc00u	/* rounds down to 0x9f000 */
#define HIGH_BASE 0x100000u

/* The PC-like map for ram bytes; returns the number of ranges. */
__attribute__((unused))
static size_t pc_ranges(struct mm_range *r, size_t ram)
{
	size_t n = 0;

	r[n++] = (struct mm_range){ LOW_BASE, (ram < LOW_END ? ram : LOW_END) - LOW_BASE };
	if (ram > HIGH_BASE)
		r[n++] = (struct mm_range){ HIGH_BASE, ram - HIGH_BASE };
	return n;
}

/* Pages the PC-like map makes usable. */
__attribute__((unused))
static size_t pc_usable_pages(size_t ram)
{
	size_t low = ((ram < LOW_END ? ram : LOW_END) & ~0xfffu) - 0x1000;

	return (low + (ram > HIGH_BASE ? ram - HIGH_BASE : 0)) / MM_PAGE_SIZE;
}

/* Brings mm up on ram bytes: host areas, early allocator, page allocator. */
__attribute__((unused))
static bool boot(size_t ram)
{
	struct mm_range r[2];
	size_t n = pc_ranges(r, ram);
	int err = mm_host_init(ram);

	if (err) {
		fprintf(stderr, "mm_host_init(%zu): %s\n", ram, strerror(-err));
		return false;
	}
	if (mm_early_init(r, n, UINT64_MAX) || mm_page_init()) {
		mm_host_fini();
		return false;
	}
	return true;
}

__attribute__((unused))
static void shutdown_mm(void)
{
	mm_host_fini();
}

/* A small fast deterministic PRNG (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

__attribute__((unused))
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

__attribute__((unused))
static int check_exit(void)
{
	return check_failures ? 1 : 0;
}

#endif
