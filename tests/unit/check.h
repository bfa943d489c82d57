/*
 * A minimal host test harness. A test is a function; EXPECT(cond) records a
 * failure (with file, line and expression) and carries on. run_test()
 * prints `PASS <name>` or `FAIL <name>: <first failure>`, the lines
 * tests/run.sh counts; test_summary() returns the exit status.
 */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <stdio.h>

static int check_failed_cases, check_passed_cases, check_case_failures;
static char check_first_failure[256];

#define EXPECT(cond)								\
	((cond) ? 1 : (check_note_failure(__FILE__, __LINE__, #cond), 0))

static inline void check_note_failure(const char *file, int line, const char *expr)
{
	if (!check_case_failures++)
		snprintf(check_first_failure, sizeof(check_first_failure), "%s:%d: %s",
			 file, line, expr);
}

static inline void run_test(const char *name, void (*fn)(void))
{
	check_case_failures = 0;
	fn();
	if (check_case_failures) {
		check_failed_cases++;
		printf("FAIL %s: %s (%d failed checks)\n", name, check_first_failure,
		       check_case_failures);
	} else {
		check_passed_cases++;
		printf("PASS %s\n", name);
	}
}

#define RUN(fn) run_test(#fn, fn)

static inline int test_summary(void)
{
	return check_failed_cases ? 1 : 0;
}

#endif
