/*
 * Self-tests of the socket layer and AF_UNIX below the system calls:
 * a stream pair through the file ops, a blocked receive woken by a send
 * and ended by thread_interrupt (-EINTR), and SCM_RIGHTS references: a
 * pipe end passed in a message and never received is released when the
 * socket closes (the pipe then reads end of file).
 */
#include <lib/errno.h>
#include <mote/ktest.h>
#include <mote/pipe.h>
#include <mote/poll.h>
#include <mote/socket.h>

#include "fdtest.h"

static void *recv_some(void *arg)
{
	char buf[16];
	long r = fdtest_read(arg, buf, sizeof(buf));

	thread_clear_interrupt();
	return (void *)(intptr_t)r;
}

KTEST(socket_unix_pair_io)
{
	struct file *sv[2];
	struct thread *t;
	char buf[8];

	FT_ASSERT(socket_create_pair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	FT_EXPECT(socket_of(sv[0]) && socket_of(sv[0])->type == SOCK_STREAM);
	FT_EXPECT(poll_file_now(sv[0]) == (POLLOUT | POLLWRNORM | POLLWRBAND));
	FT_EXPECT(fdtest_write(sv[0], "hey", 3) == 3);
	FT_EXPECT(poll_file_now(sv[1]) & POLLIN);
	FT_EXPECT(fdtest_read(sv[1], buf, sizeof(buf)) == 3);
	t = thread_create(recv_some, sv[1], 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	FT_EXPECT(fdtest_write(sv[0], "ab", 2) == 2);
	FT_EXPECT(fdtest_join(t) == 2);
	t = thread_create(recv_some, sv[1], 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == -EINTR);
	file_put(sv[0]);
	FT_EXPECT(fdtest_read(sv[1], buf, sizeof(buf)) == 0);
	file_put(sv[1]);
}

KTEST(socket_unix_files_in_flight_released)
{
	struct file *sv[2], *rd, *wr;
	struct kiovec iov = { "x", 1 };
	struct kmsg m = { .iov = &iov, .iovlen = 1, .files = &wr, .nfiles = 1 };
	struct socket *s;
	char c;

	FT_ASSERT(socket_create_pair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	FT_ASSERT(pipe_create(&rd, &wr, FILE_NONBLOCK) == 0);
	s = socket_of(sv[0]);
	FT_EXPECT(s->ops->sendmsg(s, &m, 0) == 1);
	file_put(wr);			/* the message holds the only writer now */
	FT_EXPECT(fdtest_read(rd, &c, 1) == -EAGAIN);
	file_put(sv[1]);		/* closes with the message unread */
	FT_EXPECT(fdtest_read(rd, &c, 1) == 0);
	file_put(sv[0]);
	file_put(rd);
}
