/* stdio_printf: printf's integer, string and floating conversions, flags,
 * widths and precisions, return values, snprintf truncation, %n, positional
 * arguments, and a few lines to stderr. Locale-free: the C locale only. */
#include "compat.h"
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>

static void ints(void)
{
	printf("[%d] [%i] [%u] [%x] [%X] [%o]\n", 42, -42, 42u, 255u, 255u, 8u);
	printf("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d]\n", 42, 42, 42, 42, 42, -42);
	printf("[%.3d] [%8.3d] [%-8.3d|] [%.0d] [%#x] [%#o] [%#X]\n", 7, 7, 7, 0, 255u, 8u, 0xabcu);
	printf("[%d] [%d] [%u]\n", INT_MIN, INT_MAX, UINT_MAX);
	printf("[%ld] [%lld] [%llu]\n", LONG_MIN, LLONG_MAX, ULLONG_MAX);
	printf("[%hhd] [%hhu] [%hd] [%hu]\n", (signed char)-1, (unsigned char)255, (short)-32768, (unsigned short)65535);
	printf("[%zu] [%zd] [%td] [%jd] [%ju]\n", (size_t)123456789, (ssize_t)-5, (ptrdiff_t)-77,
	       (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX);
	printf("[%" PRIx64 "] [%" PRId32 "] [%" PRIu16 "]\n", (uint64_t)0xdeadbeefcafeull, (int32_t)-1, (uint16_t)65535);
	printf("[%*d] [%-*d] [%.*d]\n", 6, 1, 6, 2, 4, 3);
}

static void strings(void)
{
	printf("[%s] [%10s] [%-10s] [%.3s] [%10.2s] [%c] [%5c] [%%]\n", "abc", "abc", "abc", "abcdef",
	       "xyz", 'q', 'r');
	printf("[%s]\n", "");
	printf("[%2$s %1$s] [%2$s]\n", "world", "hello");
}

static void floats(void)
{
	double v[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 123456.789, 1e-10, 1e22, 1e300, 5e-324,
		       DBL_MAX, DBL_MIN, 2.5, 3.5, -2.5, 0.125, 9.9999999 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		printf("%zu: [%f] [%.2f] [%e] [%.3E] [%g] [%G] [%.17g] [%a]\n", i, v[i], v[i], v[i],
		       v[i], v[i], v[i], v[i], v[i]);
	printf("[%10.3f] [%-10.3f|] [%+.1f] [% .1f] [%010.2f] [%#.0f] [%#g] [%.0e]\n", 3.14159, 3.14159,
	       2.0, 2.0, -3.5, 3.0, 1.0, 12345.0);
	printf("[%f] [%f] [%F] [%e] [%g] [%5.1f]\n", INFINITY, -INFINITY, INFINITY, NAN, NAN, NAN);
	printf("[%.0f] [%.0f] [%.0f] [%.0f] [%.1f] [%.1f]\n", 0.5, 1.5, 2.5, -0.5, 0.25, 0.35);
	printf("[%.30f]\n", 0.1);
	printf("[%.20e]\n", 1.0 / 7.0);
	printf("[%Lf] [%.20Lg] [%Le]\n", 1.0L / 3.0L, 2.0L / 3.0L, 12345.678L);
	printf("[%.3a] [%A] [%a] [%a]\n", 1.0 / 3.0, 255.5, 1.0, -0.75);
	printf("[%g] [%g] [%g] [%g] [%g]\n", 100000.0, 1000000.0, 0.0001, 0.00001, 123456789.0);
	printf("[%.60f]\n", 5e-324 * 1e300);
	float f = 16777217.0f;
	printf("[%f] [%.9g]\n", f, 0.1f);
}

static void returns(void)
{
	char buf[8];
	int n, m;

	n = printf("hello %d\n", 12345);
	printf("printf returned %d\n", n);
	n = snprintf(buf, sizeof(buf), "%s", "abcdefghijkl");
	printf("snprintf returned %d, buf [%s]\n", n, buf);
	n = snprintf(NULL, 0, "%d-%s", 99999, "xyz");
	printf("snprintf(NULL, 0) returned %d\n", n);
	n = snprintf(buf, 1, "abc");
	printf("snprintf size 1 returned %d, buf len %zu\n", n, strlen(buf));
	printf("abc%nxyz\n", &m);
	printf("%%n stored %d\n", m);
	char big[4096];
	n = snprintf(big, sizeof(big), "%3000d|", 1);
	printf("wide field: %d chars, ends [%s]\n", n, big + n - 3);
}

static void streams(void)
{
	fputs("fputs line\n", stdout);
	puts("puts line");
	fputc('c', stdout);
	putchar('\n');
	fwrite("fwrite 12345\n", 1, 13, stdout);
	fflush(stdout);
	fprintf(stderr, "to stderr: %d %s %.2f\n", -7, "err", 2.5);
	fputs("stderr second line\n", stderr);
	fputc('!', stderr);
	fputc('\n', stderr);
	printf("after stderr\n");
	int r = fputs("", stdout);
	printf("fputs empty >= 0: %s\n", r >= 0 ? "yes" : "no");
}

int main(void)
{
	ints();
	strings();
	floats();
	returns();
	streams();
	return 0;
}
