/* Strict unsigned and size parsing; see lib/parse.h. */
#include <lib/errno.h>
#include <lib/parse.h>
#include <stdbool.h>

static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

static int finish(const char *p, const char **end)
{
	if (end)
		*end = p;
	else if (*p)
		return -EINVAL;
	return 0;
}

int parse_u64(const char *s, const char **end, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *p = s;
	int d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (digit_value(*p, base) < 0)
		return -EINVAL;
	for (; (d = digit_value(*p, base)) >= 0; p++) {
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return finish(p, end);
}

int parse_size(const char *s, const char **end, uint64_t *out)
{
	const char *p;
	unsigned shift = 0;
	uint64_t v;
	int ret = parse_u64(s, &p, &v);

	if (ret)
		return ret;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return finish(p, end);
}
