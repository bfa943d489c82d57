/*
 * Self-tests of pipes, poll_files / poll_select and eventfd, with real
 * threads: blocking and waking, end of file, broken pipes, nonblocking
 * mode, PIPE_BUF atomicity between two writers, timeouts, and
 * thread_interrupt ending each kind of wait with -EINTR.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/eventfd.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/pipe.h>
#include <mote/poll.h>

#include "fdtest.h"

/* ---- Pipes ------------------------------------------------------------------------ */

/* A reader thread: what one read returns; clears its interrupt before it ends. */
static void *read_some(void *arg)
{
	char buf[64];
	long r = fdtest_read(arg, buf, sizeof(buf));

	thread_clear_interrupt();
	return (void *)(intptr_t)r;
}

KTEST(pipe_read_write_nonblock)
{
	struct file *rd, *wr;
	char buf[16];

	FT_ASSERT(pipe_create(&rd, &wr, FILE_NONBLOCK) == 0);
	FT_EXPECT(fdtest_read(rd, buf, sizeof(buf)) == -EAGAIN);
	FT_EXPECT(poll_file_now(rd) == 0);
	FT_EXPECT(poll_file_now(wr) == (POLLOUT | POLLWRNORM));
	FT_EXPECT(fdtest_write(wr, "hello", 5) == 5);
	FT_EXPECT(pipe_bytes_readable(rd) == 5);
	FT_EXPECT(poll_file_now(rd) == (POLLIN | POLLRDNORM));
	FT_EXPECT(fdtest_read(rd, buf, 3) == 3 && memcmp(buf, "hel", 3) == 0);
	FT_EXPECT(fdtest_read(rd, buf, sizeof(buf)) == 2 && memcmp(buf, "lo", 2) == 0);
	FT_EXPECT(rd->ops->write == NULL && wr->ops->read == NULL);
	file_put(rd);
	file_put(wr);
}

/* A byte stream with a recognisable pattern: byte i of it. */
static char stream_byte(uint64_t i)
{
	return (char)(i * 7 + i / 251);
}

/* Writes up to n bytes of the stream from *pos on; the write's result. */
static long stream_write(struct file *wr, uint64_t *pos, size_t n)
{
	char buf[PIPE_BUF + 1];
	long r;

	for (size_t i = 0; i < n && i < sizeof(buf); i++)
		buf[i] = stream_byte(*pos + i);
	r = fdtest_write(wr, buf, n < sizeof(buf) ? n : sizeof(buf));
	if (r > 0)
		*pos += r;
	return r;
}

/* Reads up to n bytes and checks them against the stream; the count, or -1 on a mismatch. */
static long stream_read(struct file *rd, uint64_t *pos, size_t n)
{
	char buf[PIPE_BUF];
	long r = fdtest_read(rd, buf, n < sizeof(buf) ? n : sizeof(buf));

	for (long i = 0; i < r; i++)
		if (buf[i] != stream_byte(*pos + i))
			return -1;
	if (r > 0)
		*pos += r;
	return r;
}

KTEST(pipe_fill_wrap_and_atomic_nonblock)
{
	uint64_t wpos = 0, rpos = 0;
	struct file *rd, *wr;
	long r;

	FT_ASSERT(pipe_create(&rd, &wr, FILE_NONBLOCK) == 0);
	FT_EXPECT(stream_write(wr, &wpos, 1000) == 1000);
	FT_EXPECT(stream_read(rd, &rpos, 500) == 500);	/* data now starts mid-ring */
	while ((r = stream_write(wr, &wpos, PIPE_BUF + 1)) > 0)
		;					/* big writes: what fits, so it fills up */
	FT_EXPECT(r == -EAGAIN && wpos - rpos == PIPE_CAPACITY);
	FT_EXPECT(stream_write(wr, &wpos, 1) == -EAGAIN);
	FT_EXPECT(!(poll_file_now(wr) & POLLOUT));
	FT_EXPECT(stream_read(rd, &rpos, 100) == 100);
	FT_EXPECT(stream_write(wr, &wpos, 200) == -EAGAIN);	/* small: all or nothing */
	FT_EXPECT(stream_write(wr, &wpos, 100) == 100);
	while ((r = stream_read(rd, &rpos, PIPE_BUF)) > 0)
		;
	FT_EXPECT(r == -EAGAIN && rpos == wpos);	/* every byte back, in order */
	FT_EXPECT(stream_write(wr, &wpos, 10) == 10 && stream_read(rd, &rpos, 20) == 10);
	file_put(rd);
	file_put(wr);
}

KTEST(pipe_blocking_reader_woken_by_writer)
{
	struct file *rd, *wr;
	struct thread *t;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	t = thread_create(read_some, rd, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(fdtest_write(wr, "abc", 3) == 3);
	FT_EXPECT(fdtest_join(t) == 3);
	file_put(rd);
	file_put(wr);
}

KTEST(pipe_eof_when_writers_close)
{
	struct file *rd, *wr;
	struct thread *t;
	char c;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	file_get(wr);			/* a dup: two references, one end */
	t = thread_create(read_some, rd, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	file_put(wr);
	FT_EXPECT(fdtest_write(wr, "x", 1) == 1);	/* still open */
	file_put(wr);			/* the last writer: reads drain, then EOF */
	FT_EXPECT(fdtest_join(t) == 1);
	FT_EXPECT(poll_file_now(rd) == POLLHUP);
	FT_EXPECT(fdtest_read(rd, &c, 1) == 0);
	file_put(rd);
}

/* One write of PIPE_BUF + 1 bytes (not atomic: it may be split). */
static void *write_big(void *arg)
{
	uint64_t pos = 0;
	long r = stream_write(arg, &pos, PIPE_BUF + 1);

	thread_clear_interrupt();
	return (void *)(intptr_t)r;
}

KTEST(pipe_epipe_when_readers_close)
{
	uint64_t pos = 0;
	struct file *rd, *wr;
	struct thread *t;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	while (pos < PIPE_CAPACITY)
		FT_ASSERT(stream_write(wr, &pos, PIPE_BUF) == PIPE_BUF);
	t = thread_create(write_big, wr, 0);	/* finds the pipe full and sleeps */
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(pipe_bytes_readable(rd) == PIPE_CAPACITY);
	file_put(rd);
	FT_EXPECT(fdtest_join(t) == -EPIPE);
	FT_EXPECT(fdtest_write(wr, "x", 1) == -EPIPE);
	FT_EXPECT(poll_file_now(wr) & POLLERR);
	file_put(wr);
}

KTEST(pipe_read_interrupted)
{
	struct file *rd, *wr;
	struct thread *t;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	t = thread_create(read_some, rd, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == -EINTR);
	file_put(rd);
	file_put(wr);
}

KTEST(pipe_write_interrupted_returns_count)
{
	uint64_t pos = 0;
	struct file *rd, *wr;
	struct thread *t;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	while (pos < PIPE_CAPACITY - 2000 - PIPE_BUF)
		FT_ASSERT(stream_write(wr, &pos, PIPE_BUF) == PIPE_BUF);
	FT_EXPECT(stream_write(wr, &pos, PIPE_CAPACITY - 2000 - pos) > 0);	/* 2000 left */
	t = thread_create(write_big, wr, 0);	/* 2000 bytes in, then waits for room */
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == 2000);
	FT_EXPECT(pipe_bytes_readable(rd) == PIPE_CAPACITY);
	file_put(rd);
	file_put(wr);
}

/* Two writers of PIPE_BUF-sized records; the reader checks no record is torn. */
#define ATOMIC_RECORDS 48

struct atomic_writer {
	struct file *wr;
	char id;
};

static void *write_records(void *arg)
{
	struct atomic_writer *a = arg;
	char *rec = mm_malloc(PIPE_BUF);
	intptr_t bad = !rec;

	if (rec)
		memset(rec, a->id, PIPE_BUF);
	for (unsigned i = 0; rec && i < ATOMIC_RECORDS && !bad; i++)
		bad = fdtest_write(a->wr, rec, PIPE_BUF) != PIPE_BUF;
	mm_free(rec);
	file_put(a->wr);	/* the writers' own references: the reader sees EOF after both */
	return (void *)bad;
}

KTEST(pipe_buf_writes_are_atomic)
{
	char *rec = mm_malloc(PIPE_BUF);
	struct atomic_writer a, b;
	struct thread *ta, *tb;
	struct file *rd, *wr;
	unsigned records = 0, torn = 0, fill = 0, counts[2] = { 0, 0 };
	long n;

	FT_ASSERT(rec);
	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	a = (struct atomic_writer){ wr, 'A' };
	b = (struct atomic_writer){ wr, 'B' };
	file_get(wr);		/* one reference each for the writers; ours goes below */
	file_get(wr);
	ta = thread_create(write_records, &a, 0);
	tb = thread_create(write_records, &b, 0);
	FT_ASSERT(!IS_ERR(ta) && !IS_ERR(tb));
	file_put(wr);
	while (records < 2 * ATOMIC_RECORDS) {
		/* Odd-sized reads, so records arrive in pieces. */
		size_t want = PIPE_BUF - fill < 1500 ? PIPE_BUF - fill : 1500;

		n = fdtest_read(rd, rec + fill, want);
		if (n <= 0)
			break;
		fill += n;
		if (fill < PIPE_BUF)
			continue;
		for (unsigned i = 1; i < PIPE_BUF; i++)
			torn += rec[i] != rec[0];
		counts[rec[0] == 'B']++;
		records++;
		fill = 0;
	}
	FT_EXPECT(fdtest_join(ta) == 0 && fdtest_join(tb) == 0);
	FT_EXPECT(records == 2 * ATOMIC_RECORDS && torn == 0);
	FT_EXPECT(counts[0] == ATOMIC_RECORDS && counts[1] == ATOMIC_RECORDS);
	file_put(rd);
	mm_free(rec);
}

/* ---- poll_files and select ------------------------------------------------------------ */

KTEST(poll_times_out)
{
	struct file *rd, *wr;
	short ev = POLLIN, rev = -1;
	uint64_t start;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	FT_EXPECT(poll_files(&rd, &ev, &rev, 1, 0) == 0 && rev == 0);	/* no wait */
	start = clock_monotonic_ns();
	FT_EXPECT(poll_files(&rd, &ev, &rev, 1, start + 3 * NSEC_PER_MSEC) == 0);
	FT_EXPECT(clock_monotonic_ns() - start >= 3 * NSEC_PER_MSEC);
	FT_EXPECT(rev == 0);
	file_put(rd);
	file_put(wr);
}

struct poll_job {
	struct file *files[3];
	short events[3], revents[3];
	unsigned n;
	uint64_t deadline;
};

static void *poll_job_run(void *arg)
{
	struct poll_job *j = arg;
	long r = poll_files(j->files, j->events, j->revents, j->n, j->deadline);

	thread_clear_interrupt();
	return (void *)(intptr_t)r;
}

KTEST(poll_woken_by_write)
{
	struct file *rd, *wr, *rd2, *wr2;
	struct poll_job j;
	struct thread *t;
	uint64_t pos = 0;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	FT_ASSERT(pipe_create(&rd2, &wr2, 0) == 0);
	/* An empty pipe, a full one's writer, a full one's reader asked for POLLPRI: nothing. */
	while (pos < PIPE_CAPACITY)
		FT_ASSERT(stream_write(wr2, &pos, PIPE_BUF) == PIPE_BUF);
	j = (struct poll_job){ { rd, wr2, rd2 }, { POLLIN, POLLOUT, POLLPRI }, { -1, -1, -1 }, 3,
			       POLL_FOREVER };
	t = thread_create(poll_job_run, &j, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(fdtest_write(wr, "z", 1) == 1);
	FT_EXPECT(fdtest_join(t) == 1);
	FT_EXPECT(j.revents[0] == POLLIN && j.revents[1] == 0 && j.revents[2] == 0);
	file_put(rd);
	file_put(wr);
	file_put(rd2);
	file_put(wr2);
}

KTEST(poll_interrupted_and_hup)
{
	struct file *rd, *wr;
	struct poll_job j;
	struct thread *t;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	j = (struct poll_job){ { rd }, { POLLIN }, { -1 }, 1, POLL_FOREVER };
	t = thread_create(poll_job_run, &j, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == -EINTR);
	/* POLLHUP is reported though not asked for, and wakes the poller. */
	j = (struct poll_job){ { rd }, { POLLPRI }, { -1 }, 1, POLL_FOREVER };
	t = thread_create(poll_job_run, &j, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	file_put(wr);
	FT_EXPECT(fdtest_join(t) == 1 && j.revents[0] == POLLHUP);
	file_put(rd);
}

KTEST(poll_invalid_and_negative_entries)
{
	struct file *rd, *wr;
	struct file *files[3];
	short ev[3] = { POLLIN, POLLIN, POLLOUT }, rev[3] = { -1, -1, -1 };

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	files[0] = NULL;
	files[1] = POLL_FILE_BADF;
	files[2] = wr;
	FT_EXPECT(poll_files(files, ev, rev, 3, POLL_FOREVER) == 2);
	FT_EXPECT(rev[0] == 0 && rev[1] == POLLNVAL && rev[2] == POLLOUT);
	file_put(rd);
	file_put(wr);
}

KTEST(select_sets)
{
	struct file *rd, *wr, *files[4];
	uint64_t r, w, x;

	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	files[0] = files[1] = NULL;
	files[2] = rd;
	files[3] = wr;
	r = 1 << 2;
	w = 1 << 3 | 1 << 2;
	x = 0;
	FT_EXPECT(poll_select(files, 4, &r, &w, &x, POLL_FOREVER) == 1);
	FT_EXPECT(r == 0 && w == 1 << 3 && x == 0);
	r = 1 << 2;
	FT_EXPECT(poll_select(files, 4, &r, NULL, NULL, clock_monotonic_ns() + NSEC_PER_MSEC) == 0);
	FT_EXPECT(r == 0);
	r = 1 << 1;
	FT_EXPECT(poll_select(files, 4, &r, NULL, NULL, 0) == -EBADF && r == 1 << 1);
	FT_EXPECT(fdtest_write(wr, "q", 1) == 1);
	r = 1 << 2;
	FT_EXPECT(poll_select(files, 4, &r, NULL, NULL, 0) == 1 && r == 1 << 2);
	file_put(rd);
	file_put(wr);
}

/* ---- eventfd ---------------------------------------------------------------------------- */

FDTEST_INLINE uint64_t efd_get(struct file *f, long *ret)
{
	uint64_t v = 0;

	*ret = fdtest_read(f, &v, sizeof(v));
	return v;
}

FDTEST_INLINE long efd_put(struct file *f, uint64_t v)
{
	return fdtest_write(f, &v, sizeof(v));
}

KTEST(eventfd_counter_and_semaphore)
{
	struct file *e = eventfd_create(3, EFD_NONBLOCK), *s = eventfd_create(3, EFD_SEMAPHORE);
	char small[4];
	long r;

	FT_ASSERT(!IS_ERR(e) && !IS_ERR(s));
	FT_EXPECT(IS_ERR(eventfd_create(0, 0x4)));
	FT_EXPECT(fdtest_read(e, small, sizeof(small)) == -EINVAL);
	FT_EXPECT(fdtest_write(e, small, sizeof(small)) == -EINVAL);
	FT_EXPECT(efd_put(e, UINT64_MAX) == -EINVAL);
	FT_EXPECT(efd_put(e, 4) == 8);
	FT_EXPECT(poll_file_now(e) == (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM));
	FT_EXPECT(efd_get(e, &r) == 7 && r == 8);
	efd_get(e, &r);
	FT_EXPECT(r == -EAGAIN);
	FT_EXPECT(efd_put(e, 0xfffffffffffffffeULL) == 8);
	FT_EXPECT(efd_put(e, 1) == -EAGAIN);	/* would overflow */
	FT_EXPECT(poll_file_now(e) == (POLLIN | POLLRDNORM));
	for (unsigned i = 0; i < 3; i++)
		FT_EXPECT(efd_get(s, &r) == 1 && r == 8);
	fdtest_nonblock(s, true);
	efd_get(s, &r);
	FT_EXPECT(r == -EAGAIN);
	file_put(e);
	file_put(s);
}

static void *efd_add_max(void *arg)
{
	return (void *)(intptr_t)efd_put(arg, 0xfffffffffffffffeULL);
}

KTEST(eventfd_blocking_both_ways)
{
	struct file *e = eventfd_create(0, 0);
	struct thread *t;
	long r;

	FT_ASSERT(!IS_ERR(e));
	t = thread_create(fdtest_read_u64_job, e, 0);	/* waits for a nonzero count */
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(efd_put(e, 5) == 8);
	FT_EXPECT(fdtest_join(t) == 5);
	FT_EXPECT(efd_put(e, 1) == 8);
	t = thread_create(efd_add_max, e, 0);	/* waits for room */
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(efd_get(e, &r) == 1 && r == 8);
	FT_EXPECT(fdtest_join(t) == 8);
	FT_EXPECT(efd_get(e, &r) == 0xfffffffffffffffeULL);
	t = thread_create(fdtest_read_u64_job, e, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == -EINTR);
	file_put(e);
}
