/*
 * The other ways data moves through AF_UNIX sockets: readv/writev,
 * sendmmsg/recvmmsg (MSG_WAITFORONE), MSG_WAITALL against a writer that
 * sends in pieces, a send timeout on a full buffer, a full non-blocking
 * stream, and shutdown(SHUT_RD).
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

static void *piecewise(void *arg)
{
	int fd = *(int *)arg;

	for (int i = 0; i < 10; i++) {
		char piece[10];

		memset(piece, '0' + i, sizeof(piece));
		sleep_ms(5);
		CHECK(write(fd, piece, sizeof(piece)) == sizeof(piece));
	}
	return NULL;
}

static void vectors(void)
{
	int sv[2];
	char a[4], b[8], c[16];
	struct iovec out[3] = { { "abc", 3 }, { "", 0 }, { "defghij", 7 } };
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	ssize_t n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	n = writev(sv[0], out, 3);
	printf("writev: %s\n", sres(n));
	n = readv(sv[1], in, 2);
	printf("readv: %s \"%.4s\" \"%.6s\"\n", sres(n), a, b);
	CHECK(close(sv[0]) == 0);
	n = read(sv[1], c, sizeof(c));
	printf("read at EOF: %s\n", sres(n));
	close(sv[1]);
}

static void mmsg(void)
{
	int sv[2];
	char bufs[4][16];
	struct iovec iov[4];
	struct mmsghdr msgs[4];
	const char *texts[3] = { "one", "two two", "three three three" };
	int n;

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 3; i++) {
		iov[i] = (struct iovec){ (void *)texts[i], strlen(texts[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = sendmmsg(sv[0], msgs, 3, 0);
	printf("sendmmsg: %s lens %u %u %u\n", sres(n), msgs[0].msg_len, msgs[1].msg_len, msgs[2].msg_len);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(sv[1], msgs, 4, MSG_WAITFORONE, NULL);
	printf("recvmmsg WAITFORONE: %s", sres(n));
	for (int i = 0; i < n; i++)
		printf(" [%u \"%.*s\" trunc %d]", msgs[i].msg_len, (int)msgs[i].msg_len, bufs[i],
		       !!(msgs[i].msg_hdr.msg_flags & MSG_TRUNC));
	printf("\n");
	n = recvmmsg(sv[1], msgs, 4, MSG_DONTWAIT, NULL);
	printf("recvmmsg empty: %s\n", sres(n));
	close(sv[0]);
	close(sv[1]);
}

static void waitall(void)
{
	int sv[2];
	pthread_t t;
	char buf[100];
	ssize_t n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pthread_create(&t, NULL, piecewise, &sv[0]) == 0);
	n = recv(sv[1], buf, sizeof(buf), MSG_WAITALL);
	printf("MSG_WAITALL: %s first %c last %c\n", sres(n), buf[0], buf[99]);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
}

static void full_buffer(void)
{
	int sv[2];
	struct timeval tv = { 0, 100000 };
	static char chunk[65536];
	size_t total = 0;
	ssize_t n;
	int64_t t0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	while ((n = write(sv[0], chunk, sizeof(chunk))) > 0)
		total += (size_t)n;
	printf("non-blocking fill: %s, filled more than 64K %d\n", sock_errname(errno), total > 65536);
	{
		struct pollfd p = { sv[0], POLLOUT, 0 };

		printf("  poll POLLOUT when full: %d\n", poll(&p, 1, 0));
	}
	CHECK(fcntl(sv[0], F_SETFL, 0) == 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
	t0 = now_ns();
	n = write(sv[0], chunk, sizeof(chunk));
	printf("blocking write with SO_SNDTIMEO on a full buffer: %s after 80 ms %d\n", sres(n),
	       now_ns() - t0 >= 80000000);
	{
		char drain[4096];
		size_t got = 0;

		CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
		while ((n = read(sv[1], drain, sizeof(drain))) > 0)
			got += (size_t)n;
		printf("  drained all: %d\n", got == total);
	}
	close(sv[0]);
	close(sv[1]);
}

static void shut_rd(void)
{
	int sv[2];
	char c;
	ssize_t n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(shutdown(sv[1], SHUT_RD) == 0);
	n = read(sv[1], &c, 1);
	printf("read after own SHUT_RD: %s\n", sres(n));
	n = send(sv[0], "x", 1, MSG_NOSIGNAL);
	printf("peer write after SHUT_RD: %s\n", sres(n));
	n = send(sv[1], "y", 1, MSG_NOSIGNAL);
	printf("write the other way: %s\n", sres(n));
	n = read(sv[0], &c, 1);
	printf("  read it: %s %c\n", sres(n), n == 1 ? c : '-');
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	close_extra_fds();
	vectors();
	mmsg();
	waitall();
	full_buffer();
	shut_rd();
	printf("done\n");
	return 0;
}
