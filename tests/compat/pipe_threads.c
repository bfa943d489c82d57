/* pipe_threads: pipes between threads: 4 MiB in PRNG-sized chunks from a
 * writer thread to a reader reading in other PRNG sizes (bytes and checksum
 * must match), four writers sharing one pipe with PIPE_BUF-sized records
 * that must never interleave, a reader blocked on an empty pipe woken by a
 * write, and a blocked reader whose descriptor another thread closes: the
 * read holds the file, so the pipe keeps its reader and a later write
 * reaches it. */
#include "compat.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>

enum { TOTAL = 4 << 20 };
static int fds[2];

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void *bulk_writer(void *arg)
{
	uint64_t state = 12345;
	static unsigned char buf[100000];
	size_t off = 0;

	(void)arg;
	while (off < TOTAL) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		size_t n = (size_t)(state >> 33) % sizeof(buf) + 1;
		if (n > TOTAL - off)
			n = TOTAL - off;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		ssize_t w = write(fds[1], buf, n);
		CHECK(w > 0);
		off += (size_t)w;
	}
	close(fds[1]);
	return NULL;
}

static void bulk(void)
{
	pthread_t t;
	static unsigned char buf[70000];
	size_t got = 0;
	long bad = 0, reads = 0;
	uint64_t h = FNV1A_INIT;

	CHECK(pipe(fds) == 0);
	CHECK(pthread_create(&t, NULL, bulk_writer, NULL) == 0);
	for (;;) {
		ssize_t r = read(fds[0], buf, rng_below(sizeof(buf)) + 1);
		CHECK(r >= 0);
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			bad += buf[i] != pattern(got + (size_t)i);
		h = fnv1a(h, buf, (size_t)r);
		got += (size_t)r;
		reads++;
	}
	pthread_join(t, NULL);
	close(fds[0]);
	printf("bulk: %zu bytes, %ld wrong, hash %016llx, more than one read %d\n", got, bad,
	       (unsigned long long)h, reads > 1);
}

enum { WRITERS = 4, RECORDS = 500, REC = PIPE_BUF };

static void *record_writer(void *arg)
{
	unsigned char rec[REC];

	memset(rec, 'a' + (int)(long)arg, sizeof(rec));
	for (int i = 0; i < RECORDS; i++)
		CHECK(write(fds[1], rec, sizeof(rec)) == REC);
	return NULL;
}

static void atomic_records(void)
{
	pthread_t t[WRITERS];
	static unsigned char rec[REC];
	int counts[WRITERS] = { 0 }, torn = 0;

	CHECK(pipe(fds) == 0);
	for (long i = 0; i < WRITERS; i++)
		CHECK(pthread_create(&t[i], NULL, record_writer, (void *)i) == 0);
	for (int n = 0; n < WRITERS * RECORDS; n++) {
		size_t got = 0;
		while (got < REC) {
			ssize_t r = read(fds[0], rec + got, REC - got);
			CHECK(r > 0);
			got += (size_t)r;
		}
		int w = rec[0] - 'a';
		for (int i = 1; i < REC; i++)
			torn += rec[i] != rec[0];
		if (w >= 0 && w < WRITERS)
			counts[w]++;
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	printf("records of PIPE_BUF (%d) bytes: %d %d %d %d, torn bytes %d\n", REC, counts[0], counts[1],
	       counts[2], counts[3], torn);
	close(fds[0]);
	close(fds[1]);
}

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	CHECK(write(fds[1], "wake", 4) == 4);
	return NULL;
}

static void blocked_reader(void)
{
	pthread_t t;
	char buf[8];

	CHECK(pipe(fds) == 0);
	int64_t t0 = now_ns();
	CHECK(pthread_create(&t, NULL, late_writer, NULL) == 0);
	ssize_t r = read(fds[0], buf, sizeof(buf));
	printf("blocked read woken: %s [%.4s], blocked >= 15 ms %d\n", res(r), buf, now_ns() - t0 >= 15000000);
	pthread_join(t, NULL);
	close(fds[0]);
	close(fds[1]);
}

static ssize_t closer_wrote;

static void *closer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	CHECK(close(fds[0]) == 0);
	closer_wrote = write(fds[1], "late", 4);
	return NULL;
}

static void reader_outlives_close(void)
{
	pthread_t t;
	char buf[8];

	signal(SIGPIPE, SIG_IGN);	/* a lost reader shows as EPIPE, not a death */
	CHECK(pipe(fds) == 0);
	CHECK(pthread_create(&t, NULL, closer, NULL) == 0);
	ssize_t r = read(fds[0], buf, sizeof(buf));
	pthread_join(t, NULL);
	printf("read through a descriptor closed meanwhile: %s [%.4s], the write: %s\n", res(r), buf,
	       res(closer_wrote));
	close(fds[1]);
}

int main(void)
{
	bulk();
	atomic_records();
	blocked_reader();
	reader_outlives_close();
	return 0;
}
