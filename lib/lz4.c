/*
 * lib/lz4: LZ4 blocks (include/lib/lz4.h). Every length read from the
 * input is checked against what is left, in both directions, before use.
 */
#include <lib/errno.h>
#include <lib/lz4.h>
#include <lib/string.h>
#include <stdbool.h>
#include <stdint.h>

#define MIN_MATCH     4
#define LAST_LITERALS 5		/* the block's last bytes are always literals */
#define MATCH_LIMIT   12	/* no match starts this close to the end */
#define HASH_BITS     12

/* A length's extra bytes: each 255 means "and more". false if the input ends first. */
static bool read_length(const uint8_t **ip, const uint8_t *end, size_t *len)
{
	uint8_t b;

	do {
		if (*ip >= end)
			return false;
		b = *(*ip)++;
		*len += b;
	} while (b == 255);
	return true;
}

long lz4_decompress_block(const void *src, size_t srclen, void *dst, size_t dstcap)
{
	const uint8_t *ip = src, *end = ip + srclen;
	uint8_t *out = dst;
	size_t pos = 0;

	for (;;) {
		size_t lit, mlen, offset;
		unsigned token;

		if (ip >= end)
			return -EINVAL;
		token = *ip++;
		lit = token >> 4;
		if (lit == 15 && !read_length(&ip, end, &lit))
			return -EINVAL;
		if (lit > (size_t)(end - ip) || lit > dstcap - pos)
			return -EINVAL;
		memcpy(out + pos, ip, lit);
		ip += lit;
		pos += lit;
		if (ip == end)
			return (long)pos;	/* the last sequence: literals only */
		if (end - ip < 2)
			return -EINVAL;
		offset = (size_t)ip[0] | (size_t)ip[1] << 8;
		ip += 2;
		if (!offset || offset > pos)
			return -EINVAL;
		mlen = token & 15;
		if (mlen == 15 && !read_length(&ip, end, &mlen))
			return -EINVAL;
		mlen += MIN_MATCH;
		if (mlen > dstcap - pos)
			return -EINVAL;
		/* Byte by byte: the source may overlap what is being written (a repeat). */
		for (size_t i = 0; i < mlen; i++, pos++)
			out[pos] = out[pos - offset];
	}
}

/* ---- Compression ------------------------------------------------------------------- */

struct sink {
	uint8_t *p;
	size_t len, cap;
	bool full;
};

static void put_byte(struct sink *s, uint8_t b)
{
	if (s->len < s->cap)
		s->p[s->len++] = b;
	else
		s->full = true;
}

static void put_length(struct sink *s, size_t n)	/* n >= 15 already taken by the nibble */
{
	for (n -= 15; n >= 255; n -= 255)
		put_byte(s, 255);
	put_byte(s, (uint8_t)n);
}

static void put_sequence(struct sink *s, const uint8_t *lit, size_t nlit, size_t offset,
			 size_t mlen)
{
	size_t m = mlen ? mlen - MIN_MATCH : 0;

	put_byte(s, (uint8_t)((nlit < 15 ? nlit : 15) << 4 | (m < 15 ? m : 15)));
	if (nlit >= 15)
		put_length(s, nlit);
	if (nlit > s->cap - s->len) {
		s->full = true;
		return;
	}
	memcpy(s->p + s->len, lit, nlit);
	s->len += nlit;
	if (!mlen)
		return;
	put_byte(s, (uint8_t)offset);
	put_byte(s, (uint8_t)(offset >> 8));
	if (m >= 15)
		put_length(s, m);
}

static uint32_t read32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static unsigned hash4(uint32_t v)
{
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

size_t lz4_compress_block(const void *src, size_t len, void *dst, size_t cap)
{
	const uint8_t *in = src;
	uint32_t table[1u << HASH_BITS] = { 0 };	/* position + 1; 0: empty */
	struct sink s = { .p = dst, .cap = cap };
	size_t anchor = 0, p = 0;

	if (len > LZ4_MAX_INPUT)
		return 0;
	while (len >= MATCH_LIMIT && p <= len - MATCH_LIMIT && !s.full) {
		unsigned h = hash4(read32(in + p));
		size_t cand = table[h], mlen = MIN_MATCH;

		table[h] = (uint32_t)p + 1;
		if (!cand-- || read32(in + cand) != read32(in + p)) {
			p++;
			continue;
		}
		while (p + mlen < len - LAST_LITERALS && in[cand + mlen] == in[p + mlen])
			mlen++;
		put_sequence(&s, in + anchor, p - anchor, p - cand, mlen);
		p += mlen;
		anchor = p;
	}
	put_sequence(&s, in + anchor, len - anchor, 0, 0);
	return s.full ? 0 : s.len;
}
