/* lib/fmt against glibc's printf: the same format and arguments must give the same bytes. */
#include <lib/fmt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

/* The tests feed both formatters odd formats on purpose. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-extra-args"

#define SAME(...)							\
	do {								\
		char mine[256], libc[256];				\
		int a = fmt_snprintf(mine, sizeof(mine), __VA_ARGS__);	\
		int b = snprintf(libc, sizeof(libc), __VA_ARGS__);	\
		if (!EXPECT(a == b && !strcmp(mine, libc)))		\
			fprintf(stderr, "  mine '%s' (%d) libc '%s' (%d)\n", mine, a, libc, b); \
	} while (0)

static void integers(void)
{
	SAME("%d %i %u", 0, -1, 42u);
	SAME("%d %d", INT32_MIN, INT32_MAX);
	SAME("%ld %lu %lld %llu", INT64_MIN, UINT64_MAX, (long long)INT64_MAX, 0ULL);
	SAME("%hhd %hhu %hd %hu", 200, 300, 70000, 70000);
	SAME("%zu %zd %td %jd", (size_t)-1, (ssize_t)-5, (ptrdiff_t)-7, (intmax_t)9);
	SAME("%x %X %o %#x %#X %#o", 0xbeefu, 0xbeefu, 8u, 255u, 255u, 8u);
	SAME("%#x %#o", 0u, 0u);
	SAME("%lx %#018lx", 0xffffffff80000000ul, 0x1234ul);
}

static void widths_and_flags(void)
{
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", -42, -42, -42, -42, -42);
	SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, 7, 7);
	SAME("[%.0d] [%.0x] [%5.0d]", 0, 0u, 0);
	SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
	SAME("[%*d]", -6, 1);
	SAME("[%010x] [%-#10x]", 0xabu, 0xabu);
}

static void strings_and_chars(void)
{
	SAME("%s|%10s|%-10s|%.2s|%c|%5c", "abc", "abc", "abc", "abc", 'z', 'y');
	SAME("%%|%s", "");
	SAME("%.*s", 3, "abcdef");
	SAME("%p %p", (void *)0x1000, (void *)0xffffffff80001234);
}

static void truncation(void)
{
	char buf[8];
	int n;

	n = fmt_snprintf(buf, sizeof(buf), "%s", "0123456789");
	EXPECT(n == 10 && !strcmp(buf, "0123456"));
	n = fmt_snprintf(buf, 1, "abc");
	EXPECT(n == 3 && buf[0] == '\0');
	n = fmt_snprintf(NULL, 0, "%d", 12345);
	EXPECT(n == 5);
}

static void robustness(void)
{
	char buf[64];

	fmt_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
	EXPECT(!strcmp(buf, "(null)"));
	fmt_snprintf(buf, sizeof(buf), "a%qb");
	EXPECT(!strcmp(buf, "a%?b"));
	fmt_snprintf(buf, sizeof(buf), "end%");
	EXPECT(!strcmp(buf, "end%?"));
}

int main(void)
{
	RUN(integers);
	RUN(widths_and_flags);
	RUN(strings_and_chars);
	RUN(truncation);
	RUN(robustness);
	return test_summary();
}
