/*
 * AF_UNIX stream sockets: a server thread and a client over a pathname
 * and an abstract address: echo, names, half-close (EOF to the reader,
 * EPIPE to the writer, with MSG_NOSIGNAL and as SIGPIPE), a large
 * transfer with a checksum, non-blocking accept and read, FIONREAD,
 * poll events, and the socket file's fstat.
 */
#include "sockcompat.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define BIG (1 << 20)

static socklen_t make_addr(struct sockaddr_un *a, const char *path, int abstract)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(a->sun_path + 1, path, strlen(path));
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	}
	strcpy(a->sun_path, path);
	return sizeof(*a);
}

/* poll(2) on one descriptor, as text: the count and the events. */
static const char *pollstr(int fd, short events, int ms)
{
	static char buf[64];
	struct pollfd p = { fd, events, 0 };
	int n = poll(&p, 1, ms);

	snprintf(buf, sizeof(buf), "%d revents %#x", n, (unsigned)p.revents);
	return buf;
}

static int listener(const char *path, int abstract)
{
	struct sockaddr_un a;
	socklen_t len = make_addr(&a, path, abstract);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, len) == 0);
	CHECK(listen(fd, 8) == 0);
	return fd;
}

static int connect_to(const char *path, int abstract)
{
	struct sockaddr_un a;
	socklen_t len = make_addr(&a, path, abstract);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&a, len) == 0);
	return fd;
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);

		if (r <= 0)
			return r < 0 ? r : (ssize_t)done;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* The echo server: one connection, echoes until EOF, then says "bye" and closes. */
static void *echo_server(void *arg)
{
	int lfd = *(int *)arg, c = accept(lfd, NULL, NULL);
	char buf[4096];
	ssize_t n;

	CHECK(c >= 0);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		CHECK(write(c, buf, (size_t)n) == n);
	CHECK(n == 0);
	CHECK(write(c, "bye", 3) == 3);
	close(c);
	return NULL;
}

static void test_echo(const char *name, int abstract)
{
	int lfd = listener(name, abstract), c;
	pthread_t t;
	char buf[64];
	struct sockaddr_un a;
	socklen_t len = sizeof(a);

	CHECK(pthread_create(&t, NULL, echo_server, &lfd) == 0);
	c = connect_to(name, abstract);
	CHECK(write(c, "hello", 5) == 5);
	CHECK(read_full(c, buf, 5) == 5);
	printf("%s echo: %.5s\n", abstract ? "abstract" : "path", buf);
	CHECK(getpeername(c, (struct sockaddr *)&a, &len) == 0);
	if (abstract)
		printf("peer len ok %d abstract name %.11s\n",
		       (int)len == (int)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name)),
		       a.sun_path + 1);
	else
		printf("peer len %d path %s\n", (int)len, a.sun_path);
	len = sizeof(a);
	CHECK(getsockname(c, (struct sockaddr *)&a, &len) == 0);
	printf("own name len %d\n", (int)len);
	CHECK(shutdown(c, SHUT_WR) == 0);
	printf("after SHUT_WR: write %s\n", sres(send(c, "x", 1, MSG_NOSIGNAL)));
	CHECK(read_full(c, buf, 3) == 3);
	printf("server said %.3s, then read %s\n", buf, sres(read(c, buf, sizeof(buf))));
	pthread_join(t, NULL);
	close(c);
	close(lfd);
}

static void *big_sender(void *arg)
{
	int fd = *(int *)arg;
	unsigned char *buf = malloc(BIG);

	for (size_t i = 0; i < BIG; i++)
		buf[i] = (unsigned char)(i * 7 + i / 251);
	CHECK(write(fd, buf, BIG) == BIG);
	close(fd);
	free(buf);
	return NULL;
}

static void test_big(void)
{
	int sv[2];
	pthread_t t;
	unsigned char buf[3000];
	uint64_t h = FNV1A_INIT;
	size_t total = 0;
	ssize_t n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pthread_create(&t, NULL, big_sender, &sv[1]) == 0);
	while ((n = read(sv[0], buf, sizeof(buf))) > 0) {
		h = fnv1a(h, buf, (size_t)n);
		total += (size_t)n;
	}
	printf("big: %zu bytes, fnv %016llx, last read %s\n", total, (unsigned long long)h, sres(n));
	pthread_join(t, NULL);
	close(sv[0]);
}

static void test_nonblock(void)
{
	int lfd = listener("nb.sock", 0), c, s, v = -1;
	char buf[16];

	CHECK(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);
	printf("accept empty: %s\n", sres(accept(lfd, NULL, NULL)));
	c = connect_to("nb.sock", 0);
	printf("listener poll: %s\n", pollstr(lfd, POLLIN, 1000));
	s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(s >= 0);
	printf("accepted flags: nonblock %d cloexec %d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
	printf("read empty: %s\n", sres(read(s, buf, sizeof(buf))));
	printf("fresh poll: %s\n", pollstr(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	CHECK(write(c, "abcdef", 6) == 6);
	CHECK(ioctl(s, FIONREAD, &v) == 0);
	printf("FIONREAD %d\n", v);
	printf("peek %s ", sres(recv(s, buf, 3, MSG_PEEK)));
	printf("read %s: %.6s\n", sres(read(s, buf, sizeof(buf))), buf);
	CHECK(shutdown(c, SHUT_WR) == 0);
	printf("peer SHUT_WR poll: %s\n", pollstr(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	close(c);
	printf("peer closed poll: %s\n", pollstr(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	printf("read at EOF: %s\n", sres(read(s, buf, sizeof(buf))));
	printf("send to closed: %s\n", sres(send(s, "x", 1, MSG_NOSIGNAL)));
	close(s);
	close(lfd);
}

static volatile sig_atomic_t got_pipe;
static void on_pipe(int sig) { (void)sig; got_pipe++; }

static void test_sigpipe_and_stat(void)
{
	int sv[2];
	struct stat st;
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	const char *r;

	signal(SIGPIPE, on_pipe);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	r = sres(write(sv[0], "x", 1));
	printf("write to an open pair: %s\n", r);
	CHECK(fstat(sv[0], &st) == 0);
	printf("fstat: sock %d mode %o\n", S_ISSOCK(st.st_mode), (unsigned)(st.st_mode & 0777));
	{
		char link[64], path[64];
		ssize_t n;
		struct stat st2;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		CHECK(fstat(sv[1], &st2) == 0);
		printf("readlink: socket:[ino] %d, inodes differ %d\n",
		       n > 0 && (unsigned long long)strtoull(link + 8, NULL, 10) == (unsigned long long)st.st_ino &&
		       !strncmp(link, "socket:[", 8), st.st_ino != st2.st_ino);
	}
	CHECK(getsockname(sv[0], (struct sockaddr *)&a, &len) == 0);
	printf("socketpair name len %d family %d\n", (int)len, a.sun_family);
	close(sv[1]);
	r = sres(write(sv[0], "x", 1));
	printf("write to closed pair: %s, SIGPIPE %d\n", r, (int)got_pipe);
	len = sizeof(a);
	r = sres(getpeername(sv[0], (struct sockaddr *)&a, &len));
	printf("getpeername after close: %s len %d\n", r, (int)len);
	close(sv[0]);
	signal(SIGPIPE, SIG_DFL);
}

static struct sockaddr *at(struct sockaddr_un *a, const char *path)
{
	make_addr(a, path, 0);
	return (struct sockaddr *)a;
}

static void test_bind_errors(void)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	int a1 = socket(AF_UNIX, SOCK_STREAM, 0), a2 = socket(AF_UNIX, SOCK_STREAM, 0);
	struct stat st;

	CHECK(bind(a1, at(&a, "dup.sock"), len) == 0);
	printf("bind taken path: %s\n", sres(bind(a2, at(&a, "dup.sock"), len)));
	printf("rebind bound: %s\n", sres(bind(a1, at(&a, "other.sock"), len)));
	printf("path exists: %d\n", stat("dup.sock", &st) == 0);
	printf("connect not listening: %s\n", sres(connect(a2, at(&a, "dup.sock"), len)));
	printf("connect missing: %s\n", sres(connect(a2, at(&a, "nope.sock"), len)));
	printf("listen unbound: %s\n", sres(listen(a2, 1)));
	close(a1);
	close(a2);
	CHECK(unlink("dup.sock") == 0);
	a1 = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("bind after unlink: %s\n", sres(bind(a1, at(&a, "dup.sock"), len)));
	close(a1);
	unlink("dup.sock");
	unlink("nb.sock");
	unlink("echo.sock");
}

/* A peer that closes with data it never read: ECONNRESET once (a read or SO_ERROR), POLLERR until then. */
static void test_reset(void)
{
	int sv[2], e = -1;
	socklen_t l = sizeof(e);
	char c;
	const char *r;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[0], "ab", 2) == 2);
	close(sv[1]);
	printf("reset: poll %s\n", pollstr(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
	r = sres(read(sv[0], &c, 1));
	printf("  read %s\n", r);
	printf("  poll %s\n", pollstr(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &e, &l) == 0);
	r = sres(read(sv[0], &c, 1));
	printf("  SO_ERROR %s, then read %s\n", sock_errname(e), r);
	close(sv[0]);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[0], "ab", 2) == 2);
	close(sv[1]);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &e, &l) == 0);
	r = sres(read(sv[0], &c, 1));
	printf("  SO_ERROR first %s, then read %s\n", sock_errname(e), r);
	close(sv[0]);
}

int main(void)
{
	const char *dir;

	close_extra_fds();
	dir = enter_tmpdir();
	test_echo("echo.sock", 0);
	{
		char name[40];

		/* The abstract namespace is the host's: concurrent native runs need their own names. */
		snprintf(name, sizeof(name), "compat-echo-%d", (int)getpid());
		test_echo(name, 1);
	}
	test_big();
	test_nonblock();
	test_sigpipe_and_stat();
	test_reset();
	test_bind_errors();
	CHECK(chdir("/") == 0);
	CHECK(rmdir(dir) == 0);
	printf("done\n");
	return 0;
}
