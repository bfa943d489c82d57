/*
 * lib/frame: records encoded with frame_header() come back byte-exact
 * through the decoder whatever the chunking (one byte at a time, random
 * cuts, all at once); raw bytes between records stay raw, in place;
 * impossible headers turn into raw bytes; empty records are reported.
 */
#include <lib/frame.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static uint8_t wire[200000];
static size_t wire_len;
static uint8_t want[3][100000], got[3][100000];
static size_t want_len[3], got_len[3];
static unsigned empties[3], got_empties[3];

static void put_raw(const void *p, size_t n, unsigned as)
{
	memcpy(wire + wire_len, p, n);
	wire_len += n;
	memcpy(want[as] + want_len[as], p, n);
	want_len[as] += n;
}

static void put_record(unsigned stream, const uint8_t *p, size_t n)
{
	frame_header(wire + wire_len, stream, n);
	wire_len += CONSOLE_HEADER;
	if (n) {
		memcpy(wire + wire_len, p, n);
		memcpy(want[stream] + want_len[stream], p, n);
	}
	wire_len += n;
	want_len[stream] += n;
	empties[stream] += !n;
}

/* Decodes the wire in chunks of at most `chunk` bytes (0: random); raw bytes count as stream 0. */
static void decode(size_t chunk, unsigned max_stream)
{
	struct frame_decoder d;
	size_t pos = 0;

	frame_decoder_init(&d, max_stream);
	memset(got_len, 0, sizeof(got_len));
	memset(got_empties, 0, sizeof(got_empties));
	while (pos < wire_len) {
		size_t n = chunk ? chunk : 1 + (size_t)rand() % 5000;
		if (n > wire_len - pos)
			n = wire_len - pos;
		while (n) {
			struct frame_span s;
			size_t used = frame_decode(&d, wire + pos, n, &s);
			EXPECT(used >= 1 && used <= n);
			if (s.kind == FRAME_RAW || s.kind == FRAME_DATA) {
				unsigned st = s.kind == FRAME_RAW ? 0 : s.stream;
				memcpy(got[st] + got_len[st], s.data, s.len);
				got_len[st] += s.len;
			}
			if (s.kind == FRAME_EMPTY)
				got_empties[s.stream]++;
			pos += used;
			n -= used;
		}
	}
	EXPECT(frame_idle(&d));
}

static int same(void)
{
	for (int i = 0; i < 3; i++)
		if (got_len[i] != want_len[i] || memcmp(got[i], want[i], want_len[i]) ||
		    got_empties[i] != empties[i])
			return 0;
	return 1;
}

static void round_trip(void)
{
	uint8_t all[256], big[CONSOLE_RECORD_MAX];

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	memset(big, CONSOLE_MAGIC, sizeof(big));
	wire_len = 0;
	memset(want_len, 0, sizeof(want_len));
	memset(empties, 0, sizeof(empties));
	put_raw("firmware says hi\n", 17, 0);
	put_record(1, all, 256);
	put_record(2, all, 256);
	put_record(0, (const uint8_t *)"log\n", 4);
	put_record(1, big, sizeof(big));
	put_record(0, 0, 0);
	put_raw("x", 1, 0);
	for (int i = 0; i < 200; i++)
		put_record((unsigned)rand() % 3, all + rand() % 128, (size_t)rand() % 128);
	put_record(2, big, 1);
	for (size_t chunk = 1; chunk < 9; chunk++) {
		decode(chunk, 2);
		EXPECT(same());
	}
	for (int i = 0; i < 20; i++) {
		decode(0, 2);
		EXPECT(same());
	}
	decode(sizeof(wire), 2);
	EXPECT(same());
}

static void bad_headers_are_raw(void)
{
	static const uint8_t in[] = { 'a', CONSOLE_MAGIC, 7, 1, 0, 'b',		/* stream 7 */
				      CONSOLE_MAGIC, 1, 0x01, 0x10, 'c' };	/* 4097 bytes */
	struct frame_decoder d;
	uint8_t out[32];
	size_t pos = 0, olen = 0;

	frame_decoder_init(&d, 2);
	while (pos < sizeof(in)) {
		struct frame_span s;
		pos += frame_decode(&d, in + pos, sizeof(in) - pos, &s);
		EXPECT(s.kind == FRAME_RAW || s.kind == FRAME_NONE);
		memcpy(out + olen, s.data ? s.data : (const uint8_t *)"", s.len);
		olen += s.len;
	}
	EXPECT(olen == sizeof(in) && !memcmp(out, in, sizeof(in)));

	/* Host to guest: only stream 0 exists. */
	static const uint8_t stdin_rec[] = { CONSOLE_MAGIC, 1, 1, 0, 'z' };
	struct frame_span s;
	frame_decoder_init(&d, 0);
	EXPECT(frame_decode(&d, stdin_rec, sizeof(stdin_rec), &s) == 4 && s.kind == FRAME_RAW);
}

int main(void)
{
	srand(1);
	RUN(round_trip);
	RUN(bad_headers_are_raw);
	return test_summary();
}
