/*
 * lib/chacha20: the ChaCha20 block function of RFC 8439 (section 2.3), the
 * core of the kernel's random generator (mote/random.h). One call turns a
 * 256-bit key, a 64-bit block counter and a 64-bit nonce into 64 bytes
 * of keystream. Portable; checked against the RFC's test vector in
 * tests/unit/test_chacha20.c.
 */
#ifndef LIB_CHACHA20_H
#define LIB_CHACHA20_H

#include <stdint.h>

#define CHACHA20_KEY_WORDS 8
#define CHACHA20_BLOCK_BYTES 64

/*
 * Writes block `counter` of the keystream for key into out (16 words,
 * little-endian when stored as bytes on a little-endian CPU). The RFC's
 * layout: words 12-13 are the counter (low word first), 14-15 the nonce.
 */
void chacha20_block(const uint32_t key[CHACHA20_KEY_WORDS], uint64_t counter, uint64_t nonce,
		    uint32_t out[16]);

#endif
