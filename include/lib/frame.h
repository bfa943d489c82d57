/*
 * lib/frame: the framed console's records (include/abi/console.h) in both
 * directions, for the kernel (which frames its output and decodes stdin)
 * and mote run (which decodes the guest's output and frames stdin).
 *
 * The decoder is a byte-stream state machine that never buffers payload:
 * each call consumes some input and describes at most one span of it, so
 * a caller loops until the input is used up, in chunks of any size (the
 * kernel feeds one byte at a time from the UART, the host 64 KiB reads).
 * A header whose stream or length is impossible is not a record: its bytes
 * come back as raw (they were output that happened to hold the magic byte;
 * 0xf5 never occurs in UTF-8 text, so this is rare and harmless).
 */
#ifndef LIB_FRAME_H
#define LIB_FRAME_H

#include <abi/console.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum frame_kind {
	FRAME_NONE,	/* consumed header bytes only */
	FRAME_RAW,	/* bytes outside any record */
	FRAME_DATA,	/* payload bytes of a record on span.stream */
	FRAME_EMPTY,	/* a record of length 0 on span.stream (stdin EOF, or the fatal mark) */
};

struct frame_span {
	enum frame_kind kind;
	unsigned stream;
	const uint8_t *data;	/* into the input, or into the decoder for a refused header */
	size_t len;
};

struct frame_decoder {
	uint8_t hdr[CONSOLE_HEADER];
	unsigned have;		/* header bytes collected */
	unsigned stream;
	uint32_t left;		/* payload bytes still to come in the current record */
	unsigned max_stream;	/* highest stream number that is valid */
};

/* A decoder accepting streams 0..max_stream. */
void frame_decoder_init(struct frame_decoder *d, unsigned max_stream);

/* Consumes 1..n bytes of in (n > 0) and describes them in *span; returns the count. */
size_t frame_decode(struct frame_decoder *d, const uint8_t *in, size_t n, struct frame_span *span);

/* Whether the decoder is between records (nothing half-read). */
bool frame_idle(const struct frame_decoder *d);

/* The header of a record of len (<= CONSOLE_RECORD_MAX) bytes on stream. */
void frame_header(uint8_t hdr[CONSOLE_HEADER], unsigned stream, size_t len);

#endif
