/*
 * AF_UNIX datagram and seqpacket sockets: message boundaries, MSG_TRUNC
 * (as a result flag and as a request), MSG_PEEK, sender addresses,
 * connect() to a default destination, socketpair for both types,
 * SOCK_SEQPACKET over listen/accept, EOF, FIONREAD, non-blocking reads;
 * write/read and writev/readv keep message boundaries too (one message per
 * call, however large and however many iovecs).
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

static struct sockaddr *addr_of(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (struct sockaddr *)a;
}

/* An address argument pair: the sockaddr_un in `a`, and its length. */
#define AT(path) addr_of(&a, path), (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1)

static int bound(int type, const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, type, 0);

	CHECK(fd >= 0);
	CHECK(bind(fd, addr_of(&a, path), (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1)) == 0);
	return fd;
}

/* recvmsg into a small buffer, printing size, flags and the sender. */
static void recv_show(int fd, size_t room, int flags)
{
	char buf[256] = { 0 };
	struct sockaddr_un from;
	struct iovec iov = { buf, room };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &m, flags);

	if (n < 0) {
		printf("  recv: %s\n", sres(n));
		return;
	}
	printf("  recv %zd \"%.*s\" trunc %d namelen %d", n, (int)(n < (ssize_t)room ? n : (ssize_t)room), buf,
	       !!(m.msg_flags & MSG_TRUNC), (int)m.msg_namelen);
	if (m.msg_namelen > offsetof(struct sockaddr_un, sun_path))
		printf(" from %s", from.sun_path);
	printf("\n");
}

static void test_dgram_paths(void)
{
	int srv = bound(SOCK_DGRAM, "srv.sock"), cli = bound(SOCK_DGRAM, "cli.sock"), anon, v = -1;
	struct sockaddr_un a;
	const char *r;

	printf("dgram over paths\n");
	CHECK(sendto(cli, "first", 5, 0, AT("srv.sock")) == 5);
	CHECK(sendto(cli, "second message", 14, 0, AT("srv.sock")) == 14);
	CHECK(sendto(cli, "", 0, 0, AT("srv.sock")) == 0);
	CHECK(ioctl(srv, FIONREAD, &v) == 0);
	printf("  FIONREAD %d\n", v);
	recv_show(srv, 64, MSG_PEEK);
	recv_show(srv, 64, 0);
	recv_show(srv, 6, 0);
	recv_show(srv, 64, 0);
	anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(sendto(anon, "anon", 4, 0, AT("srv.sock")) == 4);
	recv_show(srv, 2, MSG_TRUNC);
	CHECK(fcntl(srv, F_SETFL, O_NONBLOCK) == 0);
	recv_show(srv, 64, 0);
	r = sres(send(anon, "x", 1, 0));
	printf("  send unconnected: %s\n", r);
	r = sres(sendto(anon, "x", 1, 0, AT("missing.sock")));
	printf("  sendto missing: %s\n", r);
	CHECK(connect(anon, AT("srv.sock")) == 0);
	CHECK(send(anon, "via connect", 11, 0) == 11);
	recv_show(srv, 64, 0);
	CHECK(connect(srv, AT("cli.sock")) == 0);
	r = sres(sendto(anon, "x", 1, 0, AT("srv.sock")));
	printf("  sendto a socket connected elsewhere: %s\n", r);
	CHECK(send(srv, "back", 4, 0) == 4);
	recv_show(cli, 64, 0);
	close(srv);
	r = sres(send(anon, "x", 1, 0));
	printf("  send to closed peer: %s\n", r);
	r = sres(send(anon, "x", 1, 0));
	printf("  and again: %s\n", r);
	close(anon);
	close(cli);
	unlink("srv.sock");
	unlink("cli.sock");
}

static void test_pairs(int type, const char *name)
{
	int sv[2], v = -1;
	const char *r;

	printf("%s socketpair\n", name);
	CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
	for (int i = 1; i <= 3; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "message %d%.*s", i, i * 3, "+++++++++");

		CHECK(write(sv[0], msg, (size_t)n) == n);
	}
	CHECK(ioctl(sv[1], FIONREAD, &v) == 0);
	printf("  FIONREAD %d\n", v);
	recv_show(sv[1], 64, 0);
	recv_show(sv[1], 9, 0);
	recv_show(sv[1], 64, MSG_DONTWAIT);
	recv_show(sv[1], 64, MSG_DONTWAIT);
	close(sv[0]);
	r = sres(recv(sv[1], &v, sizeof(v), MSG_DONTWAIT));
	printf("  after peer close: %s\n", r);
	r = sres(send(sv[1], "x", 1, MSG_NOSIGNAL));
	printf("  send after peer close: %s\n", r);
	close(sv[1]);
}

static void test_seqpacket_listen(void)
{
	int l = bound(SOCK_SEQPACKET, "seq.sock"), c = socket(AF_UNIX, SOCK_SEQPACKET, 0), s;
	struct sockaddr_un a;
	const char *r;

	printf("seqpacket listen/accept\n");
	CHECK(listen(l, 4) == 0);
	r = sres(send(c, "x", 1, 0));
	printf("  send before connect: %s\n", r);
	CHECK(connect(c, AT("seq.sock")) == 0);
	CHECK(send(c, "one", 3, 0) == 3);
	CHECK(send(c, "two two", 7, 0) == 7);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	recv_show(s, 64, 0);
	recv_show(s, 3, 0);
	CHECK(shutdown(c, SHUT_WR) == 0);
	recv_show(s, 64, 0);
	close(c);
	close(s);
	close(l);
	unlink("seq.sock");
}

static void test_dgram_queue(void)
{
	int srv = bound(SOCK_DGRAM, "q.sock"), cli = socket(AF_UNIX, SOCK_DGRAM, 0), sent = 0;
	struct sockaddr_un a;
	char big[4096] = { 0 };

	printf("dgram limits\n");
	CHECK(connect(cli, AT("q.sock")) == 0);
	CHECK(fcntl(cli, F_SETFL, O_NONBLOCK) == 0);
	while (send(cli, big, 100, 0) == 100 && sent < 10000)
		sent++;
	printf("  queue filled: %s (more than 8: %d)\n", sock_errname(errno), sent > 8);
	{
		struct pollfd p = { cli, POLLOUT, 0 };
		int n = poll(&p, 1, 0);

		printf("  writable when full: %d\n", n);
	}
	{
		static char huge[300000];
		ssize_t n = send(srv, huge, sizeof(huge), 0);

		printf("  oversized datagram: %s\n", sres(n));
	}
	close(cli);
	close(srv);
	unlink("q.sock");
}

/* A call is a message: write and writev of 100,000 bytes, read and readv of it. */
static void test_rw_boundaries(int type, const char *name)
{
	enum { BIG = 100000 };
	static char out[BIG], in[2 * BIG];
	int sv[2], sndbuf = 4 * BIG;
	struct iovec three[3] = { { out, 10 }, { out + 10, BIG - 20 }, { out + BIG - 10, 10 } };
	struct iovec two[2] = { { in, 7 }, { in + 7, sizeof(in) - 7 } };
	const char *w, *r1, *r2;

	for (int i = 0; i < BIG; i++)
		out[i] = (char)(i * 7 + i / 251);
	CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == 0);
	w = sres(write(sv[0], out, BIG));
	r1 = sres(recv(sv[1], in, sizeof(in), MSG_DONTWAIT));
	r2 = sres(recv(sv[1], in, sizeof(in), MSG_DONTWAIT));
	printf("%s write %s: recv %s, then %s\n", name, w, r1, r2);
	w = sres(writev(sv[0], three, 3));
	r1 = sres(readv(sv[1], two, 2));
	printf("%s writev of 3 %s: readv into 2 %s, same bytes %d\n", name, w, r1,
	       memcmp(in, out, BIG) == 0);
	w = sres(send(sv[0], out, BIG, 0));
	r1 = sres(read(sv[1], in, sizeof(in)));
	r2 = sres(recv(sv[1], in, sizeof(in), MSG_DONTWAIT));
	printf("%s send %s: read %s, then %s\n", name, w, r1, r2);
	CHECK(write(sv[0], "ab", 2) == 2 && write(sv[0], "cd", 2) == 2);
	r1 = sres(readv(sv[1], two, 2));
	printf("%s readv of two queued messages takes one: %s\n", name, r1);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const char *dir;

	close_extra_fds();
	dir = enter_tmpdir();
	test_dgram_paths();
	test_pairs(SOCK_DGRAM, "dgram");
	test_pairs(SOCK_SEQPACKET, "seqpacket");
	test_seqpacket_listen();
	test_dgram_queue();
	test_rw_boundaries(SOCK_DGRAM, "dgram");
	test_rw_boundaries(SOCK_SEQPACKET, "seqpacket");
	CHECK(chdir("/") == 0);
	CHECK(rmdir(dir) == 0);
	printf("done\n");
	return 0;
}
