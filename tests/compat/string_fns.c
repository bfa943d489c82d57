/* string_fns: string.h on small and large buffers at every alignment (the
 * libcs' SIMD paths need the kernel to keep vector state per thread):
 * lengths, comparisons (sign only), searching, copying with overlap,
 * tokenising, case-insensitive comparison, duplication. */
#include "compat.h"
#include <strings.h>

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void basics(void)
{
	char buf[64];

	printf("strlen %zu %zu\n", strlen(""), strlen("hello, world"));
	printf("strcmp %d %d %d\n", sign(strcmp("abc", "abd")), sign(strcmp("abc", "abc")),
	       sign(strcmp("b", "abc")));
	printf("strncmp %d %d\n", sign(strncmp("abcx", "abcy", 3)), sign(strncmp("abcx", "abcy", 4)));
	printf("memcmp %d %d\n", sign(memcmp("\x01\x80", "\x01\x7f", 2)), sign(memcmp("aa", "aa", 2)));
	printf("strcasecmp %d %d\n", sign(strcasecmp("HeLLo", "hello")), sign(strncasecmp("ABz", "aby", 2)));
	const char *s = "the quick brown fox jumps over the lazy dog";
	printf("strchr %td strrchr %td memchr %td\n", strchr(s, 'q') - s, strrchr(s, 'o') - s,
	       (char *)memchr(s, 'z', strlen(s)) - s);
	printf("memrchr %td\n", (char *)memrchr(s, 't', strlen(s)) - s);
	printf("strstr %td %s\n", strstr(s, "fox") - s, strstr(s, "cat") ? "found" : "NULL");
	printf("strspn %zu strcspn %zu strpbrk %td\n", strspn("aaabbc", "ab"), strcspn(s, "xyz"),
	       strpbrk(s, "kx") - s);
	printf("strchr nul %td\n", strchr(s, '\0') - s);

	strcpy(buf, "abc");
	strcat(buf, "def");
	strncat(buf, "ghijkl", 2);
	printf("strcpy/strcat/strncat [%s]\n", buf);
	memset(buf, 'z', sizeof(buf));
	strncpy(buf, "ab", 6);
	printf("strncpy pads: %d %d %d %d %c\n", buf[2], buf[3], buf[4], buf[5], buf[6]);
	char *e = stpcpy(buf, "stp");
	printf("stpcpy end offset %td\n", e - buf);

	char *d = strdup("duplicate"), *nd = strndup("duplicate", 3);
	printf("strdup [%s] strndup [%s]\n", d, nd);
	free(d);
	free(nd);

	char tok[] = "  a,b;;c  d,";
	char *save, *t;
	printf("strtok_r:");
	for (t = strtok_r(tok, " ,;", &save); t; t = strtok_r(NULL, " ,;", &save))
		printf(" [%s]", t);
	printf("\n");
	char sep[] = "x:y::z";
	char *p = sep;
	printf("strsep:");
	while ((t = strsep(&p, ":")))
		printf(" [%s]", t);
	printf("\n");

	memcpy(buf, "0123456789", 11);
	memmove(buf + 2, buf, 8);
	buf[10] = 0;
	printf("memmove up [%s]\n", buf);
	memcpy(buf, "0123456789", 11);
	memmove(buf, buf + 3, 7);
	printf("memmove down [%.10s]\n", buf);
}

/* Big copies and searches at every alignment, checked byte by byte. */
static void large(void)
{
	enum { N = 70000 };
	unsigned char *a = malloc(N + 64), *b = malloc(N + 64);
	uint64_t h = FNV1A_INIT;
	int bad = 0;

	CHECK(a && b);
	for (size_t i = 0; i < N + 64; i++)
		a[i] = (unsigned char)rng_next();
	for (int sa = 0; sa < 16; sa++)
		for (int sb = 0; sb < 16; sb++) {
			size_t len = N - (size_t)sa * 37 - (size_t)sb;
			memset(b, 0xee, N + 64);
			memcpy(b + sb, a + sa, len);
			if (memcmp(b + sb, a + sa, len) != 0 || b[sb + len] != 0xee)
				bad++;
			h = fnv1a(h, b + sb, 64);
		}
	printf("memcpy alignments: %d bad, hash %016llx\n", bad, (unsigned long long)h);

	memset(a, 'a', N);
	a[N - 1] = 0;
	bad = 0;
	for (int off = 0; off < 32; off++) {
		if (strlen((char *)a + off) != N - 1 - (size_t)off)
			bad++;
		a[N / 2 + off] = 'b';
		if ((unsigned char *)strchr((char *)a + off, 'b') != a + N / 2 + off)
			bad++;
		if ((unsigned char *)memchr(a + off, 'b', N - off) != a + N / 2 + off)
			bad++;
		a[N / 2 + off] = 'a';
	}
	printf("strlen/strchr/memchr alignments: %d bad\n", bad);
	memset(b, 'a', N);
	b[N - 1] = 0;
	b[N - 100] = 'c';
	printf("strcmp long: %d, memcmp long: %d\n", sign(strcmp((char *)a, (char *)b)),
	       sign(memcmp(a, b, N)));
	free(a);
	free(b);
}

int main(void)
{
	basics();
	large();
	return 0;
}
