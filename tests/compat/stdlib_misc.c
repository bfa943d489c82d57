/* stdlib_misc: qsort and bsearch on PRNG data, integer division helpers,
 * setjmp/longjmp, gmtime/timegm/strftime in UTC (never localtime, which reads
 * the host's zone), atexit order. */
#include "compat.h"
#include <setjmp.h>

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void sorting(void)
{
	enum { N = 20000 };
	static int v[N];
	uint64_t h = FNV1A_INIT;

	for (int i = 0; i < N; i++)
		v[i] = (int)(rng_next() % 1000000) - 500000;
	qsort(v, N, sizeof(v[0]), cmp_int);
	int sorted = 1;
	for (int i = 1; i < N; i++)
		sorted &= v[i - 1] <= v[i];
	h = fnv1a(h, v, sizeof(v));
	printf("qsort: sorted %d, min %d, max %d, hash %016llx\n", sorted, v[0], v[N - 1],
	       (unsigned long long)h);
	int key = v[1234];
	int *f = bsearch(&key, v, N, sizeof(v[0]), cmp_int);
	printf("bsearch: found %d, value ok %d\n", f != NULL, f && *f == key);
	key = 600000;
	printf("bsearch missing: %s\n", bsearch(&key, v, N, sizeof(v[0]), cmp_int) ? "found" : "NULL");
}

static void arith(void)
{
	div_t d = div(-7, 2);
	ldiv_t ld = ldiv(100000000000L, 7);
	printf("div %d %d ldiv %ld %ld abs %d labs %ld llabs %lld\n", d.quot, d.rem, ld.quot, ld.rem,
	       abs(-5), labs(-6L), llabs(-7LL));
}

static jmp_buf env;
static int depth;

static void dive(int n)
{
	depth = n;
	if (n == 50)
		longjmp(env, n);
	if (n < 1000)
		dive(n + 1);
}

static void jumps(void)
{
	volatile int count = 0;
	int r = setjmp(env);

	count++;
	if (r == 0)
		dive(0);
	printf("longjmp returned %d after depth %d, setjmp seen %d times\n", r, depth, count);
}

static void dates(void)
{
	time_t when[] = { 0, 951782400, 1234567890, 2147483647, 4102444800 };
	char buf[64];

	for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		struct tm tm;
		CHECK(gmtime_r(&when[i], &tm) != NULL);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %a %b %j", &tm);
		printf("%lld: %s wday %d yday %d timegm back %d\n", (long long)when[i], buf, tm.tm_wday,
		       tm.tm_yday, timegm(&tm) == when[i]);
	}
}

static void last(void)
{
	printf("atexit: registered last, runs first\n");
}

static void first(void)
{
	printf("atexit: registered first, runs last\n");
}

int main(void)
{
	atexit(first);
	atexit(last);
	sorting();
	arith();
	jumps();
	dates();
	return 0;
}
