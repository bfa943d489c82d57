/* TCP over loopback (127.0.0.1 and ::1): a threaded echo server; a
 * stream of 4 MiB in random-sized writes checked by checksum; half-close
 * (the reader sees EOF, the other direction still works); MSG_PEEK and
 * MSG_WAITALL; a reset by SO_LINGER 0 (the peer's read fails ECONNRESET);
 * a write to a reset connection (EPIPE with MSG_NOSIGNAL); addresses of
 * both ends (ports fixed so the output is the same everywhere); shutdown
 * and poll events along the way. */
#include "sockcompat.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

/* Ports from a per-process base: runs of the suite side by side must not
 * collide, and the output shows ports only relative to it. */
static int PORT;
#define STREAM_BYTES (4 << 20)

static int listen_on(int family, int port)
{
	int s = socket(family, SOCK_STREAM, 0), one = 1;

	CHECK(s >= 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT };
		CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	}
	CHECK(listen(s, 16) == 0);
	return s;
}

static int connect_to(int family, const char *addr, int port)
{
	int s = socket(family, SOCK_STREAM, 0);

	CHECK(s >= 0);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		CHECK(inet_pton(AF_INET, addr, &a.sin_addr) == 1);
		CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
		CHECK(inet_pton(AF_INET6, addr, &a.sin6_addr) == 1);
		CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	}
	return s;
}

static const char *show_addr(const struct sockaddr_storage *ss, int with_port)
{
	static char out[4][80];
	static int n;
	char *b = out[n++ % 4], ip[64];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(b, 80, "inet %s:base+%d", ip, with_port ? ntohs(a->sin_port) - PORT : -1);
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(b, 80, "inet6 [%s]:base+%d", ip, with_port ? ntohs(a->sin6_port) - PORT : -1);
	}
	return b;
}

static void *echo_server(void *arg)
{
	int ls = *(int *)arg, c;
	char buf[8192];
	ssize_t n;

	while ((c = accept(ls, NULL, NULL)) >= 0) {
		while ((n = read(c, buf, sizeof(buf))) > 0)
			CHECK(write(c, buf, (size_t)n) == n);
		close(c);
	}
	return NULL;
}

struct stream_arg {
	int fd;
	uint64_t sum;
};

static void *stream_writer(void *arg)
{
	struct stream_arg *sa = arg;
	static char buf[65536];
	size_t sent = 0;

	while (sent < STREAM_BYTES) {
		size_t n = 1 + rng_below(sizeof(buf));

		if (n > STREAM_BYTES - sent)
			n = STREAM_BYTES - sent;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(sent + i) * 7;
		sa->sum = fnv1a(sa->sum, buf, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(sa->fd, buf + off, n - off);
			CHECK(w > 0);
			off += (size_t)w;
		}
		sent += n;
	}
	CHECK(shutdown(sa->fd, SHUT_WR) == 0);
	return NULL;
}

static void stream_test(int ls)
{
	struct stream_arg wa = { .sum = FNV1A_INIT };
	uint64_t sum = FNV1A_INIT;
	size_t got = 0;
	char buf[30000];
	pthread_t t;
	ssize_t n;
	int c, s;

	s = connect_to(AF_INET, "127.0.0.1", PORT + 1);
	c = accept(ls, NULL, NULL);
	CHECK(c >= 0);
	wa.fd = s;
	CHECK(pthread_create(&t, NULL, stream_writer, &wa) == 0);
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		sum = fnv1a(sum, buf, (size_t)n);
		got += (size_t)n;
	}
	CHECK(n == 0);
	pthread_join(t, NULL);
	printf("stream: %zu bytes, checksums %s\n", got, sum == wa.sum ? "match" : "differ");
	/* Half-close: the other direction still works after the EOF. */
	printf("write back after peer's FIN: %s\n", res(write(c, "back", 4)));
	printf("read it: %s\n", res(read(s, buf, sizeof(buf))));
	CHECK(shutdown(c, SHUT_WR) == 0);
	printf("read EOF: %s\n", res(read(s, buf, sizeof(buf))));
	struct pollfd p = { .fd = s, .events = POLLIN | POLLOUT | POLLRDHUP };
	CHECK(poll(&p, 1, 1000) == 1);
	printf("poll after both FINs: IN %d OUT %d RDHUP %d HUP %d\n", !!(p.revents & POLLIN),
	       !!(p.revents & POLLOUT), !!(p.revents & POLLRDHUP), !!(p.revents & POLLHUP));
	close(s);
	close(c);
}

static void peek_waitall_test(int ls)
{
	int s = connect_to(AF_INET, "127.0.0.1", PORT + 1), c = accept(ls, NULL, NULL);
	char buf[16] = { 0 };

	CHECK(c >= 0);
	CHECK(write(s, "hello", 5) == 5);
	sleep_ms(20);
	printf("peek: %s '%.5s'\n", res(recv(c, buf, sizeof(buf), MSG_PEEK)), buf);
	memset(buf, 0, sizeof(buf));
	printf("recv 3: %s '%.3s'\n", res(recv(c, buf, 3, 0)), buf);
	CHECK(write(s, "world", 5) == 5);
	memset(buf, 0, sizeof(buf));
	printf("recv waitall 7: %s '%.7s'\n", res(recv(c, buf, 7, MSG_WAITALL)), buf);
	printf("recv dontwait on empty: %s\n", res(recv(c, buf, sizeof(buf), MSG_DONTWAIT)));
	close(s);
	close(c);
}

static void reset_test(int ls)
{
	int s = connect_to(AF_INET, "127.0.0.1", PORT + 1), c = accept(ls, NULL, NULL);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[16];

	CHECK(c >= 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	close(s);
	sleep_ms(50);
	printf("read after peer reset: %s\n", res(read(c, buf, sizeof(buf))));
	printf("send after reset: %s\n", res(send(c, "x", 1, MSG_NOSIGNAL)));
	close(c);
}

static void names_test(int ls6)
{
	struct sockaddr_storage a;
	socklen_t len;
	int s, c;

	/* A v4 client reaching a dual-stack v6 listener: shown as ::ffff:127.0.0.1. */
	s = connect_to(AF_INET, "127.0.0.1", PORT + 2);
	len = sizeof(a);
	c = accept(ls6, (struct sockaddr *)&a, &len);
	CHECK(c >= 0);
	printf("accepted v4 on v6 listener: %s len %u\n", show_addr(&a, 0), len);
	len = sizeof(a);
	CHECK(getsockname(c, (struct sockaddr *)&a, &len) == 0);
	printf("its local name: %s\n", show_addr(&a, 1));
	len = sizeof(a);
	CHECK(getpeername(s, (struct sockaddr *)&a, &len) == 0);
	printf("client's peer: %s\n", show_addr(&a, 1));
	close(s);
	close(c);
	s = connect_to(AF_INET6, "::1", PORT + 2);
	len = sizeof(a);
	c = accept(ls6, (struct sockaddr *)&a, &len);
	CHECK(c >= 0);
	printf("accepted v6: %s len %u\n", show_addr(&a, 0), len);
	len = sizeof(a);
	CHECK(getpeername(s, (struct sockaddr *)&a, &len) == 0);
	printf("v6 client's peer: %s\n", show_addr(&a, 1));
	close(s);
	close(c);
}

static void echo_test(int family, const char *addr, int port)
{
	int s = connect_to(family, addr, port), one = 1;
	char buf[64];

	CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
	for (int i = 0; i < 3; i++) {
		int n = snprintf(buf, sizeof(buf), "message %d", i);
		CHECK(write(s, buf, (size_t)n) == n);
		memset(buf, 0, sizeof(buf));
		ssize_t r = recv(s, buf, (size_t)n, MSG_WAITALL);
		printf("%s echo %d: %s '%s'\n", family == AF_INET ? "v4" : "v6", i, res(r), buf);
	}
	close(s);
}

int main(void)
{
	int ls, ls1, ls6, v = 0;
	socklen_t len = sizeof(v);
	pthread_t t;

	close_extra_fds();
	PORT = port_base(20000, 16);
	ls = listen_on(AF_INET, PORT);
	CHECK(getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0);
	printf("listening: SO_ACCEPTCONN %d\n", v);
	CHECK(pthread_create(&t, NULL, echo_server, &ls) == 0);
	echo_test(AF_INET, "127.0.0.1", PORT);
	ls1 = listen_on(AF_INET, PORT + 1);
	stream_test(ls1);
	peek_waitall_test(ls1);
	reset_test(ls1);
	ls6 = listen_on(AF_INET6, PORT + 2);
	names_test(ls6);
	printf("done\n");
	return 0;
}
