/* lib/chacha20 against the block-function test vector of RFC 8439, section 2.3.2. */
#include <lib/chacha20.h>
#include "check.h"

static void rfc8439_block_vector(void)
{
	uint32_t key[8], out[16];
	static const uint32_t want[16] = {
		0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
		0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
		0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2,
	};
	int same = 1;

	/* Key bytes 00 01 02 ... 1f; nonce bytes 00 00 00 09 00 00 00 4a 00 00 00 00, whose
	 * last two words are our 64-bit nonce; the first nonce word is the counter's high word. */
	for (unsigned i = 0; i < 8; i++)
		key[i] = (4 * i) | (4 * i + 1) << 8 | (4 * i + 2) << 16 | (uint32_t)(4 * i + 3) << 24;
	chacha20_block(key, 1 | (uint64_t)0x09000000 << 32, 0x4a000000, out);
	for (unsigned i = 0; i < 16; i++)
		same &= out[i] == want[i];
	EXPECT(same);
}

static void counter_changes_everything(void)
{
	uint32_t key[8] = { 0 }, a[16], b[16];
	unsigned equal = 0;

	chacha20_block(key, 0, 0, a);
	chacha20_block(key, 1, 0, b);
	for (unsigned i = 0; i < 16; i++)
		equal += a[i] == b[i];
	EXPECT(equal == 0);
	/* The all-zero key's first block (RFC 8439 appendix A.1, test vector 1). */
	EXPECT(a[0] == 0xade0b876 && a[15] == 0x8665eeb2 && a[1] == 0x903df1a0);
}

int main(void)
{
	RUN(rfc8439_block_vector);
	RUN(counter_changes_everything);
	return test_summary();
}
