/*
 * The random pool (mote/random.h): ChaCha20 keystream with fast key
 * erasure. Nonce 0 produces output, nonce 1 the next key, so the two never
 * share keystream.
 */
#include <lib/chacha20.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/random.h>
#include <mote/spinlock.h>

#define CHUNK 256	/* bytes produced per lock hold */

static struct {
	struct spinlock lock;
	uint32_t key[CHACHA20_KEY_WORDS];
	uint64_t counter;
	uint64_t added;
	bool seeded;
} pool = { .lock = SPINLOCK_INIT("random pool", SPIN_RANK_NONE) };

static void mix_word(unsigned at, uint64_t v)
{
	pool.key[at % CHACHA20_KEY_WORDS] ^= (uint32_t)v;
	pool.key[(at + 1) % CHACHA20_KEY_WORDS] ^= (uint32_t)(v >> 32);
}

/* Replaces the key with keystream nobody else sees. */
static void rekey(void)
{
	uint32_t block[16];

	chacha20_block(pool.key, pool.counter++, 1, block);
	memcpy(pool.key, block, sizeof(pool.key));
	memset(block, 0, sizeof(block));
}

static void seed_once(void)
{
	uint64_t v;

	if (pool.seeded)
		return;
	for (unsigned i = 0; i < CHACHA20_KEY_WORDS; i += 2)
		if (arch_random_u64(&v))
			mix_word(i, v);
	mix_word(6, arch_cycles());
	pool.seeded = true;
	rekey();
}

static void generate(uint8_t *out, size_t len)
{
	uint32_t block[16];
	uint64_t v;

	seed_once();
	if (arch_random_u64(&v))
		mix_word(0, v);
	for (size_t done = 0; done < len; done += sizeof(block)) {
		size_t n = len - done < sizeof(block) ? len - done : sizeof(block);

		chacha20_block(pool.key, pool.counter++, 0, block);
		memcpy(out + done, block, n);
	}
	memset(block, 0, sizeof(block));
	rekey();
}

void random_bytes(void *out, size_t len)
{
	for (size_t done = 0; done < len; done += CHUNK) {
		unsigned long flags = spin_lock_irqsave(&pool.lock);

		generate((uint8_t *)out + done, len - done < CHUNK ? len - done : CHUNK);
		spin_unlock_irqrestore(&pool.lock, flags);
	}
}

void random_add_entropy(const void *data, size_t len)
{
	const uint8_t *p = data;
	unsigned long flags = spin_lock_irqsave(&pool.lock);

	seed_once();
	/* 32 bytes at a time into the key, each followed by a rekey: none overwrites another. */
	for (size_t i = 0; i < len; i++) {
		pool.key[i / 4 % CHACHA20_KEY_WORDS] ^= (uint32_t)p[i] << (8 * (i % 4));
		if (i % 32 == 31 || i + 1 == len)
			rekey();
	}
	pool.added += len;
	spin_unlock_irqrestore(&pool.lock, flags);
}

uint64_t random_entropy_added(void)
{
	return __atomic_load_n(&pool.added, __ATOMIC_RELAXED);
}
