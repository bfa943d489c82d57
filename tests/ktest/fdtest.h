/*
 * Helpers shared by the self-tests of pipes, poll, eventfd, timerfd and
 * epoll (tests/ktest/pipe.c, tests/ktest/epoll.c).
 */
#ifndef KTEST_FDTEST_H
#define KTEST_FDTEST_H

#include <lib/err.h>
#include <mote/clock.h>
#include <mote/file.h>
#include <mote/ktest.h>
#include <mote/sync.h>
#include <mote/thread.h>

/*
 * KT_EXPECT and KT_ASSERT without the expression's text: a failure names
 * its file and line only. Every byte of the kernel image is RAM, these
 * tests hold a few hundred checks, and the 2 MiB boot test runs the whole
 * suite with only pages to spare.
 */
#define FT_EXPECT(cond) ktest_check(kt, (cond), "", __FILE__, __LINE__)
#define FT_ASSERT(cond)					\
	do {						\
		if (!FT_EXPECT(cond))			\
			return;				\
	} while (0)

#define FDTEST_INLINE static inline __attribute__((always_inline))

/* Waits (up to a second) until t is blocked: it has really gone to sleep in the call under test. */
bool fdtest_wait_blocked(struct thread *t);

/* Joins t; its exit value as a long (the helpers' results travel that way). */
long fdtest_join(struct thread *t);

/*
 * A thread reading 8 bytes (eventfd, timerfd) from the file arg: the value
 * read, or the error; clears its interrupt before it returns.
 */
void *fdtest_read_u64_job(void *arg);

FDTEST_INLINE long fdtest_read(struct file *f, void *buf, size_t len)
{
	return f->ops->read(f, buf, len);
}

FDTEST_INLINE long fdtest_write(struct file *f, const void *buf, size_t len)
{
	return f->ops->write(f, buf, len);
}

FDTEST_INLINE void fdtest_nonblock(struct file *f, bool on)
{
	if (on)
		f->flags |= FILE_NONBLOCK;
	else
		f->flags &= ~FILE_NONBLOCK;
}

#endif
