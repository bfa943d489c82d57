/* math_libm: libm results printed with %.17g (each libc is compared with its
 * own native run, so last-ulp differences between libcs are fine), the four
 * rounding modes through fesetround (the kernel must keep MXCSR and the x87
 * control word per thread), floating-point exceptions flags, and threads doing
 * vector arithmetic at once (the kernel must save SSE/AVX state on switch). */
#include "compat.h"
#include <fenv.h>
#include <math.h>
#include <pthread.h>

static volatile double one = 1.0, three = 3.0, ten = 10.0;

static void functions(void)
{
	double x[] = { 0.5, 1.0, 2.0, 10.0, 1e-3, 123.456 };

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		double v = x[i];
		printf("x=%g sqrt %.17g cbrt %.17g sin %.17g cos %.17g tan %.17g\n", v, sqrt(v), cbrt(v),
		       sin(v), cos(v), tan(v));
		printf("  exp %.17g log %.17g log2 %.17g log10 %.17g expm1 %.17g log1p %.17g\n", exp(v),
		       log(v), log2(v), log10(v), expm1(v), log1p(v));
		printf("  pow(x,1.5) %.17g pow(2,x) %.17g atan %.17g atan2 %.17g sinh %.17g tanh %.17g\n",
		       pow(v, 1.5), pow(2.0, v), atan(v), atan2(v, -1.0), sinh(v), tanh(v));
	}
	printf("fmod %.17g %.17g %.17g remainder %.17g\n", fmod(10.0, 3.0), fmod(-10.0, 3.0),
	       fmod(5.5, 1.25), remainder(10.0, 3.0));
	printf("hypot %.17g fma %.17g copysign %g fabs %g\n", hypot(3.0, 4.0), fma(0.1, 10.0, -1.0),
	       copysign(2.0, -0.0), fabs(-7.25));
	int e;
	double m = frexp(48.0, &e), ip;
	printf("frexp %.17g %d ldexp %.17g modf %.17g", m, e, ldexp(0.75, 10), modf(-3.75, &ip));
	printf(" %.17g scalbn %g\n", ip, scalbn(1.0, -3));
	printf("floor %g %g ceil %g %g round %g %g trunc %g %g\n", floor(-2.5), floor(2.5), ceil(-2.5),
	       ceil(2.5), round(-2.5), round(2.5), trunc(-2.7), trunc(2.7));
	printf("special: sqrt(-1) isnan %d, log(0) %g, pow(0,-1) %g, 1/-inf signbit %d, exp(1000) %g\n",
	       isnan(sqrt(-one)), log(0.0 * one), pow(0.0 * one, -one), signbit(one / -INFINITY) != 0,
	       exp(1000.0 * one));
	printf("float: sqrtf %.9g sinf %.9g expf %.9g powf %.9g\n", sqrtf(2.0f), sinf(1.0f), expf(1.0f),
	       powf(2.0f, 0.5f));
	printf("long double: sqrtl %.21Lg\n", sqrtl(2.0L));
	printf("gamma: tgamma(5) %.17g lgamma(10) %.17g erf(0.5) %.17g\n", tgamma(5.0), lgamma(10.0),
	       erf(0.5));
}

static const struct { int mode; const char *name; } modes[] = {
	{ FE_TONEAREST, "nearest" }, { FE_UPWARD, "upward" },
	{ FE_DOWNWARD, "downward" }, { FE_TOWARDZERO, "towardzero" },
};

static void rounding(void)
{
	for (size_t i = 0; i < 4; i++) {
		CHECK(fesetround(modes[i].mode) == 0);
		printf("%s: getround ok %d, 1/3 %.17g, -1/3 %.17g, 2/3 %a, rint(2.5) %g, rint(-2.5) %g, "
		       "nearbyint(3.5) %g, lrint(-1.5) %ld, sqrt(2) %.17g, 10/3f %.9g, 1/3L %.21Lg\n",
		       modes[i].name, fegetround() == modes[i].mode, one / three, -one / three,
		       2 * one / three, rint(2.5 * one), rint(-2.5 * one), nearbyint(3.5 * one),
		       lrint(-1.5 * one), sqrt(2 * one), (float)ten / (float)three,
		       (long double)one / (long double)three);
	}
	fesetround(FE_TONEAREST);
}

static void exceptions(void)
{
	volatile double zero = 0.0, r;

	feclearexcept(FE_ALL_EXCEPT);
	r = one / zero;
	printf("1/0: %g divbyzero %d\n", r, fetestexcept(FE_DIVBYZERO) != 0);
	feclearexcept(FE_ALL_EXCEPT);
	r = zero / zero;
	printf("0/0: isnan %d invalid %d\n", isnan(r), fetestexcept(FE_INVALID) != 0);
	feclearexcept(FE_ALL_EXCEPT);
	r = one / three;
	printf("1/3 inexact %d, overflow %d\n", fetestexcept(FE_INEXACT) != 0, fetestexcept(FE_OVERFLOW) != 0);
}

/* Each thread runs the same computation in its own rounding mode; each must
 * get the result a lone thread gets. */
struct job { int mode; double result; };

static double compute(void)
{
	double acc = 0;

	for (int i = 1; i < 300000; i++)
		acc += sqrt((double)i) / (double)(i + 1) + 1.0 / (double)i;
	return acc;
}

static void *worker(void *arg)
{
	struct job *j = arg;

	fesetround(j->mode);
	j->result = compute();
	return (void *)(long)(fegetround() == j->mode);
}

static void threads(void)
{
	struct job solo[4], jobs[8];
	pthread_t t[8];

	for (int i = 0; i < 4; i++) {
		fesetround(modes[i].mode);
		solo[i].result = compute();
	}
	fesetround(FE_TONEAREST);
	for (int i = 0; i < 8; i++) {
		jobs[i].mode = modes[i % 4].mode;
		CHECK(pthread_create(&t[i], NULL, worker, &jobs[i]) == 0);
	}
	int bad = 0;
	for (int i = 0; i < 8; i++) {
		void *kept;
		CHECK(pthread_join(t[i], &kept) == 0);
		if (!kept || jobs[i].result != solo[i % 4].result)
			bad++;
	}
	printf("threads: %d bad, main still nearest %d, results differ by mode %d\n", bad,
	       fegetround() == FE_TONEAREST, solo[1].result != solo[2].result);
}

int main(void)
{
	functions();
	rounding();
	exceptions();
	threads();
	return 0;
}
