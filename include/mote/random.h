/*
 * mote/random: the kernel's random numbers (getrandom, /dev/random and
 * /dev/urandom, AT_RANDOM).
 *
 * One pool: a 256-bit ChaCha20 key (lib/chacha20.h). Output is keystream
 * under that key; after every request the key is replaced by fresh
 * keystream, so a later look at the pool cannot recover earlier output.
 * The key is seeded on first use from the CPU's generator (RDSEED/RDRAND,
 * arch_random_u64) and the cycle counter, each request also mixes in one
 * hardware random word when the CPU has them, and devices (virtio-rng)
 * add what they deliver with random_add_entropy(). Without a CPU generator
 * or a device, the output is only as unpredictable as the cycle counter
 * at first use: fine for hash seeds, not for keys; mote run attaches
 * virtio-rng with --rng.
 *
 * Context: any, interrupt handlers included (a short spinlock section per
 * 256 bytes). Never blocks, never fails.
 */
#ifndef MOTE_RANDOM_H
#define MOTE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills out with len random bytes. */
void random_bytes(void *out, size_t len);

/* Mixes len bytes from an entropy source (a device) into the pool. */
void random_add_entropy(const void *data, size_t len);

/* How many bytes devices have added so far (for tests and the log). */
uint64_t random_entropy_added(void);

#endif
