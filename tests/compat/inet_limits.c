/* TCP at its limits, over loopback:
 * - accept past RLIMIT_NOFILE fails with EMFILE and leaves the connection
 *   queued (poll still shows it); with the limit raised, accept takes it and
 *   it carries data; socket(AF_INET) past the limit is EMFILE too;
 * - a peer that never reads: a non-blocking send ends in EAGAIN and poll
 *   shows no POLLOUT (how much went before differs between stacks and is not
 *   printed); a blocking send with SO_SNDTIMEO ends in EAGAIN at its timeout;
 *   another connection to the same listener works meanwhile; once the peer
 *   reads, every byte arrives, in order. */
#include "sockcompat.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

static int PORT;

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	CHECK(s >= 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(s, 16) == 0);
	return s;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(s >= 0);
	CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	return s;
}

static void set_nofile(rlim_t n)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = n;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

static short revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	CHECK(poll(&p, 1, 0) >= 0);
	return p.revents;
}

static void accept_past_limit(int ls)
{
	int c = connect_to(PORT), a;
	char buf[8];

	/* 0-2, the listener and the client are open: nothing more fits. */
	set_nofile((rlim_t)c + 1);
	printf("accept past RLIMIT_NOFILE: %s\n", sres(accept(ls, NULL, NULL)));
	printf("socket past RLIMIT_NOFILE: %s\n", sres(socket(AF_INET, SOCK_STREAM, 0)));
	printf("listener still readable: %s\n", revents(ls, POLLIN) & POLLIN ? "yes" : "no");
	set_nofile(64);
	a = accept(ls, NULL, NULL);
	printf("accept with room: %s\n", a >= 0 ? "ok" : sres(a));
	CHECK(a >= 0);
	CHECK(write(c, "queued", 6) == 6);
	CHECK(read(a, buf, sizeof(buf)) == 6);
	printf("the queued connection carries data: %.6s\n", buf);
	close(a);
	close(c);
}

static unsigned char pattern_at(size_t i)
{
	return (unsigned char)(i % 251);
}

/* Sends to a peer that does not read until send would block; returns the count. */
static size_t fill(int s)
{
	unsigned char chunk[4096];
	size_t sent = 0;
	ssize_t n;

	CHECK(fcntl(s, F_SETFL, O_NONBLOCK) == 0);
	for (;;) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = pattern_at(sent + i);
		n = send(s, chunk, sizeof(chunk), 0);
		if (n < 0)
			break;
		sent += (size_t)n;
	}
	printf("non-blocking send to a peer that never reads: %s\n", sres(n));
	printf("POLLOUT while full: %s\n", revents(s, POLLOUT) & POLLOUT ? "yes" : "no");
	CHECK(fcntl(s, F_SETFL, 0) == 0);
	return sent;
}

static void never_reader(int ls)
{
	int c = connect_to(PORT), peer = accept(ls, NULL, NULL), c2, p2;
	struct timeval tv = { 0, 200000 };
	unsigned char buf[8192];
	size_t sent, got = 0, wrong = 0;
	char b2[4];
	ssize_t n;

	CHECK(peer >= 0);
	sent = fill(c);
	CHECK(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
	printf("blocking send with SO_SNDTIMEO 200 ms: %s\n", sres(send(c, buf, 1, 0)));

	c2 = connect_to(PORT);
	p2 = accept(ls, NULL, NULL);
	CHECK(p2 >= 0);
	CHECK(write(c2, "hi", 2) == 2 && read(p2, b2, 2) == 2);
	CHECK(write(p2, "yo", 2) == 2 && read(c2, b2 + 2, 2) == 2);
	printf("another connection meanwhile: %.4s\n", b2);
	close(p2);
	close(c2);

	shutdown(c, SHUT_WR);
	while ((n = read(peer, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			wrong += buf[i] != pattern_at(got + (size_t)i);
		got += (size_t)n;
	}
	CHECK(n == 0);
	printf("the reader got every byte sent, in order: %s\n",
	       got == sent && !wrong ? "yes" : "no");
	close(peer);
	close(c);
}

int main(void)
{
	int ls;

	close_extra_fds();
	PORT = port_base(24000, 4);
	ls = listen_on(PORT);
	accept_past_limit(ls);
	never_reader(ls);
	close(ls);
	printf("done\n");
	return 0;
}
