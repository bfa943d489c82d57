/*
 * Statistics shared by the benchmark programs: every benchmark reports
 * medians of alternating runs (docs/PERFORMANCE.md says why).
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <math.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of the non-NAN values; NAN if there are none. Reorders v. */
static inline double bench_median(double *v, int n)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[m++] = v[i];
	if (m == 0)
		return NAN;
	qsort(v, (size_t)m, sizeof(*v), bench_cmp_double);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

#endif
