/* TCP servers the way event-driven programs write them: a non-blocking
 * listener and an edge-triggered epoll loop serving 64 client threads
 * (each sends requests and checks replies); a non-blocking connect
 * (EINPROGRESS, then writable, SO_ERROR 0); a connect to a port nobody
 * listens on (ECONNREFUSED, blocking and non-blocking via SO_ERROR);
 * EADDRINUSE; accept4 flags; the errors of calls on the wrong kind of
 * socket. */
#include "sockcompat.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Ports from a per-process base: runs of the suite side by side must not
 * collide, and the output shows ports only relative to it. */
static int PORT;
#define CLIENTS 64
#define ROUNDS 20

static struct sockaddr_in loop_addr(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static void *client(void *arg)
{
	long id = (long)arg;
	struct sockaddr_in a = loop_addr(PORT);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char req[32], rep[32];

	CHECK(s >= 0);
	CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	for (int r = 0; r < ROUNDS; r++) {
		int n = snprintf(req, sizeof(req), "c%ld r%d;", id, r);
		CHECK(write(s, req, (size_t)n) == n);
		CHECK(recv(s, rep, (size_t)n, MSG_WAITALL) == n);
		CHECK(memcmp(req, rep, (size_t)n) == 0);
	}
	close(s);
	return (void *)1;
}

/* The epoll server: echo everything, edge-triggered, until every client closed. */
static void serve(int ls)
{
	int ep = epoll_create1(0), done = 0, accepted = 0;
	struct epoll_event e = { .events = EPOLLIN, .data.fd = ls }, evs[32];

	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ls, &e) == 0);
	while (done < CLIENTS) {
		int n = epoll_wait(ep, evs, 32, 5000);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					e = (struct epoll_event){ .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c };
					CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &e) == 0);
					accepted++;
				}
				CHECK(errno == EAGAIN);
				continue;
			}
			char buf[4096];
			ssize_t r;
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				CHECK(write(fd, buf, (size_t)r) == r);
			if (r == 0) {
				close(fd);
				done++;
			} else {
				CHECK(errno == EAGAIN);
			}
		}
	}
	printf("epoll server: accepted %d, served %d clients\n", accepted, done);
	close(ep);
}

static void nonblocking_connect(void)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1, err = -1;
	struct sockaddr_in a = loop_addr(PORT + 1);
	socklen_t len = sizeof(err);

	CHECK(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(ls, 4) == 0);
	printf("accept on empty non-blocking listener: %s\n", res(accept(ls, NULL, NULL)));
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	printf("non-blocking connect: %s\n", r == 0 ? "0 (at once)" : errno == EINPROGRESS ? "EINPROGRESS" : res(r));
	struct pollfd p = { .fd = s, .events = POLLOUT };
	printf("poll for writable: %s", res(poll(&p, 1, 2000)));
	printf(" OUT %d\n", !!(p.revents & POLLOUT));
	CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
	printf("SO_ERROR: %s\n", errname(err));
	printf("connect again: %s\n", res(connect(s, (struct sockaddr *)&a, sizeof(a))));
	p = (struct pollfd){ .fd = ls, .events = POLLIN };
	printf("listener readable: %s\n", res(poll(&p, 1, 2000)));
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(c >= 0);
	printf("accept4 flags: cloexec %d nonblock %d\n", !!(fcntl(c, F_GETFD) & FD_CLOEXEC),
	       !!(fcntl(c, F_GETFL) & O_NONBLOCK));
	close(c);
	close(s);

	/* EADDRINUSE: a second listener on the same address. */
	int l2 = socket(AF_INET, SOCK_STREAM, 0);
	printf("bind in use: %s\n", res(bind(l2, (struct sockaddr *)&a, sizeof(a))));
	close(l2);
	close(ls);
}

static void refused(void)
{
	struct sockaddr_in a = loop_addr(PORT + 9);
	int s = socket(AF_INET, SOCK_STREAM, 0), err = -1;
	socklen_t len = sizeof(err);

	printf("connect to closed port: %s\n", res(connect(s, (struct sockaddr *)&a, sizeof(a))));
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	if (r == -1 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = s, .events = POLLOUT };
		CHECK(poll(&p, 1, 2000) == 1);
		printf("non-blocking refused: poll ERR %d HUP %d", !!(p.revents & POLLERR), !!(p.revents & POLLHUP));
		CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
		printf(" SO_ERROR %s\n", errname(err));
	} else {
		printf("non-blocking refused: poll ERR 1 HUP 1 SO_ERROR %s\n", r == -1 ? errname(errno) : "0");
	}
	close(s);
}

static void wrong_kind(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	char b[4];

	printf("listen on UDP: %s\n", res(listen(u, 1)));
	printf("accept on unconnected TCP: %s\n", res(accept(t, NULL, NULL)));
	printf("recv on unconnected TCP: %s\n", res(recv(t, b, sizeof(b), 0)));
	printf("send on unconnected TCP: %s\n", res(send(t, "x", 1, MSG_NOSIGNAL)));
	printf("shutdown unconnected TCP: %s\n", res(shutdown(t, SHUT_RDWR)));
	struct sockaddr_in a = loop_addr(PORT);
	printf("bind short length: %s\n", res(bind(t, (struct sockaddr *)&a, 4)));
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	printf("bind v6 address to v4 socket: %s\n", res(bind(t, (struct sockaddr *)&a6, sizeof(a6))));
	printf("socket(AF_INET, SOCK_RAW+1): %s\n", res(socket(AF_INET, 9, 0)));
	printf("socket(AF_INET, STREAM, UDP): %s\n", res(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)));
	close(u);
	close(t);
}

int main(void)
{
	struct sockaddr_in a;
	int ls, one = 1;
	pthread_t t[CLIENTS];
	long ok = 0;

	close_extra_fds();
	PORT = port_base(20000, 16);
	a = loop_addr(PORT);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(ls, 128) == 0);
	for (long i = 0; i < CLIENTS; i++)
		CHECK(pthread_create(&t[i], NULL, client, (void *)i) == 0);
	serve(ls);
	for (int i = 0; i < CLIENTS; i++) {
		void *r;
		pthread_join(t[i], &r);
		ok += (long)r;
	}
	printf("clients ok: %ld\n", ok);
	close(ls);
	nonblocking_connect();
	refused();
	wrong_kind();
	printf("done\n");
	return 0;
}
