/* tools/mote/tsc.c: which sets of measured windows give the host's TSC rate. */
#include "mote.h"
#include "check.h"

static void all_agree(void)
{
	double k[] = { 2096010, 2096032, 2096020, 2096041, 2096025 };

	EXPECT(tsc_agreed_khz(k, 5) == 2096025);
}

/* A window whose ends a preemption split is off; one in five does not spoil the rest. */
static void one_window_disturbed(void)
{
	double slow[] = { 2096010, 1890000, 2096020, 2096041, 2096025 };
	double fast[] = { 2096010, 2096032, 2350000, 2096041, 2096025 };

	EXPECT(tsc_agreed_khz(slow, 5) == 2096020);
	EXPECT(tsc_agreed_khz(fast, 5) == 2096032);
}

/* Two of five off in opposite directions still leave three agreeing with the median. */
static void two_disturbed(void)
{
	double k[] = { 1900000, 2096032, 2350000, 2096041, 2096025 };

	EXPECT(tsc_agreed_khz(k, 5) == 2096032);
}

/* No majority within 0.1% of the median: no answer rather than a wrong one. */
static void no_majority(void)
{
	double spread[] = { 2000000, 2050000, 2096000, 2150000, 2200000 };
	double split[] = { 2096000, 2096010, 2200000, 2200010 };

	EXPECT(tsc_agreed_khz(spread, 5) == 0);
	EXPECT(tsc_agreed_khz(split, 4) == 0);
}

static void degenerate(void)
{
	double zero[] = { 0, 0, 0 }, one[] = { 3000000 };

	EXPECT(tsc_agreed_khz(zero, 3) == 0);
	EXPECT(tsc_agreed_khz(one, 0) == 0);
	EXPECT(tsc_agreed_khz(one, 1) == 3000000);
}

int main(void)
{
	RUN(all_agree);
	RUN(one_window_disturbed);
	RUN(two_disturbed);
	RUN(no_majority);
	RUN(degenerate);
	return test_summary();
}
