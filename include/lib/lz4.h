/*
 * lib/lz4: the LZ4 block format (not the frame format), written from its
 * published description: a block is a run of sequences, each a token byte
 * (literal count in the high nibble, match length - 4 in the low one, 15
 * meaning "more in the following bytes, each 255 meaning more still"), the
 * literals, then a 2-byte little-endian back-reference offset and the
 * match length's extra bytes. The last sequence is literals only.
 *
 * The decompressor takes untrusted input (disk images): it never reads
 * past src + srclen or writes past dst + dstcap, and refuses offsets that
 * reach before the start of the output. The compressor is a plain greedy
 * one (a hash of 4 bytes to the last position seen) for blocks of at most
 * 64 KiB; it follows the format's end-of-block rules (the last 5 bytes
 * are literals, no match starts in the last 12), so any LZ4 decoder reads
 * what it writes.
 *
 * Freestanding: lib/string only, no allocation.
 */
#ifndef LIB_LZ4_H
#define LIB_LZ4_H

#include <stddef.h>

/* Decompresses one block: the bytes produced, or -EINVAL if the block is malformed or too big. */
long lz4_decompress_block(const void *src, size_t srclen, void *dst, size_t dstcap);

#define LZ4_MAX_INPUT 65536u

/*
 * Compresses len (<= LZ4_MAX_INPUT) bytes into at most cap bytes: the
 * compressed size, or 0 if it does not fit (store the block raw instead).
 */
size_t lz4_compress_block(const void *src, size_t len, void *dst, size_t cap);

#endif
