/* stdio_scan: the parsing side of stdio and stdlib (sscanf, strtol family,
 * strtod including hex floats, ERANGE), in-memory streams (fmemopen,
 * open_memstream), and buffered file I/O with fopen/fseek/ftell/ungetc/fgets
 * on a file in /tmp. */
#include "compat.h"
#include <limits.h>
#include <math.h>

static void scan(void)
{
	int a = 0, b = 0, n;
	unsigned x = 0;
	double d = 0;
	char w[16] = "", rest[16] = "";

	n = sscanf("12 -34 ff 2.5e3 word tail", "%d %d %x %lf %15s %15s", &a, &b, &x, &d, w, rest);
	printf("sscanf %d: %d %d %u %.1f %s %s\n", n, a, b, x, d, w, rest);
	n = sscanf("abc", "%d", &a);
	printf("sscanf no match: %d\n", n);
	n = sscanf("", "%d", &a);
	printf("sscanf empty: %d\n", n);
	n = sscanf("key=value;9", "%15[^=]=%15[^;];%d", w, rest, &a);
	printf("sscanf scanset %d: %s %s %d\n", n, w, rest, a);
	n = sscanf("0x1A 017 42", "%i %i %i", &a, &b, (int *)&x);
	printf("sscanf %%i: %d %d %d %u\n", n, a, b, x);
	n = sscanf("  7abc", "%d%n", &a, &b);
	printf("sscanf %%n: %d %d %d\n", n, a, b);
}

static void strto(void)
{
	const char *in[] = { "0", "-17", "  +42xyz", "0x7fffffffffffffff", "9223372036854775808",
			     "-9223372036854775809", "077", "zz", "" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *end;
		errno = 0;
		long v = strtol(in[i], &end, 0);
		printf("strtol(\"%s\", 0) = %ld, used %td, errno %s\n", in[i], v, end - in[i], errname(errno));
	}
	char *end;
	errno = 0;
	printf("strtoul(\"-1\") = %lu errno %s\n", strtoul("-1", &end, 10), errname(errno));
	errno = 0;
	printf("strtoull(\"18446744073709551616\") = %llu errno %s\n",
	       strtoull("18446744073709551616", &end, 10), errname(errno));
	printf("strtol(\"zz\", 36) = %ld\n", strtol("zz", &end, 36));
	printf("strtol(\"101\", 2) = %ld\n", strtol("101", &end, 2));
	printf("atoi(\"  -123abc\") = %d, atol = %ld, atoll = %lld\n", atoi("  -123abc"), atol("99"),
	       atoll("-9000000000"));

	const char *fin[] = { "3.14159", "-0", "1e308", "1e309", "1e-400", "0x1p-3", "0x1.8p1", "inf",
			      "-Infinity", "nan", "  .5e1x", "1e", "4.9e-324" };
	for (size_t i = 0; i < sizeof(fin) / sizeof(fin[0]); i++) {
		errno = 0;
		double v = strtod(fin[i], &end);
		printf("strtod(\"%s\") = %.17g used %td errno %s signbit %d\n", fin[i], v, end - fin[i],
		       errname(errno == ERANGE ? ERANGE : 0), signbit(v) != 0);
	}
	errno = 0;
	float f = strtof("3.4e39", &end);
	printf("strtof(3.4e39) = %g errno %s\n", f, errname(errno));
	printf("strtold(\"1.1\") = %.20Lg\n", strtold("1.1", &end));
}

static void memstreams(void)
{
	char buf[64] = "line one\nline two\n3 4 5\n";
	FILE *f = fmemopen(buf, strlen(buf), "r");
	char line[32];
	int a, b, c;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) && line[0] != '3')
		printf("fmemopen read: %s", line);
	CHECK(sscanf(line, "%d %d %d", &a, &b, &c) == 3);
	printf("then %d %d %d, feof %d\n", a, b, c, fgetc(f) == EOF && feof(f));
	fclose(f);

	char *mem = NULL;
	size_t len = 0;
	f = open_memstream(&mem, &len);
	CHECK(f != NULL);
	for (int i = 0; i < 100; i++)
		fprintf(f, "%d,", i);
	fclose(f);
	printf("open_memstream: len %zu, starts [%.10s], ends [%s]\n", len, mem, mem + len - 6);
	free(mem);
}

static void files(void)
{
	enter_tmpdir();
	FILE *f = fopen("data.txt", "w+");
	CHECK(f != NULL);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "row %04d %s\n", i, i % 2 ? "odd" : "even");
	printf("ftell after write: %ld\n", ftell(f));
	rewind(f);
	char line[64];
	int rows = 0;
	while (fgets(line, sizeof(line), f))
		rows++;
	printf("rows read back: %d\n", rows);
	CHECK(fseek(f, 13 * 500, SEEK_SET) == 0);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	printf("row at 500*13: %s", line);
	CHECK(fseek(f, -13, SEEK_END) == 0);
	int c = fgetc(f);
	ungetc('X', f);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	printf("first char %c, after ungetc: %s", c, line);
	int n;
	char word[8];
	CHECK(fseek(f, 0, SEEK_SET) == 0);
	printf("fscanf: %d", fscanf(f, "row %d %7s", &n, word));
	printf(" -> %d %s\n", n, word);
	fclose(f);
	f = fopen("data.txt", "a");
	fputs("appended\n", f);
	fclose(f);
	f = fopen("data.txt", "r");
	fseek(f, -9, SEEK_END);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	printf("last line: %s", line);
	fclose(f);
	errno = 0;
	FILE *missing = fopen("missing.txt", "r");
	printf("fopen missing: %s %s\n", missing == NULL ? "NULL" : "file", errname(errno));
	CHECK(unlink("data.txt") == 0);
	CHECK(chdir("/") == 0);
}

int main(void)
{
	scan();
	strto();
	memstreams();
	files();
	return 0;
}
