/*
 * The formatter behind printk and snprintf. It parses one conversion
 * specification at a time into struct spec, fetches the argument with the
 * right width, and renders it into a small stack buffer before handing
 * padding and digits to the sink. Nothing here allocates, so it is safe in
 * a panic and before memory management exists.
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include <stdbool.h>
#include <stdint.h>

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision;		/* -1: none given */
	int length;		/* 'H' hh, 'h', 'l', 'L' ll, 'z', 't', 'j', 0 */
	char conv;
};

struct out {
	fmt_sink sink;
	void *ctx;
	size_t count;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (n) {
		o->sink(o->ctx, s, n);
		o->count += n;
	}
}

static void emit_repeat(struct out *o, char c, int n)
{
	char buf[16];

	memset(buf, c, sizeof(buf));
	for (; n > 0; n -= sizeof(buf))
		emit(o, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf));
}

static const char *parse_number(const char *p, int *out)
{
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (n < 100000)
			n = n * 10 + (*p - '0');
		p++;
	}
	*out = n;
	return p;
}

static const char *parse_flags(const char *p, struct spec *sp)
{
	for (;; p++) {
		switch (*p) {
		case '-': sp->left = true; break;
		case '0': sp->zero = true; break;
		case '+': sp->plus = true; break;
		case ' ': sp->space = true; break;
		case '#': sp->alt = true; break;
		default: return p;
		}
	}
}

static const char *parse_length(const char *p, struct spec *sp)
{
	switch (*p) {
	case 'h':
		sp->length = p[1] == 'h' ? 'H' : 'h';
		return p + (p[1] == 'h' ? 2 : 1);
	case 'l':
		sp->length = p[1] == 'l' ? 'L' : 'l';
		return p + (p[1] == 'l' ? 2 : 1);
	case 'z': case 't': case 'j':
		sp->length = *p;
		return p + 1;
	default:
		return p;
	}
}

/* Parses the specification after a '%'; returns the first byte after it. */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	p = parse_flags(p, sp);
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		p++;
	} else {
		p = parse_number(p, &sp->width);
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->precision = va_arg(*ap, int);
			p++;
		} else {
			p = parse_number(p, &sp->precision);
		}
	}
	p = parse_length(p, sp);
	sp->conv = *p;
	return *p ? p + 1 : p;
}

static uint64_t fetch_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 't': return (uint64_t)va_arg(*ap, ptrdiff_t);
	case 'j': return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static int64_t fetch_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (int64_t)va_arg(*ap, size_t);
	case 't': return va_arg(*ap, ptrdiff_t);
	case 'j': return va_arg(*ap, intmax_t);
	default: return va_arg(*ap, int);
	}
}

/* Renders v in base into the end of buf; returns the first digit. */
static char *render_digits(char *end, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return p;
}

static void emit_number(struct out *o, const struct spec *sp, uint64_t v,
			bool negative, unsigned base)
{
	char buf[24], prefix[2];
	char *digits = render_digits(buf + sizeof(buf), v, base, sp->conv == 'X');
	int ndigits = buf + sizeof(buf) - digits;
	int nprefix = 0, zeros = 0, pad;

	if (sp->precision == 0 && v == 0 && !(base == 8 && sp->alt))
		ndigits = 0;
	if (negative)
		prefix[nprefix++] = '-';
	else if (sp->plus && base == 10 && sp->conv != 'u')
		prefix[nprefix++] = '+';
	else if (sp->space && base == 10 && sp->conv != 'u')
		prefix[nprefix++] = ' ';
	if (sp->alt && base == 16 && v) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = sp->conv == 'X' ? 'X' : 'x';
	}
	if (sp->alt && base == 8 && digits[0] != '0' && sp->precision <= ndigits)
		zeros = 1;
	if (sp->precision > ndigits)
		zeros = sp->precision - ndigits;
	pad = sp->width - nprefix - zeros - ndigits;
	if (sp->zero && !sp->left && sp->precision < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		emit_repeat(o, ' ', pad);
	emit(o, prefix, nprefix);
	emit_repeat(o, '0', zeros);
	emit(o, digits, ndigits);
	if (sp->left)
		emit_repeat(o, ' ', pad);
}

static void emit_string(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int pad = sp->width - (int)n;

	if (!sp->left)
		emit_repeat(o, ' ', pad);
	emit(o, s, n);
	if (sp->left)
		emit_repeat(o, ' ', pad);
}

static void emit_conversion(struct out *o, const struct spec *sp, va_list *ap)
{
	int64_t sv;
	const char *s;
	char c;
	struct spec ptr;

	switch (sp->conv) {
	case 'd': case 'i':
		sv = fetch_signed(sp, ap);
		emit_number(o, sp, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0, 10);
		break;
	case 'u': emit_number(o, sp, fetch_unsigned(sp, ap), false, 10); break;
	case 'x': case 'X': emit_number(o, sp, fetch_unsigned(sp, ap), false, 16); break;
	case 'o': emit_number(o, sp, fetch_unsigned(sp, ap), false, 8); break;
	case 'p':
		ptr = *sp;
		ptr.alt = true;
		ptr.conv = 'x';
		emit_number(o, &ptr, (uintptr_t)va_arg(*ap, void *), false, 16);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		emit_string(o, sp, &c, 1);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		emit_string(o, sp, s, sp->precision >= 0 ? strnlen(s, sp->precision) : strlen(s));
		break;
	case '%': emit(o, "%", 1); break;
	default: emit(o, "%?", 2); break;
	}
}

size_t fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { sink, ctx, 0 };
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		size_t run = pct ? (size_t)(pct - fmt) : strlen(fmt);

		emit(&o, fmt, run);
		if (!pct)
			break;
		fmt = parse_spec(pct + 1, &sp, &args);
		emit_conversion(&o, &sp, &args);
	}
	va_end(args);
	return o.count;
}

struct buf_sink {
	char *buf;
	size_t size, used;
};

static void buf_put(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;
	size_t room = b->size - b->used;
	size_t take = n < room ? n : room;

	if (take) {
		memcpy(b->buf + b->used, s, take);
		b->used += take;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { buf, size ? size - 1 : 0, 0 };
	size_t n = fmt_vformat(buf_put, &b, fmt, ap);

	if (size)
		buf[b.used] = '\0';
	return (int)n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
