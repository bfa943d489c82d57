/*
 * The socket calls' error cases: EBADF, ENOTSOCK, EAFNOSUPPORT,
 * EPROTONOSUPPORT, ESOCKTNOSUPPORT, EINVAL for bad lengths and flags,
 * EFAULT for bad pointers, ENOTCONN, EISCONN, EOPNOTSUPP, EMFILE,
 * ECONNREFUSED. Calls whose libc wrappers read the bad pointer themselves
 * (musl's getsockopt, sendmsg) go through syscall(2). AF_INET is left out: it belongs to another
 * family's tests.
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

/* An address nothing is mapped at; volatile so the compiler cannot see through it. */
static void *volatile bad_ptr = (void *)16;
#define BAD bad_ptr

static void show(const char *what, long r)
{
	printf("%-40s %s\n", what, sres(r));
}

int main(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(a);
	int pf[2], s, d, sv[2], v = 1;
	char buf[8];
	const char *dir;

	close_extra_fds();
	dir = enter_tmpdir();
	CHECK(pipe(pf) == 0);
	show("socket(AF_UNIX, 99)", socket(AF_UNIX, 99, 0));
	show("socket(AF_UNIX, 0)", socket(AF_UNIX, 0, 0));
	show("socket(AF_UNIX, SOCK_RDM)", socket(AF_UNIX, SOCK_RDM, 0));
	show("socket(AF_UNIX, SOCK_PACKET)", socket(AF_UNIX, SOCK_PACKET, 0));
	show("socket(AF_UNIX, 11)", socket(AF_UNIX, 11, 0));
	show("socket(AF_UNIX, STREAM, 7)", socket(AF_UNIX, SOCK_STREAM, 7));
	show("socket(1234, STREAM)", socket(1234, SOCK_STREAM, 0));
	show("socket(-1, STREAM)", socket(-1, SOCK_STREAM, 0));
	show("socket(AF_UNIX, STREAM|bad flag)", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));
	show("socketpair bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, BAD));
	show("bind(badfd)", bind(99, (struct sockaddr *)&a, len));
	show("bind(pipe)", bind(pf[0], (struct sockaddr *)&a, len));
	show("listen(pipe)", listen(pf[0], 1));
	show("accept(pipe)", accept(pf[0], NULL, NULL));
	show("connect(pipe)", connect(pf[0], (struct sockaddr *)&a, len));
	show("getsockopt(pipe)", getsockopt(pf[0], SOL_SOCKET, SO_TYPE, &v, &len));
	show("send(pipe)", send(pf[1], "x", 1, 0));
	show("recv(badfd)", recv(99, buf, 1, 0));
	show("shutdown(pipe)", shutdown(pf[0], SHUT_RD));

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(s >= 0 && d >= 0);
	show("bind len 1", bind(s, (struct sockaddr *)&a, 1));
	show("bind len 200", bind(s, (struct sockaddr *)&a, 200));
	show("bind len -1", bind(s, (struct sockaddr *)&a, (socklen_t)-1));
	show("bind bad pointer", bind(s, BAD, sizeof(a)));
	a.sun_family = AF_INET;
	show("bind wrong family", bind(s, (struct sockaddr *)&a, sizeof(a)));
	a.sun_family = AF_UNIX;
	show("connect len 1", connect(s, (struct sockaddr *)&a, 1));
	show("connect bad pointer", connect(s, BAD, sizeof(a)));
	show("recv unconnected stream", recv(s, buf, 1, MSG_DONTWAIT));
	show("send unconnected stream", send(s, "x", 1, MSG_NOSIGNAL));
	show("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &len));
	show("getsockname bad len pointer", getsockname(s, (struct sockaddr *)&a, BAD));
	len = (socklen_t)-1;
	show("getsockname negative len", getsockname(s, (struct sockaddr *)&a, &len));
	len = sizeof(a);
	show("accept unlistened", accept(s, NULL, NULL));
	show("accept4 bad flags", accept4(s, NULL, NULL, 0x1));
	show("listen dgram", listen(d, 1));
	show("accept dgram", accept(d, NULL, NULL));
	show("shutdown how 3", shutdown(s, 3));
	show("shutdown unconnected", shutdown(s, SHUT_RDWR));
	show("send MSG_OOB", send(d, "x", 1, MSG_OOB));
	show("setsockopt short", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
	show("setsockopt bad pointer", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD, sizeof(v)));
	show("setsockopt unknown", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)));
	show("setsockopt SO_TYPE", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof(v)));
	show("setsockopt IP level on unix", setsockopt(s, 0 /* SOL_IP */, 1, &v, sizeof(v)));
	len = (socklen_t)-1;
	show("getsockopt negative len", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	len = sizeof(v);
	show("getsockopt bad len pointer", syscall(SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, &v, BAD));
	show("sendto bad buffer", sendto(d, BAD, 10, 0, NULL, 0));
	show("recv bad buffer", recv(s, BAD, 10, MSG_DONTWAIT));
	{
		struct msghdr m = { .msg_iov = BAD, .msg_iovlen = 1 };

		show("sendmsg bad iovec", sendmsg(d, &m, 0));
		show("sendmsg bad msghdr", syscall(SYS_sendmsg, d, BAD, 0));
		m.msg_iov = NULL;
		m.msg_iovlen = 5000;
		show("sendmsg iovlen 5000", sendmsg(d, &m, 0));
	}
	a.sun_path[0] = 0;
	/* The abstract namespace is the host's: a name per process (15 bytes after the NUL). */
	snprintf(a.sun_path + 1, 16, "errors-%08d", (int)getpid() % 100000000);
	CHECK(bind(d, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 16) == 0);
	show("connect stream to dgram name", connect(s, (struct sockaddr *)&a,
						    offsetof(struct sockaddr_un, sun_path) + 16));
	strcpy(a.sun_path + 1, "errors-nobody");
	show("connect to unbound abstract", connect(s, (struct sockaddr *)&a,
						   offsetof(struct sockaddr_un, sun_path) + 14));

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	show("connect connected", connect(sv[0], (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 14));
	show("sendto with address on connected stream", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a,
								 offsetof(struct sockaddr_un, sun_path) + 14));
	show("listen connected", listen(sv[0], 1));
	show("lseek socket", lseek(sv[0], 0, SEEK_SET));
	{
		struct rlimit rl;
		int fds[2];

		CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
		rl.rlim_cur = 12;
		CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
		while ((v = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0)
			;
		show("socket past RLIMIT_NOFILE", v);
		show("socketpair past RLIMIT_NOFILE", socketpair(AF_UNIX, SOCK_DGRAM, 0, fds));
	}
	CHECK(chdir("/") == 0);
	CHECK(rmdir(dir) == 0);
	printf("done\n");
	return 0;
}
