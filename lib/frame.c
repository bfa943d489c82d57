/*
 * lib/frame: console records (see include/lib/frame.h). The decoder's
 * state is the header collected so far and the payload left in the
 * current record; there is no other buffering.
 */
#include <lib/frame.h>
#include <lib/string.h>

void frame_decoder_init(struct frame_decoder *d, unsigned max_stream)
{
	memset(d, 0, sizeof(*d));
	d->max_stream = max_stream;
}

bool frame_idle(const struct frame_decoder *d)
{
	return !d->have && !d->left;
}

void frame_header(uint8_t hdr[CONSOLE_HEADER], unsigned stream, size_t len)
{
	hdr[0] = CONSOLE_MAGIC;
	hdr[1] = (uint8_t)stream;
	hdr[2] = (uint8_t)len;
	hdr[3] = (uint8_t)(len >> 8);
}

/* The header is complete: start the record, or hand its bytes back as raw. */
static void header_done(struct frame_decoder *d, struct frame_span *span)
{
	unsigned len = d->hdr[2] | (unsigned)d->hdr[3] << 8;

	d->have = 0;
	if (d->hdr[1] > d->max_stream || len > CONSOLE_RECORD_MAX) {
		*span = (struct frame_span){ FRAME_RAW, 0, d->hdr, CONSOLE_HEADER };
		return;
	}
	d->stream = d->hdr[1];
	d->left = len;
	if (!len)
		*span = (struct frame_span){ FRAME_EMPTY, d->stream, 0, 0 };
}

size_t frame_decode(struct frame_decoder *d, const uint8_t *in, size_t n, struct frame_span *span)
{
	size_t i = 0;

	*span = (struct frame_span){ FRAME_NONE, 0, 0, 0 };
	if (d->left) {
		size_t take = n < d->left ? n : d->left;

		d->left -= (uint32_t)take;
		*span = (struct frame_span){ FRAME_DATA, d->stream, in, take };
		return take;
	}
	if (!d->have && in[0] != CONSOLE_MAGIC) {
		const uint8_t *magic = memchr(in, CONSOLE_MAGIC, n);
		size_t raw = magic ? (size_t)(magic - in) : n;

		*span = (struct frame_span){ FRAME_RAW, 0, in, raw };
		return raw;
	}
	while (i < n && d->have < CONSOLE_HEADER)
		d->hdr[d->have++] = in[i++];
	if (d->have == CONSOLE_HEADER)
		header_done(d, span);
	return i;
}
