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

/* The q quantile (0..1, linear between neighbours) of the non-NAN values; NAN if none. Reorders v. */
static inline double bench_quantile(double *v, int n, double q)
{
	int m = 0, lo, hi;
	double at;

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[m++] = v[i];
	if (m == 0)
		return NAN;
	qsort(v, (size_t)m, sizeof(*v), bench_cmp_double);
	at = q * (m - 1);
	lo = (int)at;
	hi = lo + 1 < m ? lo + 1 : lo;
	return v[lo] + (at - lo) * (v[hi] - v[lo]);
}

/* Median of the non-NAN values (the mean of the middle two for an even count); NAN if none. Reorders v. */
static inline double bench_median(double *v, int n)
{
	return bench_quantile(v, n, 0.5);
}

#endif
